"""The SQL of a report: what the database sums and counts, and nothing worked out after.

Sums and counts are done by the database (GROUP BY over transfers, entries and their roll-ups);
what comes back is one row per member (their totals for the period and their monitoring
answers), one per bank and month, per outcome area and per kind of pot flow. Nothing here
loops over entries. :mod:`timebank.reports.assembly` makes the report from these rows.

Whole calendar months are read from the monthly roll-ups the database keeps
(:mod:`timebank.ledger.rollups`, already as corrected); the part months at either edge of the
period, if any, from the daily roll-up (outcome areas: from the books themselves). Each figure
is the sum of the two. Help counts as corrected: a transfer that was later reversed, and the
reversal itself, are left out everywhere.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import date, timedelta
from typing import Any

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

from timebank.ledger.models import (
    HELP_KINDS,
    Account,
    AccountKind,
    Transfer,
    TransferKind,
    TransferOutcome,
    Unit,
)
from timebank.ledger.rollups import AccountDay, AccountMonth, MemberMonth, OutcomeMonth
from timebank.members.models import Member
from timebank.members.monitoring import QUESTIONS, ErasedAnswers, Monitoring
from timebank.reports.report import (
    AnswerKey,
    BankMonth,
    HelpTotals,
    MemberRow,
    MemberTotals,
    MonthCounts,
    MonthHelp,
    PotFlow,
    answers_by_question,
)

#: Banks a report covers: a list of ids, or a SELECT of them (a programme's banks).
BankFilter = Sequence[int] | Select[Any]

#: First and last day of a stretch of the period, both included.
DayRange = tuple[date, date]

_HELP_KIND_LIST = sorted(HELP_KINDS)


# -- the period in whole months and edge days ----------------------------------------------------


def next_month(day: date) -> date:
    """The first day of the month after ``day``'s."""
    return (day.replace(day=1) + timedelta(days=31)).replace(day=1)


def whole_months(start: date, end: date) -> tuple[date, date] | None:
    """The first days of the first and last calendar months wholly inside the period."""
    first = start if start.day == 1 else next_month(start)
    # the first day not covered by whole months up to end
    after = (end + timedelta(days=1)).replace(day=1)
    if first >= after:
        return None
    return first, (after - timedelta(days=1)).replace(day=1)


def edges(start: date, end: date) -> list[DayRange]:
    """The days of the period outside its whole months (both days of each range included)."""
    whole = whole_months(start, end)
    if whole is None:
        return [(start, end)]
    first, last = whole
    ranges = []
    if start < first:
        ranges.append((start, first - timedelta(days=1)))
    if next_month(last) <= end:
        ranges.append((next_month(last), end))
    return ranges


# -- what counts ----------------------------------------------------------------------------------


def _not_reversed() -> ColumnElement[bool]:
    """The transfer has not been reversed (at any date: a correction means it never happened)."""
    reversal = aliased(Transfer)
    return ~select(reversal.id).where(reversal.reverses_id == Transfer.id).exists()


def _within(column: Any, ranges: Sequence[DayRange]) -> ColumnElement[bool]:
    return or_(*(column.between(low, high) for low, high in ranges))


def _help_on(banks: BankFilter, ranges: Sequence[DayRange]) -> ColumnElement[bool]:
    """Help given on the days of ``ranges`` that still stands."""
    return and_(
        Transfer.bank_id.in_(banks),
        Transfer.unit == Unit.HOURS,
        Transfer.kind.in_(_HELP_KIND_LIST),
        _within(Transfer.given_on, ranges),
        _not_reversed(),
    )


def _members_month(banks: BankFilter, first: date, last: date) -> ColumnElement[bool]:
    """Roll-up rows (every kind together) of the whole months from ``first`` to ``last``."""
    return and_(MemberMonth.bank_id.in_(banks), MemberMonth.month.between(first, last))


def _days(banks: BankFilter, ranges: Sequence[DayRange]) -> ColumnElement[bool]:
    """Daily roll-up rows of the days of ``ranges``."""
    return and_(AccountDay.bank_id.in_(banks), _within(AccountDay.day, ranges))


