"""Tokens: made on a page or by a command, shown once, stored hashed, revocable; 401 without
one; each token's own rate limit."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.api.conftest import Api, World
from tests.conftest import PASSWORD
from timebank.audit import AuditEvent
from timebank.users.models import ApiToken, User
from timebank.users.tokens import TokenError, create_token, find_token


def test_every_operation_needs_a_token(api: Api, world: World) -> None:
    for method, path in [
        ("GET", "/banks"),
        ("GET", f"/banks/{world.bank.id}"),
        ("POST", f"/banks/{world.bank.id}/exchanges"),
        ("GET", f"/members/{world.joan.id}"),
        ("GET", "/skills"),
        ("GET", f"/programmes/{world.programme.id}/report"),
    ]:
        response = api(method, path, as_=None, json={})
        assert response.status_code == 401, path
        assert response.json["code"] == "unauthorized"
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    for header in ("Bearer", "Bearer nonsense", "Basic abc", f"Token {world.tokens['admin']}"):
        assert api("GET", "/banks", as_=None, headers={"Authorization": header}).status_code == 401
    # a token a character off is no token
    wrong = world.tokens["admin"][:-1] + ("A" if world.tokens["admin"][-1] != "A" else "B")
    assert (
        api("GET", "/banks", as_=None, headers={"Authorization": f"Bearer {wrong}"}).status_code
        == 401
    )


def test_a_signed_in_browser_is_not_a_token(client: FlaskClient, world: World) -> None:
    person = world.users["coordinator"]
    client.post("/sign-in", data={"email": person.email, "password": PASSWORD})
    assert client.get("/api/v1/banks").status_code == 401


def test_tokens_are_stored_hashed_and_found_only_whole(session: Session, world: World) -> None:
    token = world.tokens["coordinator"]
    row = find_token(session, token)
    assert row is not None and row.user_id == world.users["coordinator"].id
    assert token not in {row.token_hash, row.prefix}
    assert token.startswith(row.prefix) and len(token) > 40
    assert find_token(session, row.prefix) is None
    assert find_token(session, token + "x") is None


def test_a_revoked_token_or_an_inactive_user_is_refused(
    api: Api, world: World, session: Session
) -> None:
    assert api("GET", "/banks").status_code == 200
    row = find_token(session, world.tokens["coordinator"])
    from timebank.users.tokens import revoke_token

    assert revoke_token(session, world.users["funder"], row.id) is None  # not theirs
    revoke_token(session, world.users["coordinator"], row.id)
    revoke_token(session, world.users["coordinator"], row.id)  # a second tap changes nothing
    session.commit()
    assert api("GET", "/banks").status_code == 401
    trail = session.scalars(
        select(AuditEvent.action).where(AuditEvent.subject == f"api_token:{row.id}")
    ).all()
    assert sorted(trail) == ["api_token.created", "api_token.revoked"]
    admin = session.get(User, world.users["admin"].id)
    admin.is_active = False
    session.commit()
    assert api("GET", "/banks", as_="admin").status_code == 401


def test_members_cannot_hold_tokens(session: Session, make_user) -> None:
    member = make_user("member")
    try:
        create_token(session, member, "phone")
    except TokenError:
        pass
    else:  # pragma: no cover
        raise AssertionError("a member got a token")


def test_last_use_is_noted(api: Api, world: World, session: Session) -> None:
    assert api("GET", "/skills").status_code == 200
    session.expire_all()
    row = find_token(session, world.tokens["coordinator"])
    assert row.last_used_at is not None


def test_the_rate_limit_answers_429_with_retry_after(app: Flask, api: Api) -> None:
    app.config["API_RATE_LIMIT"] = "3/minute"
    statuses = [api("GET", "/skills").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    response = api("GET", "/skills")
    assert response.status_code == 429
    assert response.json["code"] == "rate_limited"
    assert 1 <= int(response.headers["Retry-After"]) <= 60
    # per token: another token still gets in
    assert api("GET", "/skills", as_="admin").status_code == 200


def test_create_token_command_prints_the_token_once(
    runner, api: Api, world: World, session: Session
) -> None:
    result = runner.invoke(
        args=["create-token", world.users["funder"].email, "--name", "dashboard"]
    )
    assert result.exit_code == 0, result.output
    token = result.stdout.strip().splitlines()[0]
    response = api(
        "GET",
        f"/programmes/{world.programme.id}/report",
        as_=None,
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200
    assert session.scalar(select(ApiToken.name).where(ApiToken.prefix == token[:12])) == "dashboard"
    assert runner.invoke(args=["create-token", "nobody@example.org", "--name", "x"]).exit_code == 1


def test_create_user_command(runner, world: World, session: Session) -> None:
    result = runner.invoke(
        args=[
            "create-user",
            "new@example.org",
            "--role",
            "coordinator",
            "--bank",
            str(world.bank.id),
            "--bank",
            str(world.other_bank.id),
            "--password-stdin",
        ],
        input="a long enough password\n",
    )
    assert result.exit_code == 0, result.output
    person = session.scalars(select(User).where(User.email == "new@example.org")).one()
    assert person.role == "coordinator"
    assert {b.id for b in person.banks} == {world.bank.id, world.other_bank.id}
    result = runner.invoke(
        args=[
            "create-user",
            "f@example.org",
            "--role",
            "funder",
            "--programme",
            str(world.programme.id),
            "--password-stdin",
        ],
        input="a long enough password\n",
    )
    assert result.exit_code == 0, result.output
    for args in (
        ["create-user", "x@example.org", "--role", "coordinator", "--password-stdin"],
        ["create-user", "x@example.org", "--role", "funder", "--password-stdin"],
        ["create-user", "x@example.org", "--role", "admin", "--bank", "1", "--password-stdin"],
        [
            "create-user",
            "x@example.org",
            "--role",
            "coordinator",
            "--bank",
            "999999",
            "--password-stdin",
        ],
        ["create-user", "new@example.org", "--role", "admin", "--password-stdin"],
        ["create-user", "x@example.org", "--role", "admin", "--password-stdin"],  # too short
    ):
        assert runner.invoke(args=args, input="short\n").exit_code != 0, args
    session.expire_all()
    assert session.scalars(select(User).where(User.email == "x@example.org")).first() is None


def test_the_tokens_page_shows_a_token_once_and_revokes_it(
    client: FlaskClient, world: World, session: Session
) -> None:
    person = world.users["coordinator"]
    client.post("/sign-in", data={"email": person.email, "password": PASSWORD})
    page = client.get("/account/tokens")
    assert page.status_code == 200 and "Make a token" in page.text
    assert client.post("/account/tokens", data={"name": ""}).status_code == 200
    made = client.post("/account/tokens", data={"name": "hall laptop"})
    assert made.status_code == 200
    token = re.search(r'id="token"[^>]*value="([^"]+)"', made.text).group(1)
    assert token.startswith("tbk_")
    assert (
        client.get("/api/v1/banks", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    )
    listing = client.get("/account/tokens")
    assert (
        "hall laptop" in listing.text and token[:12] in listing.text and token not in listing.text
    )
    row = session.scalars(select(ApiToken).where(ApiToken.prefix == token[:12])).one()
    assert client.post("/account/tokens/revoke", data={"token_id": row.id}).status_code == 302
    assert (
        client.get("/api/v1/banks", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    )
    # someone else's token is left alone
    other = find_token(session, world.tokens["admin"])
    client.post("/account/tokens/revoke", data={"token_id": other.id})
    session.expire_all()
    assert find_token(session, world.tokens["admin"]) is not None


def test_a_funder_may_hold_tokens_and_a_member_may_not(app, make_user) -> None:
    # a funder's programme reads its reports into its own dashboard
    funder = app.test_client()
    funder.post("/sign-in", data={"email": make_user("funder").email, "password": PASSWORD})
    assert funder.get("/account/tokens").status_code == 200
    assert funder.post("/account/tokens", data={"name": "dashboard"}).status_code == 200
    member = app.test_client()
    member.post("/sign-in", data={"email": make_user("member").email, "password": PASSWORD})
    assert member.get("/account/tokens").status_code == 403
