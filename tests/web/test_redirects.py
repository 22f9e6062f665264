"""Where signing in sends someone afterwards: a page of this site, never another site."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from tests.conftest import PASSWORD
from timebank.web.redirects import safe_target

#: Targets that could leave the site, as sent, once some part of the way decodes or drops a
#: character: control characters, backslashes, schemes, hosts, and their percent-encodings.
UNSAFE = [
    # control characters, which browsers and Werkzeug drop (leaving //evil.example/) or choke on
    "/\t/evil.example/",
    "/\n/evil.example/",
    "/\r\n/evil.example/",
    "/\r\nSet-Cookie: planted=1",
    "/\x00/evil.example/",
    "/\x1b/evil.example/",
    "/\x7f/evil.example/",
    "/\x85/evil.example/",
    "/\x9f/evil.example/",
    "/\u2028/evil.example/",
    "/\u200b/evil.example/",
    # other hosts and schemes
    "//evil.example/",
    "///evil.example/",
    "/\\evil.example/",
    "\\\\evil.example/",
    "/\\/evil.example/",
    "https://evil.example/",
    "https:evil.example",
    "HTTPS://evil.example/",
    "javascript:alert(1)",
    " javascript:alert(1)",
    " //evil.example/",
    "evil.example",
    # the same, percent-encoded once, twice, or in part
    "/%09/evil.example/",
    "/%0d%0a/evil.example/",
    "/%0D%0ASet-Cookie:%20planted=1",
    "/%00/evil.example/",
    "/%7F/evil.example/",
    "/%C2%85/evil.example/",
    "/%E2%80%A8/evil.example/",
    "%2F%2Fevil.example/",
    "/%2Fevil.example/",
    "/%2F%2Fevil.example/",
    "/%5Cevil.example/",
    "%5C%5Cevil.example/",
    "/%2509/evil.example/",
    "/%250d%250a/evil.example/",
    "/%252Fevil.example/",
    "%252F%252Fevil.example/",
    "/%255Cevil.example/",
    "https%3A%2F%2Fevil.example/",
    "https%3Aevil.example",
    "javascript%3Aalert(1)",
    "%6A%61vascript:alert(1)",
    "/%FF/evil.example/",
    # encoded eight times over: past the rounds of decoding anyone should need
    "/%" + "25" * 8 + "2F/evil.example/",
]

#: Paths of this site, as Flask-Login writes them into ``next``.
SAFE = [
    "/broker/",
    "/broker/banks/1/members?page=2",
    "/broker/members?q=Joan%20Murphy",
    "/broker/members?q=Se%C3%A1n",
    "/broker/members?q=Łucja",
    "/me/statement#this-year",
    "/broker/members?q=50%",
]


@pytest.mark.parametrize("target", UNSAFE)
def test_a_target_that_could_leave_the_site_is_refused(target: str) -> None:
    assert safe_target(target) is None


@pytest.mark.parametrize("target", SAFE)
def test_a_path_of_this_site_is_kept_as_it_is(target: str) -> None:
    assert safe_target(target) == target


def test_nothing_or_too_much_is_no_target() -> None:
    assert safe_target(None) is None
    assert safe_target("") is None
    assert safe_target("/broker/?q=" + "x" * 3000) is None


@pytest.mark.parametrize("target", UNSAFE)
def test_signing_in_with_an_unsafe_next_goes_to_the_usual_page(
    client: FlaskClient, make_bank, make_user, target: str
) -> None:
    bank = make_bank()
    person = make_user("coordinator", banks=[bank])
    response = client.post(
        "/sign-in",
        query_string={"next": target},
        data={"email": person.email, "password": PASSWORD},
    )
    # signed in, and sent to their own first page: never elsewhere, never an error
    assert response.status_code == 302
    assert response.location == "/broker/"
    assert client.get("/broker/").location == f"/broker/banks/{bank.id}"


def test_signing_in_returns_to_the_page_that_asked_for_it(
    client: FlaskClient, make_bank, make_user
) -> None:
    bank = make_bank()
    person = make_user("coordinator", banks=[bank])
    asked = client.get(f"/broker/banks/{bank.id}/members?page=1")
    assert asked.status_code == 302
    response = client.post(asked.location, data={"email": person.email, "password": PASSWORD})
    assert response.location == f"/broker/banks/{bank.id}/members?page=1"
    assert client.get(response.location).status_code == 200
