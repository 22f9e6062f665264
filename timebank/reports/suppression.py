"""Small-number suppression: the funder's view of a report, after NHS Digital's rule for hospital
statistics.

* A count of people: 0 stays 0; 1 to 7 shows as ``*``; anything else is rounded to the nearest 5.
* A percentage is worked out from the shown (rounded) figures, and is ``*`` when its numerator or
  denominator is.
* A mean or median over 1 to 7 people is ``*`` (and so is one whose count of people is).
* Minutes and exchanges are not people, so they are shown exactly, but those of a hidden group
  are hidden with it.
* Secondary suppression: no published total or difference lets a reader work a hidden cell back
  out. See :func:`protect` for the algorithm, and ``docs/reports.md`` for why.

Coordinators see their own bank's exact figures: they are given the report without calling
:func:`suppress`.
"""

from __future__ import annotations

from collections.abc import Collection, Hashable, Mapping, Sequence
from dataclasses import replace
from fractions import Fraction
from typing import Any, TypeVar

from timebank.reports.report import (
    BUCKETS,
    BankSummary,
    HourFigures,
    MemberFigures,
    MonthFigures,
    OutcomeFigures,
    PotFlow,
    ReachRow,
    ReachTable,
    Reciprocity,
    Report,
    SegmentFigures,
)

#: What a hidden cell shows.
STAR = "*"
#: Counts of people from 1 to this are hidden.
SMALLEST_SHOWN = 8

K = TypeVar("K", bound=Hashable)


# -- one cell -------------------------------------------------------------------------------------


def shown_count(n: int) -> int | str:
    """A count of people as a funder sees it (before any secondary suppression)."""
    if n < 0:
        raise ValueError("a count of people is never negative")
    if n == 0:
        return 0
    if n < SMALLEST_SHOWN:
        return STAR
    # n / 5 never ends in .5, so "nearest" is never a tie
    return (n + 2) // 5 * 5


def shown_percentage(numerator: int | str, denominator: int | str) -> float | str | None:
    """A percentage of shown figures, to one decimal; ``*`` if either is hidden, None over 0."""
    if numerator == STAR or denominator == STAR:
        return STAR
    assert isinstance(numerator, int) and isinstance(denominator, int)  # nosec B101 # typing
    if denominator == 0:
        return None
    return round(100 * numerator / denominator, 1)


def shown_mean(total: int | str, people: int, shown_people: int | str) -> float | str | None:
    """``total`` per person, over the *shown* number of people (dividing by the exact number
    would let a reader work the exact number back out of the total)."""
    if people == 0:
        return None
    if total == STAR or shown_people == STAR or people < SMALLEST_SHOWN:
        return STAR
    assert isinstance(total, int) and isinstance(shown_people, int)  # nosec B101 # typing only
    return round(total / shown_people, 1)


def shown_median(
    median: float | str | None, people: int, shown_people: int | str
) -> float | str | None:
    """A median over ``people``: hidden over 1 to 7 people, or when their count is hidden."""
    if people == 0 or median is None:
        return None
    if shown_people == STAR or people < SMALLEST_SHOWN:
        return STAR
    return median


# -- secondary suppression ------------------------------------------------------------------------


def protect(
    values: Mapping[K, int],
    people: Collection[K],
    relations: Sequence[Mapping[K, int]],
    links: Sequence[tuple[K, Sequence[K]]] = (),
) -> set[K]:
    """The cells to hide.

    ``values`` are every cell's exact value; ``people`` the cells that count people; each
    relation maps cells to coefficients that sum, over the exact values, to zero (a total is a
    cell with coefficient -1); a link ``(cell, others)`` hides ``others`` whenever ``cell`` is
    hidden (the minutes of a hidden group).

    1. Hide every count of people from 1 to 7.
    2. Repeat until nothing changes:
       a. hide the linked cells of every hidden cell;
       b. in every relation with exactly one hidden cell, also hide the shown cell with the
          smallest non-zero value (the first such in the relation's order on a tie);
       c. when (a) and (b) change nothing, solve the relations for the hidden cells, treating
          every shown value as exact: if any hidden cell is then determined, hide the smallest
          non-zero shown cell of the relations it is in (if they have none, of the relations
          reached from it through hidden cells), and go round again.
    Nothing is ever unhidden, so this ends. A hidden cell may stay alone in a relation only
    when every shown cell of it is 0: then it is 0 (a hidden group's minutes) and the total
    already says so.
    """
    hidden = {key for key in people if 1 <= values[key] < SMALLEST_SHOWN}
    while True:
        changed = False
        for source, targets in links:
            if source in hidden:
                for target in targets:
                    if target not in hidden:
                        hidden.add(target)
                        changed = True
        for relation in relations:
            if sum(1 for key in relation if key in hidden) == 1:
                pick = _smallest_shown([relation], hidden, values)
                if pick is not None:
                    hidden.add(pick)
                    changed = True
        if changed:
            continue
        added = False
        # in the report's own order, so the same report is always suppressed the same way
        ordered = [key for key in values if key in hidden]
        for key in determined_cells(ordered, relations):
            # its own relations first; if they have nothing to hide, it is pinned through other
            # hidden cells (the sum of two that are not), so look further along them
            pick = _nearest_partner(key, hidden, relations, values)
            # still None: everything shown around it is 0, so it is 0 and the totals say so
            if pick is not None:
                hidden.add(pick)
                added = True
                break  # one at a time: the next may no longer be determined
        if not added:
            return hidden


