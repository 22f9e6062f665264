"""Importing members and past exchanges from a spreadsheet, and exporting them as CSV.

Upload, then a preview that names each bad row; nothing is written until the broker chooses
to import all rows (when all are good) or the good rows only. The import runs in a background
thread, in one transaction; its page shows a ``<progress>`` bar and refreshes itself every two
seconds, so it needs no JavaScript. Progress lives in this process's memory, keyed by the
batch; the outcome lives in the database (the batch's status and the audit trail).
"""

from __future__ import annotations

import threading
from datetime import date

from flask import Flask, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import force_locale, format_decimal, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from werkzeug.wrappers import Response

from timebank.banks.models import Bank
from timebank.db import writing
from timebank.extensions import db
from timebank.imports import operations
from timebank.imports.models import ImportBatch, ImportKind, ImportStatus
from timebank.members.catalogue import SKILLS
from timebank.web.access import bank_or_404, broker_required, user
from timebank.web.broker import bp
from timebank.web.forms import Form

#: How many problems a page lists; the rest are counted (a wrong file can have thousands).
SHOWN_PROBLEMS = 500

#: Imports running in this process: batch id to (rows done, rows to do).
_progress: dict[int, tuple[int, int]] = {}
_threads: dict[int, threading.Thread] = {}
_lock = threading.Lock()


class UploadForm(Form):
    file = FileField(
        _l("Choose the CSV file"),
        description=_l("Save the spreadsheet as CSV first. The file can be up to 5 MB."),
        validators=[FileRequired(_l("Choose a CSV file to upload"))],
    )


class StartForm(Form):
    """Only the CSRF token: the button pressed says which rows to import."""


def _kind_or_404(kind: str) -> ImportKind:
    try:
        return ImportKind(kind)
    except ValueError:
        abort(404)


def _batch_or_404(bank: Bank, batch_id: int) -> ImportBatch:
    batch = db.session.get(ImportBatch, batch_id)
    if batch is None or batch.bank_id != bank.id:
        abort(404)
    return batch


def _translate(text: str) -> str:
    return _(text)


def _problem_words(problem: operations.FileProblem) -> str:
    """What is wrong with a file, in the reader's words, numbers written their way."""
    params = {
        name: format_decimal(value) if isinstance(value, int) else value
        for name, value in problem.params.items()
    }
    return _(problem.message, **params)


@bp.route("/banks/<int:bank_id>/imports/new/<kind>", methods=["GET", "POST"])
@broker_required
def import_upload(bank_id: int, kind: str) -> str | Response:
    """Choose a spreadsheet of members or past exchanges."""
    bank = bank_or_404(bank_id)
    import_kind = _kind_or_404(kind)
    form = UploadForm()
    if form.validate_on_submit():
        upload = form.file.data
        try:
            batch, _found = operations.upload(
                db.session,
                bank,
                kind=import_kind,
                filename=upload.filename or "",
                data=upload.read(),
                user_id=user().id,
                translate=_translate,
            )
        except operations.FileProblem as problem:
            db.session.rollback()
            form.file.errors = [_problem_words(problem)]
        else:
            db.session.commit()
            return redirect(url_for("broker.import_batch", bank_id=bank.id, batch_id=batch.id))
    return render_template(
        "broker/imports_upload.html",
        bank=bank,
        form=form,
        kind=import_kind.value,
        columns=operations.COLUMNS[import_kind],
        required=operations.REQUIRED[import_kind],
        skills=sorted(((code, _(name)) for code, name in SKILLS.items()), key=lambda s: s[1]),
    )


@bp.get("/banks/<int:bank_id>/imports/<int:batch_id>")
@broker_required
def import_batch(bank_id: int, batch_id: int) -> str:
    """The batch as it stands: its preview, its progress, or how it ended."""
    bank = bank_or_404(bank_id)
    batch = _batch_or_404(bank, batch_id)
    stale = operations.is_stale(batch)
    if batch.status == ImportStatus.IMPORTING and not stale:
        done, total = _progress.get(batch.id, (0, batch.valid_rows))
        return render_template(
            "broker/imports_progress.html",
            bank=bank,
            batch=batch,
            done=done,
            total=total,
            refresh=request.args.get("refresh") != "0",
        )
    if stale:
        flash(
            _(
                "This import stopped before it finished, perhaps because the server restarted. "
                "Nothing from it was saved: you can start it again."
            )
        )
    # a stale batch ended nowhere: it is shown as waiting to be started again
    ended = (
        operations.outcome(db.session, batch)
        if batch.status in (ImportStatus.DONE, ImportStatus.FAILED)
        else None
    )
    found = None
    if operations.can_start(batch):
        try:
            found = operations.preview(db.session, batch, _translate)
        except operations.FileProblem as problem:  # the file was fine when uploaded
            flash(_problem_words(problem))
        # checking may have added the catalogue of skills: leave nothing behind on a GET
        db.session.rollback()
    template = "broker/imports_preview.html" if ended is None else "broker/imports_result.html"
    return render_template(
        template,
        bank=bank,
        batch=batch,
        found=found,
        ended=ended,
        form=StartForm(),
        shown=SHOWN_PROBLEMS,
    )


