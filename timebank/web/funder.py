"""The funder's views: a programme's reports and its banks' grant reports, never a person.

A funder reads only their own programme, and only as suppressed figures (see
:mod:`timebank.reports.suppression`): no page here loads a member, and another programme's
banks answer 404, as if they did not exist. Admins may read any programme the same way.
"""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response

from timebank.banks.models import Bank, Programme
from timebank.extensions import db
from timebank.reports import views
from timebank.users.models import Role
from timebank.web import report_pages
from timebank.web.access import funded_bank_or_404, programme_or_404, roles_required, user

bp = Blueprint("funder", __name__, url_prefix="/funder")


#: Funders, and admins reading any programme as a funder does.
funder_required = roles_required(Role.FUNDER, Role.ADMIN, funder_view=True)


@bp.get("/")
@funder_required
def home() -> str | Response:
    person = user()
    if person.role == Role.FUNDER:
        if person.programme_id is None:
            return render_template("funder/no_programme.html")
        return redirect(url_for(".programme", programme_id=person.programme_id))
    programmes = db.session.scalars(select(Programme).order_by(Programme.name)).all()
    return render_template("funder/programmes.html", programmes=programmes)


def _programme_view(programme_id: int) -> tuple[Programme, views.Period, views.ReportView]:
    found = programme_or_404(programme_id)
    period = report_pages.asked_period(views.programme_today(), found.name)
    return found, period, views.programme_view(db.session, found, period.start, period.end)


def _bank_view(bank_id: int) -> tuple[Bank, views.Period, views.ReportView]:
    found = funded_bank_or_404(bank_id)
    period = report_pages.asked_period(found.today(), found.name)
    # the funder's view whoever reads it: an admin here reads as the funder does
    view = views.bank_view(db.session, found, period.start, period.end, exact=False)
    return found, period, view


@bp.get("/programmes/<int:programme_id>")
@funder_required
def programme(programme_id: int) -> str:
    found, period, view = _programme_view(programme_id)
    args = report_pages.period_args(period)
    return report_pages.render(
        view,
        "reports/page.html",
        period=period,
        title=found.name,
        csv_url=url_for(".programme_csv", programme_id=found.id, **args),
        bank_url=lambda bank_id: url_for(".bank", bank_id=bank_id, **args),
    )


@bp.get("/programmes/<int:programme_id>/report.csv")
@funder_required
def programme_csv(programme_id: int) -> Response:
    found, period, view = _programme_view(programme_id)
    return report_pages.csv_response(view, report_pages.filename(found.name, period, "csv"))


@bp.get("/banks/<int:bank_id>")
@funder_required
def bank(bank_id: int) -> str:
    found, period, view = _bank_view(bank_id)
    args = report_pages.period_args(period)
    return report_pages.render(
        view,
        "reports/page.html",
        period=period,
        title=found.name,
        csv_url=url_for(".bank_csv", bank_id=found.id, **args),
        pdf_url=url_for(".bank_pdf", bank_id=found.id, **args),
        up_url=url_for(".programme", programme_id=found.programme_id, **args),
    )


@bp.get("/banks/<int:bank_id>/report.csv")
@funder_required
def bank_csv(bank_id: int) -> Response:
    found, period, view = _bank_view(bank_id)
    return report_pages.csv_response(view, report_pages.filename(found.name, period, "csv"))


@bp.get("/banks/<int:bank_id>/report.pdf")
@funder_required
def bank_pdf(bank_id: int) -> Response:
    found, period, view = _bank_view(bank_id)
    return report_pages.pdf_response(
        view, report_pages.filename(found.name, period, "pdf"), grants=report_pages.grants_of(found)
    )
