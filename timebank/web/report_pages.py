"""Reports as pages, CSV and PDF: shared by the funder's views and the coordinator's.

The period and the figures, exact or suppressed, come from :mod:`timebank.reports.views`, as they
do for the API; this module only puts words to the codes, lays out the charts and writes the
files.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from typing import Any

from babel.numbers import format_decimal, format_percent
from flask import Flask, Response, abort, make_response, render_template, request
from flask_babel import format_date, get_locale, gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from timebank.banks.models import Bank
from timebank.extensions import db
from timebank.grants.models import Grant
from timebank.i18n import format_hours_decimal, format_pence
from timebank.imports.csv_safety import write_csv
from timebank.members.monitoring import LABELS, QUESTIONS, TARGET_GROUPS
from timebank.reports.report import BUCKETS, SegmentFigures
from timebank.reports.views import Period, PeriodError, ReportView, period_from
from timebank.web.broker.forms import OUTCOME_LABELS
from timebank.web.charts import Chart, Figure, bar_chart

MEMBER_LABELS = {
    "registered": _l("Registered at the end of the period"),
    "joined": _l("Joined in the period"),
    "active": _l("Active: gave or received help at least once"),
    "left": _l("Left in the period"),
}
BUCKET_LABELS = {
    "gave_only": _l("Gave only"),
    "mostly_gave": _l("Mostly gave (more than twice what they received)"),
    "balanced": _l("Balanced (gave between half and twice what they received)"),
    "mostly_received": _l("Mostly received (gave less than half what they received)"),
    "received_only": _l("Received only"),
}
SEGMENT_LABELS = {
    "in_group": _l("In the group"),
    "not_in_group": _l("Not in the group"),
    "prefer_not": _l("Prefer not to say"),
    "not_asked": _l("Not asked"),
}
#: The same buckets in a word or two, for the chart's labels (the table beside it has the rest).
BUCKET_SHORT_LABELS = {
    "gave_only": _l("Gave only"),
    "mostly_gave": _l("Mostly gave"),
    "balanced": _l("Balanced"),
    "mostly_received": _l("Mostly received"),
    "received_only": _l("Received only"),
}
POT_LABELS = {
    "exchange": _l("Help"),
    "group_exchange": _l("Group help"),
    "pot_credit": _l("Help given to the bank itself"),
    "gift": _l("Gifts of hours"),
    "welcome_credit": _l("Welcome hours"),
    "opening_balance": _l("Balances brought over"),
}


#: What each thing wrong with a period says to the reader.
PERIOD_MESSAGES = {
    PeriodError.NOT_A_DATE: _l("Enter a date as year-month-day, like 2026-03-31."),
    PeriodError.NO_SUCH_DAY: _l("There is no such day. Check the month and day."),
    PeriodError.ENDS_BEFORE_START: _l("The end of the period comes before its start."),
    PeriodError.TOO_LONG: _l("Choose a period of ten years or less."),
}


def period_args(period: Period) -> dict[str, str]:
    """The query string that asks for ``period`` again (for links and downloads)."""
    return {"from": period.start.isoformat(), "to": period.end.isoformat()}


def filename(name: str, period: Period, extension: str) -> str:
    """A download's file name: the bank's or programme's name and the period's days."""
    return f"{slug(name)}-{period.start.isoformat()}-{period.end.isoformat()}.{extension}"


def period_messages(period: Period) -> dict[str, str]:
    """Field name to what is wrong with it, in the reader's words."""
    return {name: str(PERIOD_MESSAGES[code]) for name, code in period.errors.items()}


def asked_period(today: date, title: str, **context: Any) -> Period:
    """The period the request asks for; a bad one ends the request with the form and its
    messages (400), so every report route reads the same way."""
    period = period_from(request.args, today)
    if period.errors:
        page = render_template(
            "reports/page.html",
            period=period,
            period_errors=period_messages(period),
            title=title,
            **context,
        )
        abort(make_response(page, 400))
    return period


# -- words and numbers for the reader -------------------------------------------------------------


def shown_count(value: Figure) -> str:
    if value is None:
        return "–"
    if isinstance(value, str):
        return value
    return format_decimal(value, locale=get_locale())


def shown_percentage(value: Figure) -> str:
    if value is None:
        return "–"
    if isinstance(value, str):
        return value
    return format_percent(value / 100, format="#,##0.0%", locale=get_locale())


def shown_hours(minutes: Figure) -> str:
    """Minutes as decimal hours, to two places at most."""
    if minutes is None:
        return "–"
    if isinstance(minutes, str):
        return minutes
    return format_hours_decimal(round(minutes), locale=get_locale())


def shown_money(pence: Figure) -> str:
    if pence is None:
        return "–"
    if isinstance(pence, str):
        return pence
    return format_pence(round(pence), locale=get_locale())


