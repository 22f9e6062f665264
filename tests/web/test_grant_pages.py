"""Seed grant pages: admins award grants and set the rules; brokers record spending on them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.conftest import PASSWORD
from tests.grants.conftest import BUDGET, line_named
from timebank.audit import AuditEvent
from timebank.banks.models import Bank, Programme
from timebank.banks.operations import create_programme
from timebank.grants.models import BudgetLine, Grant, OverspendPolicy, ProgrammeSettings, Spend
from timebank.grants.operations import (
    award_grant,
    close_grant,
    grant_summary,
    record_spend,
    return_unspent,
    update_settings,
)
from timebank.ledger import Transfer, TransferKind, TransferNote
from timebank.users.models import User
from timebank.web.grants import MoneyError, parse_pounds


@dataclass
class Scene:
    app: Flask
    programme: Programme
    bank: Bank
    grant: Grant
    broker: FlaskClient
    admin: FlaskClient

    @property
    def grant_url(self) -> str:
        return f"/broker/banks/{self.bank.id}/grants/{self.grant.id}"


def signed_in(app: Flask, person: User) -> FlaskClient:
    client = app.test_client()
    response = client.post("/sign-in", data={"email": person.email, "password": PASSWORD})
    assert response.status_code == 302, response.text
    return client


@pytest.fixture
def programme(session: Session) -> Programme:
    found = create_programme(session, name="Seed grants for older people", funder="Test Fund")
    session.commit()
    return found


@pytest.fixture
def scene(app: Flask, session: Session, programme: Programme, make_bank, make_user) -> Scene:
    bank = make_bank(name="Riverside Time Bank", programme=programme)
    grant = award_grant(
        session,
        programme,
        bank,
        300_000,
        bank.today() - timedelta(days=30),
        "Report yearly",
        BUDGET,
        by_user_id=None,
    )
    session.commit()
    return Scene(
        app=app,
        programme=programme,
        bank=bank,
        grant=grant,
        broker=signed_in(app, make_user("coordinator", banks=[bank])),
        admin=signed_in(app, make_user("admin")),
    )


def key_of(client: FlaskClient, url: str) -> str:
    """The idempotency key a real browser would send back with the form."""
    return key_of_page(client.get(url).text)


def key_of_page(page: str) -> str:
    """The idempotency key a form's page holds."""
    return page.split('name="idempotency_key" type="hidden" value="')[1].split('"')[0]


def count(session: Session, model: type) -> int:
    session.rollback()  # see what the requests committed
    return session.scalar(select(func.count()).select_from(model)) or 0


def spend_form(scene: Scene, session: Session, **changes: str) -> dict[str, str]:
    url = f"{scene.grant_url}/spend"
    data = {
        "idempotency_key": key_of(scene.broker, url),
        "line": str(line_named(session, scene.grant, "venue hire").id),
        "amount": "45.50",
        "spent_on": scene.bank.today().isoformat(),
        "payee": "St Mark's church hall",
        "receipt_reference": "INV-0042",
        "description": "Hall for the Tuesday lunch club",
    }
    data.update(changes)
    return data


# -- typed pounds -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "pence"),
    [
        ("250", 25_000),
        ("250.50", 25_050),
        ("250.5", 25_050),
        ("£1,200.00", 120_000),
        (" £ 3,000 ", 300_000),
        ("0.10", 10),
        (".5", 50),
        ("1,000,000", 100_000_000),
        ("0", 0),
    ],
)
def test_pounds_become_exact_pence(typed: str, pence: int) -> None:
    assert parse_pounds(typed) == pence


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("12.345", "at most 2 digits"),
        ("-5", "cannot be negative"),
        ("£-5", "cannot be negative"),
        ("abc", "such as 250"),
        ("", "such as 250"),
        (".", "such as 250"),
        ("1,2,3", "such as 250"),
        ("1e3", "such as 250"),
        ("12,50", "such as 250"),
    ],
)
def test_pounds_that_are_not_money_are_refused_in_words(
    app: Flask, typed: str, message: str
) -> None:
    with app.test_request_context():
        with pytest.raises(MoneyError, match=message):
            parse_pounds(typed)


# -- awards -------------------------------------------------------------------------------------


