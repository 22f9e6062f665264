"""Coordinators' grant pages: the bank's grants, where each one's money is, and recording what
was spent, returned, or put right.

The money rules live in :mod:`timebank.grants.operations`; these views turn typed pounds into
pence, call them, commit, and explain refusals beside the field they belong to.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.wrappers import Response

from timebank import ledger
from timebank.banks.models import Bank, Programme
from timebank.db import id_from_text
from timebank.extensions import db
from timebank.grants import spending
from timebank.grants.models import BudgetLine, Grant, GrantStatus, Spend
from timebank.grants.operations import (
    GrantError,
    GrantErrorCode,
    LineFigures,
    OverspendRefused,
    budget_against_actual,
    grant_summary,
    overspend_policy,
    record_spend,
    return_unspent,
)
from timebank.i18n import format_pence
from timebank.ledger import Entry, ErrorCode, LedgerError, Transfer, TransferKind
from timebank.web.access import bank_or_404, broker_required, user
from timebank.web.grants import bp
from timebank.web.grants.forms import (
    MOST_PENCE,
    ReturnForm,
    SpendForm,
    SpendReversalForm,
    add_error,
    answered,
    line_name,
    not_in_future,
)

# -- loading, scoped to the bank ----------------------------------------------------------------


def grant_or_404(bank: Bank, grant_id: int) -> Grant:
    """The bank's grant, or 404 for a grant of another bank."""
    grant = db.session.get(Grant, grant_id)
    if grant is None or grant.bank_id != bank.id:
        abort(404)
    return grant


def spend_or_404(grant: Grant, spend_id: int) -> Spend:
    """The grant's spend, or 404 for a spend of another grant."""
    spend = db.session.get(Spend, spend_id)
    if spend is None or spend.grant_id != grant.id:
        abort(404)
    return spend


@dataclass(frozen=True)
class GrantRow:
    grant: Grant
    bank: Bank
    spent: int
    returned: int
    remaining: int


def grant_rows(grants: list[Grant]) -> list[GrantRow]:
    """Each grant with its bank and where its money is, for a list of grants."""
    rows = []
    for grant in grants:
        summary = grant_summary(db.session, grant)
        rows.append(
            GrantRow(
                grant=grant,
                bank=db.session.get_one(Bank, grant.bank_id),
                spent=summary.spent,
                returned=summary.returned,
                remaining=summary.remaining,
            )
        )
    return rows


# -- the bank's grants --------------------------------------------------------------------------


@bp.get("/broker/banks/<int:bank_id>/grants")
@broker_required
def grants(bank_id: int) -> str:
    """The bank's seed grants and what is left of each."""
    bank = bank_or_404(bank_id)
    found = db.session.scalars(
        select(Grant).where(Grant.bank_id == bank.id).order_by(Grant.awarded_on.desc())
    ).all()
    programmes = {
        p.id: p
        for p in db.session.scalars(
            select(Programme).where(Programme.id.in_({g.programme_id for g in found}))
        )
    }
    return render_template(
        "grants/list.html", bank=bank, rows=grant_rows(list(found)), programmes=programmes
    )


@dataclass(frozen=True)
class SpendRow:
    spend: Spend
    transfer: Transfer
    line: str
    reversal: Transfer | None


def _spend_rows(grant: Grant, lines: dict[int, str]) -> list[SpendRow]:
    pairs = db.session.execute(
        select(Spend, Transfer)
        .join(Transfer, Transfer.id == Spend.transfer_id)
        .where(Spend.grant_id == grant.id)
        .order_by(Transfer.given_on.desc(), Transfer.id.desc())
    ).all()
    reversals = {
        t.reverses_id: t
        for t in db.session.scalars(
            select(Transfer).where(Transfer.reverses_id.in_([t.id for _s, t in pairs]))
        )
    }
    return [
        SpendRow(s, t, line_name(lines.get(s.budget_line_id, "")), reversals.get(t.id))
        for s, t in pairs
    ]


def _returns(grant: Grant) -> list[tuple[Transfer, Transfer | None]]:
    """Money given back from the grant, newest first, each with its reversal if any."""
    found = list(
        db.session.scalars(
            select(Transfer)
            .join(Entry, Entry.transfer_id == Transfer.id)
            .where(
                Entry.account_id == grant.grant_account_id,
                Transfer.kind == TransferKind.GRANT_RETURN,
            )
            .order_by(Transfer.given_on.desc(), Transfer.id.desc())
        )
    )
    reversals = {
        t.reverses_id: t
        for t in db.session.scalars(
            select(Transfer).where(Transfer.reverses_id.in_([t.id for t in found]))
        )
    }
    return [(t, reversals.get(t.id)) for t in found]


