"""The broker's pages for a member's rights: erasing a member who left, and subject access."""

from __future__ import annotations

import html
import json
import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.conftest import PASSWORD
from tests.members.erasure_world import SECRETS, Leaver, make_leaver
from timebank.audit import AuditEvent
from timebank.members.erasure import erase_member
from timebank.members.models import Member


@pytest.fixture
def leaver(session: Session, make_bank, make_user) -> Leaver:
    return make_leaver(session, make_bank, make_user)


def signed_in(app: Flask, email: str) -> FlaskClient:
    client = app.test_client()
    response = client.post("/sign-in", data={"email": email, "password": PASSWORD})
    assert response.status_code == 302, response.text
    return client


def text_of(page: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def member_url(leaver: Leaver, member: Member, tail: str = "") -> str:
    return f"/broker/banks/{leaver.bank.id}/members/{member.id}{tail}"


# -- erasure -------------------------------------------------------------------------------------


def test_the_page_of_a_member_who_left_offers_erasure_and_says_what_goes(
    app: Flask, leaver: Leaver
) -> None:
    client = signed_in(app, leaver.coordinator.email)
    page = text_of(client.get(member_url(leaver, leaver.gus)).text)
    assert "Erase their details" in page
    assert "This cannot be undone." in page
    assert f"“Former member {leaver.gus.member_number}”" in page
    assert "their equality monitoring answers" in page
    assert "their member cards and PIN, and any email and password" in page
    assert "Why are their details being erased?" in page
    # a member still in the bank is not offered it
    assert "Erase their details" not in client.get(member_url(leaver, leaver.ann)).text


def test_erasing_from_the_member_page(app: Flask, session: Session, leaver: Leaver) -> None:
    client = signed_in(app, leaver.coordinator.email)
    response = client.post(
        member_url(leaver, leaver.gus, "/erase"), data={"reason": "He asked us to, by phone"}
    )
    assert response.status_code == 302
    assert response.location.endswith(member_url(leaver, leaver.gus))
    page = client.get(response.location).text
    number = leaver.gus.member_number
    assert f"The details of member {number} are erased. Their hours stay in the books." in page
    assert f"Former member {number}" in page
    assert "This member's details were erased on" in text_of(page)
    assert "Erase their details" not in page and "Edit details" not in page
    for secret in SECRETS[:3]:
        assert secret not in page
    session.expire_all()
    gus = session.get_one(Member, leaver.gus.id)
    assert (gus.full_name, gus.phone) == (f"Former member {number}", "")
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "member.erased")).one()
    assert (event.user_id, event.details["reason"]) == (
        leaver.coordinator.id,
        "He asked us to, by phone",
    )
    # nothing offers to write the details back
    edit = client.get(member_url(leaver, leaver.gus, "/edit"))
    assert edit.status_code == 302
    again = client.post(member_url(leaver, leaver.gus, "/erase"), data={"reason": "Again"})
    assert again.status_code == 409


def test_an_erasure_without_a_reason_is_refused_with_a_message(
    app: Flask, session: Session, leaver: Leaver
) -> None:
    client = signed_in(app, leaver.coordinator.email)
    response = client.post(member_url(leaver, leaver.gus, "/erase"), data={"reason": "  "})
    assert response.status_code == 400
    assert "Say why their details are being erased" in response.text
    assert '<details class="erase" open>' in response.text
    session.expire_all()
    assert session.get_one(Member, leaver.gus.id).full_name == "Gustav Hiddenname"


def test_a_member_still_in_the_bank_is_not_erased(
    app: Flask, session: Session, leaver: Leaver
) -> None:
    client = signed_in(app, leaver.coordinator.email)
    response = client.post(member_url(leaver, leaver.ann, "/erase"), data={"reason": "Asked"})
    assert response.status_code == 409
    assert "Record that the member left before erasing their details." in response.text
    session.expire_all()
    assert session.get_one(Member, leaver.ann.id).full_name == "Ann Stays"


