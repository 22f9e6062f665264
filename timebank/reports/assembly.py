"""From what the database returned to a report: pure, so tests can feed it directly.

Buckets, medians and the target-group rows are worked out here from the member rows, because
:meth:`TargetGroup.includes` is Python; every sum over transfers was done by the database
(:mod:`timebank.reports.queries`). Every definition is in ``docs/reports.md``.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from types import SimpleNamespace
from typing import Literal, cast

from timebank.ledger.models import OutcomeArea
from timebank.members.monitoring import PREFER_NOT, QUESTIONS, TARGET_GROUPS, Monitoring
from timebank.reports.report import (
    BUCKETS,
    IN_GROUP,
    NOT_ASKED,
    NOT_IN_GROUP,
    SEGMENTS,
    AnswerKey,
    BankSummary,
    HourFigures,
    MemberFigures,
    MemberRow,
    MemberTotals,
    MonthCounts,
    MonthFigures,
    OutcomeFigures,
    PotFlow,
    ReachRow,
    ReachTable,
    Reciprocity,
    Report,
    SegmentFigures,
    answer_key,
    answers_by_question,
)

#: A balance this close to zero, either way, counts as "in balance" (10 hours, inclusive).
WITHIN_MINUTES = 10 * 60

#: Questions that decide a group whose ``TargetGroup.questions`` is empty because either of two
#: answers can place someone in it; used only to tell "prefer not to say" from "not asked".
_DECIDED_BY = {"lgbt": ("sexual_orientation", "gender")}

_QUESTION_INDEX = {question: n for n, question in enumerate(QUESTIONS)}

ReachBy = Literal["target_group", "question"]


# -- definitions ----------------------------------------------------------------------------------


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


# -- reach ----------------------------------------------------------------------------------------


@dataclass(slots=True)
class Tally:
    """What a segment's figures are made from; tallies subtract, so "everyone else" is cheap."""

    members: int = 0
    #: Members who gave or received help in the period.
    active: int = 0
    #: Active members who both gave and received.
    both: int = 0
    #: Minutes given and received by the members.
    given: int = 0
    received: int = 0

    def count_member(self, given: int, received: int) -> None:
        """Count one more member, who gave and received these minutes in the period."""
        self.members += 1
        if given or received:
            self.active += 1
            if given and received:
                self.both += 1
            self.given += given
            self.received += received

    def add(self, other: Tally) -> None:
        """Count ``other``'s members too."""
        self.members += other.members
        self.active += other.active
        self.both += other.both
        self.given += other.given
        self.received += other.received

    def __sub__(self, other: Tally) -> Tally:
        return Tally(
            self.members - other.members,
            self.active - other.active,
            self.both - other.both,
            self.given - other.given,
            self.received - other.received,
        )

    def figures(self, population: int) -> SegmentFigures:
        """The segment's figures, its members a share of ``population``."""
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


def reach_table(code: str, kind: ReachBy, rows: Sequence[MemberRow]) -> ReachTable:
    """One target group's (or question's) rows, each beside everyone else."""
    groups: dict[AnswerKey | None, Tally] = {}
    for row in rows:
        key = answer_key(row.answers)
        tally = groups.get(key)
        if tally is None:
            tally = groups[key] = Tally()
        tally.count_member(row.given, row.received)
    return reach_table_of_groups(code, kind, groups)


def reach_table_of_groups(
    code: str, kind: ReachBy, groups: Mapping[AnswerKey | None, Tally]
) -> ReachTable:
    """A reach table from tallies of members grouped by their answers: members with the same
    answers fall in the same row of every table, so each group is placed once per table rather
    than each member."""
    segments = list(SEGMENTS) if kind == "target_group" else question_segments(code)
    tallies = {segment: Tally() for segment in segments}
    index = _QUESTION_INDEX.get(code, 0)
    for key, group in groups.items():
        if kind == "target_group":
            segment = target_segment(code, answers_by_question(key))
        elif key is None or key[index] is None:
            segment = NOT_ASKED
        else:
            segment = str(key[index])
        tallies[segment].add(group)
    total = Tally()
    for tally in tallies.values():
        total.add(tally)
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


# -- the report -----------------------------------------------------------------------------------


@dataclass(slots=True)
class BankCounts:
    """One bank's members over the period, for its line in a programme report."""

    registered: int = 0
    joined: int = 0
    left: int = 0
    active: int = 0


@dataclass(frozen=True)
class MemberCounts:
    """What one pass over the members of a report counts."""

    registered: int
    joined: int
    left: int
    #: Registered at the end with a balance within :data:`WITHIN_MINUTES` of zero.
    within: int
    #: Active members per give/receive bucket.
    buckets: Mapping[str, int]
    #: Minutes each active member took part in (given + received).
    took_part: Sequence[int]
    #: Members in the reach tables, grouped by their answers.
    groups: Mapping[AnswerKey | None, Tally]
    banks: Mapping[int, BankCounts]

    @property
    def active(self) -> int:
        return len(self.took_part)


