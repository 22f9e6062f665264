"""Admins' grant pages: a programme's rules, awarding grants, moving budget between lines,
removing a payee's details on request, and closing a grant.

The money rules live in :mod:`timebank.grants.operations`; these views call them and commit.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.wrappers import Response

from timebank.banks.models import Bank, Programme
from timebank.db import id_from_text
from timebank.extensions import db
from timebank.grants.models import BudgetLine, Grant, GrantStatus, ProgrammeSettings
from timebank.grants.operations import (
    GrantError,
    GrantErrorCode,
    award_grant,
    budget_against_actual,
    close_grant,
    grant_summary,
    redact_spend,
    set_line_budget,
    settings_or_defaults,
    update_settings,
)
from timebank.i18n import format_pence
from timebank.ledger import ErrorCode, LedgerError
from timebank.web.access import admin_required, user
from timebank.web.grants import bp
from timebank.web.grants.broker import grant_rows, spend_or_404
from timebank.web.grants.forms import (
    USUAL_MOST_PENCE,
    AwardForm,
    CloseForm,
    LineBudgetForm,
    RedactForm,
    SettingsForm,
    add_error,
    answered,
    line_name,
    not_in_future,
    pounds_text,
)


def _programme_or_404(programme_id: int) -> Programme:
    return db.session.get(Programme, programme_id) or abort(404)


# -- a programme and its settings ---------------------------------------------------------------


@bp.route("/admin/programmes/<int:programme_id>", methods=["GET", "POST"])
@admin_required
def programme(programme_id: int) -> str | Response:
    """A programme's banks and grants, and the rules its grants follow."""
    found = _programme_or_404(programme_id)
    current = settings_or_defaults(db.session, found)
    form = SettingsForm()
    if request.method == "GET":
        form.period_starts_on.data = current.period_starts_on
        form.period_ends_on.data = current.period_ends_on
        form.target_banks_per_year.data = current.target_banks_per_year
        form.overspend_policy.data = current.overspend_policy.value
        form.hourly_value.data = pounds_text(current.hourly_value_pence)
        form.hourly_value_source.data = current.hourly_value_source
        form.hourly_value_on.data = current.hourly_value_on
    elif form.validate_on_submit() and _settings_make_sense(form, current):
        changes: dict[str, Any] = {
            "period_starts_on": form.period_starts_on.data,
            "period_ends_on": form.period_ends_on.data,
            "target_banks_per_year": form.target_banks_per_year.data,
            "overspend_policy": form.overspend_policy.data,
            # the value, its source and its date always travel together
            "hourly_value_pence": form.hourly_value.pence,
            "hourly_value_source": (form.hourly_value_source.data or "").strip(),
            "hourly_value_on": form.hourly_value_on.data,
        }
        try:
            update_settings(db.session, found, by_user_id=user().id, **changes)
        except GrantError as error:
            db.session.rollback()
            add_error(form.overspend_policy, error.message)
        else:
            db.session.commit()
            flash(_("The programme's settings are saved."))
            return redirect(url_for("grants.programme", programme_id=found.id))
    banks = db.session.scalars(
        select(Bank).where(Bank.programme_id == found.id).order_by(Bank.name)
    ).all()
    grants = db.session.scalars(
        select(Grant)
        .where(Grant.programme_id == found.id)
        .order_by(Grant.awarded_on.desc(), Grant.id.desc())
    ).all()
    return render_template(
        "grants/programme.html",
        programme=found,
        settings=current,
        form=form,
        banks=banks,
        rows=grant_rows(list(grants)),
    )


def _settings_make_sense(form: SettingsForm, current: ProgrammeSettings) -> bool:
    """The checks that need two fields: the period in order, and a new hourly value stated
    with its own source or date."""
    ok = True
    starts, ends = form.period_starts_on.data, form.period_ends_on.data
    if starts and ends and starts > ends:
        add_error(form.period_ends_on, _("The end date must be on or after the start date"))
        ok = False
    new_value = form.hourly_value.pence != current.hourly_value_pence
    same_basis = (
        (form.hourly_value_source.data or "").strip() == current.hourly_value_source
        and form.hourly_value_on.data == current.hourly_value_on
    )
    if new_value and same_basis:
        add_error(
            form.hourly_value_on,
            _("A new hourly value needs its own source or the date it applies from"),
        )
        ok = False
    return ok


