"""The welcome page passes axe and reads at 320 px wide and at 200% zoom, in Chromium."""

from __future__ import annotations

from playwright.sync_api import Browser, Page

from tests.browser.conftest import assert_no_sideways_scroll, axe_violations, describe


def test_the_welcome_page_has_no_accessibility_violations(phone: Page, live_server) -> None:
    phone.goto(live_server.url + "/")
    violations = axe_violations(phone)
    assert violations == [], describe(violations)


def test_the_welcome_page_fits_320px_at_200_percent_zoom(browser: Browser, live_server) -> None:
    # 320 CSS px at 200% zoom is what a 640 px window shows with text doubled
    context = browser.new_context(viewport={"width": 320, "height": 640})
    page = context.new_page()
    page.goto(live_server.url + "/")
    assert_no_sideways_scroll(page)
    page.evaluate("document.documentElement.style.fontSize = '200%'")
    assert_no_sideways_scroll(page)
    body_size = page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
    assert body_size >= 19 * 2
    context.close()


def test_the_language_switcher_works_without_javascript(browser: Browser, live_server) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(live_server.url + "/")
    page.get_by_role("link", name="Polski").click()
    assert page.locator("html").get_attribute("lang") == "pl"
    assert "Bank czasu" in page.content()
    context.close()