def test_erasing_is_a_post_with_its_csrf_token_only(
    app: Flask, session: Session, leaver: Leaver
) -> None:
    client = signed_in(app, leaver.coordinator.email)
    assert client.get(member_url(leaver, leaver.gus, "/erase")).status_code == 405
    app.config["WTF_CSRF_ENABLED"] = True
    response = client.post(member_url(leaver, leaver.gus, "/erase"), data={"reason": "Asked"})
    assert response.status_code == 400
    session.expire_all()
    assert session.get_one(Member, leaver.gus.id).erased_at is None


def test_another_bank_s_coordinator_can_neither_erase_nor_read(
    app: Flask, session: Session, leaver: Leaver, make_bank, make_user
) -> None:
    other = make_user("coordinator", banks=[make_bank(name="Other Bank")])
    client = signed_in(app, other.email)
    for tail in ("/subject-access", "/subject-access.json"):
        assert client.get(member_url(leaver, leaver.gus, tail)).status_code == 404
    response = client.post(member_url(leaver, leaver.gus, "/erase"), data={"reason": "Asked"})
    assert response.status_code == 404
    session.expire_all()
    assert session.get_one(Member, leaver.gus.id).erased_at is None


def test_the_audit_trail_page_keeps_the_events_and_says_their_details_were_removed(
    app: Flask, session: Session, leaver: Leaver
) -> None:
    client = signed_in(app, leaver.coordinator.email)
    url = f"/broker/banks/{leaver.bank.id}/audit"
    before = text_of(client.get(url).text)
    assert "Phone: was “028 9099 1234”, now “028 9099 5678”" in before
    erase_member(session, leaver.gus, reason="Asked us to", by_user_id=None)
    session.commit()
    after = text_of(client.get(url).text)
    assert "Erased a member's details" in after
    assert "Changed a member's details" in after
    assert "The details were removed when a member's details were erased." in after
    for secret in SECRETS:
        assert secret not in after, secret


# -- subject access ------------------------------------------------------------------------------


def test_the_subject_access_page_shows_everything_held(app: Flask, leaver: Leaver) -> None:
    client = signed_in(app, leaver.coordinator.email)
    response = client.get(member_url(leaver, leaver.gus, "/subject-access"))
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    page = text_of(response.text)
    assert "Everything we hold about Gustav" in page
    for shown in (
        "Gustav Hiddenname",  # profile
        "028 9099 1234",
        "Greta Carername",
        "I, Gustav Hiddenname, agree.",
        "They agreed to give these answers on",  # monitoring, with the consent
        "Living with dementia No",
        "Looks after a family member, partner or friend Yes",
        "Mends fences",  # offers
        "Lift to the clinic",  # an exchange's note
        f"Ann (member {leaver.ann.member_number})",  # with whom
        f"They helped Bob (member {leaver.bob.member_number})",  # help waiting
        "with a PIN",  # cards
        f"Bob (member {leaver.bob.member_number}) supports them",
        f"They support Ann (member {leaver.ann.member_number})",
        "gustav@example.org",  # their sign-in account
        "Changed a member's details",  # the audit trail, with its details
        "028 9099 1234 → 028 9099 5678",
    ):
        assert shown in page, shown
    assert "pin_hash" not in response.text and "$argon2" not in response.text


