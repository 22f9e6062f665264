"""Seed grant pages: admins award grants and set a programme's rules; brokers record spending.

The money rules live in :mod:`timebank.grants.operations`; these views only turn typed pounds
into pence, call them, and explain refusals beside the field they belong to. Every form that
moves money carries an idempotency key made when the form is shown, so a double tap on a phone
records once.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from werkzeug.wrappers import Response
from wtforms import (
    BooleanField,
    DateField,
    Field,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    StopValidation,
)

from timebank import audit, ledger
from timebank.banks.models import Bank, Programme
from timebank.db import id_from_text
from timebank.extensions import db
from timebank.grants.models import (
    DEFAULT_BUDGET_LINES,
    NATIONAL_LIVING_WAGE_FROM,
    NATIONAL_LIVING_WAGE_PENCE,
    NATIONAL_LIVING_WAGE_SOURCE,
    BudgetLine,
    Grant,
    GrantStatus,
    OverspendPolicy,
    ProgrammeSettings,
    Spend,
)
from timebank.grants.operations import (
    GrantError,
    GrantErrorCode,
    LineFigures,
    OverspendRefused,
    award_grant,
    budget_against_actual,
    close_grant,
    grant_summary,
    record_spend,
    redact_spend,
    return_unspent,
    set_line_budget,
    update_settings,
)
from timebank.i18n import format_pence
from timebank.ledger import (
    Entry,
    ErrorCode,
    LedgerError,
    Transfer,
    TransferKind,
)
from timebank.web.access import admin_required, bank_or_404, broker_required, user
from timebank.web.forms import Form

bp = Blueprint("grants", __name__)

#: Seed grants are usually up to this; more is allowed once the admin confirms it.
USUAL_MOST_PENCE = 300_000
#: The ledger's cap on one transfer of money (£1,000,000), caught here as a typing slip.
MOST_PENCE = 1_000_000 * 100
#: What the audit trail calls a sent form, so a second send of the same form is recognised.

#: The default budget lines in the reader's language; a line the programme added keeps its name.
LINE_WORDS = {
    "coordinator time": _l("Coordinator time"),
    "venue hire": _l("Venue hire"),
    "volunteer expenses": _l("Volunteer expenses"),
    "publicity": _l("Publicity"),
    "reference and DBS checks": _l("Reference and DBS checks"),
    "insurance": _l("Insurance"),
    "training": _l("Training"),
    "other": _l("Other"),
}


def line_name(name: str) -> str:
    """A budget line's name as the reader sees it."""
    return str(LINE_WORDS.get(name, name))


# -- pounds typed by people ---------------------------------------------------------------------

#: "250", "250.50", "1,200.00" (commas only between groups of three), ".50".
_POUNDS = re.compile(r"^(?P<whole>\d{1,3}(?:,\d{3})+|\d*)(?:\.(?P<pence>\d*))?$")


class MoneyError(ValueError):
    """Typed pounds that are not an amount of money; the message says why in plain words."""


def parse_pounds(text: str | None) -> int:
    """Pounds as typed ("250", "250.50", "£1,200.00") to whole pence, exactly.

    Decimal, never float: 0.1 + 0.2 must stay 30p. More than two decimal places, a minus sign,
    or anything that is not a number is refused with a message for the person typing."""
    typed = "".join((text or "").split())  # spaces, including a phone's non-breaking ones
    if not typed:
        raise MoneyError(_("Enter an amount in pounds, such as 250 or 250.50"))
    if typed[0] in "-−" or typed.startswith(("£-", "£−")):
        raise MoneyError(_("The amount cannot be negative"))
    typed = typed.removeprefix("£")
    found = _POUNDS.match(typed)
    if found is None or not (found["whole"] or found["pence"]):
        raise MoneyError(_("Enter an amount in pounds, such as 250 or 250.50"))
    if found["pence"] is not None and len(found["pence"]) > 2:
        raise MoneyError(_("Enter pounds and pence with at most 2 digits after the point"))
    try:
        pounds = Decimal(typed.replace(",", "") or "0")
    except InvalidOperation as error:  # the pattern should make this impossible
        raise MoneyError(_("Enter an amount in pounds, such as 250 or 250.50")) from error
    return int(pounds * 100)


