"""The books: accounts, transfers and their entries.

Design overview
---------------
Every movement of hours or money is a :class:`Transfer` with two or more :class:`Entry` rows.
The entries of a transfer sum to zero and share one unit, so the books always balance: an
exchange of 90 minutes is -90 on the receiver's account and +90 on the provider's.

The database enforces this as well as the code (see the first migration):

* transfers and entries can be inserted, never updated or deleted; a mistake is corrected by a
  reversing transfer;
* entries share their transfer's bank and unit, and their account's, through composite foreign
  keys;
* an entry's amount is never zero; a transfer's amount is always above zero;
* account balances are kept by a trigger on entry insert, and a CHECK keeps every balance within
  its account's floor and ceiling;
* at commit, the database refuses a transfer whose entries do not sum to zero (or that has
  none): on PostgreSQL a deferred constraint trigger, on SQLite a deferred foreign key from
  ``transfers_unbalanced`` that is broken while the transfer is (migration 0008). The ledger
  checks the same before commit, and ``timebank verify`` checks the books as they stand.

Transfers and entries hold no personal data: they point to accounts, never to names, and notes
live in :class:`TransferNote`, which an erasure request may redact without touching the books.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    JSON,
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


class Unit(enum.StrEnum):
    #: Time, stored as whole minutes. One hour given earns one hour, whatever the help.
    HOURS = "HOURS"
    #: Money, stored as whole pence.
    GBP = "GBP"


class AccountKind(enum.StrEnum):
    #: A member's own hours.
    MEMBER = "member"
    #: The bank's community pot: donations in; help for the bank, and for those who can't
    #: give back, out.
    POT = "pot"
    #: The programme's fund, as seen from one bank: the source of its grant money.
    FUNDER = "funder"
    #: The seed grant the bank holds.
    GRANT = "grant"
    #: A budget line the grant is spent on (venue hire, DBS checks, ...).
    BUDGET_LINE = "budget_line"


class AccountStatus(enum.StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class TransferKind(enum.StrEnum):
    #: One member helped another.
    EXCHANGE = "exchange"
    #: One of several linked transfers: one provider and many receivers, or many members
    #: giving time to a bank activity.
    GROUP_EXCHANGE = "group_exchange"
    #: The pot pays a member who helped the bank itself (running the lunch club).
    POT_CREDIT = "pot_credit"
    #: Hours given without help in return: member to member, to the pot, or from it.
    GIFT = "gift"
    #: Hours from the pot when a member joins.
    WELCOME_CREDIT = "welcome_credit"
    #: A balance brought over from other software.
    OPENING_BALANCE = "opening_balance"
    #: The mirror of an earlier transfer, correcting it.
    REVERSAL = "reversal"
    #: Money from the programme's fund to the bank's grant.
    GRANT_AWARD = "grant_award"
    #: Money from the grant to a budget line.
    GRANT_SPEND = "grant_spend"
    #: Unspent money back to the programme's fund.
    GRANT_RETURN = "grant_return"


#: Kinds that record help actually given, capped at 24 hours a transfer.
HELP_KINDS = frozenset(
    {TransferKind.EXCHANGE, TransferKind.GROUP_EXCHANGE, TransferKind.POT_CREDIT}
)


class Account(Base):
    """Hours or money held by a member, the pot, or the grant. The balance is a cache of the
    entries, kept by the database."""

    __tablename__ = "accounts"
    __table_args__ = (
        # the target of the entries' composite foreign key
        UniqueConstraint("id", "bank_id", "unit", name="uq_accounts_id_bank_unit"),
        UniqueConstraint("member_id", "unit"),
        CheckConstraint("floor IS NULL OR balance >= floor", name="within_floor"),
        CheckConstraint("ceiling IS NULL OR balance <= ceiling", name="within_ceiling"),
        CheckConstraint(
            "floor IS NULL OR ceiling IS NULL OR floor <= ceiling", name="floor_below_ceiling"
        ),
        CheckConstraint("status <> 'closed' OR balance = 0", name="closed_only_when_empty"),
        CheckConstraint(
            "(kind = 'member' AND member_id IS NOT NULL)"
            " OR (kind <> 'member' AND member_id IS NULL)",
            name="member_accounts_have_member",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    bank_id: Mapped[int] = mapped_column(ForeignKey("banks.id"), index=True)
    unit: Mapped[Unit] = mapped_column(str_enum(Unit, "unit"))
    kind: Mapped[AccountKind] = mapped_column(str_enum(AccountKind, "account_kind"))
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    #: What the account is for, never a person's name ("pot", "venue hire").
    label: Mapped[str] = mapped_column(String(100), default="")
    #: Minutes or pence. Written only by the database trigger on entry insert.
    balance: Mapped[int] = mapped_column(Integer, default=0)
    #: The lowest the balance may go (a negative floor lets a member owe hours); none: no limit.
    floor: Mapped[int | None] = mapped_column(Integer)
    ceiling: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[AccountStatus] = mapped_column(
        str_enum(AccountStatus, "account_status"), default=AccountStatus.OPEN
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def __repr__(self) -> str:
        return f"<Account {self.id} {self.kind} {self.balance} {self.unit}>"


class Transfer(Base):
    """One posting: an amount moved from one account to another, for one reason."""

    __tablename__ = "transfers"
    __table_args__ = (
        UniqueConstraint("id", "bank_id", "unit", name="uq_transfers_id_bank_unit"),
        UniqueConstraint("bank_id", "idempotency_key"),
        # at most one reversal per transfer
        UniqueConstraint("reverses_id"),
        ForeignKeyConstraint(
            ["reverses_id", "bank_id", "unit"],
            ["transfers.id", "transfers.bank_id", "transfers.unit"],
            name="fk_transfers_reverses_same_bank_unit",
        ),
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint(
            "(kind = 'reversal' AND reverses_id IS NOT NULL)"
            " OR (kind <> 'reversal' AND reverses_id IS NULL)",
            name="reversal_has_original",
        ),
        CheckConstraint(
            "(idempotency_key IS NULL AND fingerprint IS NULL)"
            " OR (idempotency_key IS NOT NULL AND fingerprint IS NOT NULL)",
            name="key_has_fingerprint",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    bank_id: Mapped[int] = mapped_column(ForeignKey("banks.id"), index=True)
    unit: Mapped[Unit] = mapped_column(str_enum(Unit, "unit"))
    kind: Mapped[TransferKind] = mapped_column(str_enum(TransferKind, "transfer_kind"))
    #: Minutes or pence moved; the sum of the positive entries.
    amount: Mapped[int] = mapped_column(Integer)
    #: The day the help was given (or the money spent), at the bank.
    given_on: Mapped[date] = mapped_column(Date, index=True)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    skill_id: Mapped[int | None] = mapped_column(ForeignKey("skills.id"))
    #: The client's key that makes retries safe: unique within the bank.
    idempotency_key: Mapped[str | None] = mapped_column(String(100))
    #: A hash of what was asked for, to tell a retry from a different transfer under the same key.
    fingerprint: Mapped[str | None] = mapped_column(String(64))
    reverses_id: Mapped[int | None] = mapped_column(Integer)
    #: Shared by the transfers of one linked posting, such as a group exchange.
    batch: Mapped[str | None] = mapped_column(String(32), index=True)

    entries: Mapped[list[Entry]] = relationship(
        back_populates="transfer", order_by="Entry.id", passive_deletes="all"
    )
    note: Mapped[TransferNote | None] = relationship(passive_deletes="all")
    outcomes: Mapped[list[TransferOutcome]] = relationship(passive_deletes="all")

    def __repr__(self) -> str:
        return f"<Transfer {self.id} {self.kind} {self.amount} {self.unit}>"


class Entry(Base):
    """One leg of a transfer: a signed amount on one account."""

    __tablename__ = "entries"
    __table_args__ = (
        ForeignKeyConstraint(
            ["transfer_id", "bank_id", "unit"],
            ["transfers.id", "transfers.bank_id", "transfers.unit"],
            name="fk_entries_transfer_same_bank_unit",
        ),
        ForeignKeyConstraint(
            ["account_id", "bank_id", "unit"],
            ["accounts.id", "accounts.bank_id", "accounts.unit"],
            name="fk_entries_account_same_bank_unit",
        ),
        UniqueConstraint("transfer_id", "account_id"),
        CheckConstraint("amount <> 0", name="amount_not_zero"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    transfer_id: Mapped[int] = mapped_column(Integer, index=True)
    account_id: Mapped[int] = mapped_column(Integer, index=True)
    bank_id: Mapped[int] = mapped_column(Integer)
    unit: Mapped[Unit] = mapped_column(str_enum(Unit, "unit"))
    #: Signed minutes or pence: negative leaves the account, positive arrives.
    amount: Mapped[int] = mapped_column(Integer)

    transfer: Mapped[Transfer] = relationship(back_populates="entries")

    def __repr__(self) -> str:
        return f"<Entry {self.transfer_id} account={self.account_id} {self.amount}>"


class TransferNote(Base):
    """Free text about a transfer, kept apart from the books so it can be redacted."""

    __tablename__ = "transfer_notes"

    transfer_id: Mapped[int] = mapped_column(ForeignKey("transfers.id"), primary_key=True)
    text: Mapped[str] = mapped_column(Text)
    redacted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class OutcomeArea(enum.StrEnum):
    """The Dorset Age Partnership's eight outcome areas, which older people defined.
    Older people in local communities..."""

    #: ...have housing suitable for their needs.
    HOUSING = "housing"
    #: ...are socially integrated and not isolated.
    SOCIAL = "social"
    #: ...are making positive contributions and experiencing fulfilment.
    CONTRIBUTION = "contribution"
    #: ...feel secure and safe.
    SAFETY = "safety"
    #: ...feel free from discrimination.
    DISCRIMINATION = "discrimination"
    #: ...feel financially secure.
    FINANCES = "finances"
    #: ...are in good health in mind and body.
    HEALTH = "health"
    #: ...have dignity, choice and control.
    DIGNITY = "dignity"


class TransferOutcome(Base):
    """An outcome area a transfer served. Written with the transfer, never changed."""

    __tablename__ = "transfer_outcomes"

    transfer_id: Mapped[int] = mapped_column(ForeignKey("transfers.id"), primary_key=True)
    area: Mapped[OutcomeArea] = mapped_column(
        str_enum(OutcomeArea, "outcome_area"), primary_key=True
    )


class TransferAnswer(Base):
    """The member's request that an exchange answered."""

    __tablename__ = "transfer_answers"

    transfer_id: Mapped[int] = mapped_column(ForeignKey("transfers.id"), primary_key=True)
    member_skill_id: Mapped[int] = mapped_column(ForeignKey("member_skills.id"), index=True)