@bp.post("/banks/<int:bank_id>/imports/<int:batch_id>/start")
@broker_required
def import_start(bank_id: int, batch_id: int) -> Response:
    """Start importing all rows, or the good rows only, in the background."""
    bank = bank_or_404(bank_id)
    batch = _batch_or_404(bank, batch_id)
    form = StartForm()
    only_valid = request.form.get("rows") == "valid"
    if not form.validate_on_submit() or request.form.get("rows") not in ("all", "valid"):
        abort(400)
    here = url_for("broker.import_batch", bank_id=bank.id, batch_id=batch.id)
    if not operations.can_start(batch):
        flash(_("This file has already been imported."))
        return redirect(here)
    if not only_valid:
        found = operations.preview(db.session, batch, _translate)
        db.session.rollback()
        if not found.all_valid:
            flash(_("Some rows have problems, so all rows cannot be imported."))
            return redirect(here)
    # read before the commit: touching an expired object afterwards would begin a transaction,
    # and on SQLite hold the write lock that the import's thread needs
    batch_id, user_id = batch.id, user().id
    if not operations.claim(db.session, batch):
        db.session.rollback()
        flash(_("This file is already being imported."))
        return redirect(here)
    db.session.commit()
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    _start(app, batch_id, only_valid, user_id, str(get_locale() or "en"))
    return redirect(here)


def _start(app: Flask, batch_id: int, only_valid: bool, user_id: int, locale: str) -> None:
    with _lock:
        _progress[batch_id] = (0, 0)
        thread = threading.Thread(
            target=_run,
            args=(app, batch_id, only_valid, user_id, locale),
            name=f"import-{batch_id}",
        )
        _threads[batch_id] = thread
    thread.start()


def _run(app: Flask, batch_id: int, only_valid: bool, user_id: int, locale: str) -> None:
    """The import, in its own application context and so its own database session; in the
    broker's language, so kinds of help are matched as the preview matched them."""

    def progress(done: int, total: int) -> None:
        _progress[batch_id] = (done, total)

    with app.app_context(), force_locale(locale):
        try:
            operations.run_import(
                db.session,
                batch_id,
                only_valid=only_valid,
                user_id=user_id,
                progress=progress,
                translate=_translate,
            )
        except Exception:
            # run_import has rolled back and marked the batch failed; keep the details in the log
            app.logger.exception("import %s failed", batch_id)
        finally:
            with _lock:
                _progress.pop(batch_id, None)
                _threads.pop(batch_id, None)


def wait_for_import(batch_id: int, timeout: float = 120) -> None:
    """Wait until a background import has finished (for tests and the command line)."""
    thread = _threads.get(batch_id)
    if thread is not None:
        thread.join(timeout)


@bp.get("/banks/<int:bank_id>/export/members.csv")
@broker_required
def export_members(bank_id: int) -> Response:
    """Every member of the bank, as a spreadsheet."""
    bank = bank_or_404(bank_id)
    document, rows = operations.export_members(db.session, bank)
    return _recorded_csv(document, "members", rows, bank)


@bp.get("/banks/<int:bank_id>/export/exchanges.csv")
@broker_required
def export_exchanges(bank_id: int) -> Response:
    """Every movement of hours in the bank, as a spreadsheet."""
    bank = bank_or_404(bank_id)
    document, rows = operations.export_exchanges(db.session, bank, translate=_translate)
    return _recorded_csv(document, "exchanges", rows, bank)


def _recorded_csv(document: str, what: str, rows: int, bank: Bank) -> Response:
    """The file, once its export is in the audit trail: no record, no file."""
    bank_id, user_id = bank.id, user().id
    # the reading is done; the record is written in a short transaction of its own, so on
    # SQLite it waits its turn behind a running import instead of failing on a stale read
    with writing(db.session):
        operations.record_export(db.session, bank_id, what, rows, user_id=user_id)
    response = Response(document, mimetype="text/csv")
    filename = f"{what}-bank-{bank_id}-{date.today().isoformat()}.csv"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    # personal details: never kept by a browser or a proxy
    response.headers["Cache-Control"] = "no-store"
    return response
