"""The NHS Digital rule, cell by cell, and secondary suppression (no database)."""

from __future__ import annotations

import pytest

from timebank.reports.suppression import (
    STAR,
    determined_cells,
    protect,
    shown_count,
    shown_mean,
    shown_median,
    shown_percentage,
)


@pytest.mark.parametrize(
    ("exact", "shown"),
    [(0, 0), (1, STAR), (7, STAR), (8, 10), (12, 10), (13, 15), (17, 15), (18, 20), (100, 100)],
)
def test_counts_of_people(exact: int, shown: int | str) -> None:
    assert shown_count(exact) == shown


def test_a_negative_count_is_a_mistake() -> None:
    with pytest.raises(ValueError):
        shown_count(-1)


def test_percentages_come_from_the_shown_figures() -> None:
    # 8 of 13 is 61.5%, but a reader sees 10 of 15
    assert shown_percentage(shown_count(8), shown_count(13)) == 66.7
    assert shown_percentage(0, 15) == 0.0
    assert shown_percentage(STAR, 15) == STAR
    assert shown_percentage(10, STAR) == STAR
    assert shown_percentage(0, 0) is None


def test_means_over_a_few_people_are_hidden() -> None:
    assert shown_mean(670, 7, STAR) == STAR
    # over the shown 10, not the exact 8: else 670 / 83.75 gives the 8 back
    assert shown_mean(670, 8, 10) == 67.0
    assert shown_mean(STAR, 20, 20) == STAR
    # a large count hidden for another's sake hides its mean too
    assert shown_mean(670, 40, STAR) == STAR
    assert shown_mean(0, 0, 0) is None


def test_medians_over_a_few_people_are_hidden() -> None:
    assert shown_median(140.0, 1, STAR) == STAR
    assert shown_median(140.0, 7, STAR) == STAR
    assert shown_median(140.0, 8, 10) == 140.0
    assert shown_median(140.0, 30, STAR) == STAR
    assert shown_median(None, 0, 0) is None


def row(*values: int) -> tuple[dict[str, int], list[dict[str, int]]]:
    """Cells a, b, c, ... and their total T, as one relation."""
    cells = {chr(ord("a") + i): v for i, v in enumerate(values)}
    relation = {key: 1 for key in cells} | {"T": -1}
    return cells | {"T": sum(values)}, [relation]


def test_one_hidden_cell_in_a_row_takes_the_next_smallest_with_it() -> None:
    values, relations = row(3, 40, 12, 25)
    # without b's partner, T - 40 - 12 - 25 would give a = 3
    assert protect(values, set(values), relations) == {"a", "c"}


def test_two_hidden_cells_need_no_more() -> None:
    values, relations = row(3, 5, 40, 25)
    assert protect(values, set(values), relations) == {"a", "b"}


def test_zeros_are_never_the_partner() -> None:
    # hiding a 0 would protect nothing: the reader would still get T - 12 = a + 0
    values, relations = row(3, 0, 12)
    assert protect(values, set(values), relations) == {"a", "c"}


def test_a_hidden_total_may_be_enough() -> None:
    # the total itself is 1 to 7: the cells are too
    values, relations = row(3, 2, 0)
    assert protect(values, set(values), relations) == {"a", "b", "T"}


def test_ties_take_the_first() -> None:
    values, relations = row(3, 9, 9)
    assert protect(values, set(values), relations) == {"a", "b"}


def test_nothing_small_nothing_hidden() -> None:
    values, relations = row(0, 9, 30)
    assert protect(values, set(values), relations) == set()


def test_links_hide_a_groups_hours_and_their_partners() -> None:
    # two groups of people, their minutes, and the totals of both
    values = {"p1": 3, "p2": 20, "P": 23, "m1": 100, "m2": 900, "M": 1000}
    relations = [{"p1": 1, "p2": 1, "P": -1}, {"m1": 1, "m2": 1, "M": -1}]
    hidden = protect(values, {"p1", "p2", "P"}, relations, [("p1", ["m1"]), ("p2", ["m2"])])
    # p1 is small; p2 goes with it; the minutes of both go with their people
    assert hidden == {"p1", "p2", "m1", "m2"}


def test_secondary_suppression_cascades_across_relations() -> None:
    # a 2 x 2 table with row, column and grand totals
    values = {"a": 3, "b": 30, "c": 20, "d": 40, "r1": 33, "r2": 60, "c1": 23, "c2": 70, "T": 93}
    relations = [
        {"a": 1, "b": 1, "r1": -1},
        {"c": 1, "d": 1, "r2": -1},
        {"a": 1, "c": 1, "c1": -1},
        {"b": 1, "d": 1, "c2": -1},
        {"r1": 1, "r2": 1, "T": -1},
        {"c1": 1, "c2": 1, "T": -1},
    ]
    hidden = protect(values, set(values), relations)
    # a takes c (column) and b (row); then b's column and c's row need d: the classic 2 x 2
    assert hidden == {"a", "b", "c", "d"}
    assert determined_cells(sorted(hidden), relations) == []


def test_two_hidden_cells_in_every_relation_can_still_give_one_away() -> None:
    # a + b, a + c and b + c are all published: each relation has two hidden cells, yet
    # a = (ab + ac - bc) / 2. The last step of the algorithm catches it.
    values = {"a": 3, "b": 4, "c": 5, "ab": 7, "ac": 8, "bc": 9, "x": 50, "y": 60}
    relations = [
        {"a": 1, "b": 1, "ab": -1},
        {"a": 1, "c": 1, "ac": -1},
        {"b": 1, "c": 1, "bc": -1},
        {"ac": 1, "x": 1, "y": -1},
    ]
    assert determined_cells(["a", "b", "c"], relations) == ["a", "b", "c"]
    people = {"a", "b", "c"}
    hidden = protect(values, people, relations)
    assert determined_cells([k for k in values if k in hidden], relations) == []
    # the smallest shown cell beside a: ab = 7
    assert hidden == {"a", "b", "c", "ab"}


def test_determined_cells_of_a_simple_row() -> None:
    relation = [{"a": 1, "b": 1, "T": -1}]
    assert determined_cells(["a"], relation) == ["a"]
    assert determined_cells(["a", "b"], relation) == []
    assert determined_cells(["a", "b", "T"], relation) == []