def test_the_subject_access_file_holds_the_same(
    app: Flask, session: Session, leaver: Leaver
) -> None:
    client = signed_in(app, leaver.coordinator.email)
    response = client.get(member_url(leaver, leaver.gus, "/subject-access.json"))
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="member-{leaver.gus.member_number}-subject-access.json"'
    )
    held = json.loads(response.text)
    assert (held["bank"], held["member_number"], held["status"]) == (
        "Erasure Bank",
        leaver.gus.member_number,
        "left",
    )
    assert held["profile"]["full_name"] == "Gustav Hiddenname"
    assert held["profile"]["supporter_phone"] == "07700 900123"
    assert held["monitoring"]["carer"] == "yes" and held["monitoring"]["ethnicity"] is None
    assert held["monitoring_consent_on"] == "2023-06-01"
    assert [(s["direction"], s["help"], s["note"]) for s in held["skills"]] == [
        ("offer", "Gardening", "Mends fences")
    ]
    exchanges = [
        (e["given_on"], e["minutes"], e["with_whom"], e["note"]) for e in held["exchanges"]
    ]
    assert exchanges == [
        ("2024-01-12", 90, {"name": "Ann", "member_number": leaver.ann.member_number},
         "Lift to the clinic"),
        ("2024-02-02", -30, {"name": "Bob", "member_number": leaver.bob.member_number}, None),
    ]  # fmt: skip
    assert [(p["side"], p["minutes"], p["status"], p["note"]) for p in held["pending"]] == [
        ("gave", 20, "pending", "Fixed the back door")
    ]
    assert [(c["has_pin"], c["revoked_at"]) for c in held["cards"]] == [(True, None)]
    assert {s["role"] for s in held["supporters"]} == {"supports them", "they support"}
    assert held["sign_in_accounts"][0]["email"] == "gustav@example.org"
    actions = [e["action"] for e in held["events"]]
    assert {"member.registered", "member.updated", "card.issued", "member.left"} <= set(actions)
    assert "user.sign_in_failed" in actions  # typed with their email
    assert "token_hash" not in response.text and "pin_hash" not in response.text


def test_after_erasure_subject_access_shows_what_is_left(
    app: Flask, session: Session, leaver: Leaver
) -> None:
    erase_member(session, leaver.gus, reason="Asked us to", by_user_id=None)
    session.commit()
    client = signed_in(app, leaver.coordinator.email)
    page = text_of(client.get(member_url(leaver, leaver.gus, "/subject-access")).text)
    assert "Removed on request" in page
    assert "They have given no answers." in page
    for secret in SECRETS:
        assert secret not in page, secret
    held = json.loads(client.get(member_url(leaver, leaver.gus, "/subject-access.json")).text)
    assert held["monitoring"] is None and held["cards"] == [] and held["supporters"] == []
    assert all(e["details"] == {} for e in held["events"] if e["action"] != "member.erased")


@pytest.mark.parametrize("role", ["admin", "funder", "member"])
def test_only_coordinators_read_subject_access(
    app: Flask, leaver: Leaver, make_user, role: str
) -> None:
    client = signed_in(app, make_user(role).email)
    for tail in ("/subject-access", "/subject-access.json"):
        assert client.get(member_url(leaver, leaver.gus, tail)).status_code == 404


# -- the bank's retention period -----------------------------------------------------------------


def test_an_admin_sets_how_long_a_bank_keeps_members_details(
    app: Flask, session: Session, make_bank, make_user
) -> None:
    bank = make_bank(name="Riverside")
    client = signed_in(app, make_user("admin").email)
    url = f"/admin/banks/{bank.id}/edit"
    form = client.get(url).text
    assert "Months to keep a member's details after they leave" in text_of(form)
    settings = {"name": "Riverside", "floor_hours": "10", "welcome_minutes": "0"}
    answer = client.post(url, data={**settings, "retention_months": "0"})
    assert answer.status_code == 400
    assert "Enter a number of months from 1 to 1200" in answer.text
    assert client.post(url, data={**settings, "retention_months": "24"}).status_code == 302
    session.expire_all()
    assert session.get_one(type(bank), bank.id).retention_months == 24
    changed = session.scalars(
        select(AuditEvent).where(AuditEvent.action == "bank.updated").order_by(AuditEvent.id)
    ).all()[-1]
    assert changed.details == {"retention_months": [None, 24]}
    # emptied: kept until a broker erases them by hand
    assert client.post(url, data={**settings, "retention_months": ""}).status_code == 302
    session.expire_all()
    assert session.get_one(type(bank), bank.id).retention_months is None
