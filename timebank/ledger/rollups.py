"""Monthly roll-ups of the books, kept by the database, for reports at scale.

Triggers (migration 0004) add every entry of hours to its account's month, by kind of transfer,
as it is inserted, and every outcome area of help to the month of the account that earned it.
The books *as corrected* are what is rolled up: a reversal's entries are not added to the
reversal's own month but taken off the month (and kind) of the transfer it reverses, so a
reversed transfer and its reversal are both left out, whenever each is dated. A row may
therefore hold zeros.

Rows are per account, never per bank, so each is written only under the account row locks that
every posting already takes: the roll-ups add no lock of their own and no new way to deadlock.

Migration 0006 adds, kept by one more trigger on entry insert in the same way: per account and
month with every kind together (:class:`MemberMonth`, so "active in a month" is one row), and
per account, day and kind (:class:`AccountDay`, for the part months at a report's edges).

Nothing in Python writes these tables; ``timebank verify`` does not need them (see
:mod:`timebank.reports.queries` for how reports read them).
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Date, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from timebank.db import Base
from timebank.ledger.models import Transfer


class AccountMonth(Base):
    """One account's entries of hours in one calendar month, for one kind of transfer."""

    __tablename__ = "report_account_months"
    __table_args__ = (Index("ix_report_account_months_bank_month", "bank_id", "month"),)

    account_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: The first day of the month (of ``given_on``).
    month: Mapped[date] = mapped_column(Date, primary_key=True)
    kind: Mapped[str] = mapped_column(String(24), primary_key=True)
    bank_id: Mapped[int] = mapped_column(Integer)
    #: The member, for a member's account; None for the pot and money accounts.
    member_id: Mapped[int | None] = mapped_column(Integer)
    #: Minutes of the positive entries (earned, into the account).
    in_minutes: Mapped[int] = mapped_column(Integer, default=0)
    #: Minutes of the negative entries, as a positive number (paid, out of the account).
    out_minutes: Mapped[int] = mapped_column(Integer, default=0)
    #: How many positive entries: for help, one per transfer, so the exchanges.
    in_count: Mapped[int] = mapped_column(Integer, default=0)


class OutcomeMonth(Base):
    """Help tagged with an outcome area in one calendar month, by the account that earned it."""

    __tablename__ = "report_outcome_months"
    __table_args__ = (Index("ix_report_outcome_months_bank_month", "bank_id", "month"),)

    account_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    month: Mapped[date] = mapped_column(Date, primary_key=True)
    area: Mapped[str] = mapped_column(String(24), primary_key=True)
    bank_id: Mapped[int] = mapped_column(Integer)
    exchanges: Mapped[int] = mapped_column(Integer, default=0)
    minutes: Mapped[int] = mapped_column(Integer, default=0)


class MemberMonth(Base):
    """One account's entries of hours in one calendar month, every kind of transfer together
    (migration 0006): what a member gave and received, and their net, as corrected.

    One row per account and month, so "active in the month" is a count of rows, not a distinct
    over kinds. Accounts of the pot and money have rows too (``member_id`` None)."""

    __tablename__ = "report_member_months"
    __table_args__ = (Index("ix_report_member_months_bank_id_month", "bank_id", "month"),)

    account_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: The first day of the month (of ``given_on``).
    month: Mapped[date] = mapped_column(Date, primary_key=True)
    bank_id: Mapped[int] = mapped_column(Integer)
    member_id: Mapped[int | None] = mapped_column(Integer)
    #: Minutes of help earned (positive entries of help).
    help_in: Mapped[int] = mapped_column(Integer, default=0)
    #: Minutes of help paid for, as a positive number.
    help_out: Mapped[int] = mapped_column(Integer, default=0)
    #: Positive entries of help: one per help transfer, so the exchanges.
    help_count: Mapped[int] = mapped_column(Integer, default=0)
    #: Every entry of hours, of every kind, added up: what the month did to the balance.
    net: Mapped[int] = mapped_column(Integer, default=0)


class AccountDay(Base):
    """As :class:`AccountMonth`, per day (migration 0006): the part months at a report's edges,
    and the days from its end to the end of that month, without reading the books."""

    __tablename__ = "report_account_days"
    __table_args__ = (Index("ix_report_account_days_day_bank_id", "day", "bank_id"),)

    account_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: ``given_on`` of the transfer counted (the reversed one, for a reversal's entries).
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    kind: Mapped[str] = mapped_column(String(24), primary_key=True)
    bank_id: Mapped[int] = mapped_column(Integer)
    member_id: Mapped[int | None] = mapped_column(Integer)
    in_minutes: Mapped[int] = mapped_column(Integer, default=0)
    out_minutes: Mapped[int] = mapped_column(Integer, default=0)
    in_count: Mapped[int] = mapped_column(Integer, default=0)


#: Help of one bank in a date range (the part months at a report's edges) without scanning
#: every bank's transfers of those days.
Index("ix_transfers_bank_id_given_on", Transfer.bank_id, Transfer.given_on)
