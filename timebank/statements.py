"""Member statements, the bank's day book and pages of the audit trail (no Flask here).

Everything is read straight from the books: a statement's opening balance is the sum of the
member's entries before the period, so it always agrees with the cached balance that
``timebank verify`` checks. Sums and counts are done by the database; only the rows shown on
a page come back to Python.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import ColumnElement, and_, case, func, select
from sqlalchemy.orm import Session, aliased

from timebank.audit import AuditEvent
from timebank.ledger import (
    Account,
    Entry,
    Transfer,
    TransferKind,
    TransferNote,
    Unit,
)
from timebank.ledger.models import HELP_KINDS
from timebank.members.operations import member_account

#: Lines on one page of the day book and of the audit trail.
PAGE_SIZE = 50

#: Kinds where the side that earns is the one who gave help; for the others (gifts, welcome
#: hours, balances brought over) the side whose hours leave is the one who gave.
_EARNER_GAVE = frozenset(k.value for k in HELP_KINDS)


def default_statement_period(today: date) -> tuple[date, date]:
    """This calendar year so far, at the bank."""
    return date(today.year, 1, 1), today


def default_day_book_period(today: date) -> tuple[date, date]:
    """This month so far, at the bank."""
    return today.replace(day=1), today


def page_count(total: int, per_page: int = PAGE_SIZE) -> int:
    """How many pages ``total`` rows fill; an empty list still has one page."""
    return max(math.ceil(total / per_page), 1)


# -- member statements ------------------------------------------------------------------------


@dataclass(frozen=True)
class StatementLine:
    """One transfer on a member's statement."""

    transfer_id: int
    given_on: date
    kind: TransferKind
    skill_id: int | None
    #: The member on the other side, or None for the community pot.
    counterparty_member_id: int | None
    #: Signed minutes: above zero the member's hours went up, below zero they went down.
    amount: int
    #: The member's balance after this line.
    balance: int
    #: Put right by a later correction (whether or not the correction falls in the period).
    reversed: bool
    is_reversal: bool
    #: Why a correction was made (its note); empty for other lines.
    reason: str = ""
    #: For a correction, the transfer it puts right.
    reverses_id: int | None = None

    @property
    def given(self) -> int:
        """Minutes that came in (help the member gave, or hours they were given)."""
        return self.amount if self.amount > 0 else 0

    @property
    def received(self) -> int:
        """Minutes that went out (help the member received, or hours they gave away)."""
        return -self.amount if self.amount < 0 else 0


@dataclass(frozen=True)
class Statement:
    member_id: int
    account_id: int
    start: date
    end: date
    #: The balance at the start of ``start``: every entry given before it.
    opening: int
    lines: list[StatementLine] = field(default_factory=list)
    #: The balance at the end of ``end``.
    closing: int = 0

    @property
    def total_given(self) -> int:
        return sum(line.given for line in self.lines)

    @property
    def total_received(self) -> int:
        return sum(line.received for line in self.lines)


def member_statement(session: Session, member_id: int, start: date, end: date) -> Statement:
    """A member's hours from ``start`` to ``end``, both days included, in date order."""
    if start > end:
        raise ValueError("the period starts after it ends")
    account = member_account(session, member_id)
    opening = session.scalar(
        select(func.coalesce(func.sum(Entry.amount), 0))
        .join(Transfer, Transfer.id == Entry.transfer_id)
        .where(Entry.account_id == account.id, Transfer.given_on < start)
    )
    other_entry = aliased(Entry)
    other_account = aliased(Account)
    reversal = aliased(Transfer)
    rows = session.execute(
        select(
            Transfer.id,
            Transfer.given_on,
            Transfer.kind,
            Transfer.skill_id,
            Transfer.reverses_id,
            Entry.amount,
            other_account.member_id,
            reversal.id,
            TransferNote.text,
        )
        .join(Entry, Entry.transfer_id == Transfer.id)
        # the ledger writes two entries a transfer: the other one names who was on the other side
        .join(
            other_entry,
            and_(other_entry.transfer_id == Transfer.id, other_entry.account_id != account.id),
        )
        .join(other_account, other_account.id == other_entry.account_id)
        .outerjoin(reversal, reversal.reverses_id == Transfer.id)
        .outerjoin(TransferNote, TransferNote.transfer_id == Transfer.id)
        .where(
            Entry.account_id == account.id,
            Transfer.given_on >= start,
            Transfer.given_on <= end,
        )
        .order_by(Transfer.given_on, Transfer.id)
    ).all()
    balance = int(opening or 0)
    lines = []
    for tid, given_on, kind, skill_id, reverses_id, amount, other, reversed_by, note in rows:
        balance += amount
        is_reversal = kind == TransferKind.REVERSAL
        lines.append(
            StatementLine(
                transfer_id=tid,
                given_on=given_on,
                kind=TransferKind(kind),
                skill_id=skill_id,
                counterparty_member_id=other,
                amount=amount,
                balance=balance,
                reversed=reversed_by is not None,
                is_reversal=is_reversal,
                reason=(note or "") if is_reversal else "",
                reverses_id=reverses_id,
            )
        )
    return Statement(
        member_id=member_id,
        account_id=account.id,
        start=start,
        end=end,
        opening=int(opening or 0),
        lines=lines,
        closing=balance,
    )