def _nearest_partner(
    key: K, hidden: Collection[K], relations: Sequence[Mapping[K, int]], values: Mapping[K, int]
) -> K | None:
    """The smallest non-zero shown cell in the nearest relations that have one, stepping out
    from ``key`` through hidden cells."""
    seen, frontier, remaining = {key}, [key], list(relations)
    while frontier:
        step = [r for r in remaining if any(k in r for k in frontier)]
        remaining = [r for r in remaining if not any(k in r for k in frontier)]
        pick = _smallest_shown(step, hidden, values)
        if pick is not None:
            return pick
        frontier = [k for r in step for k in r if k in hidden and k not in seen]
        seen.update(frontier)
    return None


def _smallest_shown(
    relations: Sequence[Mapping[K, int]], hidden: Collection[K], values: Mapping[K, int]
) -> K | None:
    best: K | None = None
    for relation in relations:
        for key in relation:
            if key in hidden or values[key] == 0:
                continue
            if best is None or abs(values[key]) < abs(values[best]):
                best = key
    return best


def determined_cells(hidden: Sequence[K], relations: Sequence[Mapping[K, int]]) -> list[K]:
    """Hidden cells whose value follows from the relations when every shown cell is known.

    Gaussian elimination over the hidden cells only (exact fractions, sparse rows): a cell is
    determined exactly when the reduced rows include one with that cell alone.
    """
    order = {key: i for i, key in enumerate(hidden)}
    pivots: dict[int, dict[int, Fraction]] = {}
    for relation in relations:
        row = {order[k]: Fraction(c) for k, c in relation.items() if k in order and c != 0}
        # reduce against the pivots so far; a pivot's row holds no other pivot's column, so
        # one pass clears them all
        for column in [c for c in row if c in pivots]:
            _subtract(row, pivots[column], row[column])
        if not row:
            continue
        column = min(row)
        scale = row[column]
        row = {c: v / scale for c, v in row.items()}
        # keep the rows fully reduced: the new pivot column appears in no other row
        for other in pivots.values():
            factor = other.get(column)
            if factor:
                _subtract(other, row, factor)
        pivots[column] = row
    keys = list(order)
    return [keys[column] for column, row in pivots.items() if len(row) == 1]


def _subtract(row: dict[int, Fraction], pivot: Mapping[int, Fraction], factor: Fraction) -> None:
    for column, value in pivot.items():
        updated = row.get(column, Fraction(0)) - factor * value
        if updated:
            row[column] = updated
        else:
            row.pop(column, None)


# -- a whole report -------------------------------------------------------------------------------

_SEGMENT_COUNTS = ("members", "active", "both")
_SEGMENT_MINUTES = ("minutes_given", "minutes_received")
_MEMBER_COUNTS = ("registered", "joined", "left", "active")


class _Cells:
    """A report flattened into cells, with the sums that tie them together."""

    def __init__(self) -> None:
        self.values: dict[tuple[Any, ...], int] = {}
        self.people: set[tuple[Any, ...]] = set()
        self.relations: list[dict[tuple[Any, ...], int]] = []
        self.links: list[tuple[tuple[Any, ...], list[tuple[Any, ...]]]] = []

    def add(self, key: tuple[Any, ...], value: int | str, *, person: bool) -> None:
        if not isinstance(value, int):
            raise TypeError("suppress takes an exact report")
        self.values[key] = value
        if person:
            self.people.add(key)

    def total(self, total: tuple[Any, ...], parts: Sequence[tuple[Any, ...]]) -> None:
        """``total`` is the sum of ``parts``."""
        relation = {part: 1 for part in parts}
        relation[total] = relation.get(total, 0) - 1
        self.relations.append(relation)

    def link(self, source: tuple[Any, ...], targets: Sequence[tuple[Any, ...]]) -> None:
        self.links.append((source, list(targets)))


