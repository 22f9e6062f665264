"""Reading an uploaded spreadsheet and checking every row of it, writing nothing.

:func:`decode` finds the file's text, :func:`read_rows` its columns and rows, and
:func:`build_preview` checks each row against the schemas of :mod:`timebank.imports.schemas`,
naming every problem beside its row and column. Messages are English marked with ``N_``; pages
translate them when they show them.

Limits keep a hostile or mistaken file cheap to refuse: besides the 5 MB the app takes in one
upload (``MAX_CONTENT_LENGTH``, a 413 page), a file may have at most :data:`MAX_ROWS` rows and
:data:`MAX_COLUMNS` columns; reading stops at the first row past the limit, so a file of a
million short rows is refused in the time it takes to read 20,000.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from marshmallow import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from timebank.banks.models import Bank
from timebank.imports.models import ImportKind
from timebank.imports.schemas import ExchangeRowSchema, MemberRef, MemberRowSchema, RowSchema
from timebank.ledger import Account, Unit
from timebank.members.catalogue import N_, ensure_catalogue
from timebank.members.models import Member, Skill

Translate = Callable[[str], str]

#: The columns each kind of file may have, in the order the help page lists them.
COLUMNS: dict[ImportKind, tuple[str, ...]] = {
    ImportKind.MEMBERS: (
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
    ),
    ImportKind.EXCHANGES: ("date", "provider", "receiver", "minutes", "hours", "skill", "note"),
}
REQUIRED: dict[ImportKind, tuple[str, ...]] = {
    ImportKind.MEMBERS: ("full_name", "consent_date"),
    ImportKind.EXCHANGES: ("date", "provider", "receiver", "skill"),
}

#: The most rows a file may have. A bank's whole register, or years of its exchanges, fit; the
#: preview checks every row on each look at the batch, and the import writes them in one
#: transaction, so a larger file is refused and can be split.
MAX_ROWS = 20_000
#: The most columns a file's first row may name: ten are used, the rest are left out.
MAX_COLUMNS = 100

# files that are spreadsheets or documents, not CSV, by their first bytes
_BINARY_STARTS = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0", b"%PDF")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class FileProblem(ValueError):
    """The file as a whole cannot be used. ``message`` is English marked for translation, with
    ``%(name)s`` placeholders filled from ``params``."""

    def __init__(self, message: str, **params: object) -> None:
        self.message = message
        self.params = params
        super().__init__(message % params if params else message)


@dataclass(frozen=True)
class RowProblem:
    """Why one cell (or, with no column, one row) cannot be imported."""

    row: int
    column: str
    message: str
    value: str = ""


@dataclass
class Preview:
    """Every row of a file checked, and nothing written."""

    kind: ImportKind
    columns: list[str]
    #: Columns the file has that the import does not use (they are left out).
    unused_columns: list[str]
    total: int
    #: (row number, loaded row) for each row without problems, in file order.
    valid: list[tuple[int, dict[str, Any]]]
    problems: list[RowProblem]

    @property
    def bad_rows(self) -> list[int]:
        return sorted({p.row for p in self.problems})

    @property
    def all_valid(self) -> bool:
        return not self.problems


# -- reading a file -------------------------------------------------------------------------------


def decode(data: bytes) -> str:
    """The text of an uploaded CSV file: UTF-8 (with or without a byte-order mark), UTF-16 as
    Excel's "Unicode text" writes it, or Windows-1252. Raises FileProblem for anything else."""
    if not data.strip():
        raise FileProblem(N_("The file is empty."))
    if data.startswith(_BINARY_STARTS):
        raise FileProblem(
            N_(
                "This is a spreadsheet or document, not a CSV file. In your spreadsheet, "
                "choose Save As, then CSV, and choose that file."
            )
        )
    text: str | None = None
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError:
            text = None
    else:
        for encoding in ("utf-8-sig", "cp1252"):
            try:
                text = data.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
    if text is None or _CONTROL.search(text):
        raise FileProblem(
            N_(
                "This file could not be read as text. In your spreadsheet, choose Save As, "
                "then CSV UTF-8, and choose that file."
            )
        )
    return text


def _column_name(heading: str) -> str:
    """A heading as a column name: "Full name" and "full-name" are both full_name."""
    return re.sub(r"[\s\-]+", "_", heading.strip().strip("\ufeff").lower())


