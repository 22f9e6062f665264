"""Passwords after the NCSC's advice: long enough, not a common one, not the email address; and
a new password signs out every session made with the old one."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_login.utils import encode_cookie
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.conftest import PASSWORD
from timebank.users import operations
from timebank.users.models import PasswordReset, User
from timebank.users.passwords import (
    MIN_LENGTH,
    PasswordRefused,
    Refusal,
    check_password,
    common_passwords,
)

EMAIL = "nuala.obrien@example.org"


def refusal(password: str, email: str | None = EMAIL) -> Refusal | None:
    try:
        check_password(password, email=email)
    except PasswordRefused as refused:
        return refused.refusal
    return None


def test_the_list_of_common_passwords_is_shipped_whole() -> None:
    common = common_passwords()
    assert len(common) > 19_000
    assert {"password", "1234567890", "qwertyuiop", "iloveyou12"} <= common
    assert all(word == word.lower() for word in common)


@pytest.mark.parametrize(
    "password",
    [
        "cats and tea on sunday",
        "1234 5678 90",
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        "pässwörd in the garden",
        PASSWORD,
    ],
)
def test_any_long_enough_password_is_accepted_whatever_its_characters(password: str) -> None:
    assert refusal(password) is None


@pytest.mark.parametrize("password", ["", "short", "nine char", "x" * (MIN_LENGTH - 1)])
def test_a_short_password_is_refused(password: str) -> None:
    assert refusal(password) == Refusal.TOO_SHORT


@pytest.mark.parametrize(
    "password", ["1234567890", "qwertyuiop", "password123", "Password123", " iloveyou12 "]
)
def test_a_common_password_is_refused_in_any_case(password: str) -> None:
    assert refusal(password) == Refusal.COMMON


@pytest.mark.parametrize(
    "password", [EMAIL, EMAIL.upper(), "nuala.obrien", "Nuala.OBrien", " nuala.obrien@example.org"]
)
def test_the_email_address_or_its_first_part_is_refused(password: str) -> None:
    assert refusal(password) == Refusal.EMAIL
    assert refusal(password, email="someone.else@example.org") is None


def link_for(session: Session, person: User) -> str:
    token = operations.create_reset(session, person, by=None)
    session.commit()
    return f"/set-password/{token}"


@pytest.mark.parametrize(
    "password, said",
    [
        ("too short", "Use at least 10 characters"),
        ("qwertyuiop", "This is one of the most common passwords, so it is easy to guess."),
        ("broker.one", "Do not use your email address as your password."),
    ],
)
def test_the_link_page_says_why_a_password_is_refused_and_sets_nothing(
    client: FlaskClient, session: Session, make_user, password: str, said: str
) -> None:
    person = make_user("coordinator", email="broker.one@example.org")
    before = person.password_hash
    link = link_for(session, person)
    page = client.post(link, data={"password": password, "confirm": password})
    assert page.status_code == 200
    assert said in page.text
    assert 'href="#password"' in page.text  # the error summary leads to the field
    session.expire_all()
    assert session.get(User, person.id).password_hash == before
    (reset,) = session.scalars(select(PasswordReset).where(PasswordReset.user_id == person.id))
    assert reset.used_at is None  # the link still works for a better password
    done = client.post(link, data={"password": "a good long one", "confirm": "a good long one"})
    assert done.status_code == 302


@pytest.mark.parametrize(
    "password, problem",
    [
        ("short", "at least 10 characters"),
        ("1234567890", "most common"),
        ("Boss@Example.org", "email address"),
    ],
)
@pytest.mark.parametrize("command", ["create-admin", "create-user"])
def test_the_commands_refuse_such_passwords(
    app: Flask, session: Session, command: str, password: str, problem: str
) -> None:
    args = [command, "boss@example.org", "--password-stdin"]
    if command == "create-user":
        args += ["--role", "admin"]
    result = app.test_cli_runner().invoke(args=args, input=password + "\n")
    assert result.exit_code != 0
    assert problem in result.output
    assert session.scalars(select(User).where(User.email == "boss@example.org")).first() is None


def test_the_commands_accept_a_long_password(app: Flask, session: Session) -> None:
    result = app.test_cli_runner().invoke(
        args=["create-user", "boss@example.org", "--role", "admin", "--password-stdin"],
        input="the boss's own long secret\n",
    )
    assert result.exit_code == 0, result.output
    assert operations.authenticate(session, "boss@example.org", "the boss's own long secret")


def test_a_new_password_signs_out_every_other_session(
    app: Flask, session: Session, make_bank, make_user
) -> None:
    bank = make_bank()
    person = make_user("coordinator", banks=[bank])
    laptop, phone = app.test_client(), app.test_client()
    for device in (laptop, phone):
        device.post("/sign-in", data={"email": person.email, "password": PASSWORD})
        assert device.get(f"/broker/banks/{bank.id}").status_code == 200
    # a remember cookie made before the change, as Flask-Login would write it
    with app.test_request_context():
        remembered = encode_cookie(person.get_id())
    cookie_only = app.test_client()
    cookie_only.set_cookie("remember_token", remembered)
    assert cookie_only.get(f"/broker/banks/{bank.id}").status_code == 200

    link = link_for(session, person)
    anyone = app.test_client()
    anyone.post(link, data={"password": "a brand new secret", "confirm": "a brand new secret"})

    for device in (laptop, phone, cookie_only):
        answer = device.get(f"/broker/banks/{bank.id}")
        assert answer.status_code == 302 and "/sign-in" in answer.location
    fresh = app.test_client()
    fresh.post("/sign-in", data={"email": person.email, "password": "a brand new secret"})
    assert fresh.get(f"/broker/banks/{bank.id}").status_code == 200


def test_a_session_is_not_ended_by_signing_in_elsewhere(app: Flask, make_bank, make_user) -> None:
    bank = make_bank()
    person = make_user("coordinator", banks=[bank])
    laptop, phone = app.test_client(), app.test_client()
    laptop.post("/sign-in", data={"email": person.email, "password": PASSWORD})
    phone.post("/sign-in", data={"email": person.email, "password": PASSWORD})
    assert laptop.get(f"/broker/banks/{bank.id}").status_code == 200
