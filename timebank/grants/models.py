"""Seed grants: a programme's settings, the grants it awards, their budget lines and spending.

The money itself lives in the ledger, in pence (unit ``GBP``), on four kinds of account:

* the programme's fund as seen from one bank (kind ``FUNDER``, no floor: it is the source);
* one account per grant (kind ``GRANT``, floor 0: a grant can never spend more than it holds);
* one account per budget line (kind ``BUDGET_LINE``): what has been spent on that line.

An award moves money fund -> grant, a spend grant -> line, a return grant -> fund. These tables
only say which account is which and keep the details the books must not hold: who was paid and
for what lives in :class:`Spend`, apart from the transfer, so it can be redacted while the books
stay whole. The migration adds guards: a grant's terms and a line's account are never rewritten,
nothing here is deleted, and spend details can be redacted but not rewritten.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    CheckConstraint,
    Date,
    ForeignKey,
    ForeignKeyConstraint,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from timebank.db import Base, UTCDateTime, str_enum, utcnow
from timebank.ledger.models import Unit

#: The UK National Living Wage for workers aged 21 and over, from 1 April 2025, in pence.
NATIONAL_LIVING_WAGE_PENCE = 1221
NATIONAL_LIVING_WAGE_SOURCE = "UK National Living Wage (age 21+), GOV.UK"
NATIONAL_LIVING_WAGE_FROM = date(2025, 4, 1)

#: The budget lines every grant starts with; stored data, named in plain English.
DEFAULT_BUDGET_LINES = (
    "coordinator time",
    "venue hire",
    "volunteer expenses",
    "publicity",
    "reference and DBS checks",
    "insurance",
    "training",
    "other",
)


class OverspendPolicy(enum.StrEnum):
    #: A spend that would take a line past its budget is refused.
    REFUSE = "refuse"
    #: It is recorded, and flagged as an overspend.
    WARN = "warn"


class GrantStatus(enum.StrEnum):
    #: Money can be spent and returned.
    OPEN = "open"
    #: Everything is spent or returned and the grant account is closed; it never reopens.
    CLOSED = "closed"


class ProgrammeSettings(Base):
    """How a programme runs its grants, one row per programme."""

    __tablename__ = "programme_settings"
    __table_args__ = (
        CheckConstraint("hourly_value_pence > 0", name="hourly_value_positive"),
        CheckConstraint("target_banks_per_year >= 0", name="target_not_negative"),
        CheckConstraint(
            "period_starts_on IS NULL OR period_ends_on IS NULL"
            " OR period_starts_on <= period_ends_on",
            name="period_in_order",
        ),
    )

    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id"), primary_key=True)
    period_starts_on: Mapped[date | None] = mapped_column(Date)
    period_ends_on: Mapped[date | None] = mapped_column(Date)
    #: How many new banks the programme means to fund each year (five in the seed programme).
    target_banks_per_year: Mapped[int] = mapped_column(Integer, default=5)
    overspend_policy: Mapped[OverspendPolicy] = mapped_column(
        str_enum(OverspendPolicy, "overspend_policy"), default=OverspendPolicy.REFUSE
    )
    #: What an hour of help is worth in funder reports, in pence, always shown with its source
    #: and the date the rate applies from.
    hourly_value_pence: Mapped[int] = mapped_column(Integer, default=NATIONAL_LIVING_WAGE_PENCE)
    hourly_value_source: Mapped[str] = mapped_column(
        String(200), default=NATIONAL_LIVING_WAGE_SOURCE
    )
    hourly_value_on: Mapped[date] = mapped_column(Date, default=NATIONAL_LIVING_WAGE_FROM)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Grant(Base):
    """A seed grant awarded to one bank. Its amount is the award transfer's and never changes:
    a correction is a new transfer (a return, or a reversal)."""

    __tablename__ = "grants"
    __table_args__ = (
        # targets of the budget lines' and spends' composite foreign keys
        UniqueConstraint("id", "bank_id", name="uq_grants_id_bank"),
        UniqueConstraint("grant_account_id"),
        UniqueConstraint("award_transfer_id"),
        ForeignKeyConstraint(
            ["funder_account_id", "bank_id", "unit"],
            ["accounts.id", "accounts.bank_id", "accounts.unit"],
            name="fk_grants_funder_account_same_bank_unit",
        ),
        ForeignKeyConstraint(
            ["grant_account_id", "bank_id", "unit"],
            ["accounts.id", "accounts.bank_id", "accounts.unit"],
            name="fk_grants_grant_account_same_bank_unit",
        ),
        ForeignKeyConstraint(
            ["award_transfer_id", "bank_id", "unit"],
            ["transfers.id", "transfers.bank_id", "transfers.unit"],
            name="fk_grants_award_transfer_same_bank_unit",
        ),
        CheckConstraint("amount_pence > 0", name="amount_positive"),
        CheckConstraint("unit = 'GBP'", name="in_pounds"),
        CheckConstraint("funder_account_id <> grant_account_id", name="two_accounts"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id"), index=True)
    bank_id: Mapped[int] = mapped_column(ForeignKey("banks.id"), index=True)
    #: Always GBP; a column so the foreign keys can tie the accounts to pounds.
    unit: Mapped[Unit] = mapped_column(str_enum(Unit, "unit"), default=Unit.GBP)
    amount_pence: Mapped[int] = mapped_column(Integer)
    awarded_on: Mapped[date] = mapped_column(Date)
    conditions: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[GrantStatus] = mapped_column(
        str_enum(GrantStatus, "grant_status"), default=GrantStatus.OPEN
    )
    funder_account_id: Mapped[int] = mapped_column(Integer, index=True)
    grant_account_id: Mapped[int] = mapped_column(Integer)
    award_transfer_id: Mapped[int] = mapped_column(Integer)
    awarded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    lines: Mapped[list[BudgetLine]] = relationship(
        back_populates="grant", order_by="BudgetLine.id", passive_deletes="all"
    )

    def __repr__(self) -> str:
        return f"<Grant {self.id} bank={self.bank_id} {self.amount_pence}p>"


class BudgetLine(Base):
    """What a grant plans to spend on one heading, and the account its spending goes to.

    The budget is a plan, not money, so it may be changed; the line's account never is."""

    __tablename__ = "budget_lines"
    __table_args__ = (
        UniqueConstraint("grant_id", "name"),
        UniqueConstraint("account_id"),
        # the target of the spends' composite foreign key
        UniqueConstraint("id", "grant_id", name="uq_budget_lines_id_grant"),
        ForeignKeyConstraint(
            ["grant_id", "bank_id"],
            ["grants.id", "grants.bank_id"],
            name="fk_budget_lines_grant_same_bank",
        ),
        ForeignKeyConstraint(
            ["account_id", "bank_id", "unit"],
            ["accounts.id", "accounts.bank_id", "accounts.unit"],
            name="fk_budget_lines_account_same_bank_unit",
        ),
        CheckConstraint("budget_pence >= 0", name="budget_not_negative"),
        CheckConstraint("unit = 'GBP'", name="in_pounds"),
        CheckConstraint("name <> ''", name="named"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    grant_id: Mapped[int] = mapped_column(Integer, index=True)
    bank_id: Mapped[int] = mapped_column(Integer)
    unit: Mapped[Unit] = mapped_column(str_enum(Unit, "unit"), default=Unit.GBP)
    #: "venue hire": stored data, in the words the programme chose.
    name: Mapped[str] = mapped_column(String(100))
    budget_pence: Mapped[int] = mapped_column(Integer, default=0)
    account_id: Mapped[int] = mapped_column(Integer)

    grant: Mapped[Grant] = relationship(back_populates="lines")

    def __repr__(self) -> str:
        return f"<BudgetLine {self.id} {self.name!r} {self.budget_pence}p>"


class Spend(Base):
    """Who was paid, and for what, for one grant spend transfer.

    Kept apart from the books, like :class:`timebank.ledger.TransferNote`: a payee may be a
    volunteer claiming expenses, so an erasure request can blank the payee and description
    (``redacted_at``) while the transfer stays. The details are never otherwise rewritten: a
    wrong spend is reversed and recorded again."""

    __tablename__ = "grant_spends"
    __table_args__ = (
        ForeignKeyConstraint(
            ["budget_line_id", "grant_id"],
            ["budget_lines.id", "budget_lines.grant_id"],
            name="fk_grant_spends_line_of_grant",
        ),
    )

    transfer_id: Mapped[int] = mapped_column(ForeignKey("transfers.id"), primary_key=True)
    grant_id: Mapped[int] = mapped_column(ForeignKey("grants.id"), index=True)
    budget_line_id: Mapped[int] = mapped_column(Integer, index=True)
    payee: Mapped[str] = mapped_column(String(200), default="")
    receipt_reference: Mapped[str] = mapped_column(String(100), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    redacted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


__all__ = [
    "DEFAULT_BUDGET_LINES",
    "NATIONAL_LIVING_WAGE_FROM",
    "NATIONAL_LIVING_WAGE_PENCE",
    "NATIONAL_LIVING_WAGE_SOURCE",
    "BudgetLine",
    "Grant",
    "GrantStatus",
    "OverspendPolicy",
    "ProgrammeSettings",
    "Spend",
]