# -- awarding a grant ---------------------------------------------------------------------------


@bp.route("/admin/programmes/<int:programme_id>/grants/new", methods=["GET", "POST"])
@admin_required
def award(programme_id: int) -> str | Response | tuple[str, int]:
    """Award a seed grant to one of the programme's banks, with its budget by line."""
    found = _programme_or_404(programme_id)
    banks = db.session.scalars(
        select(Bank).where(Bank.programme_id == found.id).order_by(Bank.name)
    ).all()
    form = AwardForm()
    form.bank.choices = [("", _("Choose"))] + [(str(b.id), b.name) for b in banks]
    form.show_confirm_large = False
    if request.method == "GET":
        form.awarded_on.data = date.today()
        if asked := request.args.get("bank", type=id_from_text):
            form.bank.data = str(asked)
    elif form.validate_on_submit():
        bank = next(b for b in banks if str(b.id) == form.bank.data)
        if _award_makes_sense(form, bank):
            try:
                grant = award_grant(
                    db.session,
                    found,
                    bank,
                    form.amount.pence,
                    form.awarded_on.data,
                    (form.conditions.data or "").strip(),
                    {name: f.pence for name, f in form.line_fields()},
                    by_user_id=user().id,
                    idempotency_key=form.idempotency_key.data or None,
                )
            except (GrantError, LedgerError) as error:
                db.session.rollback()
                _award_refused(form, error)
            else:
                db.session.commit()
                return _awarded(bank, grant)
    page = render_template("grants/award.html", programme=found, form=form, banks=banks)
    return answered(page, form)


def _award_makes_sense(form: AwardForm, bank: Bank) -> bool:
    ok = not_in_future(form.awarded_on, bank)
    pence = form.amount.pence
    if pence > USUAL_MOST_PENCE and not form.confirm_large.data:
        add_error(
            form.amount,
            _("That is more than the usual £3,000. Check it, then tick the box to confirm it."),
        )
        form.show_confirm_large = True
        ok = False
    budgeted = sum(f.pence for _name, f in form.line_fields())
    if budgeted > pence:
        add_error(
            form.line_0,
            _(
                "The budget lines add up to %(lines)s, more than the grant of %(grant)s",
                lines=format_pence(budgeted),
                grant=format_pence(pence),
            ),
        )
        ok = False
    return ok


def _award_refused(form: AwardForm, error: GrantError | LedgerError) -> None:
    if isinstance(error, LedgerError) and error.code == ErrorCode.DATE_IN_FUTURE:
        add_error(form.awarded_on, _("The date cannot be in the future"))
    elif isinstance(error, GrantError) and error.code == GrantErrorCode.BUDGET_ABOVE_AWARD:
        add_error(form.line_0, _("The budget lines add up to more than the grant"))
    elif isinstance(error, GrantError) and error.code == GrantErrorCode.BANK_NOT_IN_PROGRAMME:
        add_error(form.bank, _("That time bank is not in this programme"))
    else:
        add_error(form.amount, _("This could not be recorded (%(code)s).", code=error.code.value))


def _awarded(bank: Bank, grant: Grant) -> Response:
    flash(
        _(
            "A seed grant of %(amount)s is awarded to %(bank)s.",
            amount=format_pence(grant.amount_pence),
            bank=bank.name,
        )
    )
    return redirect(url_for("grants.grant", bank_id=bank.id, grant_id=grant.id))


# -- a grant's plan, its payees' details, and closing it ----------------------------------------


