"""The figures of a bank's or a programme's report, straight from the books.

Sums and counts are done by the database (GROUP BY over transfers and entries); what comes back
to Python is one row per member (their totals for the period and their monitoring answers), one
row per month, per outcome area and per kind of pot flow. Nothing here loops over entries.
Buckets, medians and the target-group rows are then worked out from the member rows, because
:meth:`TargetGroup.includes` is Python.

Every definition is written out, with its reasoning, in ``docs/reports.md``. In short: the report
counts the books *as corrected*: a transfer that was later reversed, and the reversal itself, are
left out everywhere.

Figures are exact. :func:`timebank.reports.suppression.suppress` makes the funder's view, in which
a count may be ``"*"``; the same dataclasses carry both, hence the ``int | str`` types.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from types import SimpleNamespace
from typing import Any, Literal, cast

from sqlalchemy import ColumnElement, Select, and_, case, extract, func, or_, select
from sqlalchemy.orm import Session, aliased

from timebank.banks.models import Bank, Programme
from timebank.ledger.models import (
    HELP_KINDS,
    Account,
    AccountKind,
    Entry,
    OutcomeArea,
    Transfer,
    TransferKind,
    TransferOutcome,
    Unit,
)
from timebank.members.models import Member
from timebank.members.monitoring import PREFER_NOT, QUESTIONS, TARGET_GROUPS, Monitoring

#: A count of people: exact, or ``"*"`` in the funder's view.
Count = int | str
#: Minutes: exact, or ``"*"`` when they belong to a suppressed group.
Minutes = int | str
#: A percentage (0 to 100, one decimal) or a mean or median; None when there is nothing to
#: divide by; ``"*"`` when suppressed.
Ratio = float | str | None

#: A balance this close to zero, either way, counts as "in balance" (10 hours, inclusive).
WITHIN_MINUTES = 10 * 60

#: Rows of a target group's table, in order. Answer codes are used for a question's table.
IN_GROUP = "in_group"
NOT_IN_GROUP = "not_in_group"
NOT_ASKED = "not_asked"
SEGMENTS = (IN_GROUP, NOT_IN_GROUP, PREFER_NOT, NOT_ASKED)

#: The give/receive buckets of the active members, in order.
BUCKETS = ("gave_only", "mostly_gave", "balanced", "mostly_received", "received_only")

#: Questions that decide a group whose ``TargetGroup.questions`` is empty because either of two
#: answers can place someone in it; used only to tell "prefer not to say" from "not asked".
_DECIDED_BY = {"lgbt": ("sexual_orientation", "gender")}

_HELP_KIND_LIST = sorted(HELP_KINDS)

#: Banks a report covers: a list of ids, or a SELECT of them (a programme's banks).
BankFilter = Sequence[int] | Select[Any]


# -- the report -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class MemberFigures:
    #: On the register at the end of the last day: joined on or before it, not left by it.
    registered: Count
    joined: Count
    #: Gave or received help at least once in the period.
    active: Count
    left: Count


@dataclass(frozen=True)
class HourFigures:
    #: Minutes of help given in the period, each exchange counted once.
    minutes: Minutes
    exchanges: int | str
    #: ``minutes / active``.
    minutes_per_active: Ratio
    #: ``exchanges / active``.
    exchanges_per_active: Ratio
    #: The median, over active members, of the minutes each took part in (given + received).
    median_minutes_per_active: Ratio


@dataclass(frozen=True)
class PotFlow:
    """Minutes into and out of the community pot in the period, for one kind of transfer."""

    kind: str
    minutes_in: Minutes
    minutes_out: Minutes


@dataclass(frozen=True)
class Reciprocity:
    #: Active members who both gave and received.
    both: Count
    #: ``both / active`` as a percentage.
    both_share: Ratio
    gave_only: Count
    #: Gave more than twice what they received.
    mostly_gave: Count
    #: Gave between half and twice what they received, both inclusive.
    balanced: Count
    #: Gave less than half what they received.
    mostly_received: Count
    received_only: Count
    #: Registered members whose balance at the end is within ten hours of zero.
    within_ten_hours: Count
    #: ``within_ten_hours / registered`` as a percentage.
    within_ten_hours_share: Ratio
    pot: tuple[PotFlow, ...] = ()


@dataclass(frozen=True)
class SegmentFigures:
    """One group of members in a reach table, over the period."""

    members: Count
    #: ``members`` over the table's total members, as a percentage.
    share_of_membership: Ratio
    active: Count
    #: ``active / members`` as a percentage.
    share_active: Ratio
    minutes_given: Minutes
    minutes_received: Minutes
    #: Active members of the group who both gave and received.
    both: Count
    #: ``both / active`` as a percentage.
    reciprocity_share: Ratio


@dataclass(frozen=True)
class ReachRow:
    #: ``in_group``, ``not_in_group``, ``prefer_not``, ``not_asked``, or an answer's code.
    segment: str
    group: SegmentFigures
    #: Everyone else in the table: the total less this row.
    rest: SegmentFigures


@dataclass(frozen=True)
class ReachTable:
    #: A target group's code (bank report) or a monitoring question (programme report).
    code: str
    kind: Literal["target_group", "question"]
    rows: tuple[ReachRow, ...]
    #: Every member in the table: those on the register at any time in the period, and anyone
    #: active in it.
    total: SegmentFigures


@dataclass(frozen=True)
class OutcomeFigures:
    area: str
    exchanges: int | str
    minutes: Minutes


@dataclass(frozen=True)
class MonthFigures:
    """One calendar month of the period (the first and last may be part months)."""

    #: The first day of the month.
    month: date
    #: On the register at the end of the month's last day in the period.
    registered: Count
    joined: Count
    left: Count
    active: Count
    exchanges: int | str
    minutes: Minutes


@dataclass(frozen=True)
class BankSummary:
    """One bank's line in a programme report."""

    bank_id: int
    registered: Count
    joined: Count
    left: Count
    active: Count
    exchanges: int | str
    minutes: Minutes