def cells_of(report: Report) -> _Cells:
    """The report as cells: exact values, which count people, the sums and the links."""
    cells = _Cells()
    members, hours, recip = report.members, report.hours, report.reciprocity
    for name in _MEMBER_COUNTS:
        cells.add(("members", name), getattr(members, name), person=True)
    cells.add(("hours", "minutes"), hours.minutes, person=False)
    cells.add(("hours", "exchanges"), hours.exchanges, person=False)
    # the hours of the active members are theirs: hidden with them
    cells.link(("members", "active"), [("hours", "minutes"), ("hours", "exchanges")])

    for name in (*BUCKETS, "both", "within_ten_hours"):
        cells.add(("reciprocity", name), getattr(recip, name), person=True)
    cells.total(("members", "active"), [("reciprocity", name) for name in BUCKETS])
    cells.total(
        ("reciprocity", "both"),
        [("reciprocity", n) for n in ("mostly_gave", "balanced", "mostly_received")],
    )
    for flow in recip.pot:
        cells.add(("pot", flow.kind, "in"), flow.minutes_in, person=False)
        cells.add(("pot", flow.kind, "out"), flow.minutes_out, person=False)
    # with a fixed welcome, the welcome hours paid out count the members who joined
    if ("pot", "welcome_credit", "out") in cells.values:
        cells.link(("members", "joined"), [("pot", "welcome_credit", "out")])

    for t, table in enumerate(report.reach):
        sides = [("reach", t, "total")]
        for name in _SEGMENT_COUNTS:
            cells.add(("reach", t, "total", name), getattr(table.total, name), person=True)
        for name in _SEGMENT_MINUTES:
            cells.add(("reach", t, "total", name), getattr(table.total, name), person=False)
        for r, row in enumerate(table.rows):
            for side, figures in (("group", row.group), ("rest", row.rest)):
                sides.append(("reach", t, r, side))
                for name in _SEGMENT_COUNTS:
                    cells.add(("reach", t, r, side, name), getattr(figures, name), person=True)
                for name in _SEGMENT_MINUTES:
                    cells.add(("reach", t, r, side, name), getattr(figures, name), person=False)
        for name in (*_SEGMENT_COUNTS, *_SEGMENT_MINUTES):
            total = ("reach", t, "total", name)
            cells.total(total, [("reach", t, r, "group", name) for r in range(len(table.rows))])
            for r in range(len(table.rows)):
                cells.total(total, [("reach", t, r, "group", name), ("reach", t, r, "rest", name)])
        for prefix in sides:
            minutes = [(*prefix, name) for name in _SEGMENT_MINUTES]
            cells.link((*prefix, "members"), [(*prefix, "active"), (*prefix, "both"), *minutes])
            cells.link((*prefix, "active"), minutes)
        # everyone active is in every table
        cells.total(("members", "active"), [("reach", t, "total", "active")])
        cells.total(("reciprocity", "both"), [("reach", t, "total", "both")])

    for m, month in enumerate(report.trend):
        for name in _MEMBER_COUNTS:
            cells.add(("trend", m, name), getattr(month, name), person=True)
        cells.add(("trend", m, "exchanges"), month.exchanges, person=False)
        cells.add(("trend", m, "minutes"), month.minutes, person=False)
        cells.link(("trend", m, "active"), [("trend", m, "exchanges"), ("trend", m, "minutes")])
        if m > 0:
            # the register carries forward: last month's, plus joiners, less leavers
            cells.relations.append(
                {
                    ("trend", m - 1, "registered"): 1,
                    ("trend", m, "joined"): 1,
                    ("trend", m, "left"): -1,
                    ("trend", m, "registered"): -1,
                }
            )
    if report.trend:
        months = range(len(report.trend))
        cells.total(("members", "joined"), [("trend", m, "joined") for m in months])
        cells.total(("members", "left"), [("trend", m, "left") for m in months])
        cells.total(("members", "registered"), [("trend", len(report.trend) - 1, "registered")])
        cells.total(("hours", "minutes"), [("trend", m, "minutes") for m in months])
        cells.total(("hours", "exchanges"), [("trend", m, "exchanges") for m in months])

    for b, bank in enumerate(report.banks):
        for name in _MEMBER_COUNTS:
            cells.add(("banks", b, name), getattr(bank, name), person=True)
        cells.add(("banks", b, "exchanges"), bank.exchanges, person=False)
        cells.add(("banks", b, "minutes"), bank.minutes, person=False)
        cells.link(("banks", b, "active"), [("banks", b, "exchanges"), ("banks", b, "minutes")])
    if report.banks:
        lines = range(len(report.banks))
        for name in _MEMBER_COUNTS:
            cells.total(("members", name), [("banks", b, name) for b in lines])
        cells.total(("hours", "minutes"), [("banks", b, "minutes") for b in lines])
        cells.total(("hours", "exchanges"), [("banks", b, "exchanges") for b in lines])
    return cells


