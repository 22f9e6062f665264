"""A programme's rules for its grants: the period, the target, overspending, and what an hour
of help is worth to funders. Every change is audited with its values before and after."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from timebank import audit
from timebank.banks.models import Programme
from timebank.grants.checks import is_count
from timebank.grants.errors import GrantError, GrantErrorCode
from timebank.grants.models import (
    NATIONAL_LIVING_WAGE_FROM,
    NATIONAL_LIVING_WAGE_PENCE,
    NATIONAL_LIVING_WAGE_SOURCE,
    OverspendPolicy,
    ProgrammeSettings,
)


@dataclass(frozen=True)
class HoursValue:
    """Hours given a money value, always with the rate, its source and its date."""

    minutes: int
    pence: int
    rate_pence_per_hour: int
    source: str
    rate_from: date


_SETTING_FIELDS = frozenset(
    {
        "period_starts_on",
        "period_ends_on",
        "target_banks_per_year",
        "overspend_policy",
        "hourly_value_pence",
        "hourly_value_source",
        "hourly_value_on",
    }
)


def settings_for(session: Session, programme: Programme) -> ProgrammeSettings:
    """The programme's grant settings, made with the defaults (the programme's own period, the
    National Living Wage, refuse overspending) the first time they are asked for."""
    settings = session.get(ProgrammeSettings, programme.id)
    if settings is None:
        settings = ProgrammeSettings(
            programme_id=programme.id,
            period_starts_on=programme.starts_on,
            period_ends_on=programme.ends_on,
        )
        session.add(settings)
        session.flush()
    return settings


def settings_or_defaults(session: Session, programme: Programme) -> ProgrammeSettings:
    """The programme's settings, or the defaults they will start from, without writing."""
    found = session.get(ProgrammeSettings, programme.id)
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


def overspend_policy(session: Session, programme_id: int) -> OverspendPolicy:
    """The programme's overspend policy, read without writing."""
    settings = session.get(ProgrammeSettings, programme_id)
    return settings.overspend_policy if settings else OverspendPolicy.REFUSE


def update_settings(
    session: Session, programme: Programme, *, by_user_id: int | None, **changes: Any
) -> ProgrammeSettings:
    """Change some of a programme's settings, audited with their values before and after.

    A new hourly value must come with its source and the date it applies from, so a report
    never shows a rate without saying where it came from."""
    unknown = set(changes) - _SETTING_FIELDS
    if unknown:
        raise GrantError(GrantErrorCode.INVALID_SETTING, f"no such setting: {sorted(unknown)[0]}")
    if "hourly_value_pence" in changes and not {"hourly_value_source", "hourly_value_on"} <= set(
        changes
    ):
        raise GrantError(
            GrantErrorCode.INVALID_SETTING, "state the hourly value's source and date with it"
        )
    settings = settings_for(session, programme)
    before = {name: getattr(settings, name) for name in _SETTING_FIELDS}
    after = {**before, **changes}
    if "overspend_policy" in changes:
        try:
            after["overspend_policy"] = OverspendPolicy(changes["overspend_policy"])
        except ValueError as error:
            raise GrantError(GrantErrorCode.INVALID_SETTING, str(error)) from error
    if not is_count(after["hourly_value_pence"]) or after["hourly_value_pence"] <= 0:
        raise GrantError(GrantErrorCode.INVALID_SETTING, "the hourly value is whole pence above 0")
    if not str(after["hourly_value_source"] or "").strip():
        raise GrantError(GrantErrorCode.INVALID_SETTING, "the hourly value needs a source")
    if not is_count(after["target_banks_per_year"]) or after["target_banks_per_year"] < 0:
        raise GrantError(GrantErrorCode.INVALID_SETTING, "the target is a whole number of banks")
    starts, ends = after["period_starts_on"], after["period_ends_on"]
    if starts is not None and ends is not None and starts > ends:
        raise GrantError(GrantErrorCode.INVALID_SETTING, "the period ends before it starts")
    for name, value in after.items():
        setattr(settings, name, value)
    session.flush()
    audit.record(
        session,
        "programme.settings_changed",
        user_id=by_user_id,
        subject=f"programme:{programme.id}",
        details=audit.changes(before, after),
    )
    return settings


def value_of_hours(minutes: int, settings: ProgrammeSettings) -> HoursValue:
    """Hours x the programme's hourly value, in pence, rounded half up."""
    if not is_count(minutes) or minutes < 0:
        raise ValueError("minutes are a whole number, zero or more")
    rate = settings.hourly_value_pence
    # whole pence, half up: floor(minutes * rate / 60 + 1/2) in integers, never through floats
    pence = (minutes * rate + 30) // 60
    return HoursValue(
        minutes=minutes,
        pence=pence,
        rate_pence_per_hour=rate,
        source=settings.hourly_value_source,
        rate_from=settings.hourly_value_on,
    )


__all__ = [
    "HoursValue",
    "overspend_policy",
    "settings_for",
    "settings_or_defaults",
    "update_settings",
    "value_of_hours",
]