@dataclass(frozen=True)
class Report:
    scope: Literal["bank", "programme"]
    scope_id: int
    start: date
    end: date
    members: MemberFigures
    hours: HourFigures
    reciprocity: Reciprocity
    reach: tuple[ReachTable, ...]
    outcomes: tuple[OutcomeFigures, ...]
    trend: tuple[MonthFigures, ...]
    #: Programme reports only: one line per bank.
    banks: tuple[BankSummary, ...] = ()
    #: True once :func:`~timebank.reports.suppression.suppress` has made it fit for a funder.
    suppressed: bool = False


@dataclass(frozen=True)
class MemberRow:
    """One member's totals for the period, as the database returns them."""

    member_id: int
    bank_id: int
    joined_on: date
    left_on: date | None
    #: Minutes of help given and received in the period.
    given: int
    received: int
    #: Balance at the end of the period, as corrected.
    balance: int
    #: Monitoring answers by question; None when the member has no answers at all.
    answers: Mapping[str, str | None] | None


@dataclass(frozen=True)
class MonthCounts:
    """What the database counts per month, before the trend is worked out."""

    #: Registered at the end of the day before the period.
    registered_before: int
    joined: Mapping[tuple[int, int], int]
    left: Mapping[tuple[int, int], int]
    active: Mapping[tuple[int, int], int]
    #: (exchanges, minutes) per month.
    help: Mapping[tuple[int, int], tuple[int, int]]


# -- entry points ---------------------------------------------------------------------------------


def bank_report(session: Session, bank_id: int, start: date, end: date) -> Report:
    """The exact report of one bank, from ``start`` to ``end``, both days included."""
    _check_period(start, end)
    bank = session.get(Bank, bank_id)
    if bank is None:
        raise LookupError(f"bank {bank_id} does not exist")
    banks = [bank_id]
    exchanges, minutes = _help_totals(session, banks, start, end)
    return assemble(
        scope="bank",
        scope_id=bank_id,
        start=start,
        end=end,
        rows=member_rows(session, banks, start, end),
        exchanges=exchanges,
        minutes=minutes,
        outcomes=_outcomes(session, banks, start, end),
        pot=_pot_flows(session, banks, start, end),
        months=_month_counts(session, banks, start, end),
        reach_by="target_group",
        target_groups=[code for code in bank.target_groups or [] if code in TARGET_GROUPS],
    )


