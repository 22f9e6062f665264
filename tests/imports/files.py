"""Spreadsheets for the import tests, built as CSV text."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

MEMBER_HEADER = (
    "full_name",
    "preferred_name",
    "phone",
    "area",
    "birth_year",
    "preferred_language",
    "contact_method",
    "consent_date",
    "consent_wording",
    "joined_on",
)

#: Where the big file's three bad rows are (spreadsheet row numbers: the heading is row 1),
#: which column is wrong in each, and the message expected.
BAD_ROWS = {
    12: ("area", "12345", "Enter the first half of a postcode, like BT9 or BT48"),
    2501: ("consent_date", "", "Enter the date the member agreed to be on the register"),
    5001: ("birth_year", "nineteen", "Write the year of birth as a number"),
}


def csv_text(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def member_row(n: int, **changes: object) -> list[object]:
    row = {
        "full_name": f"Member {n} Murphy",
        "preferred_name": "",
        "phone": f"028 9000 {n:04d}",
        "area": "BT9",
        "birth_year": 1940 + n % 40,
        "preferred_language": "en",
        "contact_method": "phone",
        "consent_date": "2024-03-01",
        "consent_wording": "I agree",
        "joined_on": "01/03/2024",
    }
    row.update(changes)
    return [row[c] for c in MEMBER_HEADER]


def bad_rows_for(rows: int) -> dict[int, tuple[str, str, str]]:
    """BAD_ROWS moved into a file of ``rows`` rows: one near the top, the middle and the end."""
    return dict(zip((12, rows // 2 + 1, rows + 1), BAD_ROWS.values(), strict=True))


def big_member_file(rows: int = 5000) -> str:
    """``rows`` members, three of them (see :func:`bad_rows_for`) with one problem each."""
    bad_rows = bad_rows_for(rows)
    lines = []
    for number in range(2, rows + 2):
        bad = bad_rows.get(number)
        lines.append(member_row(number, **({bad[0]: bad[1]} if bad else {})))
    return csv_text(MEMBER_HEADER, lines)
