"""The member pages' forms: few fields, choices rather than typing, plain words."""

from __future__ import annotations

from datetime import date, timedelta

from flask_babel import lazy_gettext as _l
from wtforms import DateField, RadioField, SelectField, TextAreaField
from wtforms.validators import Length, Optional

from timebank.web.forms import Form, IdempotencyKeyField

#: How far back a member may record help on their own pages; older help goes through a broker.
MAX_DAYS_BACK = 90
#: Up to a day of help, in whole hours and quarter hours.
HOURS = [(str(h), str(h)) for h in range(0, 25)]
MINUTES = [("0", "0"), ("15", "15"), ("30", "30"), ("45", "45")]


class RecordForm(Form):
    """Help the member gave: who, what, how long and when. Sent twice: to check, then to send."""

    receiver = SelectField(
        _l("Who did you help?"),
        coerce=int,
        validate_choice=True,
        description=_l("The list shows each member's name and member number."),
    )
    skill = SelectField(_l("What kind of help?"), coerce=int, validate_choice=True)
    hours = SelectField(_l("Hours"), choices=HOURS, default="1")
    minutes = SelectField(_l("Minutes"), choices=MINUTES, default="0")
    when = RadioField(
        _l("When did you help?"),
        choices=[
            ("today", _l("Today")),
            ("yesterday", _l("Yesterday")),
            ("other", _l("Another day")),
        ],
        default="today",
    )
    other_day = DateField(_l("Which day?"), validators=[Optional()])
    #: One key per filled-in form: sending it twice records the help once.
    key = IdempotencyKeyField(required=True)

    @property
    def total_minutes(self) -> int:
        """How long, or 0 when hours or minutes are not among the choices (validate says so)."""
        chosen = (self.hours.data or "0", self.minutes.data or "0")
        if chosen[0] not in dict(HOURS) or chosen[1] not in dict(MINUTES):
            return 0
        return int(chosen[0]) * 60 + int(chosen[1])

    def given_on(self, today: date) -> date | None:
        """The day chosen, at the bank."""
        if self.when.data == "today":
            return today
        if self.when.data == "yesterday":
            return today - timedelta(days=1)
        return self.other_day.data

    def check(self, today: date) -> bool:
        """Validate, including how long and when, against the bank's ``today``."""
        valid = self.validate()
        # the first choice of each list is "Choose ...", whose value is 0
        if not self.receiver.data:
            self.receiver.errors = [*self.receiver.errors, _l("Choose who you helped")]
            valid = False
        if not self.skill.data:
            self.skill.errors = [*self.skill.errors, _l("Choose the kind of help")]
            valid = False
        total = self.total_minutes
        if total <= 0:
            self.hours.errors = [*self.hours.errors, _l("Choose how long you helped")]
            valid = False
        elif total > 24 * 60:
            self.hours.errors = [*self.hours.errors, _l("Help in one go can be at most 24 hours")]
            valid = False
        day = self.given_on(today)
        if self.when.data == "other":
            if day is None:
                self.other_day.errors = [*self.other_day.errors, _l("Enter the day you helped")]
                valid = False
            elif day > today:
                self.other_day.errors = [
                    *self.other_day.errors,
                    _l("That day has not come yet. Choose a day that has passed."),
                ]
                valid = False
            elif day < today - timedelta(days=MAX_DAYS_BACK):
                self.other_day.errors = [
                    *self.other_day.errors,
                    _l("That is more than 90 days ago. Please ring your broker to record it."),
                ]
                valid = False
        return valid


class AddSkillForm(Form):
    """An offer of help, or a request for it."""

    direction = RadioField(
        _l("Is this help you can give, or help you would like?"),
        choices=[("offer", _l("Help I can give")), ("request", _l("Help I would like"))],
        default="offer",
    )
    skill = SelectField(_l("What kind of help?"), coerce=int, validate_choice=True)
    note = TextAreaField(
        _l("A few words about it"),
        description=_l("For example: Tuesday mornings, or near the library."),
        validators=[Optional(), Length(max=500, message=_l("Please use 500 letters or fewer"))],
    )

    def check(self) -> bool:
        valid = self.validate()
        if not self.skill.data:
            self.skill.errors = [*self.skill.errors, _l("Choose the kind of help")]
            valid = False
        return valid
