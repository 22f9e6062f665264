"""Marshmallow schemas for one row of a members or exchanges spreadsheet.

The CSV import uses them now and the JSON API will reuse them, so they know nothing of CSV or
Flask. Each schema takes what it cannot know by itself (the bank's date today; for exchanges,
the bank's members and kinds of help) when it is made.

Messages are plain English marked with ``N_`` so ``pybabel`` collects them; a page translates
them when it shows them. They carry no placeholders: the page shows the cell's value beside
the message, so the message itself never needs it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from babel import Locale, UnknownLocaleError
from marshmallow import (
    EXCLUDE,
    Schema,
    ValidationError,
    fields,
    post_load,
    pre_load,
    validates,
    validates_schema,
)
from marshmallow.validate import Length, OneOf, Range

from timebank.db import id_from_text
from timebank.imports.csv_safety import unneutralise
from timebank.ledger import MAX_HELP_MINUTES
from timebank.members.catalogue import N_
from timebank.members.models import ContactMethod, MemberStatus
from timebank.text import without_direction_controls

#: The first half of a UK postcode, as MemberForm accepts it: "BT9", "BT48", "SW1A".
POSTCODE_DISTRICT = re.compile(r"^[A-Z]{1,2}[0-9][0-9A-Z]?$")

#: Dates as spreadsheets write them: ISO first, then the UK's day-first forms (never US order).
DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%d/%m/%y")

#: Help is recorded in quarter hours, as on the logging page.
QUARTER_HOUR = 15
QUARTER_HOURS_MESSAGE = {
    "hours": N_("Record help in quarter hours, like 0.25, 0.5 or 1.75"),
    "minutes": N_("Record help in quarter hours, like 15, 30 or 45 minutes"),
}


class Day(fields.Field):
    """A calendar date written as 2024-03-01 or 01/03/2024 (day first, as in the UK)."""

    default_error_messages = {
        "invalid": N_("Write the date as 2024-03-01 or 01/03/2024"),
    }

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> date:
        if isinstance(value, date):
            return value
        text = str(value).strip()
        # spreadsheets often add a time of midnight to a date
        text = re.sub(r"[ T]00:00(:00)?$", "", text)
        for pattern in DATE_FORMATS:
            try:
                return datetime.strptime(text, pattern).date()
            except ValueError:
                continue
        raise self.make_error("invalid")


class Text(fields.String):
    """Text with stray spaces removed."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        return super()._deserialize(value, attr, data, **kwargs).strip()


class RowSchema(Schema):
    """What every row schema shares: unknown columns are ignored, and empty cells count as
    missing, so a required column left blank says so."""

    class Meta:
        unknown = EXCLUDE

    def __init__(self, *, today: date, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        #: The bank's date today: nothing may have happened after it.
        self.today = today

    @pre_load
    def _drop_empty_cells(self, data: Any, **kwargs: Any) -> Any:
        if not isinstance(data, Mapping):
            return data
        cleaned = {}
        for key, value in data.items():
            if isinstance(value, str):
                # undo our own export's guard against formulas, so an export imports as it was;
                # direction controls could turn a name backwards on every page (timebank.text)
                value = unneutralise(without_direction_controls(value)).strip()
                if not value:
                    continue
            elif value is None:
                continue
            cleaned[key] = value
        return cleaned

    def _not_future(self, value: date | None, message: str) -> None:
        if value is not None and value > self.today:
            raise ValidationError(message)


def _language_names() -> dict[str, str]:
    """English names of languages, lower-cased, to their codes: "polish" is "pl"."""
    return {name.lower(): code for code, name in Locale("en").languages.items() if "_" not in code}


_LANGUAGES = _language_names()


class Language(fields.String):
    """A language as a code ("pl", "en_GB") or its English name ("Polish"); loads as a code."""

    default_error_messages = {
        "unknown": N_("Write the language as a code like pl, or its name in English like Polish"),
    }

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs).strip()
        if text.lower() in _LANGUAGES:
            return _LANGUAGES[text.lower()]
        try:
            locale = Locale.parse(text.replace("-", "_"))
        except (ValueError, UnknownLocaleError):
            raise self.make_error("unknown") from None
        return locale.language


