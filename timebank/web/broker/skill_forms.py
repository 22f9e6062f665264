"""Forms for offers and requests, a bank's own kinds of help, monitoring and target groups."""

from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from wtforms import DateField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from timebank.members.models import SkillDirection
from timebank.members.monitoring import LABELS, QUESTIONS, TARGET_GROUPS
from timebank.web.broker.forms import MultiCheckboxField
from timebank.web.forms import Form

#: The answer that leaves a question empty: asked about nothing, so reports say "not asked".
NOT_ASKED = ""


def _strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


class MemberSkillForm(Form):
    direction = RadioField(
        _l("This is"),
        choices=[
            (SkillDirection.OFFER.value, _l("Help they can give")),
            (SkillDirection.REQUEST.value, _l("Help they would like")),
        ],
        default=SkillDirection.OFFER.value,
    )
    skill = SelectField(
        _l("What kind of help?"),
        coerce=str,
        validators=[DataRequired(_l("Choose the kind of help"))],
    )
    note = TextAreaField(
        _l("In their own words"),
        description=_l("For example: “Tuesday mornings only” or “can drive to the hospital”."),
        filters=[_strip],
        validators=[Optional(), Length(max=1000)],
    )


class NoteForm(Form):
    note = TextAreaField(
        _l("In their own words"),
        filters=[_strip],
        validators=[Optional(), Length(max=1000)],
    )


class BankSkillForm(Form):
    name = StringField(
        _l("Name of the kind of help"),
        description=_l("In plain words, as members would say it. For example: “Bee keeping”."),
        filters=[_strip],
        validators=[DataRequired(_l("Enter a name for the kind of help")), Length(max=100)],
    )


class TargetGroupsForm(Form):
    target_groups = MultiCheckboxField(
        _l("Who was this time bank funded to reach?"),
        choices=[(code, _l(group.label)) for code, group in TARGET_GROUPS.items()],
    )


def _answer_field(question: str) -> RadioField:
    label, choices = QUESTIONS[question]
    return RadioField(
        _l(label),
        choices=[
            (NOT_ASKED, _l("Not asked")),
            *[(answer.value, _l(LABELS[answer.value])) for answer in choices],
        ],
        default=NOT_ASKED,
        # "Not asked" is a real choice: an empty answer is allowed, and stays empty
        validate_choice=True,
    )


class MonitoringForm(Form):
    """One radio group a question, each with "Not asked" and "Prefer not to say"."""

    consent_on = DateField(
        _l("Date they agreed to answer"),
        description=_l("Needed before any answer is kept."),
        validators=[Optional()],
    )
    age_band = _answer_field("age_band")
    gender = _answer_field("gender")
    ethnicity = _answer_field("ethnicity")
    sexual_orientation = _answer_field("sexual_orientation")
    carer = _answer_field("carer")
    bereaved = _answer_field("bereaved")
    dementia = _answer_field("dementia")
    lives_alone = _answer_field("lives_alone")
    disability = _answer_field("disability")

    def answers(self) -> dict[str, str | None]:
        return {q: getattr(self, q).data or None for q in QUESTIONS}

    def validate(self, extra_validators=None) -> bool:  # type: ignore[no-untyped-def]
        ok = super().validate(extra_validators)
        consent = self.consent_on
        # Optional() stops the field's own validators on an empty date, so check here
        if consent.data is None and not consent.errors and any(self.answers().values()):
            consent.errors = [
                _l("Enter the date they agreed to answer, or set every answer to “Not asked”")
            ]
            ok = False
        if consent.data and consent.data > date.today():
            consent.errors = [_l("The date they agreed cannot be in the future")]
            ok = False
        return ok


if not set(QUESTIONS) <= set(MonitoringForm.__dict__):
    raise RuntimeError("every question needs a field")