def chunks(
    lines: list[StatementLine], size: int, *, first: int | None = None
) -> list[list[StatementLine]]:
    """Lines split into printed pages of ``size`` (the first page, which also carries the
    heading, may hold ``first`` instead); always at least one page, perhaps empty."""
    first = size if first is None else first
    if size < 1 or first < 1:
        raise ValueError("a page holds at least one line")
    pages = [lines[:first]]
    pages += [lines[i : i + size] for i in range(first, len(lines), size)]
    return pages


# -- the day book -----------------------------------------------------------------------------


@dataclass(frozen=True)
class DayBookLine:
    """One transfer of hours in the bank's day book."""

    transfer_id: int
    given_on: date
    kind: TransferKind
    amount: int
    skill_id: int | None
    recorded_by_id: int | None
    #: Who gave (the help, or the hours), and who received: member ids, None for the pot.
    giver_member_id: int | None
    receiver_member_id: int | None
    reversed: bool
    reverses_id: int | None


@dataclass(frozen=True)
class DayBookTotals:
    #: Transfers in the period, corrections and corrected ones included.
    transfers: int
    #: Help given (exchanges, group help, time given to the bank), each transfer counted once,
    #: leaving out corrections and what they put right.
    help_minutes: int
    help_count: int
    #: The same, by kind of transfer.
    minutes_by_kind: dict[TransferKind, int]
    count_by_kind: dict[TransferKind, int]
    corrections: int


@dataclass(frozen=True)
class DayBook:
    start: date
    end: date
    page: int
    pages: int
    lines: list[DayBookLine]
    totals: DayBookTotals


def _in_period(bank_id: int, start: date, end: date) -> list[ColumnElement[bool]]:
    """The bank's transfers of hours given from ``start`` to ``end``; money is for funders."""
    return [
        Transfer.bank_id == bank_id,
        Transfer.unit == Unit.HOURS,
        Transfer.given_on >= start,
        Transfer.given_on <= end,
    ]


def day_book_totals(session: Session, bank_id: int, start: date, end: date) -> DayBookTotals:
    """Counts and hours for the period, summed by the database."""
    reversal = aliased(Transfer)
    period = (
        select(Transfer.id, Transfer.kind, Transfer.amount)
        .where(*_in_period(bank_id, start, end))
        .subquery()
    )
    counted = and_(period.c.kind != TransferKind.REVERSAL.value, reversal.id.is_(None))
    rows = session.execute(
        select(
            period.c.kind,
            func.count(),
            func.coalesce(func.sum(case((counted, period.c.amount), else_=0)), 0),
            func.count(case((counted, 1))),
        )
        .select_from(period)
        .outerjoin(reversal, reversal.reverses_id == period.c.id)
        .group_by(period.c.kind)
    ).all()
    minutes_by_kind: dict[TransferKind, int] = {}
    count_by_kind: dict[TransferKind, int] = {}
    transfers = corrections = 0
    for kind, count, minutes, kept in rows:
        kind = TransferKind(kind)
        transfers += count
        if kind == TransferKind.REVERSAL:
            corrections = count
            continue
        if kept:
            minutes_by_kind[kind] = int(minutes)
            count_by_kind[kind] = kept
    help_kinds = [k for k in minutes_by_kind if k in HELP_KINDS]
    return DayBookTotals(
        transfers=transfers,
        help_minutes=sum(minutes_by_kind[k] for k in help_kinds),
        help_count=sum(count_by_kind[k] for k in help_kinds),
        minutes_by_kind=minutes_by_kind,
        count_by_kind=count_by_kind,
        corrections=corrections,
    )