def reach_title(code: str, kind: str) -> str:
    if kind == "target_group":
        return gettext(TARGET_GROUPS[code].label)
    return gettext(QUESTIONS[code][0])


def segment_label(segment: str, kind: str) -> str:
    """A reach row's name: a target group's four rows, or a question's answers and not_asked."""
    if segment in SEGMENT_LABELS and (kind == "target_group" or segment == "not_asked"):
        return str(SEGMENT_LABELS[segment])
    return gettext(LABELS.get(segment, segment))


def outcome_label(area: str) -> str:
    labels = {key.value: value for key, value in OUTCOME_LABELS.items()}
    return gettext(labels.get(area, area))


def pot_label(kind: str) -> str:
    return str(POT_LABELS.get(kind, kind))


def month_label(month: date) -> str:
    return format_date(month, "MMM yyyy")


def init_app(app: Flask) -> None:
    """The filters the report templates use."""
    app.jinja_env.filters.update(
        count=shown_count,
        percentage=shown_percentage,
        shown_hours=shown_hours,
        money=shown_money,
        month=month_label,
    )
    app.jinja_env.globals.update(
        reach_title=reach_title,
        segment_label=segment_label,
        outcome_label=outcome_label,
        pot_label=pot_label,
        MEMBER_LABELS=MEMBER_LABELS,
        BUCKET_LABELS=BUCKET_LABELS,
    )


# -- charts ---------------------------------------------------------------------------------------


def charts(view: ReportView) -> dict[str, Chart]:
    """The charts of a report, keyed by where they go; each has a table of the same figures."""
    report = view.report
    found = {
        "reciprocity": bar_chart(
            "chart-reciprocity",
            gettext("Who gives and who receives"),
            gettext(
                "Active members by how much they gave compared with what they received, "
                "from gave only to received only."
            ),
            [
                (str(BUCKET_SHORT_LABELS[name]), [getattr(report.reciprocity, name)])
                for name in BUCKETS
            ],
            text=shown_count,
        ),
        "hours": bar_chart(
            "chart-hours",
            gettext("Hours exchanged each month"),
            gettext("Hours of help exchanged in each month of the period."),
            [(month_label(m.month), [_hours_or_star(m.minutes)]) for m in report.trend],
            text=lambda hours: _hours_text(hours),
            labels_beside=True,
        ),
        "active": bar_chart(
            "chart-active",
            gettext("Active members each month"),
            gettext("Members who gave or received help in each month of the period."),
            [(month_label(m.month), [m.active]) for m in report.trend],
            text=shown_count,
            labels_beside=True,
        ),
        "outcomes": bar_chart(
            "chart-outcomes",
            gettext("Hours by outcome area"),
            gettext("Hours of help exchanged, by the outcome area it served."),
            [(outcome_label(o.area), [_hours_or_star(o.minutes)]) for o in report.outcomes],
            text=lambda hours: _hours_text(hours),
        ),
    }
    for index, table in enumerate(report.reach):
        title = reach_title(table.code, table.kind)
        found[f"reach-{index}"] = bar_chart(
            f"chart-reach-{index}",
            gettext("%(group)s: share active", group=title),
            gettext(
                "For each row, the share of its members who were active, beside the same "
                "share for everyone else."
            ),
            [
                (
                    segment_label(row.segment, table.kind),
                    [row.group.share_active, row.rest.share_active],
                )
                for row in table.rows
            ],
            series=(gettext("These members"), gettext("Everyone else")),
            text=shown_percentage,
        )
    return found


def _hours_or_star(minutes: Figure) -> Figure:
    return minutes / 60 if isinstance(minutes, int | float) else minutes


def _hours_text(hours: Figure) -> str:
    return shown_hours(hours * 60 if isinstance(hours, int | float) else hours)


# -- files ----------------------------------------------------------------------------------------


def render(view: ReportView, template: str, **context: Any) -> str:
    return render_template(template, view=view, charts=charts(view), **context)


