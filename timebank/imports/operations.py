"""Importing members and past exchanges from a spreadsheet, and exporting them again.

The journey: :func:`upload` reads the file and keeps it in an :class:`ImportBatch`, writing
nothing else; :func:`preview` checks every row against the schemas and names each problem;
:func:`claim` and :func:`run_import` then write the rows the broker chose, all in one
transaction, so an import is never half written. Members are added through
:func:`~timebank.members.operations.register_member` and exchanges posted through
:func:`timebank.ledger.post`, each with the key ``import:<batch>:<row>`` so a retried import never
posts a row twice.

No Flask here. Messages are English marked with ``N_``; pages translate them when they show
them, and ``translate`` arguments let a page match or write names in the reader's language.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from marshmallow import ValidationError
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from timebank import audit
from timebank.audit import AuditEvent
from timebank.banks.models import Bank
from timebank.db import utcnow
from timebank.exchanges import HelpDetails, record_exchange
from timebank.imports.csv_safety import write_csv
from timebank.imports.models import ImportBatch, ImportKind, ImportStatus
from timebank.imports.schemas import ExchangeRowSchema, MemberRef, MemberRowSchema, RowSchema
from timebank.ledger import (
    Account,
    Entry,
    ErrorCode,
    LedgerError,
    Transfer,
    TransferNote,
    Unit,
)
from timebank.members.catalogue import N_, ensure_catalogue
from timebank.members.models import Member, Skill
from timebank.members.operations import register_member

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

#: How many row problems an audit record keeps: enough for any real file, and bounded.
MAX_RECORDED_PROBLEMS = 1000

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


@dataclass
class Outcome:
    """How an import ended, as recorded in the audit trail."""

    status: ImportStatus
    imported: int
    only_valid: bool
    problems: list[RowProblem] = field(default_factory=list)
    problem_count: int = 0


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
    shows it (the heading is row 1). Commas, semicolons and tabs all separate cells."""
    first_line = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader, None)
        if header is None:
            raise FileProblem(N_("The file is empty."))
        rows = [
            (number, cells)
            for number, cells in enumerate(reader, start=2)
            if any(cell.strip() for cell in cells)
        ]
    except csv.Error as error:
        raise FileProblem(
            N_("Row %(row)s could not be read as CSV. Check for a stray quote mark."),
            row=reader.line_num,
        ) from error
    return [_column_name(h) for h in header], rows


def check_columns(kind: ImportKind, columns: Sequence[str]) -> list[str]:
    """The columns the import will not use; raises FileProblem if one is missing or repeated."""
    named = [c for c in columns if c]
    repeated = sorted({c for c in named if named.count(c) > 1})
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


# -- the journey ----------------------------------------------------------------------------------


def upload(
    session: Session,
    bank: Bank,
    *,
    kind: ImportKind,
    filename: str,
    data: bytes,
    user_id: int | None,
    translate: Translate | None = None,
) -> tuple[ImportBatch, Preview]:
    """Read and check an uploaded file, and keep it as a batch waiting for the broker's choice.

    Nothing but the batch is written. Raises FileProblem if the file cannot be used at all."""
    text = decode(data)
    found = build_preview(session, bank, kind, text, translate)
    if found.total == 0:
        raise FileProblem(N_("The file has names of columns but no rows to import."))
    batch = ImportBatch(
        bank_id=bank.id,
        user_id=user_id,
        kind=kind,
        filename=filename[-200:],
        content=text,
        status=ImportStatus.PREVIEWED,
        total_rows=found.total,
        valid_rows=len(found.valid),
        imported_rows=0,
    )
    session.add(batch)
    session.flush()
    return batch, found


def preview(session: Session, batch: ImportBatch, translate: Translate | None = None) -> Preview:
    """Check a kept file again, as it would be imported now."""
    bank = session.get_one(Bank, batch.bank_id)
    return build_preview(session, bank, batch.kind, batch.content, translate)