def award_data(scene: Scene, url: str, **changes: str) -> dict[str, str]:
    data = {
        "idempotency_key": key_of(scene.admin, url),
        "bank": str(scene.bank.id),
        "amount": "£2,500.00",
        "awarded_on": scene.bank.today().isoformat(),
        "conditions": "Report each quarter",
        "line_0": "1,000",
        "line_1": "250.50",
        "line_7": "",
    }
    data.update(changes)
    return data


def test_an_admin_awards_a_grant_with_its_budget_in_pence(scene: Scene, session: Session) -> None:
    url = f"/admin/programmes/{scene.programme.id}/grants/new"
    response = scene.admin.post(url, data=award_data(scene, url))
    assert response.status_code == 302, response.text
    session.rollback()
    grant = session.scalars(select(Grant).order_by(Grant.id.desc())).first()
    assert grant.id != scene.grant.id and grant.amount_pence == 250_000
    assert grant.conditions == "Report each quarter"
    budgets = {line.name: line.budget_pence for line in grant.lines}
    assert budgets["coordinator time"] == 100_000
    assert budgets["venue hire"] == 25_050
    assert budgets["other"] == 0 and len(budgets) == 8
    assert grant_summary(session, grant).remaining == 250_000
    page = scene.admin.get(response.location).text
    assert "A seed grant of £2,500.00 is awarded to Riverside Time Bank." in page
    assert "£1,000.00" in page and "£250.50" in page


def test_a_grant_above_the_usual_3000_needs_a_tick(scene: Scene, session: Session) -> None:
    url = f"/admin/programmes/{scene.programme.id}/grants/new"
    data = award_data(scene, url, amount="4000")
    before = count(session, Grant)
    page = scene.admin.post(url, data=data)
    assert page.status_code == 200
    assert "more than the usual £3,000" in page.text and 'id="confirm_large"' in page.text
    assert count(session, Grant) == before
    assert scene.admin.post(url, data=data | {"confirm_large": "y"}).status_code == 302
    assert count(session, Grant) == before + 1


def test_budget_lines_above_the_award_are_refused(scene: Scene, session: Session) -> None:
    url = f"/admin/programmes/{scene.programme.id}/grants/new"
    before = count(session, Grant)
    page = scene.admin.post(url, data=award_data(scene, url, amount="1000", line_2="500"))
    assert page.status_code == 200
    assert "The budget lines add up to £1,750.50, more than the grant of £1,000.00" in page.text
    assert count(session, Grant) == before


def test_an_award_sent_twice_is_recorded_once(scene: Scene, session: Session) -> None:
    url = f"/admin/programmes/{scene.programme.id}/grants/new"
    data = award_data(scene, url)
    before = count(session, Grant)
    first, second = scene.admin.post(url, data=data), scene.admin.post(url, data=data)
    assert first.status_code == second.status_code == 302
    assert first.location == second.location
    assert count(session, Grant) == before + 1


@pytest.mark.parametrize("amount", ["12.345", "-5", "abc", "", "0"])
def test_a_bad_award_amount_writes_nothing(scene: Scene, session: Session, amount: str) -> None:
    url = f"/admin/programmes/{scene.programme.id}/grants/new"
    before = count(session, Transfer)
    page = scene.admin.post(url, data=award_data(scene, url, amount=amount))
    assert page.status_code == 200
    assert 'id="amount-error"' in page.text and 'href="#amount"' in page.text
    assert count(session, Transfer) == before


def test_the_programme_page_lists_banks_grants_and_settings(scene: Scene) -> None:
    page = scene.admin.get(f"/admin/programmes/{scene.programme.id}")
    assert page.status_code == 200
    assert "Riverside Time Bank" in page.text and "£3,000.00" in page.text
    assert "UK National Living Wage" in page.text and "£12.21" in page.text
    assert f"/admin/programmes/{scene.programme.id}" in scene.admin.get("/admin/").text