def programme_report(session: Session, programme_id: int, start: date, end: date) -> Report:
    """The exact report of every bank in a programme together, with one line per bank."""
    _check_period(start, end)
    if session.get(Programme, programme_id) is None:
        raise LookupError(f"programme {programme_id} does not exist")
    bank_ids = list(
        session.scalars(select(Bank.id).where(Bank.programme_id == programme_id).order_by(Bank.id))
    )
    # a SELECT rather than a list of ids, so a thousand banks make no thousand-item IN list
    banks = select(Bank.id).where(Bank.programme_id == programme_id)
    per_bank = _help_totals_by_bank(session, banks, start, end)
    return assemble(
        scope="programme",
        scope_id=programme_id,
        start=start,
        end=end,
        rows=member_rows(session, banks, start, end),
        exchanges=sum(e for e, _ in per_bank.values()),
        minutes=sum(m for _, m in per_bank.values()),
        outcomes=_outcomes(session, banks, start, end),
        pot=_pot_flows(session, banks, start, end),
        months=_month_counts(session, banks, start, end),
        reach_by="question",
        bank_help={bank_id: per_bank.get(bank_id, (0, 0)) for bank_id in bank_ids},
    )


def monthly_trend(
    session: Session, banks: BankFilter, start: date, end: date
) -> list[MonthFigures]:
    """Per-month figures for the banks over the period (also in every report's ``trend``)."""
    _check_period(start, end)
    return trend_from_counts(_month_counts(session, banks, start, end), start, end)


def _check_period(start: date, end: date) -> None:
    if start > end:
        raise ValueError("the period starts after it ends")


# -- SQL ------------------------------------------------------------------------------------------


def _not_reversed() -> ColumnElement[bool]:
    """The transfer has not been reversed (at any date: a correction means it never happened)."""
    reversal = aliased(Transfer)
    return ~select(reversal.id).where(reversal.reverses_id == Transfer.id).exists()


def _help(banks: BankFilter, start: date, end: date) -> ColumnElement[bool]:
    """Help given in the period that still stands."""
    return and_(
        Transfer.bank_id.in_(banks),
        Transfer.unit == Unit.HOURS,
        Transfer.kind.in_(_HELP_KIND_LIST),
        Transfer.given_on >= start,
        Transfer.given_on <= end,
        _not_reversed(),
    )


def member_rows(session: Session, banks: BankFilter, start: date, end: date) -> list[MemberRow]:
    """One row per member who had joined by ``end`` (or was active in the period)."""
    helped = (
        select(
            Account.member_id.label("member_id"),
            func.sum(case((Entry.amount > 0, Entry.amount), else_=0)).label("given"),
            func.sum(case((Entry.amount < 0, -Entry.amount), else_=0)).label("received"),
        )
        .select_from(Entry)
        .join(Transfer, Transfer.id == Entry.transfer_id)
        .join(Account, Account.id == Entry.account_id)
        .where(_help(banks, start, end), Account.kind == AccountKind.MEMBER)
        .group_by(Account.member_id)
        .subquery()
    )
    balances = (
        select(
            Account.member_id.label("member_id"),
            func.sum(Entry.amount).label("balance"),
        )
        .select_from(Entry)
        .join(Transfer, Transfer.id == Entry.transfer_id)
        .join(Account, Account.id == Entry.account_id)
        .where(
            Account.bank_id.in_(banks),
            Account.kind == AccountKind.MEMBER,
            Account.unit == Unit.HOURS,
            Transfer.given_on <= end,
            Transfer.kind != TransferKind.REVERSAL,
            _not_reversed(),
        )
        .group_by(Account.member_id)
        .subquery()
    )
    questions = list(QUESTIONS)
    query = (
        select(
            Member.id,
            Member.bank_id,
            Member.joined_on,
            Member.left_on,
            func.coalesce(helped.c.given, 0),
            func.coalesce(helped.c.received, 0),
            func.coalesce(balances.c.balance, 0),
            Monitoring.member_id,
            *(getattr(Monitoring, question) for question in questions),
        )
        .select_from(Member)
        .outerjoin(helped, helped.c.member_id == Member.id)
        .outerjoin(balances, balances.c.member_id == Member.id)
        .outerjoin(Monitoring, Monitoring.member_id == Member.id)
        .where(
            Member.bank_id.in_(banks),
            or_(Member.joined_on <= end, helped.c.member_id.is_not(None)),
        )
        .order_by(Member.id)
    )
    rows = []
    for (
        member_id,
        bank_id,
        joined_on,
        left_on,
        given,
        received,
        balance,
        answered,
        *answers,
    ) in session.execute(query):
        rows.append(
            MemberRow(
                member_id=member_id,
                bank_id=bank_id,
                joined_on=joined_on,
                left_on=left_on,
                given=int(given),
                received=int(received),
                balance=int(balance),
                answers=None if answered is None else _answers(questions, answers),
            )
        )
    return rows