#: An import still under way this long after it was claimed died with its process (a restart
#: mid-import): its transaction wrote nothing, so the batch may be started again. Imports of the
#: largest file allowed take minutes; and should one still be running, it can no longer finish.
STALE_AFTER = timedelta(minutes=30)


def is_stale(batch: ImportBatch, now: datetime | None = None) -> bool:
    """Whether a batch marked as importing was left so by a process that died."""
    if batch.status != ImportStatus.IMPORTING:
        return False
    # a batch claimed before migration 0007 has no time: any import then has long ended
    return batch.started_at is None or batch.started_at < (now or utcnow()) - STALE_AFTER


def can_start(batch: ImportBatch) -> bool:
    """A batch may be imported while it waits, again after a failure (which wrote nothing), or
    after an import that died with its process (which wrote nothing either)."""
    waiting = batch.status in (ImportStatus.PREVIEWED, ImportStatus.FAILED) or is_stale(batch)
    return waiting and bool(batch.content)


def claim(session: Session, batch: ImportBatch) -> bool:
    """Mark the batch as importing, unless someone else already has. The caller commits.

    The conditional UPDATE makes two clicks, or two brokers, start one import only. The claim is
    named by its time: only the import holding the latest claim can finish the batch."""
    now = utcnow()
    claimed = session.execute(
        update(ImportBatch)
        .where(
            ImportBatch.id == batch.id,
            ImportBatch.status.in_([ImportStatus.PREVIEWED, ImportStatus.FAILED])
            | (
                (ImportBatch.status == ImportStatus.IMPORTING)
                & (ImportBatch.started_at.is_(None) | (ImportBatch.started_at < now - STALE_AFTER))
            ),
        )
        .values(status=ImportStatus.IMPORTING, started_at=now, finished_at=None)
        .execution_options(synchronize_session=False)
    )
    session.expire(batch, ["status", "started_at", "finished_at"])
    return claimed.rowcount == 1  # type: ignore[attr-defined]


class ImportOvertaken(Exception):
    """The batch was claimed again (this import was taken for dead): nothing was written."""


class _Refused(Exception):
    """Some rows cannot be imported and the broker asked for all of them: write nothing."""

    def __init__(self, problems: list[RowProblem]) -> None:
        self.problems = problems
        super().__init__(f"{len(problems)} problems")


def run_import(
    session: Session,
    batch_id: int,
    *,
    only_valid: bool,
    user_id: int | None,
    progress: Callable[[int, int], None] | None = None,
    translate: Translate | None = None,
) -> Outcome:
    """Import a claimed batch in one transaction, and commit.

    ``only_valid`` leaves out rows with problems; otherwise any problem, including a refusal by
    the books, imports nothing. Either way the outcome names every row left out, and is kept in
    the audit trail ("import.done" or "import.failed"). Anything unexpected rolls the whole
    import back, marks the batch failed, and is raised again.
    """
    batch = session.get_one(ImportBatch, batch_id)
    if batch.status != ImportStatus.IMPORTING:
        raise ValueError(f"import {batch_id} is {batch.status}, not claimed")
    bank = session.get_one(Bank, batch.bank_id)
    claimed_at = batch.started_at
    try:
        outcome = _write_rows(
            session, batch, claimed_at, bank, only_valid, user_id, progress, translate
        )
    except _Refused as refused:
        session.rollback()
        return _fail(
            session, batch_id, claimed_at, user_id, only_valid, refused.problems, reason="refused"
        )
    except ImportOvertaken:
        # the batch is the newer claim's now: leave it to that import
        session.rollback()
        raise
    except BaseException as error:
        session.rollback()
        _fail(session, batch_id, claimed_at, user_id, only_valid, [], reason=type(error).__name__)
        raise
    return outcome