def test_the_admin_changes_the_settings_with_a_new_hourly_value(
    scene: Scene, session: Session
) -> None:
    url = f"/admin/programmes/{scene.programme.id}"
    data = {
        "period_starts_on": "2025-04-01",
        "period_ends_on": "2028-03-31",
        "target_banks_per_year": "6",
        "overspend_policy": "warn",
        "hourly_value": "12.71",
        "hourly_value_source": "UK National Living Wage (age 21+), GOV.UK",
        "hourly_value_on": "2025-04-01",
    }
    page = scene.admin.post(url, data=data)
    assert page.status_code == 200
    assert "A new hourly value needs its own source or the date" in page.text
    response = scene.admin.post(url, data=data | {"hourly_value_on": "2026-04-01"})
    assert response.status_code == 302
    session.rollback()
    settings = session.get_one(ProgrammeSettings, scene.programme.id)
    assert settings.hourly_value_pence == 1271 and settings.target_banks_per_year == 6
    assert settings.overspend_policy == OverspendPolicy.WARN
    assert str(settings.hourly_value_on) == "2026-04-01"
    page = scene.admin.post(url, data=data | {"period_ends_on": "2024-01-01"})
    assert "The end date must be on or after the start date" in page.text


def test_the_admin_moves_budget_but_never_above_the_grant(scene: Scene, session: Session) -> None:
    line = line_named(session, scene.grant, "other")
    url = f"/admin/grants/{scene.grant.id}/lines/{line.id}"
    assert scene.admin.get(url).status_code == 200
    # the other lines already use £2,900 of the £3,000
    page = scene.admin.post(url, data={"budget": "100.01"})
    assert "The lines would then add up to £3,000.01" in page.text
    assert "Lower another line first" in page.text
    assert scene.admin.post(url, data={"budget": "50"}).status_code == 302
    session.rollback()
    assert session.get_one(BudgetLine, line.id).budget_pence == 5_000
    assert scene.broker.post(url, data={"budget": "1"}).status_code == 403


# -- spending -----------------------------------------------------------------------------------


def test_a_broker_records_spending(scene: Scene, session: Session) -> None:
    response = scene.broker.post(f"{scene.grant_url}/spend", data=spend_form(scene, session))
    assert response.status_code == 302, response.text
    page = scene.broker.get(response.location).text
    assert "Recorded" in page and "£45.50" in page and "St Mark&#39;s church hall" in page
    assert "£554.50 left of its budget of £600.00" in page
    session.rollback()
    spend = session.scalars(select(Spend)).one()
    assert spend.receipt_reference == "INV-0042"
    assert session.get_one(Transfer, spend.transfer_id).amount == 4_550
    grant_page = scene.broker.get(scene.grant_url).text
    assert "INV-0042" in grant_page and "£2,954.50" in grant_page


def test_a_double_submit_records_the_spend_once(scene: Scene, session: Session) -> None:
    data = spend_form(scene, session)
    first = scene.broker.post(f"{scene.grant_url}/spend", data=data)
    second = scene.broker.post(f"{scene.grant_url}/spend", data=data)
    assert first.status_code == second.status_code == 302
    assert first.location == second.location
    assert count(session, Spend) == 1


def test_the_refuse_policy_explains_beside_the_amount(scene: Scene, session: Session) -> None:
    page = scene.broker.post(
        f"{scene.grant_url}/spend", data=spend_form(scene, session, amount="600.01")
    )
    assert page.status_code == 200
    assert "That would take Venue hire over its budget: £600.00 of its £600.00 is left." in (
        page.text
    )
    assert 'id="amount-error"' in page.text
    assert count(session, Spend) == 0