def hidden_cells(report: Report) -> set[tuple[Any, ...]]:
    """The cells :func:`suppress` hides, by their path in the report."""
    cells = cells_of(report)
    return protect(cells.values, cells.people, cells.relations, cells.links)


def suppress(report: Report) -> Report:
    """The funder's view of an exact report."""
    if report.suppressed:
        return report
    cells = cells_of(report)
    hidden = protect(cells.values, cells.people, cells.relations, cells.links)

    def show(key: tuple[Any, ...]) -> int | str:
        if key in hidden:
            return STAR
        value = cells.values[key]
        return shown_count(value) if key in cells.people else value

    members = MemberFigures(**{name: show(("members", name)) for name in _MEMBER_COUNTS})
    active = report.members.active
    assert isinstance(active, int)  # nosec B101 # narrows the type only
    minutes, exchanges = show(("hours", "minutes")), show(("hours", "exchanges"))
    hours = HourFigures(
        minutes=minutes,
        exchanges=exchanges,
        minutes_per_active=shown_mean(minutes, active, members.active),
        exchanges_per_active=shown_mean(exchanges, active, members.active),
        median_minutes_per_active=shown_median(
            report.hours.median_minutes_per_active, active, members.active
        ),
    )
    recip = {name: show(("reciprocity", name)) for name in (*BUCKETS, "both", "within_ten_hours")}
    reciprocity = Reciprocity(
        **recip,
        both_share=shown_percentage(recip["both"], members.active),
        within_ten_hours_share=shown_percentage(recip["within_ten_hours"], members.registered),
        pot=tuple(
            PotFlow(flow.kind, show(("pot", flow.kind, "in")), show(("pot", flow.kind, "out")))
            for flow in report.reciprocity.pot
        ),
    )

    def segment(prefix: tuple[Any, ...], population: int | str) -> SegmentFigures:
        counts = {name: show((*prefix, name)) for name in (*_SEGMENT_COUNTS, *_SEGMENT_MINUTES)}
        return SegmentFigures(
            **counts,
            share_of_membership=shown_percentage(counts["members"], population),
            share_active=shown_percentage(counts["active"], counts["members"]),
            reciprocity_share=shown_percentage(counts["both"], counts["active"]),
        )

    reach = []
    for t, table in enumerate(report.reach):
        population = show(("reach", t, "total", "members"))
        reach.append(
            ReachTable(
                code=table.code,
                kind=table.kind,
                rows=tuple(
                    ReachRow(
                        segment=row.segment,
                        group=segment(("reach", t, r, "group"), population),
                        rest=segment(("reach", t, r, "rest"), population),
                    )
                    for r, row in enumerate(table.rows)
                ),
                total=segment(("reach", t, "total"), population),
            )
        )

    trend = tuple(
        MonthFigures(
            month=month.month,
            **{name: show(("trend", m, name)) for name in (*_MEMBER_COUNTS, "exchanges")},
            minutes=show(("trend", m, "minutes")),
        )
        for m, month in enumerate(report.trend)
    )
    banks = tuple(
        BankSummary(
            bank_id=bank.bank_id,
            **{name: show(("banks", b, name)) for name in (*_MEMBER_COUNTS, "exchanges")},
            minutes=show(("banks", b, "minutes")),
        )
        for b, bank in enumerate(report.banks)
    )
    return replace(
        report,
        members=members,
        hours=hours,
        reciprocity=reciprocity,
        reach=tuple(reach),
        # exchanges by outcome area are not people and belong to no one group: shown exactly
        outcomes=tuple(OutcomeFigures(o.area, o.exchanges, o.minutes) for o in report.outcomes),
        trend=trend,
        banks=banks,
        suppressed=True,
    )
