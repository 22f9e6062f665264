"""The report's types: the figures it shows, and the rows the queries hand to the assembly.

Figures are exact as :mod:`timebank.reports.figures` returns them;
:func:`timebank.reports.suppression.suppress` makes the funder's view, in which a count may be
``"*"``. The same dataclasses carry both, hence the ``int | str`` types. Every definition is in
``docs/reports.md``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Literal, NamedTuple

from timebank.members.monitoring import PREFER_NOT, QUESTIONS

#: A count of people: exact, or ``"*"`` in the funder's view.
Count = int | str
#: Minutes: exact, or ``"*"`` when they belong to a suppressed group.
Minutes = int | str
#: A percentage (0 to 100, one decimal) or a mean or median; None when there is nothing to
#: divide by; ``"*"`` when suppressed.
Ratio = float | str | None

#: Rows of a target group's table, in order. Answer codes are used for a question's table.
IN_GROUP = "in_group"
NOT_IN_GROUP = "not_in_group"
NOT_ASKED = "not_asked"
SEGMENTS = (IN_GROUP, NOT_IN_GROUP, PREFER_NOT, NOT_ASKED)

#: The give/receive buckets of the active members, in order.
BUCKETS = ("gave_only", "mostly_gave", "balanced", "mostly_received", "received_only")


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


# -- what the queries return ---------------------------------------------------------------------


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


#: A member's monitoring answers in the order of QUESTIONS (None for a question not answered):
#: members with the same answers share one, and fall in the same row of every reach table.
AnswerKey = tuple[str | None, ...]

_QUESTION_LIST = list(QUESTIONS)


def answers_by_question(key: AnswerKey | None) -> dict[str, str | None] | None:
    """Answers by question from an :data:`AnswerKey`; None for a member with no answers."""
    return None if key is None else dict(zip(_QUESTION_LIST, key, strict=True))


def answer_key(answers: Mapping[str, str | None] | None) -> AnswerKey | None:
    """The :data:`AnswerKey` of answers by question; None for a member with no answers."""
    return None if answers is None else tuple(answers.get(q) for q in QUESTIONS)


class MemberTotals(NamedTuple):
    """:class:`MemberRow` as the queries return it, with the answers as an :data:`AnswerKey`: a
    programme has a hundred thousand of these, and a tuple is what a row of them costs."""

    member_id: int
    bank_id: int
    joined_on: date
    left_on: date | None
    given: int
    received: int
    balance: int
    answers: AnswerKey | None


class HelpTotals(NamedTuple):
    """Help given that still stands, each exchange counted once."""

    exchanges: int
    minutes: int


class BankMonth(NamedTuple):
    """One bank in one calendar month."""

    bank_id: int
    year: int
    month: int


@dataclass(slots=True)
class MonthHelp:
    """Help in one bank and month, added up from the roll-ups' rows."""

    #: Members who gave or received help in the month.
    active: int = 0
    exchanges: int = 0
    minutes: int = 0