def _answers(questions: Sequence[str], values: Sequence[Any]) -> dict[str, str | None]:
    return {q: (None if v is None else str(v)) for q, v in zip(questions, values, strict=True)}


def _help_totals(session: Session, banks: BankFilter, start: date, end: date) -> tuple[int, int]:
    exchanges, minutes = session.execute(
        select(func.count(Transfer.id), func.coalesce(func.sum(Transfer.amount), 0)).where(
            _help(banks, start, end)
        )
    ).one()
    return int(exchanges), int(minutes)


def _help_totals_by_bank(
    session: Session, banks: BankFilter, start: date, end: date
) -> dict[int, tuple[int, int]]:
    rows = session.execute(
        select(Transfer.bank_id, func.count(Transfer.id), func.sum(Transfer.amount))
        .where(_help(banks, start, end))
        .group_by(Transfer.bank_id)
    )
    return {bank_id: (int(count), int(total)) for bank_id, count, total in rows}


def _outcomes(
    session: Session, banks: BankFilter, start: date, end: date
) -> dict[str, tuple[int, int]]:
    rows = session.execute(
        select(TransferOutcome.area, func.count(Transfer.id), func.sum(Transfer.amount))
        .join(Transfer, Transfer.id == TransferOutcome.transfer_id)
        .where(_help(banks, start, end))
        .group_by(TransferOutcome.area)
    )
    return {str(area): (int(count), int(total)) for area, count, total in rows}


def _pot_flows(session: Session, banks: BankFilter, start: date, end: date) -> list[PotFlow]:
    rows = session.execute(
        select(
            Transfer.kind,
            func.sum(case((Entry.amount > 0, Entry.amount), else_=0)),
            func.sum(case((Entry.amount < 0, -Entry.amount), else_=0)),
        )
        .select_from(Entry)
        .join(Transfer, Transfer.id == Entry.transfer_id)
        .join(Account, Account.id == Entry.account_id)
        .where(
            Account.bank_id.in_(banks),
            Account.kind == AccountKind.POT,
            Account.unit == Unit.HOURS,
            Transfer.given_on >= start,
            Transfer.given_on <= end,
            Transfer.kind != TransferKind.REVERSAL,
            _not_reversed(),
        )
        .group_by(Transfer.kind)
    )
    found = {str(kind): (int(into), int(out)) for kind, into, out in rows}
    # in the order the kinds are declared, so every report lists them alike
    return [PotFlow(k.value, *found[k.value]) for k in TransferKind if k.value in found]


def _month_counts(session: Session, banks: BankFilter, start: date, end: date) -> MonthCounts:
    def month_of(column: Any) -> tuple[Any, Any]:
        return extract("year", column), extract("month", column)

    def keyed(rows: Iterable[Any]) -> dict[tuple[int, int], int]:
        return {(int(y), int(m)): int(n) for y, m, n in rows}

    registered_before = session.scalar(
        select(func.count(Member.id)).where(
            Member.bank_id.in_(banks),
            Member.joined_on < start,
            or_(Member.left_on.is_(None), Member.left_on >= start),
        )
    )
    year, month = month_of(Member.joined_on)
    joined = keyed(
        session.execute(
            select(year, month, func.count(Member.id))
            .where(Member.bank_id.in_(banks), Member.joined_on.between(start, end))
            .group_by(year, month)
        )
    )
    year, month = month_of(Member.left_on)
    left = keyed(
        session.execute(
            select(year, month, func.count(Member.id))
            .where(Member.bank_id.in_(banks), Member.left_on.between(start, end))
            .group_by(year, month)
        )
    )
    year, month = month_of(Transfer.given_on)
    active = keyed(
        session.execute(
            select(year, month, func.count(func.distinct(Account.member_id)))
            .select_from(Entry)
            .join(Transfer, Transfer.id == Entry.transfer_id)
            .join(Account, Account.id == Entry.account_id)
            .where(_help(banks, start, end), Account.kind == AccountKind.MEMBER)
            .group_by(year, month)
        )
    )
    help_rows = session.execute(
        select(year, month, func.count(Transfer.id), func.sum(Transfer.amount))
        .where(_help(banks, start, end))
        .group_by(year, month)
    )
    return MonthCounts(
        registered_before=int(registered_before or 0),
        joined=joined,
        left=left,
        active=active,
        help={(int(y), int(m)): (int(n), int(total)) for y, m, n, total in help_rows},
    )


# -- from rows to figures (pure) ------------------------------------------------------------------