def _help_days(banks: BankFilter, ranges: Sequence[DayRange]) -> ColumnElement[bool]:
    """Daily roll-up rows of help on the days of ``ranges``."""
    return and_(_days(banks, ranges), AccountDay.kind.in_(_HELP_KIND_LIST))


# -- members --------------------------------------------------------------------------------------


def member_totals(
    session: Session, banks: BankFilter, start: date, end: date
) -> list[MemberTotals]:
    """Each member's help given and received in the period and balance at the end, with their
    answers: one row per member who had joined by ``end`` (or was active in the period)."""
    totals = _member_sums(banks, start, end)
    query = (
        select(
            Member.id,
            Member.bank_id,
            Member.joined_on,
            Member.left_on,
            func.coalesce(totals.c.given, 0),
            func.coalesce(totals.c.received, 0),
            func.coalesce(totals.c.balance, 0),
            # an erased member's answers were kept as codes, for this and nothing else
            case((Monitoring.member_id.is_(None), ErasedAnswers.answers), else_=_answer_string()),
        )
        .select_from(Member)
        .outerjoin(totals, totals.c.member_id == Member.id)
        .outerjoin(Monitoring, Monitoring.member_id == Member.id)
        .outerjoin(ErasedAnswers, ErasedAnswers.member_id == Member.id)
        .where(
            Member.bank_id.in_(banks),
            or_(Member.joined_on <= end, totals.c.given + totals.c.received > 0),
        )
        .order_by(Member.id)
    )
    # Core rather than ORM execution (the rows are plain tuples either way), and each distinct
    # answer string split once: a programme has a hundred thousand rows
    split = _Answers()
    found = []
    rows = session.connection().execute(query)
    for member_id, bank_id, joined_on, left_on, given, received, balance, answers in rows:
        given, received, balance = int(given), int(received), int(balance)
        found.append(
            MemberTotals(
                member_id, bank_id, joined_on, left_on, given, received, balance, split(answers)
            )
        )
    return found


def member_rows(session: Session, banks: BankFilter, start: date, end: date) -> list[MemberRow]:
    """One row per member who had joined by ``end`` (or was active in the period)."""
    return [
        MemberRow(
            member_id=row.member_id,
            bank_id=row.bank_id,
            joined_on=row.joined_on,
            left_on=row.left_on,
            given=row.given,
            received=row.received,
            balance=row.balance,
            answers=answers_by_question(row.answers),
        )
        for row in member_totals(session, banks, start, end)
    ]


def _member_sums(banks: BankFilter, start: date, end: date) -> Any:
    """Per member: minutes given and received in the period, and the balance at its end.

    Help comes from the monthly roll-ups for whole months and the daily ones for the days
    outside them. The balance at the end is the account's balance (every entry ever, which
    is the books as corrected: a reversal and what it reverses add up to nothing) less what
    came after ``end``: the days to the end of its month, then the months after."""
    pieces = union_all(*_member_pieces(banks, start, end)).subquery()
    return (
        select(
            pieces.c.member_id,
            func.sum(pieces.c.given).label("given"),
            func.sum(pieces.c.received).label("received"),
            func.sum(pieces.c.balance).label("balance"),
        )
        .group_by(pieces.c.member_id)
        .subquery()
    )