def test_the_warn_policy_records_and_says_so(scene: Scene, session: Session) -> None:
    update_settings(session, scene.programme, by_user_id=None, overspend_policy="warn")
    session.commit()
    response = scene.broker.post(
        f"{scene.grant_url}/spend", data=spend_form(scene, session, amount="650")
    )
    assert response.status_code == 302
    page = scene.broker.get(response.location).text
    assert "Venue hire is overspent" in page and "£50.00 over" in page
    assert "Overspent by £50.00" in scene.broker.get(scene.grant_url).text
    assert count(session, Spend) == 1


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"amount": "12.345"}, "at most 2 digits after the point"),
        ({"amount": "-5"}, "The amount cannot be negative"),
        ({"amount": "abc"}, "Enter an amount in pounds"),
        ({"amount": ""}, "Enter an amount in pounds"),
        ({"amount": "0"}, "Enter an amount more than £0"),
        ({"amount": "2000000"}, "Enter an amount of £1,000,000.00 or less"),
        ({"line": ""}, "Choose the budget line"),
        ({"line": "abc"}, "Not a valid choice"),
        ({"payee": ""}, "Enter who was paid"),
        ({"spent_on": "yesterday"}, "Not a valid date value"),
    ],
)
def test_bad_spending_is_refused_and_writes_nothing(
    scene: Scene, session: Session, change: dict[str, str], message: str
) -> None:
    before = count(session, Transfer)
    page = scene.broker.post(f"{scene.grant_url}/spend", data=spend_form(scene, session, **change))
    assert page.status_code == 200
    assert message in page.text
    assert count(session, Transfer) == before and count(session, Spend) == 0


def grant_form(scene: Scene, session: Session, which: str) -> tuple[FlaskClient, str, dict]:
    """Who sends one of the forms that move a grant's money, where, and what a browser sends."""
    if which == "award":
        url = f"/admin/programmes/{scene.programme.id}/grants/new"
        return scene.admin, url, award_data(scene, url)
    if which == "return":
        url = f"{scene.grant_url}/return"
        data = {
            "idempotency_key": key_of(scene.broker, url),
            "amount": "500",
            "returned_on": scene.bank.today().isoformat(),
            "reason": "The venue was free after all",
        }
        return scene.broker, url, data
    return scene.broker, f"{scene.grant_url}/spend", spend_form(scene, session)


@pytest.mark.parametrize("which", ["award", "spend", "return"])
@pytest.mark.parametrize("tampered", ["x" * 200, "not a key; drop table", " " * 32, "A" * 32])
def test_a_grant_form_whose_key_was_tampered_with_posts_nothing(
    scene: Scene, session: Session, which: str, tampered: str
) -> None:
    client, url, data = grant_form(scene, session, which)
    before = count(session, Transfer), count(session, AuditEvent)
    response = client.post(url, data=data | {"idempotency_key": tampered})
    assert response.status_code == 400
    assert response.text.count("This form has expired. Please try again.") == 1
    assert (count(session, Transfer), count(session, AuditEvent)) == before
    fresh = key_of_page(response.text)
    assert len(fresh) == 32 and fresh != tampered
    assert client.post(url, data=data | {"idempotency_key": fresh}).status_code == 302
    assert count(session, Transfer) == before[0] + 1


def test_spending_in_the_future_is_refused(scene: Scene, session: Session) -> None:
    tomorrow = (scene.bank.today() + timedelta(days=1)).isoformat()
    page = scene.broker.post(
        f"{scene.grant_url}/spend", data=spend_form(scene, session, spent_on=tomorrow)
    )
    assert "The date cannot be in the future" in page.text and 'id="spent_on-error"' in page.text
    assert count(session, Spend) == 0


def test_spending_more_than_the_grant_holds_is_explained(scene: Scene, session: Session) -> None:
    update_settings(session, scene.programme, by_user_id=None, overspend_policy="warn")
    session.commit()
    page = scene.broker.post(
        f"{scene.grant_url}/spend", data=spend_form(scene, session, amount="3000.01")
    )
    assert "The grant has only £3,000.00 left" in page.text
    assert count(session, Spend) == 0


# -- reversals and returns ----------------------------------------------------------------------


def test_a_spend_is_reversed_with_a_reason(scene: Scene, session: Session) -> None:
    result = record_spend(
        session,
        scene.grant,
        line_named(session, scene.grant, "publicity"),
        12_000,
        scene.bank.today(),
        "Print shop",
        by_user_id=None,
    )
    session.commit()
    url = f"{scene.grant_url}/spends/{result.spend.transfer_id}/reverse"
    assert scene.broker.get(url).status_code == 200
    page = scene.broker.post(url, data={"reason": ""})
    assert page.status_code == 200 and "Say why the spending is being reversed" in page.text
    response = scene.broker.post(url, data={"reason": "Entered twice"})
    assert response.status_code == 302
    session.rollback()
    reversal = session.scalars(
        select(Transfer).where(Transfer.reverses_id == result.transfer.id)
    ).one()
    assert reversal.kind == TransferKind.REVERSAL
    assert grant_summary(session, scene.grant).spent == 0
    page = scene.broker.get(scene.grant_url).text
    assert "(reversed)" in page and 'class="num reversed"' in page
    assert scene.broker.post(url, data={"reason": "Again"}).status_code == 409
    assert count(session, Transfer) == 3  # the award, the spend and its one reversal
    reversed_events = session.scalars(
        select(AuditEvent).where(AuditEvent.action == "grant.spend_reversed")
    ).all()
    assert [e.subject for e in reversed_events] == [f"transfer:{result.transfer.id}"]
    assert reversed_events[0].details["reversal"] == reversal.id