def months_between(start: date, end: date) -> list[date]:
    """The first days of the months the period touches."""
    months = []
    month = start.replace(day=1)
    while month <= end:
        months.append(month)
        month = (month + timedelta(days=31)).replace(day=1)
    return months


def trend_from_counts(counts: MonthCounts, start: date, end: date) -> list[MonthFigures]:
    """Per-month figures; the register is carried forward month by month."""
    trend = []
    registered = counts.registered_before
    for month in months_between(start, end):
        key = (month.year, month.month)
        joined, left = counts.joined.get(key, 0), counts.left.get(key, 0)
        registered += joined - left
        exchanges, minutes = counts.help.get(key, (0, 0))
        trend.append(
            MonthFigures(
                month=month,
                registered=registered,
                joined=joined,
                left=left,
                active=counts.active.get(key, 0),
                exchanges=exchanges,
                minutes=minutes,
            )
        )
    return trend


def percentage(numerator: int, denominator: int) -> float | None:
    """``numerator / denominator`` as a percentage to one decimal; None over zero."""
    if denominator == 0:
        return None
    return round(100 * numerator / denominator, 1)


def bucket(given: int, received: int) -> str:
    """Which give/receive bucket an active member falls in (integers, so no rounding at 2)."""
    if received == 0:
        return "gave_only"
    if given == 0:
        return "received_only"
    if given > 2 * received:
        return "mostly_gave"
    if 2 * given < received:
        return "mostly_received"
    return "balanced"


def is_registered(row: MemberRow, day: date) -> bool:
    """On the register at the end of ``day``: ``left_on`` is the first day no longer a member."""
    return row.joined_on <= day and (row.left_on is None or row.left_on > day)


def in_period(row: MemberRow, start: date, end: date) -> bool:
    """In a reach table: on the register on some day of the period, or active in it."""
    on_register = row.joined_on <= end and (row.left_on is None or row.left_on > start)
    return on_register or row.given + row.received > 0


def target_segment(code: str, answers: Mapping[str, str | None] | None) -> str:
    """The row a member falls in for a target group: in, not in, prefer_not or not_asked."""
    if answers is None:
        return NOT_ASKED
    group = TARGET_GROUPS[code]
    record = cast(Monitoring, SimpleNamespace(**{q: answers.get(q) for q in QUESTIONS}))
    included = group.includes(record)
    if included is not None:
        return IN_GROUP if included else NOT_IN_GROUP
    deciding = _DECIDED_BY.get(code) or group.questions or tuple(QUESTIONS)
    # a member who declined any question that decides the group declined to say; otherwise
    # somebody did not ask
    if any(answers.get(q) == PREFER_NOT for q in deciding):
        return PREFER_NOT
    return NOT_ASKED


def question_segment(question: str, answers: Mapping[str, str | None] | None) -> str:
    """A member's answer to a question, or not_asked."""
    if answers is None or answers.get(question) is None:
        return NOT_ASKED
    return str(answers[question])


def question_segments(question: str) -> list[str]:
    """The rows of a question's table: each answer, then prefer_not, then not_asked."""
    choices = [c.value for c in QUESTIONS[question][1] if c.value != PREFER_NOT]
    return [*choices, PREFER_NOT, NOT_ASKED]


@dataclass(frozen=True)
class _Tally:
    """What a segment's figures are made from; tallies subtract, so "everyone else" is cheap."""

    members: int = 0
    active: int = 0
    both: int = 0
    given: int = 0
    received: int = 0

    @classmethod
    def of(cls, row: MemberRow) -> _Tally:
        active = row.given + row.received > 0
        return cls(1, int(active), int(row.given > 0 and row.received > 0), row.given, row.received)

    def __add__(self, other: _Tally) -> _Tally:
        return _Tally(*(a + b for a, b in zip(self._values(), other._values(), strict=True)))

    def __sub__(self, other: _Tally) -> _Tally:
        return _Tally(*(a - b for a, b in zip(self._values(), other._values(), strict=True)))

    def _values(self) -> tuple[int, ...]:
        return (self.members, self.active, self.both, self.given, self.received)

    def figures(self, population: int) -> SegmentFigures:
        return SegmentFigures(
            members=self.members,
            share_of_membership=percentage(self.members, population),
            active=self.active,
            share_active=percentage(self.active, self.members),
            minutes_given=self.given,
            minutes_received=self.received,
            both=self.both,
            reciprocity_share=percentage(self.both, self.active),
        )