def csv_rows(view: ReportView) -> list[list[object]]:
    """The report in long form: one figure a row, named by codes, in minutes and pence.

    Codes, not words, so a programme's own spreadsheet can read it in any language."""
    report, money = view.report, view.money
    rows: list[list[object]] = []

    def add(section: str, table: str, row: str, measure: str, value: object, unit: str) -> None:
        rows.append([section, table, row, measure, "" if value is None else value, unit])

    add("report", view.scope, view.name, "from", report.start.isoformat(), "date")
    add("report", view.scope, view.name, "to", report.end.isoformat(), "date")
    add("report", view.scope, view.name, "suppressed", str(report.suppressed).lower(), "")
    for name in ("registered", "joined", "active", "left"):
        add("members", "", "", name, getattr(report.members, name), "people")
    hours = report.hours
    add("hours", "", "", "minutes", hours.minutes, "minutes")
    add("hours", "", "", "exchanges", hours.exchanges, "exchanges")
    add("hours", "", "", "minutes_per_active", hours.minutes_per_active, "minutes")
    add("hours", "", "", "exchanges_per_active", hours.exchanges_per_active, "exchanges")
    add("hours", "", "", "median_minutes_per_active", hours.median_minutes_per_active, "minutes")
    recip = report.reciprocity
    add("reciprocity", "", "", "both", recip.both, "people")
    add("reciprocity", "", "", "both_share", recip.both_share, "percent")
    for name in BUCKETS:
        add("reciprocity", "buckets", name, "members", getattr(recip, name), "people")
    add("reciprocity", "", "", "within_ten_hours", recip.within_ten_hours, "people")
    add("reciprocity", "", "", "within_ten_hours_share", recip.within_ten_hours_share, "percent")
    for flow in recip.pot:
        add("pot", flow.kind, "", "minutes_in", flow.minutes_in, "minutes")
        add("pot", flow.kind, "", "minutes_out", flow.minutes_out, "minutes")
    for table in report.reach:
        for row in table.rows:
            for side, figures in (("group", row.group), ("everyone_else", row.rest)):
                _add_segment(add, table.code, f"{row.segment}:{side}", figures)
        _add_segment(add, table.code, "total", table.total)
    for outcome in report.outcomes:
        add("outcomes", outcome.area, "", "exchanges", outcome.exchanges, "exchanges")
        add("outcomes", outcome.area, "", "minutes", outcome.minutes, "minutes")
    for month in report.trend:
        key = month.month.strftime("%Y-%m")
        for name in ("registered", "joined", "left", "active"):
            add("trend", key, "", name, getattr(month, name), "people")
        add("trend", key, "", "exchanges", month.exchanges, "exchanges")
        add("trend", key, "", "minutes", month.minutes, "minutes")
    for bank in report.banks:
        name = view.bank_names.get(bank.bank_id, str(bank.bank_id))
        for measure in ("registered", "joined", "left", "active"):
            add("banks", str(bank.bank_id), name, measure, getattr(bank, measure), "people")
        add("banks", str(bank.bank_id), name, "exchanges", bank.exchanges, "exchanges")
        add("banks", str(bank.bank_id), name, "minutes", bank.minutes, "minutes")
    add("money", "", "", "grants", money.grants, "grants")
    for measure in ("awarded", "spent", "spent_to_date", "returned", "remaining"):
        add("money", "", "", measure, getattr(money, measure), "pence")
    for line in money.lines:
        for measure in ("budgeted", "spent", "spent_to_date"):
            add("money", "lines", line.name, measure, getattr(line, measure), "pence")
    add("money", "", "", "cost_per_hour", money.cost_per_hour, "pence")
    add("money", "", "", "cost_per_active_member", money.cost_per_active_member, "pence")
    add("money", "", "", "value_of_hours", money.value_of_hours, "pence")
    add("money", "rate", money.rate_source, "pence_per_hour", money.rate_pence_per_hour, "pence")
    add("money", "rate", money.rate_source, "from", money.rate_from.isoformat(), "date")
    return rows


def _add_segment(
    add: Callable[[str, str, str, str, object, str], None],
    code: str,
    row: str,
    figures: SegmentFigures,
) -> None:
    for measure, unit in (
        ("members", "people"),
        ("share_of_membership", "percent"),
        ("active", "people"),
        ("share_active", "percent"),
        ("minutes_given", "minutes"),
        ("minutes_received", "minutes"),
        ("both", "people"),
        ("reciprocity_share", "percent"),
    ):
        add("reach", code, row, measure, getattr(figures, measure), unit)


CSV_HEADER = ("section", "table", "row", "measure", "value", "unit")


def csv_response(view: ReportView, filename: str) -> Response:
    return Response(
        write_csv(CSV_HEADER, csv_rows(view)),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _no_fetching(url: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
    # the PDF is drawn from our own HTML alone: a link in it must never make the server fetch
    raise ValueError(f"the grant report fetches nothing ({url[:40]})")


def pdf_response(view: ReportView, filename: str, **context: Any) -> Response:
    """The grant report of one bank as a PDF, drawn by WeasyPrint from its own template."""
    from weasyprint import HTML  # imported here: it loads Pango, which only the PDF needs

    html = render(view, "reports/grant_report.html", **context)
    pdf = HTML(string=html, url_fetcher=_no_fetching).write_pdf()
    return Response(
        pdf,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def grants_of(bank: Bank) -> list[Grant]:
    """The grants awarded to a bank, for the head of its grant report."""
    return list(
        db.session.scalars(select(Grant).where(Grant.bank_id == bank.id).order_by(Grant.id))
    )


def slug(name: str) -> str:
    """A file name's part from a bank's name: ``St Mary's Time Bank`` is ``st-marys-time-bank``."""
    words = re.findall(r"[a-z0-9]+", name.lower().replace("'", ""))
    return "-".join(words)[:60] or "report"