def _write_rows(
    session: Session,
    batch: ImportBatch,
    claimed_at: datetime | None,
    bank: Bank,
    only_valid: bool,
    user_id: int | None,
    progress: Callable[[int, int], None] | None,
    translate: Translate | None,
) -> Outcome:
    found = build_preview(session, bank, batch.kind, batch.content, translate)
    if found.problems and not only_valid:
        raise _Refused(found.problems)
    problems = list(found.problems)
    total = len(found.valid)
    imported = 0
    for done, (number, row) in enumerate(found.valid, start=1):
        if batch.kind == ImportKind.MEMBERS:
            _add_member(session, bank, row, user_id)
            imported += 1
        else:
            try:
                _post_exchange(session, bank, batch.id, number, row, user_id)
                imported += 1
            except LedgerError as error:
                # the ledger wrote nothing for this row; the rest go on
                problems.append(_refusal(number, error, row))
        if progress is not None:
            progress(done, total)
    if problems and not only_valid:
        raise _Refused(problems)
    problems.sort(key=lambda p: p.row)
    finished = session.execute(
        update(ImportBatch)
        .where(
            ImportBatch.id == batch.id,
            ImportBatch.status == ImportStatus.IMPORTING,
            ImportBatch.started_at == claimed_at,
        )
        .values(
            status=ImportStatus.DONE,
            imported_rows=imported,
            valid_rows=imported,
            finished_at=utcnow(),
            # the file held personal details; once imported they live in the register
            content="",
        )
        .execution_options(synchronize_session=False)
    )
    if finished.rowcount != 1:  # type: ignore[attr-defined]
        raise ImportOvertaken(batch.id)
    session.expire(batch)
    _record(session, "import.done", batch, user_id, only_valid, imported, problems)
    session.commit()
    return Outcome(ImportStatus.DONE, imported, only_valid, problems, len(problems))


def _add_member(session: Session, bank: Bank, row: dict[str, Any], user_id: int | None) -> None:
    details = dict(row)
    details.setdefault("preferred_locale", bank.default_locale.split("_")[0])
    register_member(
        session,
        bank,
        full_name=details.pop("full_name"),
        display_name=details.pop("display_name", None),
        joined_on=details.pop("joined_on", None),
        recorded_by_id=user_id,
        **details,
    )


def _post_exchange(
    session: Session,
    bank: Bank,
    batch_id: int,
    number: int,
    row: dict[str, Any],
    user_id: int | None,
) -> Transfer:
    """One row of help, recorded as a broker's form records it, under a key of its own."""
    provider: MemberRef = row["provider"]
    receiver: MemberRef = row["receiver"]
    posted = record_exchange(
        session,
        provider=session.get_one(Member, provider.id),
        receiver=session.get_one(Member, receiver.id),
        help=HelpDetails(
            minutes=row["minutes"],
            given_on=row["given_on"],
            skill_id=row["skill_id"],
            note=row["note"],
            idempotency_key=f"import:{batch_id}:{number}",
        ),
        by_user_id=user_id,
        via="import",
    )
    return posted.transfer


def _refusal(number: int, error: LedgerError, row: dict[str, Any]) -> RowProblem:
    """A refusal by the books, beside the column it concerns."""
    receiver: MemberRef = row["receiver"]
    provider: MemberRef = row["provider"]
    about_receiver = error.account_id == receiver.account_id
    about_provider = error.account_id == provider.account_id

    if error.code == ErrorCode.EXCEEDS_FLOOR:
        column = "provider" if about_provider and not about_receiver else "receiver"
        return RowProblem(
            number,
            column,
            N_("This would take the member past the most they may owe"),
            str(provider.number if column == "provider" else receiver.number),
        )
    if error.code == ErrorCode.EXCEEDS_CEILING:
        column = "receiver" if about_receiver and not about_provider else "provider"
        return RowProblem(
            number,
            column,
            N_("This would take the member past the most they may hold"),
            str(receiver.number if column == "receiver" else provider.number),
        )
    if error.code == ErrorCode.ACCOUNT_CLOSED:
        column = "provider" if about_provider else "receiver"
        return RowProblem(number, column, N_("This member's account is closed"))
    if error.code == ErrorCode.DATE_IN_FUTURE:
        return RowProblem(number, "date", N_("The date cannot be in the future"))
    if error.code == ErrorCode.AMOUNT_TOO_LARGE:
        return RowProblem(number, "hours", N_("Help given in one go can be at most 24 hours"))
    if error.code == ErrorCode.IDEMPOTENCY_KEY_REUSED:
        return RowProblem(number, "", N_("This row was imported before with other details"))
    return RowProblem(number, "", N_("This row could not be recorded"), error.code.value)


