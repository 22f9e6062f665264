"""Server-drawn bar charts: scaled to the largest shown figure, hidden figures draw nothing."""

from __future__ import annotations

from timebank.web.charts import TEXT_ROOM, WIDTH, bar_chart


def test_bars_are_scaled_to_the_largest_figure() -> None:
    chart = bar_chart("c", "Title", "What it shows", [("a", [10]), ("b", [5]), ("c", [0])])
    widths = [row.bars[0].width for row in chart.rows]
    assert widths == [WIDTH - TEXT_ROOM, (WIDTH - TEXT_ROOM) / 2, 0]
    assert [row.label for row in chart.rows] == ["a", "b", "c"]
    # rows go down the page, and the drawing is tall enough for all of them
    ys = [row.bars[0].y for row in chart.rows]
    assert ys == sorted(ys) and chart.height > ys[-1]


def test_a_hidden_figure_draws_no_bar_and_says_so() -> None:
    chart = bar_chart("c", "T", "D", [("a", ["*"]), ("b", [None]), ("c", [3])], text=str)
    assert [(b.width, b.text) for row in chart.rows for b in row.bars] == [
        (0, "*"),
        (0, "None"),
        (WIDTH - TEXT_ROOM, "3"),
    ]


def test_nothing_to_draw_is_not_a_division_by_zero() -> None:
    chart = bar_chart("c", "T", "D", [("a", [0]), ("b", ["*"])])
    assert all(bar.width == 0 for row in chart.rows for bar in row.bars)


def test_two_series_have_a_legend_and_two_bars_a_row() -> None:
    chart = bar_chart("c", "T", "D", [("a", [50.0, 25.0])], series=("This", "Others"))
    assert chart.series == ("This", "Others")
    (row,) = chart.rows
    assert [bar.series for bar in row.bars] == [0, 1]
    assert row.bars[1].y > row.bars[0].y > chart.legend_y


def test_a_long_label_is_cut_short_to_fit() -> None:
    label = "Black: any other Black, Black British or Caribbean background"
    (row,) = bar_chart("c", "T", "D", [(label, [1])]).rows
    assert row.label.endswith("…") and len(row.label) == 48
    assert label.startswith(row.label[:-1])


def test_short_labels_can_sit_beside_their_bars() -> None:
    above = bar_chart("c", "T", "D", [("Jan", [1]), ("Feb", [2])])
    beside = bar_chart("c", "T", "D", [("Jan", [1]), ("Feb", [2])], labels_beside=True)
    assert beside.height < above.height
    row = beside.rows[0]
    assert row.bars[0].x > 0 and abs(row.label_y - row.bars[0].y) < 16
    # the longest bar still ends where the figure's room begins
    assert beside.rows[1].bars[0].x + beside.rows[1].bars[0].width == WIDTH - TEXT_ROOM