def read_rows(text: str) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """The column names and the non-empty rows, each with its row number as a spreadsheet
    shows it (the heading is row 1). Commas, semicolons and tabs all separate cells; lines may
    end in CR LF, LF or CR, mixed. Raises FileProblem past :data:`MAX_ROWS` or
    :data:`MAX_COLUMNS`, or for a cell longer than the csv module reads."""
    # the first line, however lines end: a file saved on an old Mac ends them in CR alone
    first_line = re.split(r"\r\n|\r|\n", text, maxsplit=1)[0]
    delimiter = max((",", ";", "\t"), key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows: list[tuple[int, list[str]]] = []
    try:
        header = next(reader, None)
        if header is None:
            raise FileProblem(N_("The file is empty."))
        if len(header) > MAX_COLUMNS:
            raise FileProblem(
                N_(
                    "The first row has %(count)s cells, but a file to import has at most "
                    "%(limit)s columns. The first row must name the columns."
                ),
                count=len(header),
                limit=MAX_COLUMNS,
            )
        for number, cells in enumerate(reader, start=2):
            if not any(cell.strip() for cell in cells):
                continue
            if len(rows) == MAX_ROWS:
                raise FileProblem(
                    N_(
                        "The file has more than %(limit)s rows. Split it into files of "
                        "%(limit)s rows or fewer and import them one after another."
                    ),
                    limit=MAX_ROWS,
                )
            rows.append((number, cells))
    except csv.Error as error:
        if _longest_line(text) > csv.field_size_limit():
            raise FileProblem(
                N_(
                    "Row %(row)s has a cell too long to import. Check that this is a CSV file "
                    "of members or exchanges, saved from a spreadsheet."
                ),
                row=reader.line_num,
            ) from error
        raise FileProblem(
            N_("Row %(row)s could not be read as CSV. Check for a stray quote mark."),
            row=reader.line_num,
        ) from error
    return [_column_name(h) for h in header], rows


def _longest_line(text: str) -> int:
    return max(map(len, text.splitlines()), default=0)


def check_columns(kind: ImportKind, columns: Sequence[str]) -> list[str]:
    """The columns the import will not use; raises FileProblem if one is missing or repeated."""
    named = [c for c in columns if c]
    repeated = sorted(c for c, times in Counter(named).items() if times > 1)
    if repeated:
        raise FileProblem(N_("The column %(column)s appears twice."), column=repeated[0])
    missing = [c for c in REQUIRED[kind] if c not in named]
    if kind == ImportKind.EXCHANGES and "minutes" not in named and "hours" not in named:
        missing.append("hours")
    if missing:
        raise FileProblem(
            N_(
                "The first row must name the columns. These are missing: %(columns)s. "
                "The names of columns are listed on the page."
            ),
            columns=", ".join(missing),
        )
    return [c for c in named if c not in COLUMNS[kind]]


# -- checking rows --------------------------------------------------------------------------------


def member_refs(session: Session, bank_id: int) -> dict[int, MemberRef]:
    """The bank's members by number, with their account of hours."""
    rows = session.execute(
        select(Member.member_number, Member.id, Member.status, Account.id)
        .join(Account, (Account.member_id == Member.id) & (Account.unit == Unit.HOURS))
        .where(Member.bank_id == bank_id)
    )
    return {
        number: MemberRef(id=member_id, number=number, account_id=account_id, status=status)
        for number, member_id, status, account_id in rows
    }


def skill_keys(
    session: Session, bank_id: int, translate: Translate | None = None
) -> dict[str, int]:
    """Each kind of help's code and name (in English and, given ``translate``, the reader's
    language), lower-cased, to its id. A bank's own kinds win over the shared ones."""
    ensure_catalogue(session)
    skills = session.scalars(
        select(Skill).where((Skill.bank_id.is_(None)) | (Skill.bank_id == bank_id))
    )
    keys: dict[str, int] = {}
    for skill in sorted(skills, key=lambda s: s.bank_id is not None):
        names = {skill.code, skill.name}
        if translate is not None:
            names.add(translate(skill.name))
        for name in names:
            keys[name.strip().lower()] = skill.id
    return keys


def row_schema(
    session: Session, bank: Bank, kind: ImportKind, translate: Translate | None = None
) -> RowSchema:
    """The schema that checks one row of this kind for this bank, today."""
    today = bank.today()
    if kind == ImportKind.MEMBERS:
        return MemberRowSchema(today=today)
    return ExchangeRowSchema(
        today=today,
        members=member_refs(session, bank.id),
        skills=skill_keys(session, bank.id, translate),
    )


def check_rows(
    schema: RowSchema, columns: Sequence[str], rows: Sequence[tuple[int, list[str]]]
) -> tuple[list[tuple[int, dict[str, Any]]], list[RowProblem]]:
    """Load each row through the schema: the rows that pass, and every problem of the rest."""
    valid: list[tuple[int, dict[str, Any]]] = []
    problems: list[RowProblem] = []
    width = len(columns)
    for number, cells in rows:
        raw = {name: cell for name, cell in zip(columns, cells, strict=False) if name}
        row_problems = []
        if any(cell.strip() for cell in cells[width:]):
            row_problems.append(
                RowProblem(number, "", N_("This row has more cells than there are column names"))
            )
        try:
            loaded = schema.load(raw)
        except ValidationError as error:
            row_problems.extend(_problems(number, error.messages, raw))
        if row_problems:
            problems.extend(row_problems)
        else:
            valid.append((number, loaded))
    return valid, problems


def _problems(number: int, messages: Any, raw: dict[str, str]) -> list[RowProblem]:
    found = []
    items = messages.items() if isinstance(messages, dict) else [("", messages)]
    for column, found_messages in items:
        column = "" if column == "_schema" else column
        for message in found_messages if isinstance(found_messages, list) else [found_messages]:
            found.append(RowProblem(number, column, str(message), raw.get(column, "").strip()))
    return found


def build_preview(
    session: Session,
    bank: Bank,
    kind: ImportKind,
    text: str,
    translate: Translate | None = None,
) -> Preview:
    """Check a file's text: its columns, then every row. Writes nothing."""
    columns, rows = read_rows(text)
    unused = check_columns(kind, columns)
    valid, problems = check_rows(row_schema(session, bank, kind, translate), columns, rows)
    return Preview(
        kind=kind,
        columns=columns,
        unused_columns=unused,
        total=len(rows),
        valid=valid,
        problems=problems,
    )


__all__ = [
    "COLUMNS",
    "MAX_COLUMNS",
    "MAX_ROWS",
    "REQUIRED",
    "FileProblem",
    "Preview",
    "RowProblem",
    "Translate",
    "build_preview",
    "check_columns",
    "check_rows",
    "decode",
    "member_refs",
    "read_rows",
    "row_schema",
    "skill_keys",
]
