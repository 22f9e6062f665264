"""A bank's and a programme's reports: the figures of the report pages, suppressed the same way.

One rule, as on the pages: a bank's exact figures go to whoever may already see its members (its
coordinators, and admins); a funder gets the funder's view, where small numbers are hidden as
``"*"``. A programme's report is the funder's document, so it is always the funder's view. See
``docs/reports.md`` for every definition.
"""

from __future__ import annotations

import dataclasses
from datetime import date
from typing import Any

from flask import Response

from timebank.api.access import readable_bank, readable_programme
from timebank.api.errors import invalid
from timebank.api.registry import operation
from timebank.api.respond import ok
from timebank.api.schemas import ReportOut, ReportQuery
from timebank.extensions import db
from timebank.reports import views
from timebank.reports.views import PeriodError
from timebank.users.current import user
from timebank.users.models import Role

READERS = (Role.ADMIN, Role.COORDINATOR, Role.FUNDER)

#: What each thing wrong with a period says, in English for the developer.
PERIOD_MESSAGES = {
    PeriodError.NOT_A_DATE: "Enter a date as year-month-day, like 2026-03-31.",
    PeriodError.NO_SUCH_DAY: "There is no such day. Check the month and day.",
    PeriodError.ENDS_BEFORE_START: "The end of the period comes before its start.",
    PeriodError.TOO_LONG: "Choose a period of ten years or less.",
}


def _period(args: dict[str, Any], today: date) -> views.Period:
    """The period from and to ask for, read as the pages read it; a bad one is a 422."""
    asked = {
        name: args[key].isoformat()
        for name, key in (("from", "from_"), ("to", "to"))
        if key in args
    }
    period = views.period_from(asked, today)
    if period.errors:
        raise invalid({name: [PERIOD_MESSAGES[code]] for name, code in period.errors.items()})
    return period


def report_body(view: views.ReportView) -> dict[str, Any]:
    """A report view as the API's answer: the figures, the name, and whether they are exact."""
    report = dataclasses.asdict(view.report)
    return {
        **report,
        "name": view.name,
        "exact": view.exact,
        "money": dataclasses.asdict(view.money),
    }


@operation(
    "/banks/<id:bank_id>/report",
    "GET",
    summary="A bank's report",
    tag="Reports",
    query=ReportQuery,
    roles=READERS,
    responses={200: ("The report's figures: minutes, people, pence.", ReportOut)},
)
def bank_report(bank_id: int, args: dict[str, Any]) -> Response:
    """Exact for the bank's own coordinators and for admins, who may see its members anyway; the
    funder's suppressed view for a funder of the bank's programme. The period defaults to the
    last twelve months."""
    bank = readable_bank(bank_id)
    period = _period(args, bank.today())
    view = views.bank_view_for(db.session, user(), bank, period.start, period.end)
    return ok(ReportOut, report_body(view))


@operation(
    "/programmes/<id:programme_id>/report",
    "GET",
    summary="A programme's report",
    tag="Reports",
    query=ReportQuery,
    roles=(Role.ADMIN, Role.FUNDER),
    responses={200: ("The programme's figures, with a line for each bank.", ReportOut)},
)
def programme_report(programme_id: int, args: dict[str, Any]) -> Response:
    """The programme's funder and admins; always the funder's suppressed view."""
    programme = readable_programme(programme_id)
    period = _period(args, views.programme_today())
    view = views.programme_view(db.session, programme, period.start, period.end)
    return ok(ReportOut, report_body(view))