@bp.get("/broker/banks/<int:bank_id>/grants/<int:grant_id>")
@broker_required
def grant(bank_id: int, grant_id: int) -> str:
    """Where a grant's money is: awarded, spent by line against the budget, returned, left."""
    bank = bank_or_404(bank_id)
    found = grant_or_404(bank, grant_id)
    lines = budget_against_actual(db.session, found)
    return render_template(
        "grants/grant.html",
        bank=bank,
        grant=found,
        programme=db.session.get_one(Programme, found.programme_id),
        summary=grant_summary(db.session, found),
        lines=lines,
        budgeted=sum(line.budgeted for line in lines),
        spends=_spend_rows(found, {line.line_id: line.name for line in lines}),
        returns=_returns(found),
        policy=overspend_policy(db.session, found.programme_id),
        line_name=line_name,
        is_admin=user().role == "admin",
    )


# -- spending -----------------------------------------------------------------------------------


def _spend_problem(grant: Grant) -> str | None:
    if grant.status == GrantStatus.CLOSED:
        return _("This grant is closed: nothing more can be spent or returned.")
    return None


@bp.route("/broker/banks/<int:bank_id>/grants/<int:grant_id>/spend", methods=["GET", "POST"])
@broker_required
def spend(bank_id: int, grant_id: int) -> str | Response | tuple[str, int]:
    """Record money spent from the grant on one budget line."""
    bank = bank_or_404(bank_id)
    found = grant_or_404(bank, grant_id)
    form = SpendForm()
    form.line.choices = [("", _("Choose"))] + [
        (str(f.line_id), _line_choice(f)) for f in budget_against_actual(db.session, found)
    ]
    problem = _spend_problem(found)
    if request.method == "GET":
        form.spent_on.data = bank.today()
        if asked := request.args.get("line", type=id_from_text):
            form.line.data = str(asked)
    elif problem is None and form.validate_on_submit() & not_in_future(form.spent_on, bank):
        try:
            result = record_spend(
                db.session,
                found,
                db.session.get_one(BudgetLine, int(form.line.data)),
                form.amount.pence,
                form.spent_on.data,
                form.payee.data or "",
                form.receipt_reference.data or "",
                form.description.data or "",
                by_user_id=user().id,
                idempotency_key=form.idempotency_key.data or None,
            )
        except OverspendRefused as refused:
            db.session.rollback()
            add_error(form.amount, _overspend_words(refused))
        except (GrantError, LedgerError) as error:
            db.session.rollback()
            field, message = _spend_refusal(found, error)
            add_error(getattr(form, field), message)
        else:
            db.session.commit()
            return redirect(
                url_for(
                    "grants.spend_done",
                    bank_id=bank.id,
                    grant_id=found.id,
                    spend_id=result.spend.transfer_id,
                    done=1,
                )
            )
    page = render_template(
        "grants/spend.html",
        bank=bank,
        grant=found,
        form=form,
        problem=problem,
        policy=overspend_policy(db.session, found.programme_id),
        remaining=grant_summary(db.session, found).remaining,
    )
    return answered(page, form, problem)


def _line_choice(figures: LineFigures) -> str:
    """A line as the spending form offers it, with what is left of its budget."""
    if figures.remaining > 0:
        return _(
            "%(line)s (%(left)s left)",
            line=line_name(figures.name),
            left=format_pence(figures.remaining),
        )
    return _("%(line)s (nothing left)", line=line_name(figures.name))


def _overspend_words(refused: OverspendRefused) -> str:
    left = max(refused.budget - refused.spent, 0)
    return _(
        "That would take %(line)s over its budget: %(left)s of its %(budget)s is left. "
        "This programme does not allow overspending, so choose another line or ask the "
        "programme to move budget to this one.",
        line=line_name(refused.line_name),
        left=format_pence(left),
        budget=format_pence(refused.budget),
    )


def _spend_refusal(grant: Grant, error: GrantError | LedgerError) -> tuple[str, str]:
    """Which field a refused spend or return belongs beside, and why, in plain words."""
    if error.code == ErrorCode.EXCEEDS_FLOOR:
        left = grant_summary(db.session, grant).remaining
        return "amount", _(
            "The grant has only %(left)s left, so it cannot pay this.", left=format_pence(left)
        )
    if error.code == ErrorCode.DATE_IN_FUTURE:
        return "spent_on", _("The date cannot be in the future")
    if error.code == ErrorCode.AMOUNT_TOO_LARGE:
        return "amount", _("Enter an amount of %(most)s or less", most=format_pence(MOST_PENCE))
    if error.code == ErrorCode.IDEMPOTENCY_KEY_REUSED:
        return "amount", _("This form was already sent with other details. Please start again.")
    if error.code in (GrantErrorCode.GRANT_CLOSED, ErrorCode.ACCOUNT_CLOSED):
        return "amount", _("This grant is closed: nothing more can be spent or returned.")
    return "amount", _("This could not be recorded (%(code)s).", code=error.code.value)


