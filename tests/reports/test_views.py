"""The report as a reader gets it: a period read the same way everywhere, with a code for each
mistake, and exact figures only for whoever may already see the bank's members."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy.orm import Session

from tests.reports.test_bank_report import END, START, WeeBank, wee  # noqa: F401
from timebank.reports import bank_report, suppress
from timebank.reports.views import (
    PeriodError,
    bank_view,
    bank_view_for,
    default_period,
    period_from,
)

TODAY = date(2026, 3, 15)


def test_a_period_not_asked_for_is_the_last_twelve_months() -> None:
    period = period_from({}, TODAY)
    assert (period.start, period.end) == (date(2025, 4, 1), TODAY) == default_period(TODAY)
    assert period.errors == {}


def test_a_period_asked_for_is_read_as_year_month_day() -> None:
    period = period_from({"from": " 2024-01-01 ", "to": "2024-03-31"}, TODAY)
    assert (period.start, period.end) == (START, END) and period.errors == {}


@pytest.mark.parametrize(
    ("args", "errors"),
    [
        ({"from": "31/01/2024"}, {"from": PeriodError.NOT_A_DATE}),
        ({"to": "9" * 500}, {"to": PeriodError.NOT_A_DATE}),
        ({"from": "2024-02-30"}, {"from": PeriodError.NO_SUCH_DAY}),
        (
            {"from": "2024-02-30", "to": "yesterday"},
            {"from": PeriodError.NO_SUCH_DAY, "to": PeriodError.NOT_A_DATE},
        ),
        ({"from": "2024-03-01", "to": "2024-01-01"}, {"to": PeriodError.ENDS_BEFORE_START}),
        ({"from": "1900-01-01", "to": "2024-01-01"}, {"from": PeriodError.TOO_LONG}),
    ],
)
def test_each_mistake_in_a_period_has_its_code(
    args: dict[str, str], errors: dict[str, PeriodError]
) -> None:
    period = period_from(args, TODAY)
    assert period.errors == errors
    # what was typed is kept, cut short, to show back in the form
    assert all(len(period.typed[name]) <= 40 for name in ("from", "to"))


def test_the_coordinator_and_an_admin_see_the_bank_exactly_and_a_funder_does_not(
    session: Session,
    make_user,
    wee: WeeBank,  # noqa: F811
) -> None:
    exact = bank_report(session, wee.bank.id, START, END)
    for reader in (make_user("coordinator", banks=[wee.bank]), make_user("admin")):
        view = bank_view_for(session, reader, wee.bank, START, END)
        assert view.exact is True and view.report == exact
    view = bank_view_for(session, make_user("funder"), wee.bank, START, END)
    assert view.exact is False and view.report == suppress(exact)
    assert view == bank_view(session, wee.bank, START, END, exact=False)
