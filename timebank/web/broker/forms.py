"""The broker's forms. Labels and messages are lazy strings, translated when shown."""

from __future__ import annotations

import re
from datetime import date

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    widgets,
)
from wtforms.validators import (
    DataRequired,
    Email,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from timebank.ledger import OutcomeArea
from timebank.members.catalogue import N_
from timebank.members.models import CheckStatus, ContactMethod, MemberKind
from timebank.web.forms import Form, IdempotencyKeyField

#: The eight outcome areas, finishing the sentence "Older people in local communities..."
OUTCOME_LABELS = {
    OutcomeArea.HOUSING: N_("have housing suitable for their needs"),
    OutcomeArea.SOCIAL: N_("are socially integrated and not isolated"),
    OutcomeArea.CONTRIBUTION: N_("are making positive contributions and experiencing fulfilment"),
    OutcomeArea.SAFETY: N_("feel secure and safe"),
    OutcomeArea.DISCRIMINATION: N_("feel free from discrimination"),
    OutcomeArea.FINANCES: N_("feel financially secure"),
    OutcomeArea.HEALTH: N_("are in good health in mind and body"),
    OutcomeArea.DIGNITY: N_("have dignity, choice and control"),
}

POSTCODE_DISTRICT = re.compile(r"^[A-Z]{1,2}[0-9][0-9A-Z]?$")
DEFAULT_CONSENT = N_(
    "I agree that the time bank keeps my name, contact details and the help I give and receive, "
    "to put me in touch with other members. I can ask to see or remove them at any time."
)


class MultiCheckboxField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


def _strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


class MemberForm(Form):
    class Meta:
        # every text field arrives without stray spaces
        def bind_field(self, form, unbound_field, options):  # type: ignore[no-untyped-def]
            if unbound_field.field_class in (StringField, TextAreaField):
                filters = unbound_field.kwargs.get("filters", ())
                options = {**options, "filters": [*filters, _strip]}
            return super().bind_field(form, unbound_field, options)

    full_name = StringField(
        _l("Full name"),
        validators=[DataRequired(_l("Enter the member's full name")), Length(max=200)],
    )
    display_name = StringField(
        _l("Preferred name"),
        description=_l("What they like to be called. Leave empty to use their first name."),
        validators=[Optional(), Length(max=100)],
    )
    kind = RadioField(
        _l("This member is"),
        choices=[
            (MemberKind.PERSON.value, _l("A person")),
            (MemberKind.GROUP.value, _l("A group, such as a lunch club")),
            (MemberKind.ORGANISATION.value, _l("An organisation")),
        ],
        default=MemberKind.PERSON.value,
    )
    phone = StringField(_l("Phone number"), validators=[Optional(), Length(max=40)])
    area = StringField(
        _l("Postcode district"),
        description=_l("The first half of the postcode only, for example BT9."),
        validators=[Optional(), Length(max=8)],
    )
    birth_year = IntegerField(
        _l("Year of birth"),
        validators=[
            Optional(),
            NumberRange(1900, date.today().year, _l("Enter a year between 1900 and this year")),
        ],
    )
    preferred_locale = SelectField(_l("Preferred language"), choices=[])
    contact_method = RadioField(
        _l("How to contact them"),
        choices=[
            (ContactMethod.PHONE.value, _l("Phone call")),
            (ContactMethod.TEXT.value, _l("Text message")),
            (ContactMethod.LETTER.value, _l("Letter")),
            (ContactMethod.CARER.value, _l("Through their carer or supporter")),
        ],
        default=ContactMethod.PHONE.value,
    )
    needs_large_print = BooleanField(_l("Large print"))
    needs_interpreter = BooleanField(_l("An interpreter"))
    needs_hearing_support = BooleanField(_l("Help with hearing"))
    supporter_name = StringField(
        _l("Supporter or carer's name"), validators=[Optional(), Length(max=200)]
    )
    supporter_phone = StringField(
        _l("Supporter or carer's phone"), validators=[Optional(), Length(max=40)]
    )
    supporter_relationship = StringField(
        _l("How they know the member"),
        description=_l("For example: daughter, neighbour, paid carer."),
        validators=[Optional(), Length(max=100)],
    )
    consent_on = DateField(
        _l("Date they agreed to be on the register"),
        validators=[InputRequired(_l("Enter the date the member agreed"))],
    )
    consent_wording = TextAreaField(
        _l("What they agreed to"),
        validators=[DataRequired(_l("Enter the words the member agreed to")), Length(max=2000)],
    )
    visits_homes = BooleanField(_l("Visits other members at home"))
    reference_check = RadioField(
        _l("References"),
        choices=[
            (CheckStatus.NOT_STARTED.value, _l("Not started")),
            (CheckStatus.REQUESTED.value, _l("Asked for")),
            (CheckStatus.CLEAR.value, _l("Received and satisfactory")),
        ],
        default=CheckStatus.NOT_STARTED.value,
    )
    dbs_check = RadioField(
        _l("DBS check"),
        choices=[
            (CheckStatus.NOT_STARTED.value, _l("Not started")),
            (CheckStatus.REQUESTED.value, _l("Applied for")),
            (CheckStatus.CLEAR.value, _l("Certificate seen and clear")),
        ],
        default=CheckStatus.NOT_STARTED.value,
    )
    dbs_expires_on = DateField(_l("DBS check due for renewal on"), validators=[Optional()])

    def validate_area(self, field: StringField) -> None:
        if field.data:
            field.data = field.data.upper().replace(" ", "")
            if not POSTCODE_DISTRICT.match(field.data):
                raise ValidationError(_l("Enter the first half of a postcode, like BT9 or BT48"))

    def validate_consent_on(self, field: DateField) -> None:
        if field.data and field.data > date.today():
            raise ValidationError(_l("The date they agreed cannot be in the future"))

    def validate(self, extra_validators=None) -> bool:  # type: ignore[no-untyped-def]
        valid = super().validate(extra_validators)
        # a field-level check would never run: Optional() stops at an empty date
        if self.dbs_check.data == CheckStatus.CLEAR.value and not self.dbs_expires_on.data:
            self.dbs_expires_on.errors = [
                *self.dbs_expires_on.errors,
                _l("Enter when the DBS check is due for renewal"),
            ]
            return False
        return valid


HOURS = [(str(h), str(h)) for h in range(0, 25)]
MINUTES = [("0", "0"), ("15", "15"), ("30", "30"), ("45", "45")]


class DurationMixin:
    hours = SelectField(_l("Hours"), choices=HOURS, default="1")
    minutes = SelectField(_l("Minutes"), choices=MINUTES, default="0")

    @property
    def total_minutes(self) -> int:
        return int(self.hours.data or 0) * 60 + int(self.minutes.data or 0)  # type: ignore[attr-defined]

    def check_duration(self) -> bool:
        total = self.total_minutes
        if total <= 0:
            self.hours.errors = [*self.hours.errors, _l("Enter how long the help took")]  # type: ignore[attr-defined]
            return False
        if total > 24 * 60:
            self.hours.errors = [
                *self.hours.errors,
                _l("Help given in one go can be at most 24 hours"),
            ]  # type: ignore[attr-defined]
            return False
        return True


class HelpDetailsMixin(DurationMixin):
    """What every record of help asks: how long, when, what kind, what it did, and a note."""

    skill = SelectField(
        _l("What kind of help?"),
        coerce=str,
        validators=[DataRequired(_l("Choose the kind of help"))],
    )
    given_on = DateField(
        _l("When was the help given?"),
        validators=[InputRequired(_l("Enter the date the help was given"))],
    )
    confirm_old_date = BooleanField(_l("Yes, the help was given on this date"))
    outcome_areas = MultiCheckboxField(
        _l("It helps older people in local communities who..."),
        choices=[(area.value, _l(label)) for area, label in OUTCOME_LABELS.items()],
    )
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=1000)])
    idempotency_key = IdempotencyKeyField()