def day_book(
    session: Session,
    bank_id: int,
    start: date,
    end: date,
    *,
    page: int = 1,
    per_page: int = PAGE_SIZE,
    newest_first: bool = True,
) -> DayBook:
    """One page of every transfer of hours in the bank from ``start`` to ``end``."""
    if start > end:
        raise ValueError("the period starts after it ends")
    totals = day_book_totals(session, bank_id, start, end)
    pages = page_count(totals.transfers, per_page)
    page = min(max(page, 1), pages)

    paying_entry, earning_entry = aliased(Entry), aliased(Entry)
    paying, earning = aliased(Account), aliased(Account)
    reversal, original = aliased(Transfer), aliased(Transfer)
    order = (
        (Transfer.given_on.desc(), Transfer.id.desc())
        if newest_first
        else (Transfer.given_on, Transfer.id)
    )
    rows = session.execute(
        select(
            Transfer.id,
            Transfer.given_on,
            Transfer.kind,
            Transfer.amount,
            Transfer.skill_id,
            Transfer.recorded_by_id,
            Transfer.reverses_id,
            paying.member_id,
            earning.member_id,
            reversal.id,
            original.kind,
        )
        .select_from(Transfer)
        .join(paying_entry, and_(paying_entry.transfer_id == Transfer.id, paying_entry.amount < 0))
        .join(paying, paying.id == paying_entry.account_id)
        .join(
            earning_entry, and_(earning_entry.transfer_id == Transfer.id, earning_entry.amount > 0)
        )
        .join(earning, earning.id == earning_entry.account_id)
        .outerjoin(reversal, reversal.reverses_id == Transfer.id)
        .outerjoin(original, original.id == Transfer.reverses_id)
        .where(*_in_period(bank_id, start, end))
        .order_by(*order)
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    lines = []
    for (
        tid,
        given_on,
        kind,
        amount,
        skill_id,
        recorded_by_id,
        reverses_id,
        payer,
        earner,
        reversed_by,
        original_kind,
    ) in rows:
        kind = TransferKind(kind)
        # a correction mirrors its original: show the same people in the same columns
        if kind == TransferKind.REVERSAL:
            earner_gave = original_kind not in _EARNER_GAVE
        else:
            earner_gave = kind in _EARNER_GAVE
        giver, receiver = (earner, payer) if earner_gave else (payer, earner)
        lines.append(
            DayBookLine(
                transfer_id=tid,
                given_on=given_on,
                kind=kind,
                amount=amount,
                skill_id=skill_id,
                recorded_by_id=recorded_by_id,
                giver_member_id=giver,
                receiver_member_id=receiver,
                reversed=reversed_by is not None,
                reverses_id=reverses_id,
            )
        )
    return DayBook(start=start, end=end, page=page, pages=pages, lines=lines, totals=totals)


# -- the audit trail --------------------------------------------------------------------------


@dataclass(frozen=True)
class AuditPage:
    page: int
    pages: int
    total: int
    events: list[AuditEvent]


def audit_page(
    session: Session,
    *,
    bank_id: int | None,
    everything: bool = False,
    page: int = 1,
    per_page: int = PAGE_SIZE,
) -> AuditPage:
    """One page of the audit trail, newest first.

    With ``everything`` (admins only), every bank's events and the installation's own, such as
    sign-ins; otherwise only the events of ``bank_id``.
    """
    if not everything and bank_id is None:
        raise ValueError("say which bank, or ask for everything")
    scope = [] if everything else [AuditEvent.bank_id == bank_id]
    total = session.scalar(select(func.count()).select_from(AuditEvent).where(*scope)) or 0
    pages = page_count(total, per_page)
    page = min(max(page, 1), pages)
    events = list(
        session.scalars(
            select(AuditEvent)
            .where(*scope)
            .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
            .limit(per_page)
            .offset((page - 1) * per_page)
        )
    )
    return AuditPage(page=page, pages=pages, total=total, events=events)


__all__ = [
    "PAGE_SIZE",
    "AuditPage",
    "DayBook",
    "DayBookLine",
    "DayBookTotals",
    "Statement",
    "StatementLine",
    "audit_page",
    "chunks",
    "day_book",
    "day_book_totals",
    "default_day_book_period",
    "default_statement_period",
    "member_statement",
    "page_count",
]
