"""Wrong passwords are counted per account as well as per address: past the limit the account
waits, says so plainly, and a new password from a one-time link unlocks it."""

from __future__ import annotations

import html

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from tests.conftest import PASSWORD
from timebank.audit import AuditEvent
from timebank.users import operations
from timebank.users.models import User

LOCKED = "Too many tries for this account."


@pytest.fixture
def limited(app: Flask) -> Flask:
    """The app with 3 wrong passwords an hour per account, and a generous limit per address."""
    app.config.update(SIGN_IN_ACCOUNT_RATE_LIMIT="3/hour", SIGN_IN_RATE_LIMIT="100/minute")
    return app


def attempt(app: Flask, email: str, password: str, address: str = "192.0.2.1") -> TestResponse:
    """A sign-in from a machine of its own: each address has its own per-address count."""
    return app.test_client().post(
        "/sign-in",
        data={"email": email, "password": password},
        environ_base={"REMOTE_ADDR": address},
    )


def wrong_passwords(app: Flask, email: str, count: int) -> list[int]:
    return [
        attempt(app, email, "not the password", f"192.0.2.{n}").status_code
        for n in range(1, count + 1)
    ]


def test_an_account_with_too_many_wrong_passwords_waits_whatever_the_address(
    limited: Flask, make_user, session: Session
) -> None:
    person = make_user("coordinator")
    assert wrong_passwords(limited, person.email, 3) == [200, 200, 200]
    # from yet another address, and with the right password: it waits all the same
    locked = attempt(limited, person.email.upper(), PASSWORD, "198.51.100.7")
    assert locked.status_code == 429
    assert LOCKED in locked.text
    said = html.unescape(locked.text)
    assert "Wait 1 hour, or ask your time bank's coordinator or the administrator" in said
    assert 'href="#email"' in locked.text  # the error summary leads to the field
    assert 3000 < int(locked.headers["Retry-After"]) <= 3600
    # the password was not even checked: nothing was signed in, or audited
    session.expire_all()
    assert session.get(User, person.id).last_signed_in_at is None
    tried = session.scalars(select(AuditEvent.action).where(AuditEvent.action.like("user.%")))
    assert list(tried) == ["user.sign_in_failed"] * 3


def test_other_accounts_are_not_held_up(limited: Flask, make_user) -> None:
    held, other = make_user("coordinator"), make_user("coordinator")
    wrong_passwords(limited, held.email, 3)
    assert attempt(limited, other.email, PASSWORD).status_code == 302


def test_an_unknown_email_is_held_up_the_same(limited: Flask) -> None:
    # the same answers as a real account: the limit tells no one which emails have accounts
    assert wrong_passwords(limited, "nobody@example.org", 3) == [200, 200, 200]
    assert LOCKED in attempt(limited, "nobody@example.org", PASSWORD).text


def test_a_right_password_does_not_count(limited: Flask, make_user) -> None:
    person = make_user("coordinator")
    for _ in range(4):
        assert attempt(limited, person.email, PASSWORD).status_code == 302


def test_a_one_time_link_unlocks_the_account(limited: Flask, make_user, session: Session) -> None:
    person = make_user("coordinator")
    wrong_passwords(limited, person.email, 3)
    assert attempt(limited, person.email, PASSWORD).status_code == 429
    # what the page tells them to ask for: an admin makes a link, and they choose a password
    token = operations.make_reset_link(session, person, by=make_user("admin"))
    session.commit()
    client: FlaskClient = limited.test_client()
    chosen = client.post(
        f"/set-password/{token}",
        data={"password": "a brand new secret", "confirm": "a brand new secret"},
    )
    assert chosen.status_code == 302
    assert attempt(limited, person.email, "a brand new secret").status_code == 302


def test_the_limit_per_address_still_holds(app: Flask, make_user) -> None:
    app.config["SIGN_IN_RATE_LIMIT"] = "2/minute"
    people = [make_user("coordinator") for _ in range(3)]
    answers = [attempt(app, p.email, "not the password").status_code for p in people]
    assert answers == [200, 200, 429]
