"""The headers every answer carries, and the flags of every cookie, walked over every route.

Each role (a coordinator, an admin, a funder, a member signed in with their card, and the API
with a token) opens every GET route of the app, over https as in production and over plain
http on a few pages. Whatever the answer (a page, a CSV or PDF download, a statement, JSON, an
error), it carries the same protections; and no page has an inline script or style that the
Content-Security-Policy would have to allow.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from html.parser import HTMLParser

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from tests.conftest import PASSWORD, make_app
from timebank import cards
from timebank.banks.operations import create_programme
from timebank.exchanges import HelpDetails, record_exchange
from timebank.members.models import Member
from timebank.users.models import User
from timebank.users.tokens import create_token

HTTPS = "https://localhost"
REQUIRED_CSP = (
    "default-src 'none'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "object-src 'none'",
    "form-action 'self'",
)
#: Answers that are public on purpose and say so: everything else is never stored.
CACHEABLE = {"static", "api.openapi_json"}


@dataclass
class World:
    ids: dict[str, int]
    users: dict[str, User]
    member_id: int
    token: str


@pytest.fixture
def world(session: Session, make_bank, make_member, make_user) -> World:
    programme = create_programme(session, name="Alpha Seed Grants", funder="Alpha Fund")
    bank = make_bank(name="Alpha Time Bank", programme=programme)
    joan = make_member(bank, "Joan Murphy")
    seamus = make_member(bank, "Seamus Kelly")
    transfer = record_exchange(
        session, provider=seamus, receiver=joan, help=HelpDetails(minutes=60)
    ).transfer
    session.commit()
    users = {
        "coordinator": make_user("coordinator", banks=[bank]),
        "admin": make_user("admin"),
        "funder": make_user("funder", programme=programme),
    }
    _row, token = create_token(session, users["coordinator"], "headers")
    session.commit()
    ids = {
        "bank_id": bank.id,
        "member_id": joan.id,
        "transfer_id": transfer.id,
        "programme_id": programme.id,
    }
    return World(ids=ids, users=users, member_id=joan.id, token=token)


def get_routes(app: Flask, world: World) -> list[tuple[str, str]]:
    """Every GET route, as (endpoint, url) with the world's ids; other ids are simply unknown."""
    found = []
    for rule in app.url_map.iter_rules():
        if "GET" not in (rule.methods or set()):
            continue
        url = rule.rule
        for name, value in world.ids.items():
            url = url.replace(f"<int:{name}>", str(value)).replace(f"<id:{name}>", str(value))
        url = url.replace("<path:filename>", "timebank.css").replace("<kind>", "members")
        for converter in ("int:", "id:", ""):
            while f"<{converter}" in url:
                start = url.index(f"<{converter}")
                url = url[:start] + "1" + url[url.index(">", start) + 1 :]
        found.append((rule.endpoint, url))
    return sorted(found)


def signed_in(app: Flask, session: Session, world: World, role: str) -> FlaskClient:
    client = app.test_client()
    if role == "member":
        # as the card's PIN page would sign them in (tests/web/test_member_auth.py tests it)
        card, _token = cards.issue_card(
            session, session.get_one(Member, world.member_id), by_user_id=None
        )
        session.commit()
        with client.session_transaction(base_url=HTTPS) as stored:
            stored["member_card_id"] = card.id
            stored["member_signed_in_at"] = int(time.time())
        return client
    person = world.users[role]
    response = client.post(
        "/sign-in", data={"email": person.email, "password": PASSWORD}, base_url=HTTPS
    )
    assert response.status_code == 302
    assert_protected(response, "auth.sign_in", https=True)
    return client


