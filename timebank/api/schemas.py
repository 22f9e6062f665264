"""Marshmallow schemas for every body the API reads or writes.

Reading is strict: unknown fields are refused, types are never coerced (``"5"`` is not 5, and
``1`` is not true), every string and list has a bound, and text that no database could store
(a NUL, a lone surrogate) is refused rather than failing later. The OpenAPI document is
generated from these same classes.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any
from zoneinfo import available_timezones

from marshmallow import (
    RAISE,
    Schema,
    ValidationError,
    fields,
    post_load,
    validates,
    validates_schema,
)
from marshmallow.validate import Length, OneOf, Range

from timebank.banks.models import DEFAULT_FLOOR_MINUTES
from timebank.db import MAX_ID
from timebank.imports.schemas import POSTCODE_DISTRICT
from timebank.ledger import MAX_AMOUNT, MAX_HELP_MINUTES, OutcomeArea, TransferKind, Unit
from timebank.ledger.models import PendingStatus
from timebank.members.models import CheckStatus, ContactMethod, MemberKind, MemberStatus

#: The earliest and latest dates the API takes: far enough for any real record.
FIRST_DAY = date(1900, 1, 1)
LAST_DAY = date(2100, 12, 31)
MAX_PAGE = 100
DEFAULT_PAGE = 50
LOCALE = re.compile(r"^[a-z]{2,3}(_[A-Z]{2})?$")


# -- strict fields --------------------------------------------------------------------------------


class Str(fields.String):
    """A string a database can store: no NUL, no lone surrogates."""

    default_error_messages = {"unstorable": "Text may not contain NUL or unpaired surrogates."}

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        if "\x00" in text:
            raise self.make_error("unstorable")
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            raise self.make_error("unstorable") from None
        return text


class Int(fields.Integer):
    """A JSON integer: not a float, a string, or a boolean."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(strict=True, **kwargs)

    def _validated(self, value: Any) -> int:
        if isinstance(value, bool):
            raise self.make_error("invalid")
        return super()._validated(value)