def _record(
    session: Session,
    action: str,
    batch: ImportBatch,
    user_id: int | None,
    only_valid: bool,
    imported: int,
    problems: list[RowProblem],
    **extra: object,
) -> None:
    # cells' values are left out: the audit trail keeps no personal details it does not need
    audit.record(
        session,
        action,
        user_id=user_id,
        bank_id=batch.bank_id,
        subject=f"import:{batch.id}",
        details={
            "kind": batch.kind.value,
            "filename": batch.filename,
            "only_valid": only_valid,
            "rows": batch.total_rows,
            "imported": imported,
            "problem_count": len(problems),
            "problems": [[p.row, p.column, p.message] for p in problems[:MAX_RECORDED_PROBLEMS]],
            **extra,
        },
    )


def _fail(
    session: Session,
    batch_id: int,
    claimed_at: datetime | None,
    user_id: int | None,
    only_valid: bool,
    problems: list[RowProblem],
    *,
    reason: str,
) -> Outcome:
    """Mark a batch failed, in a transaction of its own: the import itself wrote nothing."""
    problems = sorted(problems, key=lambda p: p.row)
    batch = session.get_one(ImportBatch, batch_id)
    if batch.status != ImportStatus.IMPORTING or batch.started_at != claimed_at:
        # claimed again meanwhile: the batch is the newer import's to finish
        session.rollback()
        return Outcome(ImportStatus.FAILED, 0, only_valid, problems, len(problems))
    batch.status = ImportStatus.FAILED
    batch.imported_rows = 0
    batch.finished_at = utcnow()
    _record(session, "import.failed", batch, user_id, only_valid, 0, problems, reason=reason)
    session.commit()
    return Outcome(ImportStatus.FAILED, 0, only_valid, problems, len(problems))


def outcome(session: Session, batch: ImportBatch) -> Outcome | None:
    """How the batch's last import ended, from the audit trail; None if it has not ended."""
    event = session.scalars(
        select(AuditEvent)
        .where(
            AuditEvent.bank_id == batch.bank_id,
            AuditEvent.subject == f"import:{batch.id}",
            AuditEvent.action.in_(["import.done", "import.failed"]),
        )
        .order_by(AuditEvent.id.desc())
        .limit(1)
    ).one_or_none()
    if event is None:
        return None
    details = event.details
    return Outcome(
        status=ImportStatus.DONE if event.action == "import.done" else ImportStatus.FAILED,
        imported=int(details.get("imported", 0)),
        only_valid=bool(details.get("only_valid")),
        problems=[RowProblem(row, column, message) for row, column, message in details["problems"]],
        problem_count=int(details.get("problem_count", 0)),
    )


# -- export ---------------------------------------------------------------------------------------

MEMBER_EXPORT_COLUMNS = (
    "member_number",
    "full_name",
    "preferred_name",
    "status",
    "phone",
    "area",
    "birth_year",
    "preferred_language",
    "contact_method",
    "consent_date",
    "consent_wording",
    "joined_on",
    "left_on",
    "balance_minutes",
    "balance_hours",
)

#: ``provider`` and ``receiver`` hold member numbers, so an export can be imported elsewhere.
EXCHANGE_EXPORT_COLUMNS = (
    "date",
    "kind",
    "provider",
    "provider_name",
    "receiver",
    "receiver_name",
    "minutes",
    "hours",
    "skill",
    "reversed",
    "note",
)


def hours_figure(minutes: int) -> Decimal:
    """Minutes as decimal hours for a spreadsheet, written with a point: 90 is 1.5.

    A number, not text, so a negative balance is never taken for a formula and quoted."""
    hours = (Decimal(minutes) / 60).quantize(Decimal("0.01"))
    # normalize() alone would write 10 as 1E+1
    return Decimal(format(hours.normalize(), "f"))