@bp.route("/admin/grants/<int:grant_id>/lines/<int:line_id>", methods=["GET", "POST"])
@admin_required
def line_budget(grant_id: int, line_id: int) -> str | Response:
    """Move budget between lines: the plan changes, no money moves."""
    grant = db.session.get(Grant, grant_id) or abort(404)
    line = db.session.get(BudgetLine, line_id)
    if line is None or line.grant_id != grant.id:
        abort(404)
    bank = db.session.get_one(Bank, grant.bank_id)
    figures = next(f for f in budget_against_actual(db.session, grant) if f.line_id == line.id)
    others = sum(other.budget_pence for other in grant.lines if other.id != line.id)
    form = LineBudgetForm()
    if request.method == "GET":
        form.budget.data = pounds_text(line.budget_pence)
    elif form.validate_on_submit():
        if others + form.budget.pence > grant.amount_pence:
            add_error(form.budget, _budget_too_big(grant, others, form.budget.pence))
        else:
            try:
                set_line_budget(db.session, grant, line, form.budget.pence, by_user_id=user().id)
            except GrantError as error:
                db.session.rollback()
                add_error(form.budget, error.message)
            else:
                db.session.commit()
                flash(_("The budget for %(line)s is saved.", line=line_name(line.name)))
                return redirect(url_for("grants.grant", bank_id=bank.id, grant_id=grant.id))
    return render_template(
        "grants/line_budget.html",
        bank=bank,
        grant=grant,
        line=line,
        figures=figures,
        others=others,
        form=form,
        line_name=line_name,
    )


def _budget_too_big(grant: Grant, others: int, pence: int) -> str:
    return _(
        "The lines would then add up to %(total)s, more than the grant of %(grant)s. "
        "Lower another line first.",
        total=format_pence(others + pence),
        grant=format_pence(grant.amount_pence),
    )


@bp.route(
    "/admin/grants/<int:grant_id>/spends/<int:spend_id>/remove-details", methods=["GET", "POST"]
)
@admin_required
def redact(grant_id: int, spend_id: int) -> str | Response:
    """Blank who was paid and what for, on an erasure request. The money stays in the books."""
    found = db.session.get(Grant, grant_id) or abort(404)
    item = spend_or_404(found, spend_id)
    bank = db.session.get_one(Bank, found.bank_id)
    form = RedactForm()
    if form.validate_on_submit():
        redact_spend(
            db.session,
            item,
            by_user_id=user().id,
            receipt_reference=bool(form.receipt_reference.data),
        )
        db.session.commit()
        flash(_("The payee and description are removed. The amount stays in the books."))
        return redirect(
            url_for("grants.spend_done", bank_id=bank.id, grant_id=found.id, spend_id=spend_id)
        )
    return render_template("grants/redact.html", bank=bank, grant=found, spend=item, form=form)


@bp.route("/admin/grants/<int:grant_id>/close", methods=["GET", "POST"])
@admin_required
def close(grant_id: int) -> str | Response | tuple[str, int]:
    """Close a grant that holds nothing. It never reopens."""
    found = db.session.get(Grant, grant_id) or abort(404)
    bank = db.session.get_one(Bank, found.bank_id)
    remaining = grant_summary(db.session, found).remaining
    form = CloseForm()
    problem = None
    if found.status == GrantStatus.CLOSED:
        problem = _("This grant is already closed.")
    elif remaining:
        problem = _(
            "%(amount)s is still in the grant. Record the spending, or return it to the "
            "programme, before closing.",
            amount=format_pence(remaining),
        )
    elif form.validate_on_submit():
        try:
            close_grant(db.session, found, by_user_id=user().id)
        except LedgerError:
            # money arrived between the page and the button: say so, close nothing
            db.session.rollback()
            problem = _("Money is still in the grant. Look at the grant again before closing.")
        else:
            db.session.commit()
            flash(_("The grant is closed."))
            return redirect(url_for("grants.grant", bank_id=bank.id, grant_id=found.id))
    page = render_template("grants/close.html", bank=bank, grant=found, form=form, problem=problem)
    return answered(page, form, problem)