class ExchangeForm(HelpDetailsMixin, Form):
    provider = StringField(
        _l("Who gave the help?"),
        description=_l("Start typing a name or member number."),
        validators=[DataRequired(_l("Enter who gave the help"))],
    )
    receiver = StringField(
        _l("Who received it?"),
        description=_l("Start typing a name or member number."),
        validators=[DataRequired(_l("Enter who received the help"))],
    )
    answers_request = HiddenField()


class GroupExchangeForm(HelpDetailsMixin, Form):
    provider = StringField(
        _l("Who gave the help?"),
        description=_l("Start typing a name or member number."),
        validators=[DataRequired(_l("Enter who gave the help"))],
    )
    receivers = TextAreaField(
        _l("Who received it?"),
        description=_l("One member a line: a name or member number."),
        validators=[DataRequired(_l("Enter at least one member who received the help"))],
    )


class PotCreditForm(HelpDetailsMixin, Form):
    members = TextAreaField(
        _l("Who gave time to the bank?"),
        description=_l("One member a line: a name or member number. Each gets the same hours."),
        validators=[DataRequired(_l("Enter at least one member"))],
    )
    skill = SelectField(
        _l("What did they do?"),
        coerce=str,
        validators=[DataRequired(_l("Choose the kind of help"))],
    )
    given_on = DateField(_l("When?"), validators=[InputRequired(_l("Enter the date"))])