def pounds_text(pence: int) -> str:
    """Pence as pounds to type into a form ("1200.00"): what :func:`parse_pounds` reads back."""
    return f"{pence // 100}.{pence % 100:02d}"


class Pounds:
    """Validates a field of typed pounds and leaves the amount in ``field.pence``.

    ``blank`` is the pence an empty field means (budget lines: 0), or None when it is needed."""

    field_flags = {"required": True}

    def __init__(self, *, zero: bool = False, blank: int | None = None) -> None:
        self.zero = zero
        self.blank = blank
        if blank is not None:
            self.field_flags = {}

    def __call__(self, form: Form, field: Field) -> None:
        field.pence = None
        if self.blank is not None and not (field.data or "").strip():
            field.pence = self.blank
            return
        try:
            pence = parse_pounds(field.data)
        except MoneyError as error:
            raise StopValidation(str(error)) from error
        if pence == 0 and not self.zero:
            raise StopValidation(_("Enter an amount more than £0"))
        if pence > MOST_PENCE:
            raise StopValidation(
                _("Enter an amount of %(most)s or less", most=format_pence(MOST_PENCE))
            )
        field.pence = pence


def money_field(label: Any, **options: Any) -> StringField:
    """A text box for pounds; ``zero`` and ``blank`` as for :class:`Pounds`."""
    validators = [Pounds(zero=options.pop("zero", False), blank=options.pop("blank", None))]
    # a phone shows the keypad with a decimal point
    options.setdefault("render_kw", {"inputmode": "decimal", "autocomplete": "off"})
    return StringField(label, validators=validators, **options)


#: An idempotency key as made by :func:`_new_key`; anything else is refused, not stored.
KEY = Regexp(r"^[0-9A-Za-z_-]{1,50}$", message=_l("This form has expired. Please try again."))


def _new_key() -> str:
    return uuid.uuid4().hex


def _key_errors(form: Form) -> list[tuple[str, str]]:
    """A bad key as a message for the error summary (a hidden field has no place beside it),
    with a fresh key so the form can be sent again."""
    field = form.idempotency_key
    if not field.errors:
        return []
    field.data = _new_key()
    return [("", str(field.errors[0]))]


# -- forms --------------------------------------------------------------------------------------


class SettingsForm(Form):
    period_starts_on = DateField(_l("Grants are given from"), validators=[Optional()])
    period_ends_on = DateField(_l("Until"), validators=[Optional()])
    target_banks_per_year = IntegerField(
        _l("How many new time banks to fund each year"),
        validators=[
            InputRequired(_l("Enter a number of time banks")),
            NumberRange(0, 1000, _l("Enter a number of time banks from 0 to 1000")),
        ],
    )
    overspend_policy = RadioField(
        _l("When spending would take a budget line over its budget"),
        choices=[
            (OverspendPolicy.REFUSE.value, _l("Refuse it: the broker must choose another line")),
            (OverspendPolicy.WARN.value, _l("Record it, and show the line as overspent")),
        ],
        validators=[InputRequired(_l("Choose what happens to overspending"))],
    )
    hourly_value = money_field(
        _l("What an hour of help is worth, in £"),
        description=_l("Reports value the hours given at this rate. For example 12.21."),
    )
    hourly_value_source = StringField(
        _l("Where that value comes from"),
        description=_l("For example: UK National Living Wage (age 21+), GOV.UK"),
        validators=[DataRequired(_l("Enter where the hourly value comes from")), Length(max=200)],
    )
    hourly_value_on = DateField(
        _l("The date that value applies from"),
        validators=[InputRequired(_l("Enter the date the hourly value applies from"))],
    )