class InlineCode(HTMLParser):
    """Inline scripts, styles and event handlers: what a strict policy would block."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self.found.append(f"<{tag}>")
        for name, value in attrs:
            if name == "style" or name.startswith("on"):
                self.found.append(f"<{tag} {name}>")
            if name in ("href", "src", "action") and (value or "").startswith("javascript:"):
                self.found.append(f"<{tag} {name}=javascript:>")


def assert_protected(response: TestResponse, endpoint: str, *, https: bool) -> None:
    """Every header this app promises, on one answer, and every cookie it sets or clears."""
    where = f"{endpoint} ({response.status_code})"
    headers = response.headers
    policy = headers.get("Content-Security-Policy", "")
    for directive in REQUIRED_CSP:
        assert directive in policy, f"{where}: {policy}"
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert headers.get("X-Content-Type-Options") == "nosniff", where
    assert headers.get("X-Frame-Options") == "DENY", where
    assert headers.get("Referrer-Policy") == "same-origin", where
    permissions = headers.get("Permissions-Policy", "")
    for feature in ("camera", "microphone", "geolocation", "payment", "usb"):
        assert f"{feature}=()" in permissions, f"{where}: {permissions}"
    if https:
        assert headers.get("Strict-Transport-Security") == (
            "max-age=31536000; includeSubDomains"
        ), where
    else:
        assert "Strict-Transport-Security" not in headers, where
    if endpoint not in CACHEABLE:
        assert headers.get("Cache-Control") == "no-store", f"{where}: {headers}"
    for cookie in headers.getlist("Set-Cookie"):
        flags = [part.strip().lower() for part in cookie.split(";")]
        assert "httponly" in flags and "samesite=lax" in flags, f"{where}: {cookie}"
        assert ("secure" in flags) == https, f"{where}: {cookie}"
    if response.mimetype == "text/html":
        reader = InlineCode()
        reader.feed(response.get_data(as_text=True))
        assert not reader.found, f"{where}: {reader.found}"


@pytest.mark.parametrize("role", ["coordinator", "admin", "funder", "member"])
def test_every_route_carries_the_headers_over_https(
    app: Flask, session: Session, world: World, role: str
) -> None:
    client = signed_in(app, session, world, role)
    answers: dict[int, int] = {}
    for endpoint, url in get_routes(app, world):
        if endpoint.startswith("api."):
            continue  # the API is walked with its token below
        response = client.get(url, base_url=HTTPS)
        assert response.status_code != 500, f"{role} {url}"
        assert_protected(response, endpoint, https=True)
        answers[response.status_code] = answers.get(response.status_code, 0) + 1
    assert answers.get(200, 0) >= 5, answers  # pages were drawn, not only refused


def test_every_api_route_carries_the_headers(app: Flask, world: World) -> None:
    client = app.test_client()
    bearer = {"Authorization": f"Bearer {world.token}"}
    opened = 0
    for endpoint, url in get_routes(app, world):
        if not endpoint.startswith("api."):
            continue
        response = client.get(url, headers=bearer, base_url=HTTPS)
        assert_protected(response, endpoint, https=True)
        if response.mimetype == "application/json" and endpoint not in CACHEABLE:
            assert response.headers["Cache-Control"] == "no-store"
        opened += response.status_code == 200
    assert opened >= 5
    # refused for want of a token: the same headers
    assert_protected(client.get("/api/v1/banks", base_url=HTTPS), "api.list_banks", https=True)


@pytest.mark.parametrize(
    "url",
    [
        "/",
        "/sign-in",
        "/broker/banks/{bank_id}",
        "/broker/banks/{bank_id}/members/{member_id}/statement",
        "/broker/banks/{bank_id}/report.csv",
        "/broker/banks/{bank_id}/export/members.csv",
        "/no-such-page",
    ],
)
def test_plain_http_has_the_same_headers_but_no_hsts(app: Flask, world: World, url: str) -> None:
    client = app.test_client()
    person = world.users["coordinator"]
    signing_in = client.post("/sign-in", data={"email": person.email, "password": PASSWORD})
    assert_protected(signing_in, "auth.sign_in", https=False)
    response = client.get(url.format(**world.ids))
    assert response.status_code in (200, 302, 404)
    assert_protected(response, url, https=False)


def test_the_remember_cookie_is_cleared_with_the_same_flags(
    client: FlaskClient, world: World
) -> None:
    person = world.users["coordinator"]
    client.post("/sign-in", data={"email": person.email, "password": PASSWORD}, base_url=HTTPS)
    client.set_cookie("remember_token", "left from before", domain="localhost")
    response = client.post("/sign-out", base_url=HTTPS)
    cleared = [c for c in response.headers.getlist("Set-Cookie") if "remember_token=" in c]
    assert len(cleared) == 1, response.headers.getlist("Set-Cookie")
    assert "Expires=Thu, 01 Jan 1970" in cleared[0]
    assert_protected(response, "auth.sign_out", https=True)


# -- whether cookies are Secure by default -----------------------------------------------------


def secure(client: FlaskClient, **request: object) -> bool:
    """Whether the cookies set by choosing a language on the home page are Secure: the session
    cookie, and Flask-Login's clearing of its own, always alike."""
    response = client.get("/?lang=en", **request)  # type: ignore[arg-type]
    cookies = response.headers.getlist("Set-Cookie")
    assert any(cookie.startswith("session=") for cookie in cookies), cookies
    (answer,) = {"Secure" in cookie.split("; ") for cookie in cookies}
    return answer


@pytest.fixture
def served(database_url: str, tmp_path) -> Flask:
    """The app as served: not in testing mode, cookies left to their default."""
    return make_app(database_url, tmp_path / "served", TESTING=False)


def test_cookies_are_secure_by_default(served: Flask) -> None:
    assert secure(served.test_client(), base_url="http://timebank.example")
    assert secure(served.test_client(), base_url=HTTPS)
    # a proxy on this machine says so: its visitors are not on this machine
    assert secure(served.test_client(), headers={"X-Forwarded-For": "203.0.113.9"})


def test_make_run_on_plain_http_to_this_machine_keeps_working(served: Flask) -> None:
    for base_url in ("http://localhost:5000", "http://127.0.0.1:5000", "http://[::1]:5000"):
        assert not secure(served.test_client(), base_url=base_url), base_url
    # from another machine to a loopback name is not this machine's own browser
    assert secure(served.test_client(), environ_base={"REMOTE_ADDR": "203.0.113.9"})


@pytest.mark.parametrize("setting, secure_on_loopback", [(True, True), (False, False)])
def test_the_setting_decides_when_given(
    database_url: str, tmp_path, setting: bool, secure_on_loopback: bool
) -> None:
    app = make_app(database_url, tmp_path / "set", TESTING=False, SESSION_COOKIE_SECURE=setting)
    assert secure(app.test_client()) == secure_on_loopback
    assert secure(app.test_client(), base_url="http://timebank.example") == setting
    assert secure(app.test_client(), base_url=HTTPS)