def _member_pieces(banks: BankFilter, start: date, end: date) -> list[Select[Any]]:
    """The rows :func:`_member_sums` adds up, each (member_id, given, received, balance)."""
    whole = whole_months(start, end)
    edge_days = edges(start, end)
    after = next_month(end)
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
    if edge_days:
        parts.append(
            piece(AccountDay.member_id, AccountDay.in_minutes, AccountDay.out_minutes, zero).where(
                _help_days(banks, edge_days), AccountDay.member_id.is_not(None)
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
    return parts


def _answer_string() -> Any:
    """A member's answers as one string, "|" between them ("" for a question not answered): a
    plain string per row, and a key to group members by."""
    answers: Any = literal("")
    for n, question in enumerate(QUESTIONS):
        column = func.coalesce(sql_cast(getattr(Monitoring, question), String), "")
        answers = column if n == 0 else answers + "|" + column
    return answers


class _Answers(dict[str, AnswerKey]):
    """A row's answer string as an :data:`AnswerKey` (None for a question not answered), split
    once per distinct string; members with the same answers share it."""

    def __call__(self, key: str | None) -> AnswerKey | None:
        if key is None:
            return None
        found = self.get(key)
        if found is None:
            found = self[key] = tuple(value or None for value in key.split("|"))
        return found


# -- help -----------------------------------------------------------------------------------------


def help_by_bank_month(
    session: Session, banks: BankFilter, start: date, end: date
) -> dict[BankMonth, MonthHelp]:
    """Per bank and month: the members active, the exchanges and their minutes.

    Each help transfer has one positive entry: its earner's ``help_count`` counts it once. A
    member has accounts in their own bank only, so members counted per bank add up."""
    found: dict[BankMonth, MonthHelp] = {}
    rows = [
        *_rolled_help(session, banks, start, end),
        *_edge_help(session, banks, start, end),
    ]
    for bank_id, year, month, people, count, minutes in rows:
        key = BankMonth(int(bank_id), int(year), int(month))
        month_help = found.get(key)
        if month_help is None:
            month_help = found[key] = MonthHelp()
        month_help.active += int(people or 0)
        month_help.exchanges += int(count or 0)
        month_help.minutes += int(minutes or 0)
    return found


def _rolled_help(
    session: Session, banks: BankFilter, start: date, end: date
) -> Iterator[tuple[Any, ...]]:
    """Rows of (bank_id, year, month, active, exchanges, minutes) from the monthly roll-ups."""
    whole = whole_months(start, end)
    if whole is None:
        return
    # one row per account and month: a member took part in a month when their row holds help,
    # so "active" is a plain count
    took_part = and_(
        MemberMonth.member_id.is_not(None), MemberMonth.help_in + MemberMonth.help_out > 0
    )
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
    ):
        day = _as_date(first_day)
        yield bank_id, day.year, day.month, people, count, minutes


def _edge_help(
    session: Session, banks: BankFilter, start: date, end: date
) -> Iterable[tuple[Any, ...]]:
    """Rows of (bank_id, year, month, active, exchanges, minutes) from the daily roll-up."""
    edge_days = edges(start, end)
    if not edge_days:
        return []
    year, month = extract("year", AccountDay.day), extract("month", AccountDay.day)
    took_part = and_(
        AccountDay.member_id.is_not(None), AccountDay.in_minutes + AccountDay.out_minutes > 0
    )
    return session.execute(
        select(
            AccountDay.bank_id,
            year,
            month,
            func.count(func.distinct(case((took_part, AccountDay.member_id)))),
            func.sum(AccountDay.in_count),
            func.sum(AccountDay.in_minutes),
        )
        .where(_help_days(banks, edge_days))
        .group_by(AccountDay.bank_id, year, month)
    )


def help_totals_by_bank(
    session: Session,
    banks: BankFilter,
    start: date,
    end: date,
    rolled: Mapping[BankMonth, MonthHelp] | None = None,
) -> dict[int, HelpTotals]:
    """Per bank with any help in the period: its exchanges and their minutes. ``rolled`` is
    :func:`help_by_bank_month` of the same period, when the caller has it already."""
    if rolled is None:
        rolled = help_by_bank_month(session, banks, start, end)
    totals: dict[int, HelpTotals] = {}
    for key, month_help in rolled.items():
        before = totals.get(key.bank_id, HelpTotals(0, 0))
        totals[key.bank_id] = HelpTotals(
            before.exchanges + month_help.exchanges, before.minutes + month_help.minutes
        )
    # a bank whose only help was reversed has rows of zeros: it had no help
    return {bank_id: total for bank_id, total in totals.items() if total.exchanges}


# -- outcome areas and the pot --------------------------------------------------------------------


def _add_pairs(found: dict[str, tuple[int, int]], rows: Iterable[Any]) -> None:
    """Add rows of (key, a, b) into found, key by key: rolled months and edge days alike."""
    for key, a, b in rows:
        before = found.get(str(key), (0, 0))
        found[str(key)] = (before[0] + int(a or 0), before[1] + int(b or 0))


def outcome_totals(
    session: Session, banks: BankFilter, start: date, end: date
) -> dict[str, HelpTotals]:
    """Per outcome area with any help in the period: its exchanges and their minutes."""
    found: dict[str, tuple[int, int]] = {}
    whole = whole_months(start, end)
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
    edge_days = edges(start, end)
    if edge_days:
        _add_pairs(
            found,
            session.execute(
                select(TransferOutcome.area, func.count(Transfer.id), func.sum(Transfer.amount))
                .join(Transfer, Transfer.id == TransferOutcome.transfer_id)
                .where(_help_on(banks, edge_days))
                .group_by(TransferOutcome.area)
            ),
        )
    return {area: HelpTotals(*total) for area, total in found.items() if total[0]}


def pot_flows(session: Session, banks: BankFilter, start: date, end: date) -> list[PotFlow]:
    """Minutes into and out of the community pot in the period, per kind of transfer that moved
    any, in the order the kinds are declared."""
    pot_hours = (Account.kind == AccountKind.POT, Account.unit == Unit.HOURS)
    found: dict[str, tuple[int, int]] = {}
    whole = whole_months(start, end)
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
                    AccountMonth.bank_id.in_(banks), AccountMonth.month.between(*whole), *pot_hours
                )
                .group_by(AccountMonth.kind)
            ),
        )
    edge_days = edges(start, end)
    if edge_days:
        _add_pairs(
            found,
            session.execute(
                select(
                    AccountDay.kind,
                    func.sum(AccountDay.in_minutes),
                    func.sum(AccountDay.out_minutes),
                )
                .join(Account, Account.id == AccountDay.account_id)
                .where(_days(banks, edge_days), *pot_hours)
                .group_by(AccountDay.kind)
            ),
        )
    # a kind whose pot entries were all reversed has rows of zeros: it moved nothing
    moved = {kind: flow for kind, flow in found.items() if flow[0] or flow[1]}
    # in the order the kinds are declared, so every report lists them alike
    return [
        PotFlow(kind.value, minutes_in=moved[kind.value][0], minutes_out=moved[kind.value][1])
        for kind in TransferKind
        if kind.value in moved
    ]


