"""A coordinator's report of their own bank: exact figures on the page and in the CSV, and the
grant report PDF as the funder will see it (suppressed), ready to attach to a monitoring form."""

from __future__ import annotations

from flask import url_for
from werkzeug.wrappers import Response

from timebank.extensions import db
from timebank.reports import views
from timebank.web import report_pages
from timebank.web.access import bank_or_404, broker_required, user
from timebank.web.broker import bp


@bp.get("/banks/<int:bank_id>/report")
@broker_required
def report(bank_id: int) -> str:
    bank = bank_or_404(bank_id)
    period = report_pages.asked_period(bank.today(), bank.name, bank=bank)
    view = views.bank_view_for(db.session, user(), bank, period.start, period.end)
    args = report_pages.period_args(period)
    return report_pages.render(
        view,
        "reports/page.html",
        period=period,
        title=bank.name,
        bank=bank,
        layout="broker/_layout.html",
        csv_url=url_for(".report_csv", bank_id=bank.id, **args),
        pdf_url=url_for(".report_pdf", bank_id=bank.id, **args),
    )


@bp.get("/banks/<int:bank_id>/report.csv")
@broker_required
def report_csv(bank_id: int) -> Response:
    bank = bank_or_404(bank_id)
    period = report_pages.asked_period(bank.today(), bank.name, bank=bank)
    view = views.bank_view_for(db.session, user(), bank, period.start, period.end)
    return report_pages.csv_response(view, report_pages.filename(bank.name, period, "csv"))


@bp.get("/banks/<int:bank_id>/report.pdf")
@broker_required
def report_pdf(bank_id: int) -> Response:
    bank = bank_or_404(bank_id)
    period = report_pages.asked_period(bank.today(), bank.name, bank=bank)
    # the funder's view: this is the copy that goes with the monitoring form
    view = views.bank_view(db.session, bank, period.start, period.end, exact=False)
    return report_pages.pdf_response(
        view, report_pages.filename(bank.name, period, "pdf"), grants=report_pages.grants_of(bank)
    )