class AwardForm(Form):
    bank = SelectField(
        _l("Which time bank?"), coerce=str, validators=[DataRequired(_l("Choose the time bank"))]
    )
    amount = money_field(
        _l("Amount of the grant, in £"),
        description=_l("Seed grants are usually up to £3,000. For example 3000 or 2,500.00."),
    )
    confirm_large = BooleanField(_l("Yes, this grant is more than £3,000"))
    awarded_on = DateField(
        _l("Date awarded"), validators=[InputRequired(_l("Enter the date the grant was awarded"))]
    )
    conditions = TextAreaField(
        _l("Conditions of the grant"),
        description=_l("For example: report each quarter; return what is not spent."),
        validators=[Optional(), Length(max=4000)],
    )
    idempotency_key = HiddenField(validators=[Optional(), KEY])

    def line_fields(self) -> list[tuple[str, Field]]:
        """Each default budget line's stored name and its field, in order."""
        return [(name, self[f"line_{n}"]) for n, name in enumerate(DEFAULT_BUDGET_LINES)]


for _n, _name in enumerate(DEFAULT_BUDGET_LINES):
    # one budget box per default line; an empty box is a budget of £0
    setattr(AwardForm, f"line_{_n}", money_field(LINE_WORDS[_name], zero=True, blank=0))


class LineBudgetForm(Form):
    budget = money_field(
        _l("Budget for this line, in £"),
        description=_l("Enter 0 for no budget."),
        zero=True,
    )


class SpendForm(Form):
    line = SelectField(
        _l("Which budget line?"),
        coerce=str,
        validators=[DataRequired(_l("Choose the budget line"))],
    )
    amount = money_field(
        _l("How much, in £?"), description=_l("Pounds and pence, for example 45 or 45.50.")
    )
    spent_on = DateField(
        _l("Date spent"), validators=[InputRequired(_l("Enter the date the money was spent"))]
    )
    payee = StringField(
        _l("Paid to"),
        description=_l("A person, shop or organisation."),
        validators=[DataRequired(_l("Enter who was paid")), Length(max=200)],
    )
    receipt_reference = StringField(
        _l("Receipt or invoice reference"), validators=[Optional(), Length(max=100)]
    )
    description = TextAreaField(_l("What it was for"), validators=[Optional(), Length(max=1000)])
    idempotency_key = HiddenField(validators=[Optional(), KEY])


class ReturnForm(Form):
    amount = money_field(
        _l("How much is being returned, in £?"),
        description=_l("Pounds and pence, for example 120 or 120.50."),
    )
    returned_on = DateField(
        _l("Date returned"), validators=[InputRequired(_l("Enter the date it was returned"))]
    )
    reason = TextAreaField(
        _l("Why is it being returned?"),
        validators=[DataRequired(_l("Say why the money is being returned")), Length(max=500)],
    )
    idempotency_key = HiddenField(validators=[Optional(), KEY])


class RedactForm(Form):
    receipt_reference = BooleanField(_l("Remove the receipt or invoice reference too"))


class CloseForm(Form):
    """A button and its CSRF token: closing asks nothing more."""


class SpendReversalForm(Form):
    reason = TextAreaField(
        _l("Why is it being reversed?"),
        description=_l("For example: entered twice, or the wrong amount."),
        validators=[DataRequired(_l("Say why the spending is being reversed")), Length(max=500)],
    )


def _add_error(field: Field, message: str) -> None:
    field.errors = [*field.errors, message]


def _not_in_future(field: Field, bank: Bank) -> bool:
    if field.data and field.data > bank.today():
        _add_error(field, _("The date cannot be in the future"))
        return False
    return True


# -- loading, scoped to the bank ----------------------------------------------------------------


def _programme_or_404(programme_id: int) -> Programme:
    return db.session.get(Programme, programme_id) or abort(404)


