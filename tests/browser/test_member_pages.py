"""Every member page in Chromium at 320 and 390 px: axe (WCAG 2.2 AA), and our own stricter
checks for older eyes and hands: no sideways scroll even at 200% text, 44x44 targets, 7:1
contrast, text of 19px and up, and under 30 KB of HTML and CSS. Recording help works with
JavaScript switched off.

With TIMEBANK_SCREENSHOTS=1 the 390 px pages are saved as docs/screenshots/member-*.png.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.browser.conftest import SCREENSHOTS, assert_no_sideways_scroll, axe_violations, describe
from tests.conftest import PASSWORD
from timebank import cards, ledger
from timebank.banks.operations import create_bank
from timebank.exchanges import HelpDetails, record_exchange
from timebank.extensions import db
from timebank.members import member_view, skills
from timebank.members.models import Skill
from timebank.members.operations import member_account, register_member
from timebank.users.models import Role
from timebank.users.operations import create_user

PIN = "4071"
WIDTHS = [320, 390]
MAX_BYTES = 30 * 1024


@dataclass
class World:
    joan_token: str
    seamus_token: str
    mary_token: str
    two_days_ago: date


@pytest.fixture(scope="module")
def world(live_server) -> World:  # type: ignore[no-untyped-def]
    """Riverside Time Bank: Joan (who has help to confirm), Seamus, Una, and Mary, who is
    Joan's supporter; each with a card and a PIN."""
    with live_server.app.app_context():
        session = db.session
        bank = create_bank(session, name="Riverside Time Bank", help_phone="028 9000 1234")
        people = {
            name.split()[0].lower(): register_member(
                session, bank, full_name=name, display_name=name.split()[0], area="BT9"
            )
            for name in ["Joan Murphy", "Seamus Kelly", "Una Boyle", "Mary Murphy"]
        }
        joan, seamus, una, mary = (people[k] for k in ("joan", "seamus", "una", "mary"))
        create_user(
            session,
            email="bernie@example.org",
            display_name="Bernie",
            role=Role.COORDINATOR,
            password=PASSWORD,
            banks=[bank],
        )
        kinds = {s.code: s for s in session.query(Skill).filter(Skill.bank_id.is_(None))}
        skills.add_offer(session, joan, kinds["befriending"], "Afternoons, a chat and tea", by=None)
        skills.add_offer(session, joan, kinds["cooking"], by=None)
        skills.add_request(session, joan, kinds["gardening"], "The hedge", by=None)
        skills.add_request(session, una, kinds["befriending"], "Someone to talk to", by=None)
        skills.add_request(session, seamus, kinds["cooking"], by=None)
        today = bank.today()
        record_exchange(
            session,
            provider=seamus,
            receiver=joan,
            help=HelpDetails(
                minutes=90, given_on=today - timedelta(days=3), skill_id=kinds["shopping"].id
            ),
        )
        record_exchange(
            session,
            provider=joan,
            receiver=una,
            help=HelpDetails(
                minutes=60, given_on=today - timedelta(days=2), skill_id=kinds["befriending"].id
            ),
        )
        ledger.pend(
            session,
            ledger.TransferRequest(
                bank_id=bank.id,
                unit=ledger.Unit.HOURS,
                kind=ledger.TransferKind.EXCHANGE,
                from_account_id=member_account(session, joan.id).id,
                to_account_id=member_account(session, seamus.id).id,
                amount=45,
                given_on=today - timedelta(days=1),
                skill_id=kinds["lifts"].id,
            ),
            by_member_id=seamus.id,
        )
        member_view.add_supporter(session, joan, supporter_member=mary, by=None)
        tokens = {}
        for key, member in people.items():
            _card, tokens[key] = cards.issue_card(session, member, by_user_id=None)
            cards.set_pin(session, member, PIN, by_user_id=None)
        session.commit()
        return World(tokens["joan"], tokens["seamus"], tokens["mary"], today - timedelta(days=2))


def snap(page: Page, name: str) -> None:
    if os.environ.get("TIMEBANK_SCREENSHOTS"):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"member-{name}.png"), full_page=True)


@pytest.fixture(params=WIDTHS, ids=lambda w: f"{w}px")
def context(request: pytest.FixtureRequest, browser: Browser) -> Iterator[BrowserContext]:
    context = browser.new_context(
        viewport={"width": request.param, "height": 740}, device_scale_factor=2
    )
    yield context
    context.close()