# -- months ---------------------------------------------------------------------------------------


def month_counts(
    session: Session,
    banks: BankFilter,
    start: date,
    end: date,
    rolled: Mapping[BankMonth, MonthHelp] | None = None,
) -> MonthCounts:
    """What the trend is worked out from: the register before the period, and per month those
    who joined, left and were active, and the help. ``rolled`` is :func:`help_by_bank_month`
    of the same period, when the caller has it already."""
    registered_before = session.scalar(
        select(func.count(Member.id)).where(
            Member.bank_id.in_(banks),
            Member.joined_on < start,
            or_(Member.left_on.is_(None), Member.left_on >= start),
        )
    )
    if rolled is None:
        rolled = help_by_bank_month(session, banks, start, end)
    active: dict[tuple[int, int], int] = {}
    help_by_month: dict[tuple[int, int], HelpTotals] = {}
    # members and help counted per bank add up (see help_by_bank_month)
    for key, month_help in rolled.items():
        month = (key.year, key.month)
        active[month] = active.get(month, 0) + month_help.active
        before = help_by_month.get(month, HelpTotals(0, 0))
        help_by_month[month] = HelpTotals(
            before.exchanges + month_help.exchanges, before.minutes + month_help.minutes
        )
    return MonthCounts(
        registered_before=int(registered_before or 0),
        joined=_members_by_month(session, banks, Member.joined_on, start, end),
        left=_members_by_month(session, banks, Member.left_on, start, end),
        active={month: n for month, n in active.items() if n},
        help={month: total for month, total in help_by_month.items() if total.exchanges},
    )


def _members_by_month(
    session: Session, banks: BankFilter, day: Any, start: date, end: date
) -> dict[tuple[int, int], int]:
    """Members per (year, month) of ``day`` (joined_on or left_on), for the days of the period."""
    year, month = extract("year", day), extract("month", day)
    rows = session.execute(
        select(year, month, func.count(Member.id))
        .where(Member.bank_id.in_(banks), day.between(start, end))
        .group_by(year, month)
    )
    return {(int(y), int(m)): int(n) for y, m, n in rows}


def _as_date(value: Any) -> date:
    """A month from the roll-ups (SQLite may hand back its text when grouped)."""
    return value if isinstance(value, date) else date.fromisoformat(str(value))
