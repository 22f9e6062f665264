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
from timebank.users.current import user
from timebank.users.models import Role
from timebank.web import report_pages

READERS = (Role.ADMIN, Role.COORDINATOR, Role.FUNDER)


def _period(args: dict[str, Any], today: date) -> report_pages.Period:
    """The pages' own reading of from and to, so the defaults and limits are the same."""
    asked = {
        name: args[key].isoformat()
        for name, key in (("from", "from_"), ("to", "to"))
        if key in args
    }
    period = report_pages.period_from(asked, today)
    if period.errors:
        raise invalid({name: [message] for name, message in period.errors.items()})
    return period


def report_body(view: report_pages.ReportView) -> dict[str, Any]:
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
    person = user()
    # readable_bank let a coordinator or admin through only to a bank they broker for
    exact = person.role != Role.FUNDER
    view = report_pages.bank_view(db.session, bank, period.start, period.end, exact=exact)
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
    period = _period(args, report_pages.programme_today())
    view = report_pages.programme_view(db.session, programme, period.start, period.end)
    return ok(ReportOut, report_body(view))
