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

from sqlalchemy import (
    ColumnElement,
    Select,
    String,
    and_,
    case,
    extract,
    func,
    literal,
    or_,
    select,
    union_all,
)
from sqlalchemy import cast as sql_cast
from sqlalchemy.orm import Session, aliased

from timebank.banks.models import Bank, Programme
from timebank.ledger.models import (
    HELP_KINDS,
    Account,
    AccountKind,
    OutcomeArea,
    Transfer,
    TransferKind,
    TransferOutcome,
    Unit,
)
from timebank.ledger.rollups import AccountDay, AccountMonth, MemberMonth, OutcomeMonth
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
    rolled = _help_by_bank_month(session, banks, start, end)
    by_bank = _help_totals_by_bank(session, banks, start, end, rolled)
    exchanges = sum(e for e, _ in by_bank.values())
    minutes = sum(m for _, m in by_bank.values())
    return _assemble(
        scope="bank",
        scope_id=bank_id,
        start=start,
        end=end,
        rows=_member_query(session, banks, start, end),
        exchanges=exchanges,
        minutes=minutes,
        outcomes=_outcomes(session, banks, start, end),
        pot=_pot_flows(session, banks, start, end),
        months=_month_counts(session, banks, start, end, rolled),
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
    rolled = _help_by_bank_month(session, banks, start, end)
    per_bank = _help_totals_by_bank(session, banks, start, end, rolled)
    return _assemble(
        scope="programme",
        scope_id=programme_id,
        start=start,
        end=end,
        rows=_member_query(session, banks, start, end),
        exchanges=sum(e for e, _ in per_bank.values()),
        minutes=sum(m for _, m in per_bank.values()),
        outcomes=_outcomes(session, banks, start, end),
        pot=_pot_flows(session, banks, start, end),
        months=_month_counts(session, banks, start, end, rolled),
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
#
# Whole calendar months are read from the monthly roll-ups the database keeps
# (:mod:`timebank.ledger.rollups`, already as corrected); the part months at either edge of the
# period, if any, from the daily roll-up (outcome areas: from the books themselves). Each figure
# is the sum of the two.


def _not_reversed() -> ColumnElement[bool]:
    """The transfer has not been reversed (at any date: a correction means it never happened)."""
    reversal = aliased(Transfer)
    return ~select(reversal.id).where(reversal.reverses_id == Transfer.id).exists()


def _next_month(day: date) -> date:
    return (day.replace(day=1) + timedelta(days=31)).replace(day=1)


def _whole_months(start: date, end: date) -> tuple[date, date] | None:
    """The first days of the first and last calendar months wholly inside the period."""
    first = start if start.day == 1 else _next_month(start)
    after = _balance_cut(end)
    if first >= after:
        return None
    return first, (after - timedelta(days=1)).replace(day=1)


def _balance_cut(end: date) -> date:
    """The first day not covered by whole months up to ``end``: the roll-ups hold the months
    before it, the books the days from it to ``end``."""
    return (end + timedelta(days=1)).replace(day=1)


def _edges(start: date, end: date) -> list[tuple[date, date]]:
    """The days of the period outside its whole months (both days of each range included)."""
    whole = _whole_months(start, end)
    if whole is None:
        return [(start, end)]
    first, last = whole
    ranges = []
    if start < first:
        ranges.append((start, first - timedelta(days=1)))
    if _next_month(last) <= end:
        ranges.append((_next_month(last), end))
    return ranges


def _within(column: Any, ranges: Sequence[tuple[date, date]]) -> ColumnElement[bool]:
    return or_(*(column.between(low, high) for low, high in ranges))


def _help_on(banks: BankFilter, ranges: Sequence[tuple[date, date]]) -> ColumnElement[bool]:
    """Help given on the days of ``ranges`` that still stands."""
    return and_(
        Transfer.bank_id.in_(banks),
        Transfer.unit == Unit.HOURS,
        Transfer.kind.in_(_HELP_KIND_LIST),
        _within(Transfer.given_on, ranges),
        _not_reversed(),
    )


def _help(banks: BankFilter, start: date, end: date) -> ColumnElement[bool]:
    """Help given in the period that still stands."""
    return _help_on(banks, [(start, end)])


def _rolled(banks: BankFilter, first: date, last: date) -> ColumnElement[bool]:
    """Roll-up rows of help in the whole months from ``first`` to ``last``."""
    return and_(
        AccountMonth.bank_id.in_(banks),
        AccountMonth.kind.in_(_HELP_KIND_LIST),
        AccountMonth.month.between(first, last),
    )


def _members_month(banks: BankFilter, first: date, last: date) -> ColumnElement[bool]:
    """Roll-up rows (every kind together) of the whole months from ``first`` to ``last``."""
    return and_(MemberMonth.bank_id.in_(banks), MemberMonth.month.between(first, last))


def _days(banks: BankFilter, ranges: Sequence[tuple[date, date]]) -> ColumnElement[bool]:
    """Daily roll-up rows of the days of ``ranges``."""
    return and_(AccountDay.bank_id.in_(banks), _within(AccountDay.day, ranges))


def _help_days(banks: BankFilter, ranges: Sequence[tuple[date, date]]) -> ColumnElement[bool]:
    """Daily roll-up rows of help on the days of ``ranges``."""
    return and_(_days(banks, ranges), AccountDay.kind.in_(_HELP_KIND_LIST))


#: One member's figures as the database returns them: member_id, bank_id, joined_on, left_on,
#: given, received, balance, and their answers as one string (see :func:`_member_query`), or
#: None when they have no monitoring answers.
_Raw = tuple[Any, ...]


def _member_query(session: Session, banks: BankFilter, start: date, end: date) -> list[_Raw]:
    """Each member's help given and received in the period and balance at the end, with their
    answers: one row per member who had joined by ``end`` (or was active in the period).

    Help comes from the monthly roll-ups for whole months and the daily ones for the days
    outside them. The balance at the end is the account's balance (every entry ever, which
    is the books as corrected: a reversal and what it reverses add up to nothing) less what
    came after ``end``: the days to the end of its month, then the months after."""
    whole = _whole_months(start, end)
    edges = _edges(start, end)
    after = _next_month(end)

    zero = literal(0)

    def piece(member: Any, given: Any, received: Any, balance: Any) -> Select[Any]:
        return select(
            member.label("member_id"),
            given.label("given"),
            received.label("received"),
            balance.label("balance"),
        )

    parts: list[Select[Any]] = []
    if whole is not None:
        parts.append(
            piece(MemberMonth.member_id, MemberMonth.help_in, MemberMonth.help_out, zero).where(
                _members_month(banks, *whole), MemberMonth.member_id.is_not(None)
            )
        )
    if edges:
        parts.append(
            piece(AccountDay.member_id, AccountDay.in_minutes, AccountDay.out_minutes, zero).where(
                _help_days(banks, edges), AccountDay.member_id.is_not(None)
            )
        )
    parts.append(
        piece(Account.member_id, zero, zero, Account.balance).where(
            Account.bank_id.in_(banks),
            Account.kind == AccountKind.MEMBER,
            Account.unit == Unit.HOURS,
        )
    )
    parts.append(
        piece(MemberMonth.member_id, zero, zero, -MemberMonth.net).where(
            MemberMonth.bank_id.in_(banks),
            MemberMonth.month >= after,
            MemberMonth.member_id.is_not(None),
        )
    )
    if end + timedelta(days=1) < after:
        parts.append(
            piece(
                AccountDay.member_id, zero, zero, AccountDay.out_minutes - AccountDay.in_minutes
            ).where(
                _days(banks, [(end + timedelta(days=1), after - timedelta(days=1))]),
                AccountDay.member_id.is_not(None),
            )
        )
    pieces = union_all(*parts).subquery()
    totals = (
        select(
            pieces.c.member_id,
            func.sum(pieces.c.given).label("given"),
            func.sum(pieces.c.received).label("received"),
            func.sum(pieces.c.balance).label("balance"),
        )
        .group_by(pieces.c.member_id)
        .subquery()
    )
    # the answers as one string, "|" between them ("" for a question not answered; None for
    # a member with no answers at all): a plain string per row, and a key to group members by
    answers: Any = literal("")
    for n, question in enumerate(QUESTIONS):
        column = func.coalesce(sql_cast(getattr(Monitoring, question), String), "")
        answers = column if n == 0 else answers + "|" + column
    query = (
        select(
            Member.id,
            Member.bank_id,
            Member.joined_on,
            Member.left_on,
            func.coalesce(totals.c.given, 0),
            func.coalesce(totals.c.received, 0),
            func.coalesce(totals.c.balance, 0),
            case((Monitoring.member_id.is_(None), None), else_=answers),
        )
        .select_from(Member)
        .outerjoin(totals, totals.c.member_id == Member.id)
        .outerjoin(Monitoring, Monitoring.member_id == Member.id)
        .where(
            Member.bank_id.in_(banks),
            or_(Member.joined_on <= end, totals.c.given + totals.c.received > 0),
        )
        .order_by(Member.id)
    )
    # Core rather than ORM execution (the rows are plain tuples either way), and each distinct
    # answer string split once: a programme has a hundred thousand rows
    split = _Answers()
    rows = []
    for (
        member_id,
        bank_id,
        joined_on,
        left_on,
        given,
        received,
        balance,
        key,
    ) in session.connection().execute(query):
        if key is not None:
            answers = split.get(key)
            key = answers if answers is not None else split(key)
        rows.append(
            (member_id, bank_id, joined_on, left_on, int(given), int(received), int(balance), key)
        )
    return rows


def member_rows(session: Session, banks: BankFilter, start: date, end: date) -> list[MemberRow]:
    """One row per member who had joined by ``end`` (or was active in the period)."""
    return [
        MemberRow(
            member_id=member_id,
            bank_id=bank_id,
            joined_on=joined_on,
            left_on=left_on,
            given=given,
            received=received,
            balance=balance,
            answers=_as_answers(key),
        )
        for member_id, bank_id, joined_on, left_on, given, received, balance, key in (
            _member_query(session, banks, start, end)
        )
    ]


class _Answers(dict[str, tuple[str | None, ...]]):
    """A row's answer string as a tuple in the order of QUESTIONS (None for a question not
    answered), split once per distinct string; members with the same answers share it."""

    def __call__(self, key: str | None) -> tuple[str | None, ...] | None:
        if key is None:
            return None
        found = self.get(key)
        if found is None:
            found = self[key] = tuple(value or None for value in key.split("|"))
        return found


_QUESTION_LIST = list(QUESTIONS)
_QUESTION_INDEX = {question: n for n, question in enumerate(QUESTIONS)}


def _as_answers(key: tuple[str | None, ...] | None) -> dict[str, str | None] | None:
    """Answers by question from a tuple in the order of QUESTIONS."""
    return None if key is None else dict(zip(_QUESTION_LIST, key, strict=True))


def _help_totals(session: Session, banks: BankFilter, start: date, end: date) -> tuple[int, int]:
    by_bank = _help_totals_by_bank(session, banks, start, end)
    return sum(e for e, _ in by_bank.values()), sum(m for _, m in by_bank.values())


def _help_totals_by_bank(
    session: Session,
    banks: BankFilter,
    start: date,
    end: date,
    rolled: Mapping[tuple[int, int, int], Sequence[int]] | None = None,
) -> dict[int, tuple[int, int]]:
    totals: dict[int, tuple[int, int]] = {}
    if rolled is None:
        rolled = _help_by_bank_month(session, banks, start, end)
    for (bank_id, _, _), (_, count, minutes) in rolled.items():
        before = totals.get(bank_id, (0, 0))
        totals[bank_id] = (before[0] + count, before[1] + minutes)
    # a bank whose only help was reversed has rows of zeros: it had no help
    return {bank_id: total for bank_id, total in totals.items() if total[0]}


def _help_by_bank_month(
    session: Session, banks: BankFilter, start: date, end: date
) -> dict[tuple[int, int, int], list[int]]:
    """Per bank and month: the members active, the exchanges and their minutes.

    Each help transfer has one positive entry: its earner's ``help_count`` counts it once. A
    member has accounts in their own bank only, so members counted per bank add up."""
    found: dict[tuple[int, int, int], list[int]] = {}

    def add(rows: Iterable[Any]) -> None:
        for bank_id, year, month, people, count, minutes in rows:
            key = (int(bank_id), int(year), int(month))
            values = found.setdefault(key, [0, 0, 0])
            values[0] += int(people or 0)
            values[1] += int(count or 0)
            values[2] += int(minutes or 0)

    whole = _whole_months(start, end)
    if whole is not None:
        # one row per account and month: a member took part in a month when their row holds
        # help, so "active" is a plain count
        took_part = and_(
            MemberMonth.member_id.is_not(None), MemberMonth.help_in + MemberMonth.help_out > 0
        )
        add(
            (bank_id, day.year, day.month, people, count, minutes)
            for bank_id, first_day, people, count, minutes in session.execute(
                select(
                    MemberMonth.bank_id,
                    MemberMonth.month,
                    func.sum(case((took_part, 1), else_=0)),
                    func.sum(MemberMonth.help_count),
                    func.sum(MemberMonth.help_in),
                )
                .where(_members_month(banks, *whole))
                .group_by(MemberMonth.bank_id, MemberMonth.month)
            )
            for day in [_as_date(first_day)]
        )
    edges = _edges(start, end)
    if edges:
        year, month = extract("year", AccountDay.day), extract("month", AccountDay.day)
        took_part = and_(
            AccountDay.member_id.is_not(None), AccountDay.in_minutes + AccountDay.out_minutes > 0
        )
        add(
            session.execute(
                select(
                    AccountDay.bank_id,
                    year,
                    month,
                    func.count(func.distinct(case((took_part, AccountDay.member_id)))),
                    func.sum(AccountDay.in_count),
                    func.sum(AccountDay.in_minutes),
                )
                .where(_help_days(banks, edges))
                .group_by(AccountDay.bank_id, year, month)
            )
        )
    return found


def _add_pairs(found: dict[str, tuple[int, int]], rows: Iterable[Any]) -> None:
    """Add rows of (key, a, b) into found, key by key: rolled months and edge days alike."""
    for key, a, b in rows:
        before = found.get(str(key), (0, 0))
        found[str(key)] = (before[0] + int(a or 0), before[1] + int(b or 0))


def _outcomes(
    session: Session, banks: BankFilter, start: date, end: date
) -> dict[str, tuple[int, int]]:
    found: dict[str, tuple[int, int]] = {}
    whole = _whole_months(start, end)
    if whole is not None:
        _add_pairs(
            found,
            session.execute(
                select(
                    OutcomeMonth.area,
                    func.sum(OutcomeMonth.exchanges),
                    func.sum(OutcomeMonth.minutes),
                )
                .where(OutcomeMonth.bank_id.in_(banks), OutcomeMonth.month.between(*whole))
                .group_by(OutcomeMonth.area)
            ),
        )
    edges = _edges(start, end)
    if edges:
        _add_pairs(
            found,
            session.execute(
                select(TransferOutcome.area, func.count(Transfer.id), func.sum(Transfer.amount))
                .join(Transfer, Transfer.id == TransferOutcome.transfer_id)
                .where(_help_on(banks, edges))
                .group_by(TransferOutcome.area)
            ),
        )
    return {area: total for area, total in found.items() if total[0]}


def _pot_flows(session: Session, banks: BankFilter, start: date, end: date) -> list[PotFlow]:
    found: dict[str, tuple[int, int]] = {}
    whole = _whole_months(start, end)
    if whole is not None:
        _add_pairs(
            found,
            session.execute(
                select(
                    AccountMonth.kind,
                    func.sum(AccountMonth.in_minutes),
                    func.sum(AccountMonth.out_minutes),
                )
                .join(Account, Account.id == AccountMonth.account_id)
                .where(
                    AccountMonth.bank_id.in_(banks),
                    AccountMonth.month.between(*whole),
                    Account.kind == AccountKind.POT,
                    Account.unit == Unit.HOURS,
                )
                .group_by(AccountMonth.kind)
            ),
        )
    edges = _edges(start, end)
    if edges:
        _add_pairs(
            found,
            session.execute(
                select(
                    AccountDay.kind,
                    func.sum(AccountDay.in_minutes),
                    func.sum(AccountDay.out_minutes),
                )
                .join(Account, Account.id == AccountDay.account_id)
                .where(
                    _days(banks, edges),
                    Account.kind == AccountKind.POT,
                    Account.unit == Unit.HOURS,
                )
                .group_by(AccountDay.kind)
            ),
        )
    # a kind whose pot entries were all reversed has rows of zeros: it moved nothing
    found = {kind: flow for kind, flow in found.items() if flow[0] or flow[1]}
    # in the order the kinds are declared, so every report lists them alike
    return [PotFlow(k.value, *found[k.value]) for k in TransferKind if k.value in found]


def _month_counts(
    session: Session,
    banks: BankFilter,
    start: date,
    end: date,
    rolled: Mapping[tuple[int, int, int], Sequence[int]] | None = None,
) -> MonthCounts:
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
    people: Counter[tuple[int, int]] = Counter()
    counts: Counter[tuple[int, int]] = Counter()
    total: Counter[tuple[int, int]] = Counter()
    if rolled is None:
        rolled = _help_by_bank_month(session, banks, start, end)
    for (_, year_number, month_number), (active_people, count, minutes) in rolled.items():
        key = (year_number, month_number)
        people[key] += active_people
        counts[key] += count
        total[key] += minutes
    active = {key: n for key, n in people.items() if n}
    help_by_month = {key: (n, total[key]) for key, n in counts.items() if n}
    return MonthCounts(
        registered_before=int(registered_before or 0),
        joined=joined,
        left=left,
        active=active,
        help=help_by_month,
    )


def _as_date(value: Any) -> date:
    """A month from the roll-ups (SQLite may hand back its text when grouped)."""
    return value if isinstance(value, date) else date.fromisoformat(str(value))


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
    groups: dict[Any, list[int]] = {}
    for row in rows:
        key = None if row.answers is None else tuple(row.answers.get(q) for q in QUESTIONS)
        _add_member(groups, key, row.given, row.received)
    return _reach_table(code, kind, groups)


def _add_member(groups: dict[Any, list[int]], key: Any, given: int, received: int) -> None:
    """Add one member to the tally of everyone with the same answers."""
    tally = groups.get(key)
    if tally is None:
        tally = groups[key] = [0, 0, 0, 0, 0]
    tally[0] += 1
    if given or received:
        tally[1] += 1
        if given and received:
            tally[2] += 1
        tally[3] += given
        tally[4] += received


def _reach_table(
    code: str,
    kind: Literal["target_group", "question"],
    groups: Mapping[tuple[str | None, ...] | None, Sequence[int]],
) -> ReachTable:
    """A reach table from tallies of members grouped by their answers (tuples in the order of
    QUESTIONS): members with the same answers fall in the same row of every table, so each
    group is placed once per table rather than each member."""
    if kind == "target_group":
        segments: list[str] = list(SEGMENTS)
    else:
        segments = question_segments(code)
    sums = {segment: [0, 0, 0, 0, 0] for segment in segments}
    index = _QUESTION_INDEX.get(code, 0)
    for key, (members, active, both, given, received) in groups.items():
        if kind == "target_group":
            segment = target_segment(code, _as_answers(key))
        elif key is None or key[index] is None:
            segment = NOT_ASKED
        else:
            segment = str(key[index])
        tally = sums[segment]
        tally[0] += members
        tally[1] += active
        tally[2] += both
        tally[3] += given
        tally[4] += received
    tallies = {segment: _Tally(*values) for segment, values in sums.items()}
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
    raw = []
    for row in rows:
        key = None if row.answers is None else tuple(row.answers.get(q) for q in QUESTIONS)
        raw.append(
            (
                row.member_id,
                row.bank_id,
                row.joined_on,
                row.left_on,
                row.given,
                row.received,
                row.balance,
                key,
            )
        )
    return _assemble(
        scope=scope,
        scope_id=scope_id,
        start=start,
        end=end,
        rows=raw,
        exchanges=exchanges,
        minutes=minutes,
        outcomes=outcomes,
        pot=pot,
        months=months,
        reach_by=reach_by,
        target_groups=target_groups,
        bank_help=bank_help,
    )


def _assemble(
    *,
    scope: Literal["bank", "programme"],
    scope_id: int,
    start: date,
    end: date,
    rows: Iterable[_Raw],
    exchanges: int,
    minutes: int,
    outcomes: Mapping[str, tuple[int, int]],
    pot: Sequence[PotFlow],
    months: MonthCounts,
    reach_by: Literal["target_group", "question"],
    target_groups: Sequence[str] = (),
    bank_help: Mapping[int, tuple[int, int]] | None = None,
) -> Report:
    """:func:`assemble` over plain tuples (as :func:`_member_query` returns them), with each
    member's answers as a tuple in the order of QUESTIONS, or None.

    One pass over the members; the definitions are those of :func:`is_registered`,
    :func:`in_period` and :func:`bucket`."""
    registered = joined = left = within = 0
    counts = dict.fromkeys(BUCKETS, 0)
    took_part: list[int] = []
    groups: dict[Any, list[int]] = {}
    # per bank: registered, joined, left, active
    lines: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for _, bank_id, joined_on, left_on, given, received, balance, key in rows:
        line = lines[bank_id]
        active = bool(given or received)
        if joined_on <= end and (left_on is None or left_on > end):
            registered += 1
            line[0] += 1
            if -WITHIN_MINUTES <= balance <= WITHIN_MINUTES:
                within += 1
        if start <= joined_on <= end:
            joined += 1
            line[1] += 1
        if left_on is not None and start <= left_on <= end:
            left += 1
            line[2] += 1
        if active:
            line[3] += 1
            counts[bucket(given, received)] += 1
            took_part.append(given + received)
        if active or (joined_on <= end and (left_on is None or left_on > start)):
            # _add_member, inline
            tally = groups.get(key)
            if tally is None:
                tally = groups[key] = [0, 0, 0, 0, 0]
            tally[0] += 1
            if active:
                tally[1] += 1
                if given and received:
                    tally[2] += 1
                tally[3] += given
                tally[4] += received
    active_count = len(took_part)
    both = active_count - counts["gave_only"] - counts["received_only"]

    codes = target_groups if reach_by == "target_group" else list(QUESTIONS)
    reach = tuple(_reach_table(code, reach_by, groups) for code in codes)

    banks: tuple[BankSummary, ...] = ()
    if bank_help is not None:
        banks = tuple(
            BankSummary(
                bank_id,
                *lines[bank_id],
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
        members=MemberFigures(registered=registered, joined=joined, active=active_count, left=left),
        hours=HourFigures(
            minutes=minutes,
            exchanges=exchanges,
            minutes_per_active=_mean(minutes, active_count),
            exchanges_per_active=_mean(exchanges, active_count),
            median_minutes_per_active=(float(statistics.median(took_part)) if took_part else None),
        ),
        reciprocity=Reciprocity(
            both=both,
            both_share=percentage(both, active_count),
            gave_only=counts["gave_only"],
            mostly_gave=counts["mostly_gave"],
            balanced=counts["balanced"],
            mostly_received=counts["mostly_received"],
            received_only=counts["received_only"],
            within_ten_hours=within,
            within_ten_hours_share=percentage(within, registered),
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