def _grant_or_404(bank: Bank, grant_id: int) -> Grant:
    grant = db.session.get(Grant, grant_id)
    if grant is None or grant.bank_id != bank.id:
        abort(404)
    return grant


def _spend_or_404(grant: Grant, spend_id: int) -> Spend:
    spend = db.session.get(Spend, spend_id)
    if spend is None or spend.grant_id != grant.id:
        abort(404)
    return spend


def _policy(programme_id: int) -> OverspendPolicy:
    """The programme's overspend policy, read without writing (a page view only reads)."""
    settings = db.session.get(ProgrammeSettings, programme_id)
    return settings.overspend_policy if settings else OverspendPolicy.REFUSE


def _lock(model: type[Bank] | type[Grant], row_id: int) -> None:
    """Hold the row's lock (PostgreSQL; SQLite's writer already holds its lock) so a second
    send of the same form waits for the first and then finds it recorded."""
    db.session.execute(select(model.id).where(model.id == row_id).with_for_update())


# -- admin: a programme, its settings and its grants --------------------------------------------


def _settings_or_defaults(programme: Programme) -> ProgrammeSettings:
    """The programme's settings, or the defaults they will start from, without writing."""
    found = db.session.get(ProgrammeSettings, programme.id)
    if found is not None:
        return found
    return ProgrammeSettings(
        programme_id=programme.id,
        period_starts_on=programme.starts_on,
        period_ends_on=programme.ends_on,
        target_banks_per_year=5,
        overspend_policy=OverspendPolicy.REFUSE,
        hourly_value_pence=NATIONAL_LIVING_WAGE_PENCE,
        hourly_value_source=NATIONAL_LIVING_WAGE_SOURCE,
        hourly_value_on=NATIONAL_LIVING_WAGE_FROM,
    )


@dataclass(frozen=True)
class GrantRow:
    grant: Grant
    bank: Bank
    spent: int
    returned: int
    remaining: int


def _grant_rows(grants: list[Grant]) -> list[GrantRow]:
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


@bp.route("/admin/programmes/<int:programme_id>", methods=["GET", "POST"])
@admin_required
def programme(programme_id: int) -> str | Response:
    """A programme's banks and grants, and the rules its grants follow."""
    found = _programme_or_404(programme_id)
    current = _settings_or_defaults(found)
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
            _add_error(form.overspend_policy, error.message)
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
        rows=_grant_rows(list(grants)),
    )


def _settings_make_sense(form: SettingsForm, current: ProgrammeSettings) -> bool:
    """The checks that need two fields: the period in order, and a new hourly value stated
    with its own source or date."""
    ok = True
    starts, ends = form.period_starts_on.data, form.period_ends_on.data
    if starts and ends and starts > ends:
        _add_error(form.period_ends_on, _("The end date must be on or after the start date"))
        ok = False
    new_value = form.hourly_value.pence != current.hourly_value_pence
    same_basis = (
        (form.hourly_value_source.data or "").strip() == current.hourly_value_source
        and form.hourly_value_on.data == current.hourly_value_on
    )
    if new_value and same_basis:
        _add_error(
            form.hourly_value_on,
            _("A new hourly value needs its own source or the date it applies from"),
        )
        ok = False
    return ok


@bp.route("/admin/programmes/<int:programme_id>/grants/new", methods=["GET", "POST"])
@admin_required
def award(programme_id: int) -> str | Response:
    """Award a seed grant to one of the programme's banks, with its budget by line."""
    found = _programme_or_404(programme_id)
    banks = db.session.scalars(
        select(Bank).where(Bank.programme_id == found.id).order_by(Bank.name)
    ).all()
    form = AwardForm()
    form.bank.choices = [("", _("Choose"))] + [(str(b.id), b.name) for b in banks]
    form.show_confirm_large = False
    if request.method == "GET":
        form.idempotency_key.data = _new_key()
        form.awarded_on.data = date.today()
        if asked := request.args.get("bank", type=id_from_text):
            form.bank.data = str(asked)
    elif form.validate_on_submit():
        bank = next(b for b in banks if str(b.id) == form.bank.data)
        _lock(Bank, bank.id)
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
    return render_template(
        "grants/award.html",
        programme=found,
        form=form,
        banks=banks,
        key_errors=_key_errors(form),
    )