def _day(value: date | None) -> str:
    return value.isoformat() if value else ""


def record_export(
    session: Session, bank_id: int, what: str, rows: int, *, user_id: int | None
) -> None:
    """Put an export in the audit trail ("export.members", "export.exchanges"); the caller
    commits, and hands over the file only once that has succeeded."""
    audit.record(
        session, f"export.{what}", user_id=user_id, bank_id=bank_id, details={"rows": rows}
    )


def export_members(session: Session, bank: Bank) -> tuple[str, int]:
    """The bank's members as CSV, with their balance of hours, and how many rows. Only reads:
    record the export with :func:`record_export`."""
    rows = session.execute(
        select(Member, Account.balance)
        .outerjoin(Account, (Account.member_id == Member.id) & (Account.unit == Unit.HOURS))
        .where(Member.bank_id == bank.id)
        .order_by(Member.member_number)
    ).all()
    document = write_csv(
        MEMBER_EXPORT_COLUMNS,
        (
            (
                m.member_number,
                m.full_name,
                m.display_name,
                m.status.value,
                m.phone,
                m.area,
                m.birth_year,
                m.preferred_locale,
                m.contact_method.value,
                _day(m.consent_on),
                m.consent_wording,
                _day(m.joined_on),
                _day(m.left_on),
                balance or 0,
                hours_figure(balance or 0),
            )
            for m, balance in rows
        ),
    )
    return document, len(rows)


def export_exchanges(
    session: Session, bank: Bank, translate: Translate | None = None
) -> tuple[str, int]:
    """Every movement of hours in the bank as CSV, oldest first, and how many rows.

    The provider is the side that earned the hours, the receiver the side that paid; the pot
    has no member number. Only reads: record the export with :func:`record_export`."""
    say = translate or (lambda text: text)
    transfers = list(
        session.scalars(
            select(Transfer)
            .where(Transfer.bank_id == bank.id, Transfer.unit == Unit.HOURS)
            .order_by(Transfer.given_on, Transfer.id)
        )
    )
    sides: dict[int, dict[str, int]] = {}
    for transfer_id, account_id, amount in session.execute(
        select(Entry.transfer_id, Entry.account_id, Entry.amount).where(
            Entry.bank_id == bank.id, Entry.unit == Unit.HOURS
        )
    ):
        sides.setdefault(transfer_id, {})["to" if amount > 0 else "from"] = account_id
    owners = {
        account_id: (number, name)
        for account_id, number, name in session.execute(
            select(Account.id, Member.member_number, Member.full_name)
            .join(Member, Member.id == Account.member_id)
            .where(Account.bank_id == bank.id)
        )
    }
    reversed_ids = set(
        session.scalars(
            select(Transfer.reverses_id).where(
                Transfer.bank_id == bank.id, Transfer.reverses_id.is_not(None)
            )
        )
    )
    notes = dict(
        session.execute(
            select(TransferNote.transfer_id, TransferNote.text)
            .join(Transfer, Transfer.id == TransferNote.transfer_id)
            .where(Transfer.bank_id == bank.id, TransferNote.redacted_at.is_(None))
        ).all()
    )
    skills = {s.id: say(s.name) for s in session.scalars(select(Skill))}
    pot = (None, say(N_("Community pot")))
    yes, no = say(N_("yes")), say(N_("no"))

    def line(t: Transfer) -> tuple[object, ...]:
        earned = owners.get(sides.get(t.id, {}).get("to", 0), pot)
        paid = owners.get(sides.get(t.id, {}).get("from", 0), pot)
        return (
            t.given_on.isoformat(),
            t.kind.value,
            earned[0],
            earned[1],
            paid[0],
            paid[1],
            t.amount,
            hours_figure(t.amount),
            skills.get(t.skill_id or 0, ""),
            yes if t.id in reversed_ids else no,
            notes.get(t.id, ""),
        )

    document = write_csv(EXCHANGE_EXPORT_COLUMNS, (line(t) for t in transfers))
    return document, len(transfers)
