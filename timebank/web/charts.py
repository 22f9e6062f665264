"""Bar charts drawn on the server, as SVG the template writes out: no script, no library.

A chart is horizontal bars, one row per item with its label above, so it reads at 320 px wide
and in a PDF alike. It carries a title and a description, and every page that shows one puts the
same figures in a table beside it: the chart is for the eye, the table is the record. A hidden
figure (``"*"``) draws no bar and says so in its text.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

#: The drawing's own units; the SVG scales to the width of its box.
WIDTH = 400
#: Room on the right of the longest bar for its figure.
TEXT_ROOM = 110
LABEL_HEIGHT = 20
BAR_HEIGHT = 16
BAR_GAP = 4
ROW_GAP = 10
LEGEND_HEIGHT = 24
#: With ``labels_beside``: the room on the left for a short label (a month), beside its bar.
LABEL_COLUMN = 90
#: A label longer than this is cut short with an ellipsis: it must fit the drawing's width, and
#: the table beside the chart has it in full.
LABEL_CHARACTERS = 48

#: Bar colours, one per series, each at least 3:1 against white (WCAG 1.4.11). Written on the
#: shapes themselves, not in a style sheet, so the PDF's SVG renderer draws them too.
SERIES_COLOURS = ("#1d4e89", "#8c4a00")
INK = "#0b0c0c"
FONT_SIZE = 14

#: A figure: a number, ``"*"`` when hidden, None when there is nothing to show.
Figure = int | float | str | None


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    text: str
    #: 0 for the first series, 1 for the second.
    series: int

    @property
    def colour(self) -> str:
        return SERIES_COLOURS[self.series % len(SERIES_COLOURS)]


@dataclass(frozen=True)
class Row:
    label: str
    label_y: float
    bars: tuple[Bar, ...]


@dataclass(frozen=True)
class Chart:
    id: str
    title: str
    description: str
    series: tuple[str, ...]
    rows: tuple[Row, ...]
    width: int
    height: float
    legend_y: float
    ink: str = INK
    font_size: int = FONT_SIZE

    def legend(self) -> list[tuple[str, str]]:
        """(name, colour) of each series, for the key above a chart of two or more."""
        return [
            (name, SERIES_COLOURS[i % len(SERIES_COLOURS)]) for i, name in enumerate(self.series)
        ]


def bar_chart(
    chart_id: str,
    title: str,
    description: str,
    rows: Sequence[tuple[str, Sequence[Figure]]],
    *,
    series: Sequence[str] = (),
    text: Callable[[Figure], str] = str,
    labels_beside: bool = False,
) -> Chart:
    """Lay out a chart of ``rows``, each a label and one figure per series.

    Bars are scaled to the largest figure shown; ``text`` writes a figure as the reader sees it
    (hidden and missing figures included). Labels go above their bars, or, for short labels
    such as months, ``labels_beside`` them, which takes half the height."""
    numbers = [
        float(value)
        for _, values in rows
        for value in values
        if isinstance(value, int | float) and not isinstance(value, bool)
    ]
    largest = max(numbers, default=0.0)
    x = float(LABEL_COLUMN if labels_beside else 0)
    scale = (WIDTH - TEXT_ROOM - x) / largest if largest > 0 else 0.0
    legend = LEGEND_HEIGHT if len(series) > 1 else 0
    y = float(legend)
    laid_out = []
    for label, values in rows:
        if labels_beside:
            label_y = y + BAR_HEIGHT - 3
        else:
            label_y = y + LABEL_HEIGHT - 5
            y += LABEL_HEIGHT
        bars = []
        for index, value in enumerate(values):
            width = max(float(value) * scale, 0.0) if isinstance(value, int | float) else 0.0
            bars.append(Bar(x=x, y=y, width=round(width, 1), text=text(value), series=index))
            y += BAR_HEIGHT + BAR_GAP
        short = label if len(label) <= LABEL_CHARACTERS else label[: LABEL_CHARACTERS - 1] + "…"
        laid_out.append(Row(label=short, label_y=label_y, bars=tuple(bars)))
        y += BAR_GAP if labels_beside else ROW_GAP
    return Chart(
        id=chart_id,
        title=title,
        description=description,
        series=tuple(series),
        rows=tuple(laid_out),
        width=WIDTH,
        height=max(y, 1.0),
        legend_y=LEGEND_HEIGHT - 8,
    )