def _award_makes_sense(form: AwardForm, bank: Bank) -> bool:
    ok = _not_in_future(form.awarded_on, bank)
    pence = form.amount.pence
    if pence > USUAL_MOST_PENCE and not form.confirm_large.data:
        _add_error(
            form.amount,
            _("That is more than the usual £3,000. Check it, then tick the box to confirm it."),
        )
        form.show_confirm_large = True
        ok = False
    budgeted = sum(f.pence for _name, f in form.line_fields())
    if budgeted > pence:
        _add_error(
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
        _add_error(form.awarded_on, _("The date cannot be in the future"))
    elif isinstance(error, GrantError) and error.code == GrantErrorCode.BUDGET_ABOVE_AWARD:
        _add_error(form.line_0, _("The budget lines add up to more than the grant"))
    elif isinstance(error, GrantError) and error.code == GrantErrorCode.BANK_NOT_IN_PROGRAMME:
        _add_error(form.bank, _("That time bank is not in this programme"))
    else:
        _add_error(form.amount, _("This could not be recorded (%(code)s).", code=error.code.value))


def _awarded(bank: Bank, grant: Grant) -> Response:
    flash(
        _(
            "A seed grant of %(amount)s is awarded to %(bank)s.",
            amount=format_pence(grant.amount_pence),
            bank=bank.name,
        )
    )
    return redirect(url_for("grants.grant", bank_id=bank.id, grant_id=grant.id))


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
            _add_error(form.budget, _budget_too_big(grant, others, form.budget.pence))
        else:
            try:
                set_line_budget(db.session, grant, line, form.budget.pence, by_user_id=user().id)
            except GrantError as error:
                db.session.rollback()
                _add_error(form.budget, error.message)
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


# -- brokers: the bank's grants, spending, reversals and returns --------------------------------


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
        "grants/list.html", bank=bank, rows=_grant_rows(list(found)), programmes=programmes
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
    found = _grant_or_404(bank, grant_id)
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
        policy=_policy(found.programme_id),
        line_name=line_name,
        is_admin=user().role == "admin",
    )


def _spend_problem(grant: Grant) -> str | None:
    if grant.status == GrantStatus.CLOSED:
        return _("This grant is closed: nothing more can be spent or returned.")
    return None


@bp.route("/broker/banks/<int:bank_id>/grants/<int:grant_id>/spend", methods=["GET", "POST"])
@broker_required
def spend(bank_id: int, grant_id: int) -> str | Response | tuple[str, int]:
    """Record money spent from the grant on one budget line."""
    bank = bank_or_404(bank_id)
    found = _grant_or_404(bank, grant_id)
    lines = budget_against_actual(db.session, found)
    form = SpendForm()
    form.line.choices = [("", _("Choose"))] + [(str(f.line_id), _line_choice(f)) for f in lines]
    problem = _spend_problem(found)
    if request.method == "GET":
        form.idempotency_key.data = _new_key()
        form.spent_on.data = bank.today()
        if asked := request.args.get("line", type=id_from_text):
            form.line.data = str(asked)
    elif problem is None and form.validate_on_submit() & _not_in_future(form.spent_on, bank):
        line = db.session.get_one(BudgetLine, int(form.line.data))
        try:
            result = record_spend(
                db.session,
                found,
                line,
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
            _add_error(form.amount, _overspend_words(refused))
        except (GrantError, LedgerError) as error:
            db.session.rollback()
            field, message = _spend_refusal(found, error)
            _add_error(getattr(form, field), message)
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
        key_errors=_key_errors(form),
        problem=problem,
        policy=_policy(found.programme_id),
        remaining=grant_summary(db.session, found).remaining,
    )
    return (page, 409) if problem and request.method == "POST" else page


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
    found = _grant_or_404(bank, grant_id)
    item = _spend_or_404(found, spend_id)
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
    "/admin/grants/<int:grant_id>/spends/<int:spend_id>/remove-details", methods=["GET", "POST"]
)
@admin_required
def redact(grant_id: int, spend_id: int) -> str | Response:
    """Blank who was paid and what for, on an erasure request. The money stays in the books."""
    found = db.session.get(Grant, grant_id) or abort(404)
    item = _spend_or_404(found, spend_id)
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
        _lock(Grant, found.id)
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
    return (page, 409) if problem and request.method == "POST" else page


