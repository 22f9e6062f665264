"""Importing members and past exchanges from a spreadsheet, and exporting them again.

The journey: :func:`upload` reads the file and keeps it in an :class:`ImportBatch`, writing
nothing else; :func:`preview` checks every row against the schemas and names each problem;
:func:`claim` and :func:`run_import` then write the rows the broker chose, all in one
transaction, so an import is never half written. Members are added through
:func:`~timebank.members.operations.register_member` and exchanges posted through
:func:`timebank.ledger.post`, each with the key ``import:<batch>:<row>`` so a retried import never
posts a row twice.

Reading and checking a file is in :mod:`timebank.imports.reading`, and exports in
:mod:`timebank.imports.export`; their names are offered here too, so callers need only this
module.

No Flask here. Messages are English marked with ``N_``; pages translate them when they show
them, and ``translate`` arguments let a page match or write names in the reader's language.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from timebank import audit
from timebank.audit import AuditEvent
from timebank.banks.models import Bank
from timebank.db import utcnow
from timebank.exchanges import HelpDetails, record_exchange
from timebank.imports.export import (
    EXCHANGE_EXPORT_COLUMNS,
    MEMBER_EXPORT_COLUMNS,
    export_exchanges,
    export_members,
    hours_figure,
    record_export,
)
from timebank.imports.models import ImportBatch, ImportKind, ImportStatus
from timebank.imports.reading import (
    COLUMNS,
    REQUIRED,
    FileProblem,
    Preview,
    RowProblem,
    Translate,
    build_preview,
    check_columns,
    check_rows,
    decode,
    member_refs,
    read_rows,
    row_schema,
    skill_keys,
)
from timebank.imports.schemas import MemberRef
from timebank.ledger import ErrorCode, LedgerError, Transfer
from timebank.members.catalogue import N_
from timebank.members.models import Member
from timebank.members.operations import register_member

#: How many row problems an audit record keeps: enough for any real file, and bounded.
MAX_RECORDED_PROBLEMS = 1000


@dataclass
class Outcome:
    """How an import ended, as recorded in the audit trail."""

    status: ImportStatus
    imported: int
    only_valid: bool
    problems: list[RowProblem] = field(default_factory=list)
    problem_count: int = 0


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
        problems=[
            RowProblem(row, column, message) for row, column, message in details.get("problems", [])
        ],
        problem_count=int(details.get("problem_count", 0)),
    )


__all__ = [
    "COLUMNS",
    "EXCHANGE_EXPORT_COLUMNS",
    "MAX_RECORDED_PROBLEMS",
    "MEMBER_EXPORT_COLUMNS",
    "REQUIRED",
    "STALE_AFTER",
    "FileProblem",
    "ImportOvertaken",
    "Outcome",
    "Preview",
    "RowProblem",
    "Translate",
    "build_preview",
    "can_start",
    "check_columns",
    "check_rows",
    "claim",
    "decode",
    "export_exchanges",
    "export_members",
    "hours_figure",
    "is_stale",
    "member_refs",
    "outcome",
    "preview",
    "read_rows",
    "record_export",
    "row_schema",
    "run_import",
    "skill_keys",
    "upload",
]
