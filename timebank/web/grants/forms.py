"""The seed grant forms, and pounds as people type them.

Typed pounds become whole pence here, exactly, before any view sees them. Every form that moves
money carries the one idempotency key of :mod:`timebank.web.forms`, made when the form is shown,
so a double tap on a phone records once.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from flask import request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    Field,
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
    StopValidation,
)

from timebank.banks.models import Bank
from timebank.grants.models import DEFAULT_BUDGET_LINES, OverspendPolicy
from timebank.i18n import format_pence
from timebank.web.forms import Form, IdempotencyKeyField, form_page

#: Seed grants are usually up to this; more is allowed once the admin confirms it.
USUAL_MOST_PENCE = 300_000
#: The ledger's cap on one transfer of money (£1,000,000), caught here as a typing slip.
MOST_PENCE = 1_000_000 * 100

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
    idempotency_key = IdempotencyKeyField()

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
    idempotency_key = IdempotencyKeyField()


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
    idempotency_key = IdempotencyKeyField()


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


# -- what views do with them --------------------------------------------------------------------


def add_error(field: Field, message: str) -> None:
    """Show a message beside a field, after any it already has."""
    field.errors = [*field.errors, message]


def not_in_future(field: Field, bank: Bank) -> bool:
    """Whether a date field is on or before the bank's today; if not, say so beside it."""
    if field.data and field.data > bank.today():
        add_error(field, _("The date cannot be in the future"))
        return False
    return True


def answered(page: str, form: Form, problem: str | None = None) -> str | tuple[str, int]:
    """A form's page as the answer to its request: 409 when a sent form met a problem with the
    grant itself, 400 when it came back with a key it was never given, 200 otherwise."""
    if problem and request.method == "POST":
        return page, 409
    return form_page(page, form)


__all__ = [
    "MOST_PENCE",
    "USUAL_MOST_PENCE",
    "AwardForm",
    "CloseForm",
    "LineBudgetForm",
    "MoneyError",
    "RedactForm",
    "ReturnForm",
    "SettingsForm",
    "SpendForm",
    "SpendReversalForm",
    "add_error",
    "answered",
    "line_name",
    "money_field",
    "not_in_future",
    "parse_pounds",
    "pounds_text",
]