@bp.route(
    "/broker/banks/<int:bank_id>/grants/<int:grant_id>/spends/<int:spend_id>/reverse",
    methods=["GET", "POST"],
)
@broker_required
def reverse_spend(bank_id: int, grant_id: int, spend_id: int) -> str | Response | tuple[str, int]:
    """Put a wrong spend right with a mirror transfer, and say why. Nothing is deleted."""
    bank = bank_or_404(bank_id)
    found = _grant_or_404(bank, grant_id)
    item = _spend_or_404(found, spend_id)
    transfer = db.session.get_one(Transfer, item.transfer_id)
    form = SpendReversalForm()
    problem = None
    if ledger.reversal_of(db.session, transfer.id) is not None:
        problem = _("This spending has already been reversed.")
    elif found.status == GrantStatus.CLOSED:
        problem = _("This grant is closed: nothing more can be spent or returned.")
    if problem is None and form.validate_on_submit():
        try:
            reversal = ledger.reverse(db.session, transfer.id, form.reason.data or "", by=user().id)
        except LedgerError as error:
            db.session.rollback()
            _add_error(form.reason, _spend_refusal(found, error)[1])
        else:
            audit.record(
                db.session,
                "grant.spend_reversed",
                user_id=user().id,
                bank_id=bank.id,
                subject=f"transfer:{transfer.id}",
                details={"grant_id": found.id, "reversal": reversal.id},
            )
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
    return (page, 409) if problem and request.method == "POST" else page


@bp.route("/broker/banks/<int:bank_id>/grants/<int:grant_id>/return", methods=["GET", "POST"])
@broker_required
def return_money(bank_id: int, grant_id: int) -> str | Response | tuple[str, int]:
    """Give money the bank will not spend back to the programme."""
    bank = bank_or_404(bank_id)
    found = _grant_or_404(bank, grant_id)
    form = ReturnForm()
    problem = _spend_problem(found)
    if request.method == "GET":
        form.idempotency_key.data = _new_key()
        form.returned_on.data = bank.today()
    elif problem is None and form.validate_on_submit() & _not_in_future(form.returned_on, bank):
        _lock(Grant, found.id)
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
            _add_error(getattr(form, "returned_on" if field == "spent_on" else field), message)
        else:
            db.session.commit()
            return _returned(bank, found, form.amount.pence)
    page = render_template(
        "grants/return.html",
        bank=bank,
        grant=found,
        form=form,
        key_errors=_key_errors(form),
        problem=problem,
        remaining=grant_summary(db.session, found).remaining,
    )
    return (page, 409) if problem and request.method == "POST" else page


def _returned(bank: Bank, grant: Grant, pence: int) -> Response:
    flash(_("%(amount)s is returned to the programme.", amount=format_pence(pence)))
    return redirect(url_for("grants.grant", bank_id=bank.id, grant_id=grant.id))


__all__ = ["MoneyError", "bp", "line_name", "parse_pounds", "pounds_text"]
