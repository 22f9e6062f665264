"""Property: whatever the members did, a funder never sees 1 to 7 people, and no published total
or difference pins down a hidden cell."""

from __future__ import annotations

import dataclasses
from datetime import date
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from timebank.reports.assembly import assemble
from timebank.reports.report import MemberRow, MonthCounts, PotFlow, Report
from timebank.reports.suppression import STAR, cells_of, hidden_cells, suppress

START, END = date(2024, 1, 1), date(2024, 3, 31)
MONTHS = [(2024, 1), (2024, 2), (2024, 3)]
PEOPLE_FIELDS = {
    "registered",
    "joined",
    "left",
    "active",
    "members",
    "both",
    "gave_only",
    "mostly_gave",
    "balanced",
    "mostly_received",
    "received_only",
    "within_ten_hours",
}

answers = st.one_of(
    st.none(),
    st.fixed_dictionaries(
        {
            "carer": st.sampled_from([None, "yes", "no", "prefer_not"]),
            "gender": st.sampled_from([None, "man", "woman", "non_binary", "prefer_not"]),
            "age_band": st.sampled_from([None, "50_64", "75_84", "85_plus", "prefer_not"]),
            "sexual_orientation": st.sampled_from([None, "straight", "bisexual", "prefer_not"]),
        }
    ),
)


@st.composite
def reports(draw: st.DrawFn) -> Report:
    """A report from random members, with the monthly and per-bank figures made from the same
    members so that every published sum holds, as it does for real books."""
    rows: list[MemberRow] = []
    month_of: dict[int, tuple[int, int]] = {}
    for member_id in range(draw(st.integers(0, 30))):
        joined_on = draw(st.sampled_from([date(2023, 1, 1), date(2024, 2, 1), date(2024, 5, 1)]))
        left_on = draw(st.sampled_from([None, None, date(2023, 12, 1), date(2024, 3, 1)]))
        if left_on is not None and left_on < joined_on:
            left_on = None
        row = MemberRow(
            member_id=member_id,
            bank_id=draw(st.sampled_from([1, 2])),
            joined_on=joined_on,
            left_on=left_on,
            given=draw(st.sampled_from([0, 0, 30, 60, 200])),
            received=draw(st.sampled_from([0, 0, 30, 60, 200])),
            balance=draw(st.sampled_from([0, 300, -600, 900])),
            answers=draw(answers),
        )
        rows.append(row)
        # each active member helps in one month; each who gave, gave once
        month_of[member_id] = draw(st.sampled_from(MONTHS))

    def month(day: date | None) -> tuple[int, int] | None:
        return None if day is None or not START <= day <= END else (day.year, day.month)

    def tally(pairs: list[tuple[Any, int]]) -> dict[Any, int]:
        counts: dict[Any, int] = {}
        for key, n in pairs:
            counts[key] = counts.get(key, 0) + n
        return counts

    active = [r for r in rows if r.given + r.received > 0]
    givers = [r for r in rows if r.given > 0]
    help_minutes = tally([(month_of[r.member_id], r.given) for r in givers])
    help_count = tally([(month_of[r.member_id], 1) for r in givers])
    months = MonthCounts(
        registered_before=sum(
            1 for r in rows if r.joined_on < START and (r.left_on is None or r.left_on >= START)
        ),
        joined=tally([(month(r.joined_on), 1) for r in rows]),
        left=tally([(month(r.left_on), 1) for r in rows]),
        active=tally([(month_of[r.member_id], 1) for r in active]),
        help={m: (help_count.get(m, 0), help_minutes.get(m, 0)) for m in MONTHS},
    )
    programme = draw(st.booleans())
    bank_help = {
        bank: (
            sum(1 for r in givers if r.bank_id == bank),
            sum(r.given for r in rows if r.bank_id == bank),
        )
        for bank in (1, 2)
    }
    return assemble(
        scope="programme" if programme else "bank",
        scope_id=1,
        start=START,
        end=END,
        rows=rows,
        exchanges=len(givers),
        minutes=sum(r.given for r in rows),
        outcomes={"social": (len(givers), sum(r.given for r in rows))},
        pot=[PotFlow("welcome_credit", 0, 60 * sum(1 for r in rows if month(r.joined_on)))],
        months=months,
        # a programme's reach is every question: heavy, so only the bank's groups here
        reach_by="target_group",
        target_groups=draw(
            st.lists(st.sampled_from(["carer", "men_65_plus", "lgbt"]), unique=True, max_size=2)
        ),
        bank_help=bank_help if programme else None,
    )


