"""A broker logs help on a phone, in Chromium at 390×844, and the pages pass axe.

With TIMEBANK_SCREENSHOTS=1 (``make screenshots``) the tests also save the pictures used in
docs/broker-guide.md.
"""

from __future__ import annotations

import os

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import SCREENSHOTS, assert_no_sideways_scroll, axe_violations, describe
from tests.conftest import PASSWORD
from timebank.banks.operations import create_bank
from timebank.extensions import db
from timebank.members.operations import register_member
from timebank.users.models import Role
from timebank.users.operations import create_user


def snap(page: Page, name: str) -> None:
    if os.environ.get("TIMEBANK_SCREENSHOTS"):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def no_violations(page: Page) -> None:
    violations = axe_violations(page)
    assert violations == [], describe(violations)


@pytest.fixture(scope="module")
def bank_id(live_server) -> int:  # type: ignore[no-untyped-def]
    with live_server.app.app_context():
        bank = create_bank(db.session, name="Riverside Time Bank", help_phone="028 9000 1234")
        for name in ["Joan Murphy", "Seamus Kelly", "Una Boyle", "Kathleen Quinn", "Lunch Bunch"]:
            register_member(db.session, bank, full_name=name)
        create_user(
            db.session,
            email="broker@example.org",
            display_name="Bernie",
            role=Role.COORDINATOR,
            password=PASSWORD,
            banks=[bank],
        )
        db.session.commit()
        return bank.id


@pytest.fixture
def signed_in(phone: Page, live_server, bank_id: int) -> Page:  # type: ignore[no-untyped-def]
    phone.goto(live_server.url + "/sign-in")
    no_violations(phone)
    snap(phone, "sign-in")
    phone.get_by_label("Email address").fill("broker@example.org")
    phone.get_by_label("Password").fill(PASSWORD)
    phone.get_by_role("button", name="Sign in").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Riverside Time Bank")
    return phone


def test_a_broker_logs_an_exchange_on_a_phone(signed_in: Page, live_server, bank_id: int) -> None:
    page = signed_in
    no_violations(page)
    assert_no_sideways_scroll(page)
    snap(page, "bank-start")
    page.get_by_role("link", name="One member helped another").click()
    page.get_by_label("Who gave the help?").fill("Seamus Kelly (#2)")
    page.get_by_label("Who received it?").fill("Joan Murphy (#1)")
    page.get_by_label("Hours").select_option("1")
    page.get_by_label("Minutes").select_option("30")
    page.get_by_label("What kind of help?").select_option(label="Shopping")
    page.locator("summary").click()
    page.get_by_label("are socially integrated and not isolated").check()
    no_violations(page)
    assert_no_sideways_scroll(page)
    snap(page, "log-exchange")
    page.get_by_role("button", name="Log this help").click()
    expect(page.get_by_role("heading", name="Recorded")).to_be_visible()
    expect(page.get_by_text("Now has 1 hour, 30 minutes.")).to_be_visible()
    expect(page.get_by_text("Now owes 1 hour, 30 minutes.")).to_be_visible()
    no_violations(page)
    snap(page, "exchange-recorded")


def test_a_mistake_is_shown_beside_the_field(signed_in: Page, bank_id: int) -> None:
    page = signed_in
    page.get_by_role("link", name="One member helped another").click()
    page.get_by_label("Who gave the help?").fill("Una Boyle (#3)")
    page.get_by_label("Who received it?").fill("Kathleen Quinn (#4)")
    page.get_by_label("Hours").select_option("12")
    page.get_by_label("What kind of help?").select_option(label="Gardening")
    page.get_by_role("button", name="Log this help").click()
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("Kathleen cannot receive this much")
    no_violations(page)
    snap(page, "log-exchange-error")
    summary.get_by_role("link").first.click()
    expect(page.get_by_label("Who received it?")).to_be_focused()


def test_a_broker_logs_a_group_exchange_on_a_phone(signed_in: Page, bank_id: int) -> None:
    page = signed_in
    page.get_by_role("link", name="One member helped several (a group)").click()
    page.get_by_label("Who gave the help?").fill("Kathleen Quinn (#4)")
    page.get_by_label("Who received it?").fill("1\n2\n3")
    page.get_by_label("Hours").select_option("2")
    page.get_by_label("What kind of help?").select_option(label="Teaching a skill")
    no_violations(page)
    assert_no_sideways_scroll(page)
    snap(page, "log-group")
    page.get_by_role("button", name="Log this help").click()
    expect(page.get_by_role("heading", name="Recorded")).to_be_visible()
    expect(page.get_by_text("Kathleen earned 2 hours.")).to_have_count(3)
    snap(page, "group-recorded")


def test_the_broker_pages_fit_320px_at_200_percent(
    browser: Browser, live_server, bank_id: int
) -> None:
    context = browser.new_context(viewport={"width": 320, "height": 640})
    page = context.new_page()
    page.goto(live_server.url + "/sign-in")
    page.get_by_label("Email address").fill("broker@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    for path in ["", "/exchanges/new", "/exchanges/group", "/members", "/members/new"]:
        page.goto(f"{live_server.url}/broker/banks/{bank_id}{path}")
        page.evaluate("document.documentElement.style.fontSize = '200%'")
        assert_no_sideways_scroll(page)
    context.close()
