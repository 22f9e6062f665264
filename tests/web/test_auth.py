"""Signing in and out, sessions, CSRF, rate limits, password links and create-admin."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.conftest import PASSWORD, make_app
from timebank.audit import AuditEvent
from timebank.db import utcnow
from timebank.users import operations
from timebank.users.models import PasswordReset, Role, User


def _events(session: Session, action: str) -> list[AuditEvent]:
    session.expire_all()
    return list(session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def test_passwords_are_hashed_with_argon2id(make_user) -> None:
    person = make_user("coordinator")
    assert person.password_hash.startswith("$argon2id$")
    assert PASSWORD not in person.password_hash


def test_a_broker_signs_in_and_lands_on_their_bank(
    client: FlaskClient, make_bank, make_user, session: Session
) -> None:
    bank = make_bank()
    person = make_user("coordinator", banks=[bank])
    response = client.post("/sign-in", data={"email": person.email.upper(), "password": PASSWORD})
    assert response.status_code == 302
    assert client.get(response.location).status_code == 302  # one bank: straight to it
    page = client.get(f"/broker/banks/{bank.id}")
    assert bank.name in page.text
    (event,) = _events(session, "user.signed_in")
    assert (event.user_id, event.bank_id, event.subject) == (person.id, None, "")
    assert session.get(User, person.id).last_signed_in_at is not None


def test_a_wrong_password_is_refused_in_plain_words(
    client: FlaskClient, make_user, session: Session
) -> None:
    person = make_user("coordinator")
    response = client.post("/sign-in", data={"email": person.email, "password": "not it at all"})
    assert response.status_code == 200
    assert "The email address or password is not right" in response.text
    assert 'href="#password"' in response.text  # the error summary links to the field
    (event,) = _events(session, "user.sign_in_failed")
    assert (event.user_id, event.details) == (None, {"email": person.email})
    assert _events(session, "user.signed_in") == []
    assert session.get(User, person.id).last_signed_in_at is None


def test_an_unknown_email_gets_the_same_answer(client: FlaskClient) -> None:
    response = client.post(
        "/sign-in", data={"email": "nobody@example.org", "password": "whatever it is"}
    )
    assert "The email address or password is not right" in response.text


def test_the_session_cookie_is_httponly_and_lax_and_secure_over_https(
    client: FlaskClient, make_user
) -> None:
    person = make_user("coordinator")
    response = client.post(
        "/sign-in", data={"email": person.email, "password": PASSWORD}, base_url="https://localhost"
    )
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" in cookie
    plain = client.post("/sign-in", data={"email": person.email, "password": PASSWORD})
    assert "Secure" not in plain.headers.get("Set-Cookie", "")


def test_the_session_is_renewed_on_sign_in(client: FlaskClient, make_user) -> None:
    person = make_user("coordinator")
    with client.session_transaction() as before:
        before["planted"] = "by someone else"
    client.post("/sign-in", data={"email": person.email, "password": PASSWORD})
    with client.session_transaction() as after:
        assert "planted" not in after
        assert after["_user_id"] == person.get_id()


def test_forms_need_a_csrf_token(database_url: str, tmp_path, make_user) -> None:
    app = make_app(database_url, tmp_path / "csrf", WTF_CSRF_ENABLED=True)
    person = make_user("coordinator")
    response = app.test_client().post(
        "/sign-in", data={"email": person.email, "password": PASSWORD}
    )
    assert response.status_code == 400
    assert "expired" in response.text


def test_sign_in_attempts_are_rate_limited(database_url: str, tmp_path) -> None:
    app = make_app(database_url, tmp_path / "limited", SIGN_IN_RATE_LIMIT="3/minute")
    client = app.test_client()
    answers = [
        client.post(
            "/sign-in", data={"email": "x@example.org", "password": "wrong password"}
        ).status_code
        for _ in range(4)
    ]
    assert answers == [200, 200, 200, 429]


def test_signing_out_ends_the_session(
    client: FlaskClient, make_bank, make_user, sign_in, session: Session
) -> None:
    bank = make_bank()
    person = make_user("coordinator", banks=[bank])
    sign_in(person)
    client.post("/sign-out")
    response = client.get(f"/broker/banks/{bank.id}")
    assert response.status_code == 302 and "/sign-in" in response.location
    (event,) = _events(session, "user.signed_out")
    assert (event.user_id, event.bank_id) == (person.id, None)
    client.post("/sign-out")  # signed out already: nothing more to record
    assert len(_events(session, "user.signed_out")) == 1


def test_an_admin_makes_a_one_time_password_link(
    client: FlaskClient, make_user, sign_in, session: Session
) -> None:
    admin = make_user("admin")
    sign_in(admin)
    broker = make_user("coordinator")
    page = client.post(f"/admin/users/{broker.id}/reset")
    assert page.status_code == 200
    (made,) = _events(session, "user.reset_link")
    assert (made.user_id, made.bank_id, made.subject) == (admin.id, None, f"user:{broker.id}")
    link = page.text.split('<code class="link">')[1].split("</code>")[0]
    path = link.split("localhost", 1)[1]
    client.post("/sign-out")
    bad = client.post(path, data={"password": "short", "confirm": "short"})
    assert "Use at least 10 characters" in bad.text
    done = client.post(
        path, data={"password": "a brand new secret", "confirm": "a brand new secret"}
    )
    assert done.status_code == 302
    assert (
        client.post(
            path, data={"password": "again and again", "confirm": "again and again"}
        ).status_code
        == 404
    )
    assert operations.authenticate(session, broker.email, "a brand new secret") is not None
    (chosen,) = _events(session, "user.password_set")  # the spent link set nothing
    assert (chosen.user_id, chosen.subject) == (broker.id, f"user:{broker.id}")


def test_a_password_link_expires_after_24_hours(session: Session, make_user) -> None:
    person = make_user("coordinator")
    token = operations.create_reset(session, person, by=None, now=utcnow() - timedelta(hours=25))
    session.commit()
    assert operations.find_reset(session, token) is None
    fresh = operations.create_reset(session, person, by=None)
    assert operations.find_reset(session, fresh) is not None


def test_only_the_password_hash_of_a_link_is_stored(session: Session, make_user) -> None:
    token = operations.create_reset(session, make_user("coordinator"), by=None)
    session.commit()
    assert token not in [r.token_hash for r in session.scalars(select(PasswordReset))]


def test_a_coordinator_makes_a_link_for_a_broker_of_their_bank_only(
    client: FlaskClient, make_bank, make_user, sign_in, session: Session
) -> None:
    bank, other = make_bank(), make_bank()
    coordinator = make_user("coordinator", banks=[bank])
    sign_in(coordinator)
    colleague = make_user("coordinator", banks=[bank])
    stranger = make_user("coordinator", banks=[other])
    assert client.post(f"/admin/banks/{bank.id}/users/{colleague.id}/reset").status_code == 200
    assert client.post(f"/admin/banks/{bank.id}/users/{stranger.id}/reset").status_code == 404
    assert client.post(f"/admin/banks/{other.id}/users/{stranger.id}/reset").status_code == 404
    # the link goes on the bank's trail, once: the refused ones wrote nothing
    (made,) = _events(session, "user.reset_link")
    assert (made.user_id, made.bank_id, made.subject) == (
        coordinator.id,
        bank.id,
        f"user:{colleague.id}",
    )


def test_an_admin_adds_a_broker_who_chooses_their_password_by_link(
    client: FlaskClient, make_bank, make_user, sign_in, session: Session
) -> None:
    bank = make_bank()
    admin = make_user("admin")
    sign_in(admin)
    page = client.post(
        "/admin/users/new",
        data={
            "email": "Nuala@Example.org",
            "display_name": "Nuala",
            "role": "coordinator",
            "banks": [str(bank.id)],
        },
    )
    assert page.status_code == 200 and '<code class="link">' in page.text
    person = session.scalars(select(User).where(User.email == "nuala@example.org")).one()
    assert person.role == Role.COORDINATOR and [b.id for b in person.banks] == [bank.id]
    (link,) = session.scalars(select(PasswordReset).where(PasswordReset.user_id == person.id))
    assert link.created_by_id == admin.id
    (added,) = _events(session, "user.created")
    assert (added.user_id, added.bank_id, added.subject, added.details) == (
        admin.id,
        None,
        f"user:{person.id}",
        {"role": "coordinator"},
    )
    assert _events(session, "user.reset_link") == []  # the new user's link is part of adding them


def test_create_admin_reads_the_password_from_stdin(app: Flask, session: Session) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["create-admin", "boss@example.org", "--password-stdin"], input="a long password\n"
    )
    assert result.exit_code == 0, result.output
    again = runner.invoke(
        args=["create-admin", "boss@example.org", "--password-stdin"], input="a long password\n"
    )
    assert again.exit_code != 0 and "already" in again.output
    short = runner.invoke(
        args=["create-admin", "b@example.org", "--password-stdin"], input="short\n"
    )
    assert short.exit_code != 0
    assert (
        session.scalars(select(User).where(User.email == "boss@example.org")).one().role == "admin"
    )


@pytest.mark.parametrize("target", ["//evil.example/", "https://evil.example/", "/\\evil"])
def test_sign_in_never_redirects_off_site(client: FlaskClient, make_user, target: str) -> None:
    person = make_user("coordinator")
    response = client.post(
        f"/sign-in?next={target}", data={"email": person.email, "password": PASSWORD}
    )
    assert "evil" not in response.location
