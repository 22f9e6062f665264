"""The API tokens page and the API's docs page pass axe (WCAG 2.2 AA) on a phone."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.browser.conftest import assert_no_sideways_scroll, axe_violations, describe
from tests.conftest import PASSWORD
from timebank.banks.operations import create_bank
from timebank.extensions import db
from timebank.users.models import Role
from timebank.users.operations import create_user


def _passes(page: Page) -> None:
    violations = axe_violations(page)
    assert not violations, describe(violations)


def test_the_tokens_page_and_the_docs_pass_axe(phone: Page, live_server) -> None:
    with live_server.app.app_context():
        bank = create_bank(db.session, name="Axe Time Bank")
        create_user(
            db.session,
            email="axe-broker@example.org",
            display_name="Broker",
            role=Role.COORDINATOR,
            password=PASSWORD,
            banks=[bank],
        )
        db.session.commit()
    url = live_server.url
    phone.goto(url + "/sign-in")
    phone.get_by_label("Email address").fill("axe-broker@example.org")
    phone.get_by_label("Password").fill(PASSWORD)
    phone.get_by_role("button", name="Sign in").click()

    phone.goto(url + "/account/tokens")
    _passes(phone)
    # The next page must have loaded before axe reads it: a click does not wait.
    with phone.expect_navigation():
        phone.get_by_role("button", name="Make a token").click()
    _passes(phone)  # the error summary
    phone.get_by_label("What the token is for").fill("hall laptop")
    phone.get_by_role("button", name="Make a token").click()
    token = phone.get_by_label("Token for hall laptop").input_value()
    assert token.startswith("tbk_")
    _passes(phone)
    assert_no_sideways_scroll(phone)
    phone.goto(url + "/account/tokens")
    _passes(phone)
    phone.get_by_role("button", name="Revoke hall laptop").click()
    expect(phone.get_by_text("is revoked")).to_have_count(1)
    _passes(phone)

    phone.goto(url + "/api/v1/docs")
    _passes(phone)
