"""A report as a reader gets it: the period asked for, and the figures exact or suppressed.

Pages, CSV, PDF and the API all read reports through here, so each asks for a period and gets
the same figures the same way. No Flask: a bad period comes back as codes
(:class:`PeriodError`), and each adapter puts its own words to them. Who sees a bank's exact
figures is :func:`timebank.access.sees_exact_figures`'s rule; a programme's report is always the
funder's view, as it is the programme's own document.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from timebank.access import sees_exact_figures
from timebank.banks.models import Bank, Programme
from timebank.reports.figures import bank_report, programme_report
from timebank.reports.money import MoneyFigures, bank_money, programme_money, suppress_money
from timebank.reports.report import Report
from timebank.reports.suppression import suppress
from timebank.users.models import User

#: The longest period a report may cover: enough for any programme, short of a typo's 9999.
LONGEST_PERIOD = timedelta(days=10 * 366)

#: The fields a period is asked for with: ``?from=YYYY-MM-DD&to=YYYY-MM-DD``.
PERIOD_FIELDS = ("from", "to")

_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


class PeriodError(enum.StrEnum):
    """What is wrong with one field of an asked-for period; one code per rule."""

    #: Not written as year-month-day, like 2026-03-31.
    NOT_A_DATE = "not_a_date"
    #: Written as a date, but there is no such day (2026-02-30).
    NO_SUCH_DAY = "no_such_day"
    #: The end of the period comes before its start (set on ``to``).
    ENDS_BEFORE_START = "ends_before_start"
    #: The period is longer than :data:`LONGEST_PERIOD` (set on ``from``).
    TOO_LONG = "too_long"


@dataclass(frozen=True)
class Period:
    """The days a report covers, both included, as asked for."""

    start: date
    end: date
    #: Field name ("from", "to") to what is wrong with it; empty when the period is good.
    errors: Mapping[str, PeriodError] = field(default_factory=dict)
    #: What the reader typed, to show back in a form.
    typed: Mapping[str, str] = field(default_factory=dict)


def programme_today() -> date:
    """Today where the programmes run (a bank's own report uses its own time zone)."""
    return datetime.now(ZoneInfo("Europe/London")).date()


def default_period(today: date) -> tuple[date, date]:
    """The last twelve calendar months, this one included, up to today."""
    first = today.replace(day=1)
    for _month in range(11):
        first = (first - timedelta(days=1)).replace(day=1)
    return first, today


def period_from(args: Mapping[str, str], today: date) -> Period:
    """The period asked for in ``from`` and ``to`` (year-month-day), each defaulting to the last
    twelve months; with a :class:`PeriodError` per field for anything that can't be a period."""
    start, end = default_period(today)
    days = {"from": start, "to": end}
    typed = {name: str(args.get(name, "")).strip()[:40] for name in PERIOD_FIELDS}
    errors: dict[str, PeriodError] = {}
    for name, text in typed.items():
        if not text:
            continue
        if not _DAY.fullmatch(text):
            errors[name] = PeriodError.NOT_A_DATE
            continue
        try:
            days[name] = date.fromisoformat(text)
        except ValueError:
            errors[name] = PeriodError.NO_SUCH_DAY
    if not errors and days["from"] > days["to"]:
        errors["to"] = PeriodError.ENDS_BEFORE_START
    if not errors and days["to"] - days["from"] > LONGEST_PERIOD:
        errors["from"] = PeriodError.TOO_LONG
    return Period(start=days["from"], end=days["to"], errors=errors, typed=typed)


@dataclass(frozen=True)
class ReportView:
    """Everything a report page, CSV, PDF or API answer shows."""

    scope: str
    #: The bank's or the programme's name.
    name: str
    programme: Programme | None
    bank: Bank | None
    report: Report
    money: MoneyFigures
    #: Bank id to name, for a programme's one line per bank.
    bank_names: Mapping[int, str]
    #: True for exact figures; False for the funder's suppressed view.
    exact: bool


def bank_view(session: Session, bank: Bank, start: date, end: date, *, exact: bool) -> ReportView:
    """A bank's report over the period: exact, or the funder's suppressed view."""
    report = bank_report(session, bank.id, start, end)
    money = bank_money(session, bank, start, end, **_money_inputs(report))
    names = {bank.id: bank.name}
    view = ReportView("bank", bank.name, bank.programme, bank, report, money, names, exact)
    return view if exact else _suppressed(view)


def bank_view_for(session: Session, reader: User, bank: Bank, start: date, end: date) -> ReportView:
    """A bank's report as ``reader`` may see it: exact only where
    :func:`~timebank.access.sees_exact_figures` allows. The caller has checked they may read it."""
    return bank_view(session, bank, start, end, exact=sees_exact_figures(reader, bank))


def programme_view(session: Session, programme: Programme, start: date, end: date) -> ReportView:
    """A programme's report, always the funder's view: it is read by the programme."""
    report = programme_report(session, programme.id, start, end)
    money = programme_money(session, programme, start, end, **_money_inputs(report))
    names = dict(
        session.execute(select(Bank.id, Bank.name).where(Bank.programme_id == programme.id)).all()
    )
    view = ReportView("programme", programme.name, programme, None, report, money, names, True)
    return _suppressed(view)


def _money_inputs(report: Report) -> dict[str, int]:
    minutes, active = report.hours.minutes, report.members.active
    assert isinstance(minutes, int) and isinstance(active, int)  # nosec B101 # exact, typing
    return {"minutes": minutes, "active": active}


def _suppressed(view: ReportView) -> ReportView:
    """The funder's view of an exact one."""
    active = view.report.members.active
    assert isinstance(active, int)  # nosec B101 # exact figures; narrows the type only
    report = suppress(view.report)
    money = suppress_money(view.money, active, report.members.active)
    return replace(view, report=report, money=money, exact=False)