@bp.get("/broker/banks/<int:bank_id>/grants/<int:grant_id>/spends/<int:spend_id>")
@broker_required
def spend_done(bank_id: int, grant_id: int, spend_id: int) -> str:
    """One spend, and where its line stands now: the confirmation after recording it."""
    bank = bank_or_404(bank_id)
    found = grant_or_404(bank, grant_id)
    item = spend_or_404(found, spend_id)
    transfer = db.session.get_one(Transfer, item.transfer_id)
    figures = next(
        f for f in budget_against_actual(db.session, found) if f.line_id == item.budget_line_id
    )
    return render_template(
        "grants/spend_done.html",
        bank=bank,
        grant=found,
        spend=item,
        transfer=transfer,
        figures=figures,
        reversal=ledger.reversal_of(db.session, transfer.id),
        done=request.args.get("done") == "1",
        line_name=line_name,
        is_admin=user().role == "admin",
    )


@bp.route(
    "/broker/banks/<int:bank_id>/grants/<int:grant_id>/spends/<int:spend_id>/reverse",
    methods=["GET", "POST"],
)
@broker_required
def reverse_spend(bank_id: int, grant_id: int, spend_id: int) -> str | Response | tuple[str, int]:
    """Put a wrong spend right with a mirror transfer, and say why. Nothing is deleted."""
    bank = bank_or_404(bank_id)
    found = grant_or_404(bank, grant_id)
    item = spend_or_404(found, spend_id)
    transfer = db.session.get_one(Transfer, item.transfer_id)
    form = SpendReversalForm()
    problem = None
    if ledger.reversal_of(db.session, transfer.id) is not None:
        problem = _("This spending has already been reversed.")
    elif found.status == GrantStatus.CLOSED:
        problem = _("This grant is closed: nothing more can be spent or returned.")
    if problem is None and form.validate_on_submit():
        try:
            spending.reverse_spend(db.session, item, form.reason.data or "", by_user_id=user().id)
        except (GrantError, LedgerError) as error:
            db.session.rollback()
            add_error(form.reason, _spend_refusal(found, error)[1])
        else:
            db.session.commit()
            flash(_("The spending is reversed: the money is back in the grant."))
            return redirect(url_for("grants.grant", bank_id=bank.id, grant_id=found.id))
    page = render_template(
        "grants/reverse.html",
        bank=bank,
        grant=found,
        spend=item,
        transfer=transfer,
        line=line_name(db.session.get_one(BudgetLine, item.budget_line_id).name),
        form=form,
        problem=problem,
    )
    return answered(page, form, problem)


# -- returns ------------------------------------------------------------------------------------


@bp.route("/broker/banks/<int:bank_id>/grants/<int:grant_id>/return", methods=["GET", "POST"])
@broker_required
def return_money(bank_id: int, grant_id: int) -> str | Response | tuple[str, int]:
    """Give money the bank will not spend back to the programme."""
    bank = bank_or_404(bank_id)
    found = grant_or_404(bank, grant_id)
    form = ReturnForm()
    problem = _spend_problem(found)
    if request.method == "GET":
        form.returned_on.data = bank.today()
    elif problem is None and form.validate_on_submit() & not_in_future(form.returned_on, bank):
        try:
            return_unspent(
                db.session,
                found,
                form.amount.pence,
                form.returned_on.data,
                by_user_id=user().id,
                reason=form.reason.data,
                idempotency_key=form.idempotency_key.data or None,
            )
        except (GrantError, LedgerError) as error:
            db.session.rollback()
            field, message = _spend_refusal(found, error)
            add_error(getattr(form, "returned_on" if field == "spent_on" else field), message)
        else:
            db.session.commit()
            return _returned(bank, found, form.amount.pence)
    page = render_template(
        "grants/return.html",
        bank=bank,
        grant=found,
        form=form,
        problem=problem,
        remaining=grant_summary(db.session, found).remaining,
    )
    return answered(page, form, problem)


def _returned(bank: Bank, grant: Grant, pence: int) -> Response:
    flash(_("%(amount)s is returned to the programme.", amount=format_pence(pence)))
    return redirect(url_for("grants.grant", bank_id=bank.id, grant_id=grant.id))
