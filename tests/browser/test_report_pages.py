"""The report pages pass axe (WCAG 2.2 AA) and fit a phone at 390 and 320 px, and at 200% text,
for the funder (suppressed) and the coordinator (exact), on the demo's banks and grants."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page

from tests.browser.conftest import assert_no_sideways_scroll, axe_violations, describe
from tests.browser.test_broker import snap
from timebank import demo
from timebank.extensions import db

FUNDER_PAGES = ["/funder/programmes/1", "/funder/banks/1"]
COORDINATOR_PAGES = ["/broker/banks/1/report", "/broker/banks/1/report?from=2026-02-30"]


@pytest.fixture(scope="module")
def demo_loaded(live_server) -> None:  # type: ignore[no-untyped-def]
    with live_server.app.app_context():
        demo.load(db.session, members_per_bank=12)
        db.session.commit()


def sign_in(page: Page, url: str, email: str) -> None:
    page.goto(url + "/sign-in")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(demo.DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def check(page: Page, url: str, paths: list[str], shots: dict[str, str] | None = None) -> None:
    problems = []
    for path in paths:
        response = page.goto(url + path)
        assert response is not None and response.status in (200, 400), path
        violations = axe_violations(page)
        if violations:
            problems.append(f"{path}:\n{describe(violations)}")
        assert_no_sideways_scroll(page)
        if shots and path in shots:
            snap(page, shots[path])
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("width", [390, 320])
def test_the_funder_pages_pass_axe(
    browser: Browser, live_server, demo_loaded: None, width: int
) -> None:
    context = browser.new_context(viewport={"width": width, "height": 800})
    page = context.new_page()
    sign_in(page, live_server.url, "funder@demo.timebank")
    shots = {"/funder/banks/1": "funder-bank-report"} if width == 390 else None
    check(page, live_server.url, FUNDER_PAGES, shots)
    context.close()


def test_the_coordinator_report_passes_axe(phone: Page, live_server, demo_loaded: None) -> None:
    sign_in(phone, live_server.url, "broker1@demo.timebank")
    check(phone, live_server.url, COORDINATOR_PAGES)
    # the bad date is explained beside its field
    assert phone.get_by_text("There is no such day").count() >= 1


def test_the_report_reflows_at_200_percent_text(
    phone: Page, live_server, demo_loaded: None
) -> None:
    sign_in(phone, live_server.url, "funder@demo.timebank")
    phone.goto(live_server.url + "/funder/banks/1")
    phone.evaluate("document.documentElement.style.fontSize = '200%'")
    assert_no_sideways_scroll(phone)