def reach_table(
    code: str,
    kind: Literal["target_group", "question"],
    rows: Sequence[MemberRow],
) -> ReachTable:
    """One target group's (or question's) rows, each beside everyone else."""
    if kind == "target_group":
        segments: list[str] = list(SEGMENTS)
    else:
        segments = question_segments(code)
    tallies = {segment: _Tally() for segment in segments}
    for row in rows:
        segment = (
            target_segment(code, row.answers)
            if kind == "target_group"
            else question_segment(code, row.answers)
        )
        tallies[segment] = tallies[segment] + _Tally.of(row)
    total = sum(tallies.values(), _Tally())
    population = total.members
    return ReachTable(
        code=code,
        kind=kind,
        rows=tuple(
            ReachRow(
                segment=segment,
                group=tally.figures(population),
                rest=(total - tally).figures(population),
            )
            for segment, tally in tallies.items()
        ),
        total=total.figures(population),
    )


def assemble(
    *,
    scope: Literal["bank", "programme"],
    scope_id: int,
    start: date,
    end: date,
    rows: Sequence[MemberRow],
    exchanges: int,
    minutes: int,
    outcomes: Mapping[str, tuple[int, int]],
    pot: Sequence[PotFlow],
    months: MonthCounts,
    reach_by: Literal["target_group", "question"],
    target_groups: Sequence[str] = (),
    bank_help: Mapping[int, tuple[int, int]] | None = None,
) -> Report:
    """Build a report from what the database returned. Pure, so tests can feed it directly."""
    registered = [r for r in rows if is_registered(r, end)]
    active = [r for r in rows if r.given + r.received > 0]
    joined = [r for r in rows if start <= r.joined_on <= end]
    left = [r for r in rows if r.left_on is not None and start <= r.left_on <= end]
    buckets = Counter(bucket(r.given, r.received) for r in active)
    both = len(active) - buckets["gave_only"] - buckets["received_only"]
    within = sum(1 for r in registered if abs(r.balance) <= WITHIN_MINUTES)

    population = [r for r in rows if in_period(r, start, end)]
    codes = target_groups if reach_by == "target_group" else list(QUESTIONS)
    reach = tuple(reach_table(code, reach_by, population) for code in codes)

    banks: tuple[BankSummary, ...] = ()
    if bank_help is not None:
        by_bank: dict[int, list[MemberRow]] = defaultdict(list)
        for row in rows:
            by_bank[row.bank_id].append(row)
        banks = tuple(
            BankSummary(
                bank_id=bank_id,
                registered=sum(1 for r in by_bank[bank_id] if is_registered(r, end)),
                joined=sum(1 for r in by_bank[bank_id] if start <= r.joined_on <= end),
                left=sum(
                    1
                    for r in by_bank[bank_id]
                    if r.left_on is not None and start <= r.left_on <= end
                ),
                active=sum(1 for r in by_bank[bank_id] if r.given + r.received > 0),
                exchanges=bank_exchanges,
                minutes=bank_minutes,
            )
            for bank_id, (bank_exchanges, bank_minutes) in sorted(bank_help.items())
        )

    return Report(
        scope=scope,
        scope_id=scope_id,
        start=start,
        end=end,
        members=MemberFigures(
            registered=len(registered), joined=len(joined), active=len(active), left=len(left)
        ),
        hours=HourFigures(
            minutes=minutes,
            exchanges=exchanges,
            minutes_per_active=_mean(minutes, len(active)),
            exchanges_per_active=_mean(exchanges, len(active)),
            median_minutes_per_active=(
                float(statistics.median(r.given + r.received for r in active)) if active else None
            ),
        ),
        reciprocity=Reciprocity(
            both=both,
            both_share=percentage(both, len(active)),
            gave_only=buckets["gave_only"],
            mostly_gave=buckets["mostly_gave"],
            balanced=buckets["balanced"],
            mostly_received=buckets["mostly_received"],
            received_only=buckets["received_only"],
            within_ten_hours=within,
            within_ten_hours_share=percentage(within, len(registered)),
            pot=tuple(pot),
        ),
        reach=reach,
        outcomes=tuple(
            OutcomeFigures(area.value, *outcomes.get(area.value, (0, 0))) for area in OutcomeArea
        ),
        trend=tuple(trend_from_counts(months, start, end)),
        banks=banks,
    )


def _mean(total: int, people: int) -> float | None:
    return None if people == 0 else round(total / people, 1)
