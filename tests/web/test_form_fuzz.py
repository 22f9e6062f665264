"""Every form of the broker's, admin's and account pages, sent odd values: never a 500, and the
books still balance after.

Each POST route is posted to by the user it is meant for, with the field names its own page
shows, filled by hypothesis with text a hall laptop, a phone keyboard or a pasted spreadsheet
can produce: NUL, very long text, digits from other scripts, impossible dates, huge numbers.
"""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from tests.conftest import PASSWORD
from tests.web.test_tenancy import World, routes, world  # noqa: F401
from timebank.ledger import verify

#: Text that has broken form handlers elsewhere.
ODD = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "0",
    "-1",
    "-0",
    "1e400",
    "9" * 40,
    "nan",
    "inf",
    "1.999999",
    "1,5",
    "½",
    "٣",
    "𝟗",
    "２",
    "0x10",
    "2026-02-30",
    "0000-00-00",
    "9999-12-31",
    "1-1-1",
    "2026-W01",
    "£1,000.00",
    "£-5",
    "'; DROP TABLE entries; --",
    "<script>alert(1)</script>",
    '=HYPERLINK("x")',
    "x" * 20_000,
    "🙂" * 300,
    "\u202e",
    "\r\n",
]

#: Routes whose forms sign the user out or away: posting to them would end the walk.
SKIP = {"auth.sign_out", "account.sign_out"}

_NAMES = re.compile(r"<(?:input|select|textarea)\b[^>]*\bname=\"([^\"]+)\"", re.I)


def field_names(page: str) -> list[str]:
    return sorted(set(_NAMES.findall(page)) - {"csrf_token"})


def value() -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(ODD),
        st.text(max_size=30),
        st.integers(-(10**12), 10**12).map(str),
        st.dates().map(str),
    )


def fuzz(client: FlaskClient, url: str, names: list[str]) -> None:
    """Post odd values in any of the form's fields; hypothesis shrinks a 500 to its cause."""

    @settings(
        max_examples=12,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(st.fixed_dictionaries({}, optional={name: value() for name in names}))
    def post(data: dict[str, str]) -> None:
        response = client.post(url, data=data)
        assert response.status_code < 500, (url, data, response.status_code)

    post()


def test_no_form_answers_500_to_odd_values(app: Flask, world: World, session: Session) -> None:  # noqa: F811
    clients = {}
    for role in ("coordinator_a", "admin"):
        client = app.test_client()
        person = world.users[role]
        signed_in = client.post("/sign-in", data={"email": person.email, "password": PASSWORD})
        assert signed_in.status_code == 302
        clients[role] = client

    posted = 0
    for endpoint, path, method in routes(app):
        if method != "POST" or endpoint in SKIP:
            continue
        url = path
        for name, number in world.ids.items():
            url = url.replace(f"<int:{name}>", str(number))
        url = url.replace("<kind>", "members")
        admin_only = getattr(app.view_functions[endpoint], "admin_only", False)
        client = clients["admin" if admin_only else "coordinator_a"]
        form = client.get(url)
        names = field_names(form.get_data(as_text=True)) if form.status_code == 200 else []
        names = names or ["name", "amount", "hours", "reason"]

        fuzz(client, url, names)
        posted += 1
    assert posted > 25

    session.rollback()
    report = verify(session)
    assert report.ok, report.summary()


def test_ids_too_large_for_the_database_are_not_found(app: Flask, world: World) -> None:  # noqa: F811
    client = app.test_client()
    person = world.users["admin"]
    client.post("/sign-in", data={"email": person.email, "password": PASSWORD})
    walked = 0
    for _endpoint, path, method in routes(app):
        if "<int:" not in path:
            continue
        for huge in ("2147483648", "9223372036854775808", "9" * 30):
            url = re.sub(r"<int:[a-z_]+>", huge, path).replace("<kind>", "members")
            response = client.open(url, method=method, data={})
            assert response.status_code in (403, 404), (method, url, response.status_code)
            walked += 1
    assert walked > 50