def count_members(rows: Iterable[MemberTotals], start: date, end: date) -> MemberCounts:
    """One pass over the members; the definitions are those of :func:`is_registered`,
    :func:`in_period` and :func:`bucket`."""
    registered = joined = left = within = 0
    buckets = dict.fromkeys(BUCKETS, 0)
    took_part: list[int] = []
    groups: dict[AnswerKey | None, Tally] = {}
    banks: dict[int, BankCounts] = {}
    for _, bank_id, joined_on, left_on, given, received, balance, key in rows:
        line = banks.get(bank_id)
        if line is None:
            line = banks[bank_id] = BankCounts()
        active = bool(given or received)
        if joined_on <= end and (left_on is None or left_on > end):
            registered += 1
            line.registered += 1
            if -WITHIN_MINUTES <= balance <= WITHIN_MINUTES:
                within += 1
        if start <= joined_on <= end:
            joined += 1
            line.joined += 1
        if left_on is not None and start <= left_on <= end:
            left += 1
            line.left += 1
        if active:
            line.active += 1
            buckets[bucket(given, received)] += 1
            took_part.append(given + received)
        if active or (joined_on <= end and (left_on is None or left_on > start)):
            tally = groups.get(key)
            if tally is None:
                tally = groups[key] = Tally()
            tally.count_member(given, received)
    return MemberCounts(registered, joined, left, within, buckets, took_part, groups, banks)


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
    reach_by: ReachBy,
    target_groups: Sequence[str] = (),
    bank_help: Mapping[int, tuple[int, int]] | None = None,
) -> Report:
    """Build a report from what the database returned. Pure, so tests can feed it directly.

    ``outcomes`` and ``bank_help`` are (exchanges, minutes) per outcome area and per bank."""
    totals = [
        MemberTotals(
            row.member_id,
            row.bank_id,
            row.joined_on,
            row.left_on,
            row.given,
            row.received,
            row.balance,
            answer_key(row.answers),
        )
        for row in rows
    ]
    return assemble_totals(
        scope=scope,
        scope_id=scope_id,
        start=start,
        end=end,
        rows=totals,
        exchanges=exchanges,
        minutes=minutes,
        outcomes=outcomes,
        pot=pot,
        months=months,
        reach_by=reach_by,
        target_groups=target_groups,
        bank_help=bank_help,
    )


def assemble_totals(
    *,
    scope: Literal["bank", "programme"],
    scope_id: int,
    start: date,
    end: date,
    rows: Iterable[MemberTotals],
    exchanges: int,
    minutes: int,
    outcomes: Mapping[str, tuple[int, int]],
    pot: Sequence[PotFlow],
    months: MonthCounts,
    reach_by: ReachBy,
    target_groups: Sequence[str] = (),
    bank_help: Mapping[int, tuple[int, int]] | None = None,
) -> Report:
    """:func:`assemble` over :class:`MemberTotals`, as :func:`queries.member_totals` returns
    them."""
    counts = count_members(rows, start, end)
    codes = target_groups if reach_by == "target_group" else list(QUESTIONS)
    return Report(
        scope=scope,
        scope_id=scope_id,
        start=start,
        end=end,
        members=MemberFigures(
            registered=counts.registered,
            joined=counts.joined,
            active=counts.active,
            left=counts.left,
        ),
        hours=_hour_figures(counts, exchanges, minutes),
        reciprocity=_reciprocity(counts, pot),
        reach=tuple(reach_table_of_groups(code, reach_by, counts.groups) for code in codes),
        outcomes=tuple(
            OutcomeFigures(area.value, *outcomes.get(area.value, (0, 0))) for area in OutcomeArea
        ),
        trend=tuple(trend_from_counts(months, start, end)),
        banks=() if bank_help is None else _bank_lines(counts, bank_help),
    )


def _hour_figures(counts: MemberCounts, exchanges: int, minutes: int) -> HourFigures:
    took_part = counts.took_part
    return HourFigures(
        minutes=minutes,
        exchanges=exchanges,
        minutes_per_active=_mean(minutes, counts.active),
        exchanges_per_active=_mean(exchanges, counts.active),
        median_minutes_per_active=(float(statistics.median(took_part)) if took_part else None),
    )


def _reciprocity(counts: MemberCounts, pot: Sequence[PotFlow]) -> Reciprocity:
    buckets = counts.buckets
    both = counts.active - buckets["gave_only"] - buckets["received_only"]
    return Reciprocity(
        both=both,
        both_share=percentage(both, counts.active),
        gave_only=buckets["gave_only"],
        mostly_gave=buckets["mostly_gave"],
        balanced=buckets["balanced"],
        mostly_received=buckets["mostly_received"],
        received_only=buckets["received_only"],
        within_ten_hours=counts.within,
        within_ten_hours_share=percentage(counts.within, counts.registered),
        pot=tuple(pot),
    )


def _bank_lines(
    counts: MemberCounts, bank_help: Mapping[int, tuple[int, int]]
) -> tuple[BankSummary, ...]:
    """One line per bank of ``bank_help``, in order of id."""
    lines = []
    for bank_id, (exchanges, minutes) in sorted(bank_help.items()):
        line = counts.banks.get(bank_id) or BankCounts()
        lines.append(
            BankSummary(
                bank_id=bank_id,
                registered=line.registered,
                joined=line.joined,
                left=line.left,
                active=line.active,
                exchanges=exchanges,
                minutes=minutes,
            )
        )
    return tuple(lines)


def _mean(total: int, people: int) -> float | None:
    return None if people == 0 else round(total / people, 1)