class Bool(fields.Boolean):
    """A JSON true or false, nothing else."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> bool:
        if not isinstance(value, bool):
            raise self.make_error("invalid")
        return value


class Day(fields.Date):
    """An ISO date, YYYY-MM-DD, between 1900 and 2100."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("validate", Range(FIRST_DAY, LAST_DAY))
        super().__init__(**kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> date:
        if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            raise self.make_error("invalid")
        return super()._deserialize(value, attr, data, **kwargs)


def Id(**kwargs: Any) -> Int:  # noqa: N802  (reads like a field class)
    return Int(validate=Range(1, MAX_ID), **kwargs)


def QueryId(**kwargs: Any) -> fields.Integer:  # noqa: N802
    """An id in a query string, where everything arrives as text."""
    return fields.Integer(strict=False, validate=Range(1, MAX_ID), **kwargs)


#: The value of a figure hidden in the funder's view: one component, so that a generated client
#: has one type for it rather than one for each figure.
SUPPRESSED_SCHEMA: dict[str, Any] = {
    "type": "string",
    "enum": ["*"],
    # a generated client's name for the value, as in timebank.reports.suppression
    "x-enum-varnames": ["STAR"],
    "description": "A figure hidden in the funder's view: a count of 1 to 7 people, or what "
    "would reveal one (see docs/reports.md).",
}
SUPPRESSED = {"$ref": "#/components/schemas/Suppressed"}


class Figure(fields.Raw):
    """A report figure: a whole number (of people, minutes or exchanges), or ``"*"`` if hidden."""

    json_type = "integer"
    nullable = False

    def __init__(self, **kwargs: Any) -> None:
        shapes = [{"type": self.json_type}, SUPPRESSED]
        if self.nullable:
            shapes.append({"type": "null"})
        metadata = {"oneOf": shapes, **kwargs.pop("metadata", {})}
        super().__init__(required=True, metadata=metadata, **kwargs)


class Ratio(Figure):
    """A percentage, mean or median to one decimal; ``"*"`` if hidden; null over nothing."""

    json_type = "number"
    nullable = True


def Pence(**kwargs: Any) -> fields.Integer:  # noqa: N802
    """A sum of money in whole pence, never hidden."""
    return fields.Integer(required=True, metadata={"description": "In pence."}, **kwargs)


def _enum(values: Any) -> OneOf:
    return OneOf([v.value for v in values])


class Strict(Schema):
    """Unknown fields are refused."""

    class Meta:
        unknown = RAISE


# -- errors ---------------------------------------------------------------------------------------


class ErrorSchema(Strict):
    code = fields.String(
        required=True,
        metadata={"description": "Stable: validation_failed, exceeds_floor, not_found, ..."},
    )
    message = fields.String(required=True, metadata={"description": "For developers, English."})
    errors = fields.Dict(
        keys=fields.String(),
        values=fields.List(fields.String()),
        metadata={"description": "For validation_failed: the messages for each field."},
    )


# -- programmes and banks -------------------------------------------------------------------------


class ProgrammeIn(Strict):
    name = Str(required=True, validate=Length(1, 200))
    funder = Str(required=True, validate=Length(1, 200))
    starts_on = Day(allow_none=True)
    ends_on = Day(allow_none=True)

    @validates_schema
    def _in_order(self, data: dict[str, Any], **kwargs: Any) -> None:
        if data.get("starts_on") and data.get("ends_on") and data["starts_on"] > data["ends_on"]:
            raise ValidationError("The programme ends before it starts.", "ends_on")


class ProgrammeOut(Strict):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    funder = fields.String(required=True)
    starts_on = fields.Date(required=True, allow_none=True)
    ends_on = fields.Date(required=True, allow_none=True)
    created_at = fields.AwareDateTime(required=True)


_TIMEZONES = sorted(available_timezones())


class BankIn(Strict):
    name = Str(required=True, validate=Length(1, 200))
    programme_id = Id(allow_none=True)
    floor_minutes = Int(
        validate=Range(-MAX_AMOUNT[Unit.HOURS], 0),
        metadata={
            "description": f"The most a new member may owe, as minutes at or below zero "
            f"(default {DEFAULT_FLOOR_MINUTES})."
        },
    )
    welcome_minutes = Int(
        validate=Range(0, 100 * 60),
        metadata={"description": "Minutes from the pot for each member who joins (default 0)."},
    )
    timezone = Str(
        validate=Length(1, 64), metadata={"description": "An IANA zone; Europe/London by default."}
    )
    focus = Str(validate=Length(0, 2000))
    help_phone = Str(validate=Length(0, 40))

    @validates("timezone")
    def _known_zone(self, value: str, **kwargs: Any) -> None:
        if value not in _TIMEZONES:
            raise ValidationError("Not a time zone, like Europe/London.")


class BankOut(Strict):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    programme_id = fields.Integer(required=True, allow_none=True)
    floor_minutes = fields.Integer(required=True)
    welcome_minutes = fields.Integer(required=True)
    timezone = fields.String(required=True)
    focus = fields.String(required=True)
    help_phone = fields.String(required=True)
    today = fields.Date(required=True, metadata={"description": "Today's date at the bank."})
    created_at = fields.AwareDateTime(required=True)


class BankList(Strict):
    items = fields.List(fields.Nested(BankOut), required=True)


# -- members --------------------------------------------------------------------------------------


class MemberFields(Strict):
    """The profile fields a broker may set; shared by creating and changing a member."""

    full_name = Str(validate=Length(1, 200))
    display_name = Str(validate=Length(1, 100))
    kind = Str(validate=_enum(MemberKind))
    phone = Str(validate=Length(0, 40))
    area = Str(
        validate=Length(0, 8),
        metadata={"description": "The first half of a UK postcode, like BT9; empty for none."},
    )
    birth_year = Int(allow_none=True, validate=Range(1900, 2100))
    preferred_locale = Str(validate=Length(2, 16), metadata={"pattern": LOCALE.pattern})
    contact_method = Str(validate=_enum(ContactMethod))
    needs_large_print = Bool()
    needs_interpreter = Bool()
    needs_hearing_support = Bool()
    supporter_name = Str(validate=Length(0, 200))
    supporter_phone = Str(validate=Length(0, 40))
    supporter_relationship = Str(validate=Length(0, 100))
    consent_on = Day(allow_none=True)
    consent_wording = Str(validate=Length(0, 2000))
    visits_homes = Bool()
    reference_check = Str(validate=_enum(CheckStatus))
    dbs_check = Str(validate=_enum(CheckStatus))
    dbs_expires_on = Day(allow_none=True)

    @validates("area")
    def _area(self, value: str, **kwargs: Any) -> None:
        if value and not POSTCODE_DISTRICT.match(value.upper().replace(" ", "")):
            raise ValidationError("The first half of a postcode, like BT9 or BT48.")

    @validates("preferred_locale")
    def _locale(self, value: str, **kwargs: Any) -> None:
        if not LOCALE.match(value):
            raise ValidationError("A language code, like en or pl.")

    @validates("birth_year")
    def _born(self, value: int | None, **kwargs: Any) -> None:
        if value is not None and value > date.today().year:
            raise ValidationError("The year of birth cannot be in the future.")

    @post_load
    def _tidy(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        if "area" in data:
            data["area"] = data["area"].upper().replace(" ", "")
        for name, kind in (
            ("kind", MemberKind),
            ("contact_method", ContactMethod),
            ("reference_check", CheckStatus),
            ("dbs_check", CheckStatus),
        ):
            if name in data:
                data[name] = kind(data[name])
        return data


class MemberIn(MemberFields):
    display_name = Str(
        required=True,
        validate=Length(1, 100),
        metadata={"description": "The name the member likes to be called."},
    )
    full_name = Str(
        validate=Length(1, 200), metadata={"description": "Defaults to the display name."}
    )
    joined_on = Day(metadata={"description": "Defaults to today at the bank."})


class MemberPatch(MemberFields):
    status = Str(
        validate=OneOf([MemberStatus.ACTIVE.value, MemberStatus.PAUSED.value]),
        metadata={"description": "Pause a member, or make them active again."},
    )


class MemberOut(Strict):
    id = fields.Integer(required=True)
    bank_id = fields.Integer(required=True)
    member_number = fields.Integer(required=True)
    display_name = fields.String(required=True)
    full_name = fields.String(required=True)
    kind = fields.String(required=True, validate=_enum(MemberKind))
    status = fields.String(required=True, validate=_enum(MemberStatus))
    joined_on = fields.Date(required=True)
    left_on = fields.Date(required=True, allow_none=True)
    balance_minutes = fields.Integer(
        required=True, metadata={"description": "Minutes held; below zero when owing."}
    )
    floor_minutes = fields.Integer(
        required=True, allow_none=True, metadata={"description": "The most the member may owe."}
    )
    phone = fields.String(required=True)
    area = fields.String(required=True)
    birth_year = fields.Integer(required=True, allow_none=True)
    preferred_locale = fields.String(required=True)
    contact_method = fields.String(required=True, validate=_enum(ContactMethod))
    needs_large_print = fields.Boolean(required=True)
    needs_interpreter = fields.Boolean(required=True)
    needs_hearing_support = fields.Boolean(required=True)
    supporter_name = fields.String(required=True)
    supporter_phone = fields.String(required=True)
    supporter_relationship = fields.String(required=True)
    consent_on = fields.Date(required=True, allow_none=True)
    consent_wording = fields.String(required=True)
    visits_homes = fields.Boolean(required=True)
    reference_check = fields.String(required=True, validate=_enum(CheckStatus))
    dbs_check = fields.String(required=True, validate=_enum(CheckStatus))
    dbs_expires_on = fields.Date(required=True, allow_none=True)
    created_at = fields.AwareDateTime(required=True)


class PageQuery(Strict):
    limit = fields.Integer(
        strict=False,
        load_default=DEFAULT_PAGE,
        validate=Range(1, MAX_PAGE),
        metadata={"description": f"Items per page, 1 to {MAX_PAGE}."},
    )
    cursor = Str(
        validate=Length(1, 100),
        metadata={"description": "next_cursor from the page before; omit for the first page."},
    )


class MemberPage(Strict):
    items = fields.List(fields.Nested(MemberOut), required=True)
    next_cursor = fields.String(required=True, allow_none=True)


# -- exchanges ------------------------------------------------------------------------------------


class ExchangeIn(Strict):
    provider_id = Id(required=True, metadata={"description": "The member who gave the help."})
    receiver_id = Id(required=True, metadata={"description": "The member who received it."})
    minutes = Int(
        required=True,
        validate=Range(1, MAX_HELP_MINUTES),
        metadata={"description": "How long the help took, in whole minutes (24 hours at most)."},
    )
    skill = Str(
        allow_none=True,
        validate=Length(1, 40),
        metadata={"description": "The code of the kind of help (see GET /skills)."},
    )
    date = Day(metadata={"description": "The day it was given; today at the bank if left out."})
    note = Str(allow_none=True, validate=Length(0, 1000))
    outcome_areas = fields.List(
        Str(validate=_enum(OutcomeArea)),
        validate=Length(0, len(OutcomeArea)),
        metadata={"uniqueItems": True},
    )

    @validates("outcome_areas")
    def _distinct(self, value: list[str], **kwargs: Any) -> None:
        if len(set(value)) != len(value):
            raise ValidationError("An outcome area is listed twice.")


class ExchangeOut(Strict):
    id = fields.Integer(required=True)
    bank_id = fields.Integer(required=True)
    kind = fields.String(required=True, validate=_enum(TransferKind))
    minutes = fields.Integer(required=True)
    date = fields.Date(required=True)
    provider_id = fields.Integer(
        required=True,
        allow_none=True,
        metadata={"description": "The member whose account earned; null for the pot."},
    )
    receiver_id = fields.Integer(
        required=True,
        allow_none=True,
        metadata={"description": "The member whose account paid; null for the pot."},
    )
    skill = fields.String(required=True, allow_none=True)
    note = fields.String(required=True, allow_none=True)
    outcome_areas = fields.List(fields.String(validate=_enum(OutcomeArea)), required=True)
    recorded_at = fields.AwareDateTime(required=True)
    reverses_id = fields.Integer(required=True, allow_none=True)
    reversed_by_id = fields.Integer(required=True, allow_none=True)


class ExchangeQuery(PageQuery):
    member = QueryId(metadata={"description": "Only exchanges this member gave or received."})
    from_ = Day(data_key="from", metadata={"description": "Given on or after this day."})
    to = Day(metadata={"description": "Given on or before this day."})


class ExchangePage(Strict):
    items = fields.List(fields.Nested(ExchangeOut), required=True)
    next_cursor = fields.String(required=True, allow_none=True)


class ReversalIn(Strict):
    reason = Str(
        required=True,
        validate=Length(1, 500),
        metadata={"description": "Why the exchange is being put right."},
    )


class PendingOut(Strict):
    id = fields.Integer(required=True)
    bank_id = fields.Integer(required=True)
    status = fields.String(required=True, validate=_enum(PendingStatus))
    minutes = fields.Integer(required=True)
    date = fields.Date(required=True)
    provider_id = fields.Integer(required=True, allow_none=True)
    receiver_id = fields.Integer(required=True, allow_none=True)
    skill = fields.String(required=True, allow_none=True)
    note = fields.String(required=True)
    outcome_areas = fields.List(fields.String(), required=True)
    created_at = fields.AwareDateTime(required=True)
    expires_at = fields.AwareDateTime(required=True)
    transfer_id = fields.Integer(required=True, allow_none=True)


class PendingPage(Strict):
    items = fields.List(fields.Nested(PendingOut), required=True)
    next_cursor = fields.String(required=True, allow_none=True)


class VoidIn(Strict):
    reason = Str(validate=Length(0, 500))


# -- skills ---------------------------------------------------------------------------------------


class SkillQuery(Strict):
    bank_id = QueryId(metadata={"description": "Add this bank's own kinds of help."})


class SkillOut(Strict):
    id = fields.Integer(required=True)
    code = fields.String(required=True)
    name = fields.String(required=True, metadata={"description": "In English."})
    bank_id = fields.Integer(required=True, allow_none=True)


class SkillList(Strict):
    items = fields.List(fields.Nested(SkillOut), required=True)


# -- reports --------------------------------------------------------------------------------------


class ReportQuery(Strict):
    from_ = Day(
        data_key="from", metadata={"description": "First day; twelve months back by default."}
    )
    to = Day(metadata={"description": "Last day; today by default."})


class MemberFiguresOut(Strict):
    registered = Figure()
    joined = Figure()
    active = Figure()
    left = Figure()


class HourFiguresOut(Strict):
    minutes = Figure()
    exchanges = Figure()
    minutes_per_active = Ratio()
    exchanges_per_active = Ratio()
    median_minutes_per_active = Ratio()


class PotFlowOut(Strict):
    kind = fields.String(required=True)
    minutes_in = Figure()
    minutes_out = Figure()


class ReciprocityOut(Strict):
    both = Figure()
    both_share = Ratio()
    gave_only = Figure()
    mostly_gave = Figure()
    balanced = Figure()
    mostly_received = Figure()
    received_only = Figure()
    within_ten_hours = Figure()
    within_ten_hours_share = Ratio()
    pot = fields.List(fields.Nested(PotFlowOut), required=True)


class SegmentOut(Strict):
    members = Figure()
    share_of_membership = Ratio()
    active = Figure()
    share_active = Ratio()
    minutes_given = Figure()
    minutes_received = Figure()
    both = Figure()
    reciprocity_share = Ratio()


class ReachRowOut(Strict):
    segment = fields.String(required=True)
    group = fields.Nested(SegmentOut, required=True)
    rest = fields.Nested(SegmentOut, required=True)


class ReachTableOut(Strict):
    code = fields.String(required=True)
    kind = fields.String(required=True, validate=OneOf(["target_group", "question"]))
    rows = fields.List(fields.Nested(ReachRowOut), required=True)
    total = fields.Nested(SegmentOut, required=True)


class OutcomeOut(Strict):
    area = fields.String(required=True)
    exchanges = Figure()
    minutes = Figure()


class MonthOut(Strict):
    month = fields.Date(required=True)
    registered = Figure()
    joined = Figure()
    left = Figure()
    active = Figure()
    exchanges = Figure()
    minutes = Figure()


class BankSummaryOut(Strict):
    bank_id = fields.Integer(required=True)
    registered = Figure()
    joined = Figure()
    left = Figure()
    active = Figure()
    exchanges = Figure()
    minutes = Figure()


class LineMoneyOut(Strict):
    name = fields.String(required=True)
    budgeted = Pence()
    spent = Pence()
    spent_to_date = Pence()


class MoneyOut(Strict):
    grants = fields.Integer(
        required=True, metadata={"description": "Grants awarded by the end of the period."}
    )
    awarded = Pence()
    spent = Pence()
    spent_to_date = Pence()
    returned = Pence()
    remaining = Pence()
    lines = fields.List(fields.Nested(LineMoneyOut), required=True)
    cost_per_hour = fields.Float(
        required=True,
        allow_none=True,
        metadata={"description": "Pence spent per hour exchanged; null when none were."},
    )
    cost_per_active_member = Ratio()
    value_of_hours = Pence()
    rate_pence_per_hour = Pence()
    rate_source = fields.String(required=True)
    rate_from = fields.Date(required=True)


class ReportOut(Strict):
    scope = fields.String(required=True, validate=OneOf(["bank", "programme"]))
    scope_id = fields.Integer(required=True)
    name = fields.String(required=True)
    start = fields.Date(required=True)
    end = fields.Date(required=True)
    exact = fields.Boolean(
        required=True,
        metadata={
            "description": "True for a bank's report read by its coordinators or an admin: "
            "the figures as they are. A funder's, and every programme report, hide small "
            'numbers as "*" (see docs/reports.md).'
        },
    )
    suppressed = fields.Boolean(required=True)
    members = fields.Nested(MemberFiguresOut, required=True)
    hours = fields.Nested(HourFiguresOut, required=True)
    reciprocity = fields.Nested(ReciprocityOut, required=True)
    reach = fields.List(fields.Nested(ReachTableOut), required=True)
    outcomes = fields.List(fields.Nested(OutcomeOut), required=True)
    trend = fields.List(fields.Nested(MonthOut), required=True)
    banks = fields.List(fields.Nested(BankSummaryOut), required=True)
    money = fields.Nested(MoneyOut, required=True)