def test_unspent_money_is_returned_once(scene: Scene, session: Session) -> None:
    url = f"{scene.grant_url}/return"
    data = {
        "idempotency_key": key_of(scene.broker, url),
        "amount": "500",
        "returned_on": scene.bank.today().isoformat(),
        "reason": "The venue was free after all",
    }
    first, second = scene.broker.post(url, data=data), scene.broker.post(url, data=data)
    assert first.status_code == second.status_code == 302
    session.rollback()
    summary = grant_summary(session, scene.grant)
    assert summary.returned == 50_000 and summary.remaining == 250_000
    returned = session.scalars(
        select(Transfer).where(Transfer.kind == TransferKind.GRANT_RETURN)
    ).one()
    assert session.get_one(TransferNote, returned.id).text == "The venue was free after all"
    page = scene.broker.get(scene.grant_url).text
    assert "The venue was free after all" in page and "£500.00" in page


def test_returning_more_than_is_left_is_refused(scene: Scene, session: Session) -> None:
    url = f"{scene.grant_url}/return"
    data = {
        "idempotency_key": key_of(scene.broker, url),
        "amount": "3,000.01",
        "returned_on": scene.bank.today().isoformat(),
        "reason": "Project ended",
    }
    page = scene.broker.post(url, data=data)
    assert page.status_code == 200 and "The grant has only £3,000.00 left" in page.text
    page = scene.broker.post(url, data=data | {"amount": "-1"})
    assert "The amount cannot be negative" in page.text
    assert count(session, Transfer) == 1


def test_a_closed_grant_takes_no_more_spending(scene: Scene, session: Session) -> None:
    return_unspent(session, scene.grant, 300_000, scene.bank.today(), by_user_id=None)
    close_grant(session, scene.grant, by_user_id=None)
    session.commit()
    assert "This grant is closed" in scene.broker.get(f"{scene.grant_url}/spend").text
    response = scene.broker.post(f"{scene.grant_url}/spend", data={"amount": "5"})
    assert response.status_code == 409
    assert scene.broker.post(f"{scene.grant_url}/return", data={}).status_code == 409


# -- who may see what ---------------------------------------------------------------------------


def grant_routes(scene: Scene, session: Session) -> list[tuple[str, str]]:
    spend = record_spend(
        session,
        scene.grant,
        line_named(session, scene.grant, "training"),
        1_000,
        scene.bank.today(),
        by_user_id=None,
    )
    session.commit()
    base = scene.grant_url
    spent = f"{base}/spends/{spend.spend.transfer_id}"
    return [
        ("GET", f"/broker/banks/{scene.bank.id}/grants"),
        ("GET", base),
        ("GET", f"{base}/spend"),
        ("POST", f"{base}/spend"),
        ("GET", spent),
        ("GET", f"{spent}/reverse"),
        ("POST", f"{spent}/reverse"),
        ("GET", f"{base}/return"),
        ("POST", f"{base}/return"),
    ]


def test_a_coordinator_of_another_bank_gets_404_everywhere(
    scene: Scene, session: Session, make_bank: Callable[..., Bank], make_user
) -> None:
    other = signed_in(scene.app, make_user("coordinator", banks=[make_bank(name="Elsewhere")]))
    before = count(session, Transfer)
    for method, url in grant_routes(scene, session):
        data = {"amount": "1", "reason": "x", "returned_on": scene.bank.today().isoformat()}
        response = other.open(url, method=method, data=data)
        assert response.status_code == 404, f"{method} {url}"
        assert "Riverside" not in response.text
    assert count(session, Transfer) == before + 1  # only the spend the routes were built on


