"""Contract tests: every path, its answers, and who may use it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.api.conftest import Api, World
from tests.conftest import PASSWORD
from timebank import ledger
from timebank.audit import AuditEvent
from timebank.banks.models import Bank, Programme
from timebank.grants.operations import award_grant
from timebank.ledger import Transfer
from timebank.members.operations import member_account


def count(session: Session) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(Transfer)) or 0


# -- programmes and banks -------------------------------------------------------------------------


def test_admins_add_programmes_and_banks(api: Api, world: World) -> None:
    made = api("POST", "/programmes", "admin", json={"name": "Second", "funder": "A Trust"})
    assert made.status_code == 201
    assert made.json["name"] == "Second" and made.json["starts_on"] is None
    bank = api(
        "POST",
        "/banks",
        "admin",
        json={
            "name": "Gamma",
            "programme_id": made.json["id"],
            "floor_minutes": -300,
            "welcome_minutes": 120,
        },
    )
    assert bank.status_code == 201, bank.json
    assert bank.json["floor_minutes"] == -300 and bank.json["programme_id"] == made.json["id"]
    # the new bank's members get its floor and welcome minutes from the pot
    member = api("POST", f"/banks/{bank.json['id']}/members", "admin", json={"display_name": "Ann"})
    assert member.status_code == 201
    assert member.json["balance_minutes"] == 120 and member.json["floor_minutes"] == -300
    assert member.json["full_name"] == "Ann" and member.json["member_number"] == 1


def _trail(session: Session, subject: str) -> list[tuple[str, int | None, int | None, dict]]:
    session.expire_all()
    return [
        (e.action, e.user_id, e.bank_id, e.details)
        for e in session.scalars(select(AuditEvent).where(AuditEvent.subject == subject))
    ]


def test_the_api_and_the_admin_page_audit_new_programmes_and_banks_alike(
    api: Api, world: World, session: Session
) -> None:
    admin = world.users["admin"]
    page = api.client.application.test_client()
    page.post("/sign-in", data={"email": admin.email, "password": PASSWORD})
    made = page.post("/admin/programmes/new", data={"name": "Paged", "funder": "A"})
    assert made.status_code == 302
    posted = api("POST", "/programmes", "admin", json={"name": "Posted", "funder": "A"})
    assert posted.status_code == 201
    paged = session.scalars(select(Programme).where(Programme.name == "Paged")).one()
    expected = [("programme.created", admin.id, None, {})]
    assert _trail(session, f"programme:{paged.id}") == expected
    assert _trail(session, f"programme:{posted.json['id']}") == expected

    form = {"name": "Paged bank", "floor_hours": "10", "welcome_minutes": "0"}
    assert page.post("/admin/banks/new", data=form).status_code == 302
    posted = api("POST", "/banks", "admin", json={"name": "Posted bank"})
    assert posted.status_code == 201
    paged = session.scalars(select(Bank).where(Bank.name == "Paged bank")).one()
    for bank_id in (paged.id, posted.json["id"]):
        assert _trail(session, f"bank:{bank_id}") == [("bank.created", admin.id, bank_id, {})]


def test_only_admins_add_programmes_and_banks(api: Api) -> None:
    for role in ("coordinator", "funder"):
        assert (
            api("POST", "/programmes", role, json={"name": "x", "funder": "y"}).status_code == 403
        )
        assert api("POST", "/banks", role, json={"name": "x"}).status_code == 403


def test_bank_bodies_are_checked(api: Api) -> None:
    for body, field in [
        ({"name": "x", "programme_id": 99999}, "programme_id"),
        ({"name": "x", "floor_minutes": 60}, "floor_minutes"),
        ({"name": "x", "timezone": "Mars/Olympus"}, "timezone"),
        ({"name": ""}, "name"),
        ({"name": "x", "colour": "red"}, "colour"),
        ({}, "name"),
    ]:
        response = api("POST", "/banks", "admin", json=body)
        assert response.status_code == 422, body
        assert field in response.json["errors"], response.json
    response = api(
        "POST",
        "/programmes",
        "admin",
        json={"name": "x", "funder": "y", "starts_on": "2026-05-01", "ends_on": "2026-01-01"},
    )
    assert response.status_code == 422 and "ends_on" in response.json["errors"]


def test_banks_each_role_may_read(api: Api, world: World) -> None:
    def names(role: str) -> set[str]:
        return {b["name"] for b in api("GET", "/banks", role).json["items"]}

    assert names("coordinator") == {"Alpha Time Bank"}
    assert names("admin") == {"Alpha Time Bank", "Beta Time Bank"}
    assert names("funder") == {"Alpha Time Bank"}
    assert names("other_funder") == set()
    assert api("GET", f"/banks/{world.bank.id}").json["today"]
    assert api("GET", f"/banks/{world.bank.id}", "funder").status_code == 200
    for role, bank in [
        ("coordinator", world.other_bank),
        ("funder", world.other_bank),
        ("other_coordinator", world.bank),
        ("other_funder", world.bank),
    ]:
        assert api("GET", f"/banks/{bank.id}", role).status_code == 404
    assert api("GET", "/banks/99999").status_code == 404
    assert api("GET", "/banks/99999999999999").status_code == 404


# -- members --------------------------------------------------------------------------------------


def test_registering_and_reading_members(api: Api, world: World) -> None:
    made = api(
        "POST",
        f"/banks/{world.bank.id}/members",
        json={
            "display_name": "Nora",
            "full_name": "Nora Byrne",
            "area": "bt9",
            "needs_large_print": True,
            "birth_year": 1941,
        },
    )
    assert made.status_code == 201, made.json
    body = made.json
    assert body["member_number"] == 3 and body["balance_minutes"] == 0
    assert body["area"] == "BT9" and body["needs_large_print"] is True
    assert api("GET", f"/members/{body['id']}").json == body
    changed = api(
        "PATCH", f"/members/{body['id']}", json={"phone": "028 9000 0000", "status": "paused"}
    )
    assert changed.status_code == 200
    assert changed.json["phone"] == "028 9000 0000" and changed.json["status"] == "paused"
    assert api("PATCH", f"/members/{body['id']}", json={}).status_code == 200


def test_members_are_paged_with_a_cursor(api: Api, world: World) -> None:
    for n in range(5):
        api("POST", f"/banks/{world.bank.id}/members", json={"display_name": f"M{n}"})
    seen, cursor, pages = [], None, 0
    while True:
        query = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        page = api("GET", f"/banks/{world.bank.id}/members", query_string=query)
        assert page.status_code == 200
        seen += [m["member_number"] for m in page.json["items"]]
        cursor, pages = page.json["next_cursor"], pages + 1
        if cursor is None:
            break
    assert seen == list(range(1, 8)) and pages == 3
    for query in ({"cursor": "nonsense"}, {"limit": 0}, {"limit": 101}, {"colour": "red"}):
        response = api("GET", f"/banks/{world.bank.id}/members", query_string=query)
        assert response.status_code == 422, query


def test_member_bodies_are_strict(api: Api, world: World) -> None:
    path = f"/banks/{world.bank.id}/members"
    for body, field in [
        ({}, "display_name"),
        ({"display_name": 5}, "display_name"),
        ({"display_name": "x" * 101}, "display_name"),
        ({"display_name": "Ann", "nickname": "A"}, "nickname"),
        ({"display_name": "Ann", "needs_large_print": 1}, "needs_large_print"),
        ({"display_name": "Ann", "needs_large_print": "true"}, "needs_large_print"),
        ({"display_name": "Ann", "birth_year": "1950"}, "birth_year"),
        ({"display_name": "Ann", "birth_year": 1950.5}, "birth_year"),
        ({"display_name": "Ann", "area": "nowhere"}, "area"),
        ({"display_name": "Ann", "kind": "robot"}, "kind"),
        ({"display_name": "Ann\x00"}, "display_name"),
        ({"display_name": "Ann", "joined_on": "01/02/2024"}, "joined_on"),
        ({"display_name": "Ann", "joined_on": "2099-01-01"}, "joined_on"),
    ]:
        response = api("POST", path, json=body)
        assert response.status_code == 422, body
        assert field in response.json["errors"], (body, response.json)
    response = api("PATCH", f"/members/{world.joan.id}", json={"status": "left"})
    assert response.status_code == 422


def test_another_banks_members_are_not_found(api: Api, world: World) -> None:
    assert api("GET", f"/members/{world.bertha.id}").status_code == 404
    assert api("PATCH", f"/members/{world.bertha.id}", json={"phone": "1"}).status_code == 404
    assert api("GET", f"/banks/{world.other_bank.id}/members").status_code == 404
    response = api("POST", f"/banks/{world.other_bank.id}/members", json={"display_name": "X"})
    assert response.status_code == 404
    assert api("GET", f"/members/{world.joan.id}", "funder").status_code == 403


# -- exchanges ------------------------------------------------------------------------------------


def test_posting_an_exchange(exchange, api: Api, world: World, session: Session) -> None:
    response = exchange(
        minutes=90,
        skill="shopping",
        note="Big shop",
        date=str(world.bank.today()),
        outcome_areas=["social", "health"],
    )
    assert response.status_code == 201, response.json
    body = response.json
    assert body["minutes"] == 90 and body["kind"] == "exchange" and body["skill"] == "shopping"
    assert body["provider_id"] == world.seamus.id and body["receiver_id"] == world.joan.id
    assert body["outcome_areas"] == ["health", "social"] and body["note"] == "Big shop"
    assert api("GET", f"/exchanges/{body['id']}").json == body
    assert api("GET", f"/members/{world.joan.id}").json["balance_minutes"] == -90
    assert api("GET", f"/members/{world.seamus.id}").json["balance_minutes"] == 90
    assert (
        session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.subject == f"transfer:{body['id']}")
        )
        == 1
    )


def test_a_replay_returns_the_first_transfer_and_writes_nothing(
    exchange, world: World, session: Session
) -> None:
    first = exchange("key-1", outcome_areas=["social", "health"])
    assert first.status_code == 201
    before = count(session)
    again = exchange("key-1", outcome_areas=["health", "social"])
    assert again.status_code == 200
    assert again.json == first.json
    assert again.headers["Idempotent-Replayed"] == "true"
    assert count(session) == before
    session.expire_all()
    assert member_account(session, world.joan.id).balance == -60
    # one record in the audit trail, from the first request
    trail = session.scalars(
        select(AuditEvent).where(AuditEvent.subject == f"transfer:{first.json['id']}")
    ).all()
    assert [(e.action, e.details) for e in trail] == [("exchange.posted", {"via": "api"})]


def test_a_key_reused_with_another_body_is_refused(exchange, session: Session) -> None:
    assert exchange("key-2").status_code == 201
    before = count(session)
    response = exchange("key-2", minutes=30)
    assert response.status_code == 409
    assert response.json["code"] == "idempotency_key_reused"
    assert count(session) == before


def test_a_floor_breach_is_refused_with_its_code(exchange, world: World, session: Session) -> None:
    # the bank lets a member owe ten hours: Joan receives 9 hours, then 2 more
    assert exchange(minutes=540).status_code == 201
    response = exchange(minutes=120)
    assert response.status_code == 422
    assert response.json["code"] == "exceeds_floor"
    assert set(response.json) == {"code", "message"}
    session.expire_all()
    assert member_account(session, world.joan.id).balance == -540


def test_other_ledger_rules_keep_their_codes(exchange, world: World) -> None:
    same = exchange(receiver_id=world.seamus.id)
    assert (same.status_code, same.json["code"]) == (422, "same_account")
    future = exchange(date=str(world.bank.today() + timedelta(days=2)))
    assert (future.status_code, future.json["code"]) == (422, "date_in_future")


def test_exchange_bodies_are_strict(exchange, world: World) -> None:
    for body, field in [
        ({"minutes": "60"}, "minutes"),
        ({"minutes": 60.0}, "minutes"),
        ({"minutes": True}, "minutes"),
        ({"minutes": 0}, "minutes"),
        ({"minutes": 1441}, "minutes"),
        ({"provider_id": world.bertha.id}, "provider_id"),
        ({"receiver_id": 2**40}, "receiver_id"),
        ({"skill": "juggling"}, "skill"),
        ({"note": "x" * 1001}, "note"),
        ({"outcome_areas": ["social", "social"]}, "outcome_areas"),
        ({"outcome_areas": ["happiness"]}, "outcome_areas.0"),
        ({"date": "2026-02-30"}, "date"),
        ({"tip": 5}, "tip"),
    ]:
        response = exchange(**body)
        assert response.status_code == 422, body
        assert response.json["code"] == "validation_failed"
        assert field in response.json["errors"], (body, response.json)
    bad_key = exchange("has spaces in it")
    assert bad_key.status_code == 422 and "Idempotency-Key" in bad_key.json["errors"]


def test_unreadable_bodies(api: Api, world: World) -> None:
    path = f"/api/v1/banks/{world.bank.id}/exchanges"
    auth = {"Authorization": f"Bearer {world.tokens['coordinator']}"}
    client = api.client
    broken = client.post(path, data="{not json", headers=auth, content_type="application/json")
    assert (broken.status_code, broken.json["code"]) == (400, "malformed_json")
    deep = client.post(path, data="[" * 100_000, headers=auth, content_type="application/json")
    assert deep.status_code == 400
    form = client.post(path, data={"minutes": "60"}, headers=auth)
    assert form.status_code == 415
    huge = client.post(
        path,
        data='{"note": "' + "x" * (1024 * 1024) + '"}',
        headers=auth,
        content_type="application/json",
    )
    assert (huge.status_code, huge.json["code"]) == (413, "too_large")
    for body in ("[]", '"text"', "5", "null"):
        response = client.post(path, data=body, headers=auth, content_type="application/json")
        assert response.status_code == 422, body
    wrong = client.put(path, headers=auth)
    assert wrong.status_code == 405 and wrong.json["code"] == "method_not_allowed"


def test_another_banks_exchanges_are_not_found(
    exchange, api: Api, world: World, session: Session
) -> None:
    posted = exchange().json
    assert exchange(as_="other_coordinator").status_code == 404
    assert api("GET", f"/exchanges/{posted['id']}", "other_coordinator").status_code == 404
    assert api("GET", f"/banks/{world.bank.id}/exchanges", "other_coordinator").status_code == 404
    response = api(
        "POST", f"/exchanges/{posted['id']}/reversal", "other_coordinator", json={"reason": "no"}
    )
    assert response.status_code == 404
    assert api("GET", f"/exchanges/{posted['id']}", "funder").status_code == 403
    # grant money is not an exchange of hours
    grant = award_grant(
        session,
        world.programme,
        world.bank,
        10_000,
        world.bank.today(),
        lines={"venue": 10_000},
        by_user_id=None,
    )
    session.commit()
    money = session.scalars(select(Transfer).where(Transfer.unit == "GBP")).first()
    assert grant is not None and money is not None
    assert api("GET", f"/exchanges/{money.id}", "admin").status_code == 404


def test_listing_exchanges_with_filters_and_a_cursor(
    exchange, api: Api, world: World, make_member
) -> None:
    today = world.bank.today()
    nora = make_member(world.bank, "Nora Byrne")
    ids = [exchange(minutes=15, date=str(today - timedelta(days=n))).json["id"] for n in range(4)]
    ids.append(exchange(provider_id=nora.id, minutes=15).json["id"])
    path = f"/banks/{world.bank.id}/exchanges"
    everything = api("GET", path, query_string={"limit": 100}).json
    assert [e["id"] for e in everything["items"]] == sorted(ids, reverse=True)
    assert everything["next_cursor"] is None
    seen, cursor = [], None
    while True:
        page = api("GET", path, query_string={"limit": 2, **({"cursor": cursor} if cursor else {})})
        seen += [e["id"] for e in page.json["items"]]
        cursor = page.json["next_cursor"]
        if cursor is None:
            break
    assert seen == sorted(ids, reverse=True)
    by_nora = api("GET", path, query_string={"member": nora.id}).json["items"]
    assert [e["id"] for e in by_nora] == [ids[-1]]
    window = api(
        "GET",
        path,
        query_string={"from": str(today - timedelta(days=2)), "to": str(today - timedelta(days=1))},
    ).json["items"]
    assert sorted(e["id"] for e in window) == sorted(ids[1:3])
    backwards = api("GET", path, query_string={"from": str(today), "to": str(today - timedelta(1))})
    assert backwards.status_code == 422
    assert api("GET", path, query_string={"from": "yesterday"}).status_code == 422


def test_reversing_an_exchange(exchange, api: Api, world: World) -> None:
    posted = exchange(minutes=45).json
    assert api("POST", f"/exchanges/{posted['id']}/reversal", json={}).status_code == 422
    reversal = api("POST", f"/exchanges/{posted['id']}/reversal", json={"reason": "wrong member"})
    assert reversal.status_code == 201
    assert reversal.json["kind"] == "reversal" and reversal.json["reverses_id"] == posted["id"]
    assert reversal.json["provider_id"] == world.joan.id
    assert api("GET", f"/exchanges/{posted['id']}").json["reversed_by_id"] == reversal.json["id"]
    assert api("GET", f"/members/{world.joan.id}").json["balance_minutes"] == 0
    again = api("POST", f"/exchanges/{posted['id']}/reversal", json={"reason": "again"})
    assert (again.status_code, again.json["code"]) == (409, "already_reversed")
    back = api("POST", f"/exchanges/{reversal.json['id']}/reversal", json={"reason": "undo"})
    assert (back.status_code, back.json["code"]) == (409, "cannot_reverse_reversal")
    blank = api("POST", f"/exchanges/{exchange().json['id']}/reversal", json={"reason": "  "})
    assert (blank.status_code, blank.json["code"]) == (422, "reason_required")
    assert (
        api(
            "POST", f"/exchanges/{posted['id']}/reversal", "funder", json={"reason": "x"}
        ).status_code
        == 403
    )


def _pend(session: Session, world: World, minutes: int = 30) -> int:
    pending = ledger.pend(
        session,
        ledger.TransferRequest(
            bank_id=world.bank.id,
            unit=ledger.Unit.HOURS,
            kind=ledger.TransferKind.EXCHANGE,
            from_account_id=member_account(session, world.joan.id).id,
            to_account_id=member_account(session, world.seamus.id).id,
            amount=minutes,
        ),
        by_member_id=world.seamus.id,
    )
    session.commit()
    return pending.id


def test_confirming_and_declining_pending_help(api: Api, world: World, session: Session) -> None:
    first, second = _pend(session, world), _pend(session, world, 45)
    waiting = api("GET", f"/banks/{world.bank.id}/pending").json["items"]
    assert [p["id"] for p in waiting] == [first, second]
    assert waiting[0]["provider_id"] == world.seamus.id and waiting[0]["status"] == "pending"
    confirmed = api("POST", f"/pending/{first}/confirm")
    assert confirmed.status_code == 201 and confirmed.json["minutes"] == 30
    again = api("POST", f"/pending/{first}/confirm")
    assert again.status_code == 200 and again.json["id"] == confirmed.json["id"]
    declined = api("POST", f"/pending/{first}/void", json={"reason": "changed mind"})
    assert (declined.status_code, declined.json["code"]) == (409, "already_resolved")
    voided = api("POST", f"/pending/{second}/void", json={"reason": "did not happen"})
    assert voided.status_code == 200 and voided.json["status"] == "voided"
    assert api("POST", f"/pending/{second}/void", json={}).status_code == 200
    late = api("POST", f"/pending/{second}/confirm")
    assert (late.status_code, late.json["code"]) == (409, "already_resolved")
    assert api("GET", f"/banks/{world.bank.id}/pending").json["items"] == []
    assert api("POST", f"/pending/{second}/confirm", "other_coordinator").status_code == 404
    assert api("GET", f"/members/{world.joan.id}").json["balance_minutes"] == -30
    # each retry answered the same and left no second record in the audit trail
    session.expire_all()
    trail = [
        (e.action, e.subject)
        for e in session.scalars(
            select(AuditEvent).where(AuditEvent.action.like("pending.%")).order_by(AuditEvent.id)
        )
    ]
    assert trail == [
        ("pending.confirmed", f"pending:{first}"),
        ("pending.declined", f"pending:{second}"),
    ]


def test_skills(api: Api, world: World) -> None:
    skills = api("GET", "/skills", "funder").json["items"]
    assert "shopping" in {s["code"] for s in skills}
    assert all(s["bank_id"] is None for s in skills)
    assert api("GET", "/skills", query_string={"bank_id": world.bank.id}).status_code == 200
    assert api("GET", "/skills", query_string={"bank_id": world.other_bank.id}).status_code == 404
    assert api("GET", "/skills", query_string={"bank_id": "x"}).status_code == 422


def test_a_database_busy_past_its_timeout_answers_503_to_retry(
    api: Api, world: World, session: Session, engine_name: str, monkeypatch
) -> None:
    if engine_name != "sqlite":
        pytest.skip("PostgreSQL writers wait on row locks without a timeout")
    import sqlite3

    from timebank import db as timebank_db
    from timebank.extensions import db

    monkeypatch.setattr(timebank_db, "SQLITE_BUSY_TIMEOUT_MS", 50)
    path = f"/banks/{world.bank.id}/exchanges"
    body = {"provider_id": world.seamus.id, "receiver_id": world.joan.id, "minutes": 60}
    before = count(session)
    session.commit()
    db.engine.dispose()  # new connections take the short timeout
    # another program (a CSV import, say) holds SQLite's write lock
    other = sqlite3.connect(db.engine.url.database, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        response = api("POST", path, json=body, headers={"Idempotency-Key": "hall-1"})
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert response.status_code == 503
    assert response.json["code"] == "unavailable"
    assert response.headers["Retry-After"] == "1"
    assert count(session) == before
    # the client's retry with the same key then posts once
    retried = api("POST", path, json=body, headers={"Idempotency-Key": "hall-1"})
    assert retried.status_code == 201, retried.json
    assert count(session) == before + 1