def sign_in_with_card(page: Page, base: str, token: str, name: str) -> None:
    page.goto(f"{base}/c/{token}")
    page.get_by_label("Your 4-digit PIN").fill(PIN)
    page.get_by_role("button", name="Show my time").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Hello, {name}")


# -- our own checks, run in the page ------------------------------------------------------------

_TARGETS = """() => {
  const small = [];
  for (const el of document.querySelectorAll('a, button, input, select, summary, label')) {
    if (el.type === 'hidden') continue;
    const style = getComputedStyle(el);
    const box = el.getBoundingClientRect();
    // not shown (or moved off screen, like the skip link until it has focus)
    if (style.display === 'none' || style.visibility === 'hidden') continue;
    if (box.width === 0 || box.height === 0 || box.right <= 0 || box.bottom <= 0) continue;
    if (box.width < 44 || box.height < 44) {
      small.push(`${el.tagName.toLowerCase()} "${el.textContent.trim().slice(0, 30)}" `
        + `${Math.round(box.width)}x${Math.round(box.height)}`);
    }
  }
  return small;
}"""

_TEXT = """() => {
  const channel = (c) => {
    c /= 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  };
  const luminance = ([r, g, b]) => 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
  const rgba = (text) => {
    const m = text.match(/rgba?\\(([^)]+)\\)/);
    if (!m) return [0, 0, 0, 0];
    const parts = m[1].split(/[ ,/]+/).filter(Boolean).map(Number);
    return [parts[0], parts[1], parts[2], parts.length > 3 ? parts[3] : 1];
  };
  const background = (el) => {
    for (let node = el; node && node.nodeType === 1; node = node.parentElement) {
      const colour = rgba(getComputedStyle(node).backgroundColor);
      if (colour[3] > 0) return colour;
    }
    return [255, 255, 255, 1];
  };
  const problems = [];
  for (const el of document.body.querySelectorAll('*')) {
    const own = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    if (!own) continue;
    const style = getComputedStyle(el);
    const box = el.getBoundingClientRect();
    if (style.display === 'none' || style.visibility === 'hidden') continue;
    if (box.width <= 1 || box.height <= 1 || box.right <= 0) continue;
    const fg = luminance(rgba(style.color));
    const bg = luminance(background(el));
    const ratio = (Math.max(fg, bg) + 0.05) / (Math.min(fg, bg) + 0.05);
    const label = `${el.tagName.toLowerCase()} "${el.textContent.trim().slice(0, 30)}"`;
    if (ratio < 7) problems.push(`${label} contrast ${ratio.toFixed(2)}`);
    if (parseFloat(style.fontSize) < 19) problems.push(`${label} ${style.fontSize}`);
  }
  return problems;
}"""


def page_bytes(page: Page) -> int:
    """The page's HTML and every stylesheet it links, in bytes."""
    html = len(page.content().encode())
    sheets = page.eval_on_selector_all(
        "link[rel=stylesheet]", "links => links.map(link => link.href)"
    )
    return html + sum(len(page.request.get(href).body()) for href in sheets)


def check_page(page: Page, name: str, width: int) -> None:
    """Every check a member page must pass, at the page's present width."""
    violations = axe_violations(page)
    assert violations == [], f"{name}: {describe(violations)}"
    assert_no_sideways_scroll(page)
    assert page.evaluate(_TARGETS) == [], f"{name}: targets under 44x44"
    assert page.evaluate(_TEXT) == [], f"{name}: text too faint or too small"
    size = page_bytes(page)
    assert size < MAX_BYTES, f"{name}: {size} bytes"
    print(f"{name} at {width}px: {size} bytes of HTML and CSS")  # shown with pytest -s
    assert page.locator("script").count() == 0
    assert page.locator("[style]").count() == 0
    assert page.get_by_role("button", name="Sign out on this phone").count() == 1
    if width == 390:
        snap(page, name)
    page.evaluate("document.documentElement.style.fontSize = '200%'")
    try:
        assert_no_sideways_scroll(page)
    finally:
        page.evaluate("document.documentElement.style.fontSize = ''")


# -- the tests ----------------------------------------------------------------------------------