@pytest.mark.parametrize("role", ["funder", "member"])
def test_funders_and_members_get_403(scene: Scene, session: Session, make_user, role) -> None:
    client = signed_in(scene.app, make_user(role))
    admin_routes = [
        ("GET", f"/admin/programmes/{scene.programme.id}"),
        ("POST", f"/admin/programmes/{scene.programme.id}"),
        ("GET", f"/admin/programmes/{scene.programme.id}/grants/new"),
        ("POST", f"/admin/programmes/{scene.programme.id}/grants/new"),
    ]
    for method, url in grant_routes(scene, session) + admin_routes:
        assert client.open(url, method=method, data={}).status_code == 403, f"{method} {url}"


def test_a_coordinator_cannot_award_or_change_settings(scene: Scene) -> None:
    for url in (
        f"/admin/programmes/{scene.programme.id}",
        f"/admin/programmes/{scene.programme.id}/grants/new",
    ):
        assert scene.broker.get(url).status_code == 403
        assert scene.broker.post(url, data={}).status_code == 403


def test_the_bank_page_links_to_its_grants(scene: Scene) -> None:
    page = scene.broker.get(f"/broker/banks/{scene.bank.id}").text
    assert f"/broker/banks/{scene.bank.id}/grants" in page
    listing = scene.broker.get(f"/broker/banks/{scene.bank.id}/grants").text
    assert scene.grant_url in listing and "£3,000.00 left to spend" in listing


def test_the_audit_trail_and_exchange_page_send_money_to_the_grant(scene: Scene) -> None:
    """A grant's transfers are pounds, not hours: they are shown on the grant's page."""
    bank, grant = scene.bank, scene.grant
    grant_page = f"/broker/banks/{bank.id}/grants/{grant.id}"
    trail = scene.broker.get(f"/broker/banks/{bank.id}/audit").get_data(as_text=True)
    assert "Awarded a seed grant" in trail
    assert grant_page in trail
    exchange = f"/broker/banks/{bank.id}/exchanges/{grant.award_transfer_id}"
    for url in (exchange, f"{exchange}/reverse"):
        response = scene.broker.get(url)
        assert response.status_code == 302, url
        assert response.location.endswith(grant_page)


# -- erasure and closing (admins) ---------------------------------------------------------------


def test_an_admin_removes_a_payees_details_and_the_money_stays(
    scene: Scene, session: Session
) -> None:
    response = scene.broker.post(f"{scene.grant_url}/spend", data=spend_form(scene, session))
    spend_id = int(response.location.split("/spends/")[1].split("?")[0])
    url = f"/admin/grants/{scene.grant.id}/spends/{spend_id}/remove-details"
    assert scene.broker.get(url).status_code == 403
    assert scene.broker.post(url, data={"receipt_reference": "y"}).status_code == 403
    assert "St Mark" in scene.admin.get(url).text
    done = scene.admin.post(url, data={"receipt_reference": "y"})
    assert done.status_code == 302
    session.rollback()
    spend = session.get(Spend, spend_id)
    assert (spend.payee, spend.description, spend.receipt_reference) == ("", "", "")
    assert spend.redacted_at is not None
    page = scene.broker.get(done.location).text
    assert "Removed on request" in page and "St Mark" not in page and "£45.50" in page
    assert grant_summary(session, scene.grant).spent == 4_550


def test_a_grant_closes_only_when_it_holds_nothing(scene: Scene, session: Session) -> None:
    url = f"/admin/grants/{scene.grant.id}/close"
    assert scene.broker.post(url).status_code == 403
    refused = scene.admin.post(url)
    assert refused.status_code == 409
    assert "£3,000.00 is still in the grant" in refused.text
    return_unspent(
        session, scene.grant, 300_000, scene.bank.today(), by_user_id=None, reason="not needed"
    )
    session.commit()
    assert scene.admin.post(url).status_code == 302
    session.rollback()
    assert session.get(Grant, scene.grant.id).status == "closed"
    again = scene.admin.post(url)
    assert again.status_code == 409 and "already closed" in again.text