class MemberRowSchema(RowSchema):
    """One member. Loads to the keyword arguments of
    :func:`timebank.members.operations.register_member` (those not given are left out)."""

    full_name = Text(
        required=True,
        validate=Length(max=200, error=N_("The name is too long: 200 letters at most")),
        error_messages={"required": N_("Enter the member's full name")},
    )
    display_name = Text(
        data_key="preferred_name",
        validate=Length(max=100, error=N_("The preferred name is too long: 100 letters at most")),
    )
    phone = Text(validate=Length(max=40, error=N_("The phone number is too long")))
    area = Text()
    birth_year = fields.Integer(
        strict=False, error_messages={"invalid": N_("Write the year of birth as a number")}
    )
    preferred_locale = Language(data_key="preferred_language")
    contact_method = Text(
        validate=OneOf(
            [m.value for m in ContactMethod],
            error=N_("Write one of: phone, text, letter, carer"),
        )
    )
    consent_on = Day(
        data_key="consent_date",
        required=True,
        error_messages={"required": N_("Enter the date the member agreed to be on the register")},
    )
    consent_wording = Text(
        validate=Length(max=2000, error=N_("The consent wording is too long: 2000 letters at most"))
    )
    joined_on = Day()

    @pre_load
    def _lower_choices(self, data: Any, **kwargs: Any) -> Any:
        if isinstance(data, Mapping) and isinstance(data.get("contact_method"), str):
            data = {**data, "contact_method": data["contact_method"].lower()}
        return data

    @validates("area")
    def _check_area(self, value: str, data_key: str, **kwargs: Any) -> None:
        if not POSTCODE_DISTRICT.match(value.upper().replace(" ", "")):
            raise ValidationError(N_("Enter the first half of a postcode, like BT9 or BT48"))

    @validates("birth_year")
    def _check_birth_year(self, value: int, data_key: str, **kwargs: Any) -> None:
        Range(1900, self.today.year, error=N_("Enter a year between 1900 and this year"))(value)

    @validates("consent_on")
    def _check_consent_on(self, value: date, data_key: str, **kwargs: Any) -> None:
        self._not_future(value, N_("The date they agreed cannot be in the future"))

    @validates("joined_on")
    def _check_joined_on(self, value: date, data_key: str, **kwargs: Any) -> None:
        self._not_future(value, N_("The date they joined cannot be in the future"))

    @post_load
    def _to_profile(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        if "area" in data:
            data["area"] = data["area"].upper().replace(" ", "")
        if "contact_method" in data:
            data["contact_method"] = ContactMethod(data["contact_method"])
        return data


@dataclass(frozen=True)
class MemberRef:
    """What an exchange row needs to know of a member named by number."""

    id: int
    number: int
    account_id: int
    status: MemberStatus


class MemberNumber(fields.Field):
    """A member number, written 12 or #12."""

    default_error_messages = {
        "invalid": N_("Write the member number, like 12"),
    }

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> int:
        text = str(value).strip().lstrip("#").strip()
        # a spreadsheet may have turned 12 into 12.0
        text = re.sub(r"\.0+$", "", text)
        number = id_from_text(text)
        if number is None:
            raise self.make_error("invalid")
        return number


class Hours(fields.Field):
    """Hours as a decimal (1.5) or as hours and minutes (1:30); loads as whole minutes."""

    default_error_messages = {
        "invalid": N_("Write the hours as a number, like 1.5, or as 1:30"),
    }

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> int:
        text = str(value).strip()
        try:
            if ":" in text:
                hours, _, minutes = text.partition(":")
                if not minutes.isdigit() or int(minutes) >= 60:
                    raise self.make_error("invalid")
                total = Decimal(int(hours or "0") * 60 + int(minutes))
            else:
                total = Decimal(text) * 60
        except (InvalidOperation, ValueError):
            raise self.make_error("invalid") from None
        if total != total.to_integral_value():
            raise ValidationError(QUARTER_HOURS_MESSAGE["hours"])
        return int(total)


def _filled(row: Mapping[str, Any]) -> set[str]:
    """The columns of a raw row that hold something."""
    return {k for k, v in row.items() if v is not None and str(v).strip()}


class ExchangeRowSchema(RowSchema):
    """One exchange: on ``date`` the ``provider`` gave the ``receiver`` some help.

    ``members`` maps the bank's member numbers to :class:`MemberRef`; ``skills`` maps each kind
    of help's code and names, lower-cased, to its id. Loads to ``given_on``, ``provider`` and
    ``receiver`` (MemberRef), ``minutes``, ``skill_id`` and ``note``.
    """

    given_on = Day(
        data_key="date",
        required=True,
        error_messages={"required": N_("Enter the date the help was given")},
    )
    provider = MemberNumber(
        required=True, error_messages={"required": N_("Enter the member number of who gave help")}
    )
    receiver = MemberNumber(
        required=True,
        error_messages={"required": N_("Enter the member number of who received help")},
    )
    minutes = fields.Integer(
        strict=False, error_messages={"invalid": N_("Write the minutes as a whole number")}
    )
    hours = Hours()
    skill = Text(
        required=True, error_messages={"required": N_("Enter the kind of help, like shopping")}
    )
    note = Text(validate=Length(max=1000, error=N_("The note is too long: 1000 letters at most")))

    def __init__(
        self,
        *,
        today: date,
        members: Mapping[int, MemberRef],
        skills: Mapping[str, int],
        **kwargs: Any,
    ) -> None:
        super().__init__(today=today, **kwargs)
        self.members = members
        self.skills = skills

    @validates("given_on")
    def _check_given_on(self, value: date, data_key: str, **kwargs: Any) -> None:
        self._not_future(value, N_("The date cannot be in the future"))

    @validates("provider", "receiver")
    def _check_member(self, value: int, data_key: str, **kwargs: Any) -> None:
        member = self.members.get(value)
        if member is None:
            raise ValidationError(N_("There is no member with this number in the bank"))
        if member.status == MemberStatus.LEFT:
            raise ValidationError(N_("This member has left the bank"))

    @validates("skill")
    def _check_skill(self, value: str, data_key: str, **kwargs: Any) -> None:
        if value.lower() not in self.skills:
            raise ValidationError(N_("This is not a kind of help on the list"))

    @validates_schema(skip_on_field_errors=False, pass_original=True)
    def _check_pair_and_time(
        self, data: dict[str, Any], original: Mapping[str, Any], **kwargs: Any
    ) -> None:
        errors: dict[str, list[str]] = {}
        if data.get("provider") is not None and data.get("provider") == data.get("receiver"):
            errors["receiver"] = [N_("The same member cannot both give and receive the help")]
        minutes, from_hours = data.get("minutes"), data.get("hours")
        column = "minutes" if minutes is not None else "hours"
        total = minutes if minutes is not None else from_hours
        if total is None:
            # a column that failed to read has said so already
            if not ({"minutes", "hours"} & set(_filled(original))):
                errors["hours"] = [N_("Enter how long the help took, in hours or minutes")]
        elif minutes is not None and from_hours is not None and minutes != from_hours:
            errors["minutes"] = [N_("The minutes and the hours do not agree")]
        elif total <= 0:
            errors[column] = [N_("Enter how long the help took: more than nothing")]
        elif total > MAX_HELP_MINUTES:
            errors[column] = [N_("Help given in one go can be at most 24 hours")]
        elif total % QUARTER_HOUR:
            errors[column] = [QUARTER_HOURS_MESSAGE[column]]
        if errors:
            raise ValidationError(errors)

    @post_load
    def _resolve(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        minutes = data.pop("minutes", None)
        from_hours = data.pop("hours", None)
        data["minutes"] = minutes if minutes is not None else from_hours
        data["provider"] = self.members[data["provider"]]
        data["receiver"] = self.members[data["receiver"]]
        data["skill_id"] = self.skills[data.pop("skill").lower()]
        data.setdefault("note", None)
        return data