POT = "pot"


class GiftForm(Form):
    giver = StringField(
        _l("Who gives the hours?"),
        description=_l("A name or member number, or “pot” for the community pot."),
        validators=[DataRequired(_l("Enter who gives the hours"))],
    )
    recipient = StringField(
        _l("Who receives them?"),
        description=_l("A name or member number, or “pot” for the community pot."),
        validators=[DataRequired(_l("Enter who receives the hours"))],
    )
    hours = IntegerField(
        _l("Hours"),
        default=1,
        validators=[
            InputRequired(_l("Enter the hours")),
            NumberRange(0, 999, _l("Enter a number of hours from 0 to 999")),
        ],
    )
    minutes = SelectField(_l("Minutes"), choices=MINUTES, default="0")
    note = TextAreaField(_l("Why?"), validators=[Optional(), Length(max=1000)])
    idempotency_key = IdempotencyKeyField()

    @property
    def total_minutes(self) -> int:
        return int(self.hours.data or 0) * 60 + int(self.minutes.data or 0)


class ReversalForm(Form):
    reason = TextAreaField(
        _l("Why is it being reversed?"),
        description=_l("Members see this on their statement."),
        validators=[DataRequired(_l("Say why the exchange is being reversed")), Length(max=500)],
    )


class LeaveForm(Form):
    left_on = DateField(
        _l("Date they left"), validators=[InputRequired(_l("Enter the date they left"))]
    )
    gift_to_pot = BooleanField(_l("Give their remaining hours to the community pot"), default=True)


class ErasureForm(Form):
    reason = TextAreaField(
        _l("Why are their details being erased?"),
        description=_l(
            "For example: they asked us to, by phone, on 3 March. Do not write their name here."
        ),
        validators=[
            DataRequired(_l("Say why their details are being erased")),
            Length(max=500, message=_l("Keep the reason to 500 characters or fewer")),
        ],
    )


class SearchForm(Form):
    class Meta:
        csrf = False

    q = StringField(_l("Name or member number"), validators=[Optional()])
    skill = SelectField(_l("Offers this help"), coerce=str, validators=[Optional()])
    area = StringField(_l("Postcode district"), validators=[Optional(), Length(max=8)])


class MemberAccountForm(Form):
    email = StringField(
        _l("Their email address"),
        validators=[
            DataRequired(_l("Enter their email address")),
            Email(_l("Enter a real email address")),
            Length(max=254),
        ],
    )
