"""Reports through the API: the same figures and the same suppression as the report pages."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from tests.api.conftest import Api, World
from timebank.reports import views


@pytest.mark.parametrize("role", ["coordinator", "admin"])
def test_a_coordinator_and_an_admin_get_the_bank_exactly(
    role: str, api: Api, world: World, exchange, session: Session, app
) -> None:
    # both may see the bank's members on its pages: the report hides nothing from them
    exchange(minutes=90)
    today = world.bank.today()
    start = today - timedelta(days=30)
    query = {"from": str(start), "to": str(today)}
    response = api("GET", f"/banks/{world.bank.id}/report", role, query_string=query)
    assert response.status_code == 200
    body = response.json
    assert body["exact"] is True and body["suppressed"] is False
    assert body["hours"]["minutes"] == 90 and body["members"]["active"] == 2
    with app.test_request_context():
        view = views.bank_view(session, world.bank, start, today, exact=True)
    assert body["members"] == dataclasses.asdict(view.report.members)
    assert body["start"] == str(start) and body["end"] == str(today)


def test_a_funder_gets_the_suppressed_view(
    api: Api, world: World, exchange, session: Session, app
) -> None:
    exchange(minutes=90)
    today = world.bank.today()
    body = api("GET", f"/banks/{world.bank.id}/report", "funder").json
    assert body["exact"] is False and body["suppressed"] is True
    # two active members is fewer than the smallest number a funder may see
    assert body["members"]["active"] == "*"
    with app.test_request_context():
        start, end = views.default_period(today)
        view = views.bank_view(session, world.bank, start, end, exact=False)
        expected = dataclasses.asdict(view.report.hours)
    assert api("GET", f"/banks/{world.bank.id}/report", "funder").json["hours"] == expected


def test_a_programme_report_for_its_funder(api: Api, world: World) -> None:
    response = api("GET", f"/programmes/{world.programme.id}/report", "funder")
    assert response.status_code == 200
    body = response.json
    assert body["scope"] == "programme" and body["exact"] is False
    assert [b["bank_id"] for b in body["banks"]] == [world.bank.id]
    # the programme's report is the funder's document, whoever reads it
    assert api("GET", f"/programmes/{world.programme.id}/report", "admin").json == body
    assert api("GET", f"/programmes/{world.programme.id}/report", "other_funder").status_code == 404
    assert api("GET", f"/programmes/{world.programme.id}/report").status_code == 403
    assert api("GET", f"/banks/{world.other_bank.id}/report", "funder").status_code == 404
    assert api("GET", f"/banks/{world.bank.id}/report", "other_coordinator").status_code == 404


def test_report_periods_are_checked(api: Api, world: World) -> None:
    path = f"/banks/{world.bank.id}/report"
    for query, field in [
        ({"from": "2026-13-01"}, "from"),
        ({"from": "2026-03-01", "to": "2026-02-01"}, "to"),
        ({"from": "1990-01-01", "to": "2026-01-01"}, "from"),
        ({"week": "1"}, "week"),
    ]:
        response = api("GET", path, query_string=query)
        assert response.status_code == 422, query
        assert field in response.json["errors"], response.json
