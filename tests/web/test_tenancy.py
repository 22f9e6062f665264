"""Every route, walked by every role: a broker of one bank never sees or touches another's.

The expected status for each role comes from the route's audience; the body of every answer to
the other bank's coordinator is checked for the first bank's names.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.conftest import PASSWORD
from timebank import ledger
from timebank.banks.operations import create_programme
from timebank.exchanges import HelpDetails, record_exchange
from timebank.grants.operations import award_grant, record_spend
from timebank.imports.models import ImportBatch, ImportKind
from timebank.members.models import MemberSkill, Skill, SkillDirection
from timebank.members.operations import member_account

ROLES = ["anonymous", "member", "funder", "coordinator_a", "coordinator_b", "admin"]
#: Routes anyone may open.
PUBLIC = {
    "public.index",
    "public.healthz",
    "auth.sign_in",
    "static",
    "auth.sign_out",
    "auth.set_password",
}
#: Monitoring answers are for the bank's coordinators only, not even admins.
COORDINATORS_ONLY = ("monitoring",)


@dataclass
class World:
    ids: dict[str, int]
    secrets: list[str]
    users: dict[str, object]


@pytest.fixture
def world(session: Session, make_bank, make_member, make_user) -> World:
    programme = create_programme(session, name="Alpha Seed Grants", funder="Alpha Fund")
    bank_a = make_bank(name="Alpha Time Bank", programme=programme)
    bank_b = make_bank(name="Beta Time Bank")
    joan = make_member(bank_a, "Joanna Secretname")
    seamus = make_member(bank_a, "Seamus Hiddenname")
    make_member(bank_b, "Bertha Otherbank")
    transfer = record_exchange(
        session, provider=seamus, receiver=joan, help=HelpDetails(minutes=60)
    ).transfer
    shopping = session.scalars(select(Skill).where(Skill.code == "shopping")).one()
    wish = MemberSkill(
        member_id=joan.id, skill_id=shopping.id, direction=SkillDirection.REQUEST, note=""
    )
    session.add(wish)
    pending = ledger.pend(
        session,
        ledger.TransferRequest(
            bank_id=bank_a.id,
            unit=ledger.Unit.HOURS,
            kind=ledger.TransferKind.EXCHANGE,
            from_account_id=member_account(session, joan.id).id,
            to_account_id=member_account(session, seamus.id).id,
            amount=30,
        ),
    )
    batch = ImportBatch(
        bank_id=bank_a.id, kind=ImportKind.MEMBERS, content="full_name\n", filename="x.csv"
    )
    session.add(batch)
    grant = award_grant(
        session,
        programme,
        bank_a,
        300_000,
        bank_a.today(),
        lines={"venue hire": 50_000},
        by_user_id=None,
    )
    venue = next(line for line in grant.lines if line.name == "venue hire")
    spent = record_spend(
        session,
        grant,
        venue,
        4_500,
        bank_a.today(),
        payee="Joanna Secretname",
        by_user_id=None,
    )
    session.commit()
    coordinator_a = make_user("coordinator", banks=[bank_a])
    users = {
        "member": make_user("member"),
        "funder": make_user("funder"),
        "coordinator_a": coordinator_a,
        "coordinator_b": make_user("coordinator", banks=[bank_b]),
        "admin": make_user("admin"),
    }
    ids = {
        "bank_id": bank_a.id,
        "member_id": joan.id,
        "transfer_id": transfer.id,
        "member_skill_id": wish.id,
        "request_id": wish.id,
        "import_id": batch.id,
        "batch_id": batch.id,
        "skill_id": shopping.id,
        "user_id": coordinator_a.id,
        "pending_id": pending.id,
        "programme_id": programme.id,
        "grant_id": grant.id,
        "line_id": venue.id,
        "spend_id": spent.spend.transfer_id,
    }
    return World(ids=ids, secrets=["Joanna", "Secretname", "Hiddenname"], users=users)


def routes(app: Flask) -> list[tuple[str, str, str]]:
    found = []
    for rule in app.url_map.iter_rules():
        # member pages sign in with a card, not an account: their own tests walk them
        if rule.endpoint in PUBLIC or rule.endpoint.startswith(("api.", "member.", "member_auth.")):
            continue
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            found.append((rule.endpoint, rule.rule, method))
    return found


def expected(
    role: str,
    endpoint: str,
    path: str,
    admin_only: bool,
    funder_view: bool = False,
    own_account: bool = False,
) -> set[int]:
    bank_scoped = "<int:bank_id>" in path
    if role == "anonymous":
        return {302, 401}
    if own_account:
        # a user's own API tokens: anyone but a member, each seeing only their own
        return {403} if role == "member" else {200, 302}
    if funder_view:
        # this world's funder reads no programme: every programme's pages are 404 to them
        if role == "funder":
            return {200} if path == "/funder/" else {404}
        return {200} if role == "admin" else {403}
    if role in ("member", "funder"):
        return {403}
    if admin_only:
        return {200, 302, 400, 404, 409} if role == "admin" else {403}
    if any(word in endpoint for word in COORDINATORS_ONLY) and role == "admin":
        return {403}
    if role == "coordinator_b" and bank_scoped:
        return {404}
    return {200, 302, 400, 404, 409, 413}


@pytest.mark.parametrize("role", ROLES)
def test_every_route_for_every_role(app: Flask, world: World, role: str) -> None:
    client = app.test_client()
    if role != "anonymous":
        person = world.users[role]
        assert (
            client.post("/sign-in", data={"email": person.email, "password": PASSWORD}).status_code
            == 302
        )
    checked = 0
    for endpoint, path, method in routes(app):
        url = path
        for name, value in world.ids.items():
            url = url.replace(f"<int:{name}>", str(value))
        url = url.replace("<kind>", "members")
        assert "<" not in url, f"no test value for a parameter of {path}"
        response = client.open(url, method=method, data={})
        admin_only = getattr(app.view_functions[endpoint], "admin_only", False)
        view = app.view_functions[endpoint]
        allowed = expected(
            role,
            endpoint,
            path,
            admin_only,
            getattr(view, "funder_view", False),
            getattr(view, "own_account", False),
        )
        assert response.status_code in allowed, f"{role} {method} {url}: {response.status_code}"
        assert response.status_code != 500
        if role in ("coordinator_b", "funder"):
            body = response.get_data(as_text=True)
            for secret in world.secrets:
                assert secret not in body, f"{url} shows {secret} to another bank's coordinator"
        checked += 1
    assert checked > 20


def test_a_coordinator_of_another_bank_can_never_post_to_it(
    app: Flask, world: World, session: Session
) -> None:
    client = app.test_client()
    person = world.users["coordinator_b"]
    client.post("/sign-in", data={"email": person.email, "password": PASSWORD})
    before = session.scalar(select(ledger.Transfer.id).order_by(ledger.Transfer.id.desc()))
    response = client.post(
        f"/broker/banks/{world.ids['bank_id']}/exchanges/new",
        data={
            "provider": "Seamus Hiddenname",
            "receiver": "Joanna Secretname",
            "hours": "1",
            "minutes": "0",
            "skill": str(world.ids["skill_id"]),
            "given_on": "2026-01-01",
        },
    )
    assert response.status_code == 404
    session.rollback()
    assert session.scalar(select(ledger.Transfer.id).order_by(ledger.Transfer.id.desc())) == before