def counts_shown(value: Any, path: str = "") -> list[tuple[str, object]]:
    """Every count of people in a (suppressed) report, by path."""
    found: list[tuple[str, object]] = []
    if dataclasses.is_dataclass(value):
        for f in dataclasses.fields(value):
            child = getattr(value, f.name)
            if f.name in PEOPLE_FIELDS and not dataclasses.is_dataclass(child):
                found.append((f"{path}.{f.name}", child))
            else:
                found.extend(counts_shown(child, f"{path}.{f.name}"))
    elif isinstance(value, tuple):
        for i, item in enumerate(value):
            found.extend(counts_shown(item, f"{path}[{i}]"))
    return found


PRIME = 2**61 - 1


def pinned_down(hidden: list[Any], relations: list[dict[Any, int]]) -> list[Any]:
    """Hidden cells a reader can solve for, worked out independently of the code under test:
    dense Gauss-Jordan elimination modulo a large prime (the coefficients are small integers,
    so the rank is the rational one)."""
    index = {key: i for i, key in enumerate(hidden)}
    matrix = [
        [relation.get(key, 0) % PRIME for key in hidden]
        for relation in relations
        if any(key in index for key in relation)
    ]
    pivot_rows: list[tuple[int, list[int]]] = []
    rank = 0
    for column in range(len(hidden)):
        pivot = next((r for r in range(rank, len(matrix)) if matrix[r][column]), None)
        if pivot is None:
            continue
        matrix[rank], matrix[pivot] = matrix[pivot], matrix[rank]
        inverse = pow(matrix[rank][column], PRIME - 2, PRIME)
        matrix[rank] = [v * inverse % PRIME for v in matrix[rank]]
        for r in range(len(matrix)):
            if r != rank and matrix[r][column]:
                factor = matrix[r][column]
                matrix[r] = [
                    (a - factor * b) % PRIME for a, b in zip(matrix[r], matrix[rank], strict=True)
                ]
        pivot_rows.append((column, matrix[rank]))
        rank += 1
    return [hidden[c] for c, row in pivot_rows if sum(1 for v in row if v) == 1]


@pytest.mark.slow
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(reports())
def test_no_small_count_shown_and_no_hidden_cell_recoverable(report: Report) -> None:
    view = suppress(report)
    for path, shown in counts_shown(view):
        assert shown == STAR or shown == 0 or (isinstance(shown, int) and shown >= 8), path
        assert shown == STAR or shown % 5 == 0, path

    cells = cells_of(report)
    hidden = hidden_cells(report)
    for key in cells.people - hidden:
        assert not 1 <= cells.values[key] <= 7, key

    # no sum has exactly one hidden cell, and no combination of sums solves for one; except a
    # sum whose shown cells are all 0, where the hidden one is 0 too and the total says so
    def all_zero_beside(key: Any) -> bool:
        return any(
            key in relation and all(cells.values[k] == 0 for k in relation if k not in hidden)
            for relation in cells.relations
        )

    for relation in cells.relations:
        alone = [key for key in relation if key in hidden]
        if len(alone) == 1:
            assert cells.values[alone[0]] == 0 and all_zero_beside(alone[0]), relation
    ordered = [key for key in cells.values if key in hidden]
    for key in pinned_down(ordered, cells.relations):
        assert cells.values[key] == 0 and all_zero_beside(key), key