def test_every_member_page_is_easy_to_read_and_to_use(
    context: BrowserContext,
    live_server,
    world: World,  # type: ignore[no-untyped-def]
) -> None:
    page = context.new_page()
    width = page.viewport_size["width"]
    base = live_server.url
    sign_in_with_card(page, base, world.joan_token, "Joan")
    expect(page.get_by_role("button", name="Yes, this happened")).to_be_visible()
    check_page(page, "home", width)
    for path, name, heading in [
        ("/me/offers", "offers", "My offers and requests"),
        ("/me/needs", "needs", "What the bank needs now"),
        ("/me/help", "help", "Help and contact"),
        ("/me/statement", "statement", "My statement"),
    ]:
        page.goto(base + path)
        expect(page.get_by_role("heading", level=1)).to_have_text(heading)
        check_page(page, name, width)

    page.goto(base + "/me/record")
    check_page(page, "record", width)
    page.get_by_label("Who did you help?").select_option(label="Una, member 3")
    page.get_by_label("What kind of help?").select_option(label="Befriending and a chat")
    page.get_by_label("Hours").select_option("1")
    page.get_by_label("Minutes").select_option("15")
    page.get_by_label("Yesterday").check()
    page.get_by_role("button", name="Next: check it").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check and send")
    check_page(page, "record-check", width)
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_text("We've asked Una to say it happened.")).to_be_visible()
    check_page(page, "record-sent", width)

    # a form with a problem, read out through the summary
    page.goto(base + "/me/record")
    page.get_by_role("button", name="Next: check it").click()
    expect(page.get_by_role("alert")).to_contain_text("Choose who you helped")
    check_page(page, "record-problem", width)


def test_a_supporters_pages_are_easy_to_read_too(
    context: BrowserContext,
    live_server,
    world: World,  # type: ignore[no-untyped-def]
) -> None:
    page = context.new_page()
    width = page.viewport_size["width"]
    sign_in_with_card(page, live_server.url, world.mary_token, "Mary")
    page.goto(live_server.url + "/me/supporting")
    check_page(page, "supporting", width)
    page.get_by_role("link", name="See Joan's time").click()
    expect(page.get_by_text("You are looking at Joan's time, as their supporter.")).to_be_visible()
    assert page.get_by_role("button", name="Yes, this happened").count() == 0
    check_page(page, "supporter-view", width)


def test_help_is_recorded_and_confirmed_with_javascript_off(
    browser: Browser,
    live_server,
    world: World,  # type: ignore[no-untyped-def]
) -> None:
    base = live_server.url
    seamus = browser.new_context(viewport={"width": 320, "height": 740}, java_script_enabled=False)
    joan = browser.new_context(viewport={"width": 320, "height": 740}, java_script_enabled=False)
    try:
        page = seamus.new_page()
        sign_in_with_card(page, base, world.seamus_token, "Seamus")
        page.get_by_role("link", name="Record help I gave").first.click()
        page.get_by_label("Who did you help?").select_option(label="Joan, member 1")
        page.get_by_label("What kind of help?").select_option(label="Shopping")
        page.get_by_label("Hours").select_option("2")
        page.get_by_label("Minutes").select_option("0")
        page.get_by_label("Another day").check()
        page.get_by_label("Which day?").fill(world.two_days_ago.isoformat())
        page.get_by_role("button", name="Next: check it").click()
        page.get_by_role("button", name="Change something").click()
        expect(page.get_by_label("Hours")).to_have_value("2")
        page.get_by_role("button", name="Next: check it").click()
        page.get_by_role("button", name="Send").click()
        expect(page.get_by_text("We've asked Joan to say it happened.")).to_be_visible()

        answer = joan.new_page()
        sign_in_with_card(answer, base, world.joan_token, "Joan")
        card = answer.locator("li.card", has_text="Seamus says they helped you").filter(
            has_text="2 hours"
        )
        card.get_by_role("button", name="Yes, this happened").click()
        expect(answer.get_by_text("Thank you. The hours are now in the bank.")).to_be_visible()
        expect(answer.get_by_text("Shopping, from Seamus: 2 hours received.")).to_be_visible()
        answer.get_by_role("button", name="Sign out on this phone").click()
        expect(answer.get_by_role("heading", level=1)).to_have_text("Scan your card to sign in")
        answer.goto(base + "/me")
        expect(answer.get_by_role("heading", level=1)).to_have_text("Scan your card to sign in")
    finally:
        seamus.close()
        joan.close()