class PendingStatus(enum.StrEnum):
    #: Recorded by a member; moves no hours until the other side or a broker confirms it.
    PENDING = "pending"
    #: Confirmed: ``transfer_id`` is the posted transfer.
    POSTED = "posted"
    #: Declined by the other side or a broker.
    VOIDED = "voided"
    #: Not confirmed within its time (30 days).
    EXPIRED = "expired"


class PendingTransfer(Base):
    """A transfer waiting for the other side to say it happened, like TigerBeetle's two-phase
    transfers. It moves no balance. It ends exactly once: posted, voided or expired; the
    database refuses any other change."""

    __tablename__ = "pending_transfers"
    __table_args__ = (
        UniqueConstraint("bank_id", "idempotency_key"),
        UniqueConstraint("transfer_id"),
        ForeignKeyConstraint(
            ["from_account_id", "bank_id", "unit"],
            ["accounts.id", "accounts.bank_id", "accounts.unit"],
            name="fk_pending_transfers_from_same_bank_unit",
        ),
        ForeignKeyConstraint(
            ["to_account_id", "bank_id", "unit"],
            ["accounts.id", "accounts.bank_id", "accounts.unit"],
            name="fk_pending_transfers_to_same_bank_unit",
        ),
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("from_account_id <> to_account_id", name="two_accounts"),
        CheckConstraint(
            "(status = 'posted' AND transfer_id IS NOT NULL)"
            " OR (status <> 'posted' AND transfer_id IS NULL)",
            name="posted_has_transfer",
        ),
        CheckConstraint(
            "(status = 'pending' AND resolved_at IS NULL)"
            " OR (status <> 'pending' AND resolved_at IS NOT NULL)",
            name="resolved_when_ended",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    bank_id: Mapped[int] = mapped_column(ForeignKey("banks.id"), index=True)
    unit: Mapped[Unit] = mapped_column(str_enum(Unit, "unit"))
    kind: Mapped[TransferKind] = mapped_column(str_enum(TransferKind, "transfer_kind"))
    from_account_id: Mapped[int] = mapped_column(Integer, index=True)
    to_account_id: Mapped[int] = mapped_column(Integer, index=True)
    amount: Mapped[int] = mapped_column(Integer)
    given_on: Mapped[date] = mapped_column(Date)
    skill_id: Mapped[int | None] = mapped_column(ForeignKey("skills.id"))
    #: The member's own words; kept here (not in the books) and redactable like transfer notes.
    note: Mapped[str] = mapped_column(Text, default="")
    outcome_areas: Mapped[list[str]] = mapped_column(JSON, default=list)
    idempotency_key: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: Who recorded it: a member on their own pages, or a user.
    created_by_member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    created_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    status: Mapped[PendingStatus] = mapped_column(
        str_enum(PendingStatus, "pending_status"), default=PendingStatus.PENDING, index=True
    )
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_by_member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    resolved_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: Why it was declined.
    reason: Mapped[str] = mapped_column(Text, default="")
    transfer_id: Mapped[int | None] = mapped_column(ForeignKey("transfers.id"))
