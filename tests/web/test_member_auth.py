"""Signing in with a member card: the PIN page, lockout, 90 days on the phone, sign-out."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from timebank import cards
from timebank.audit import AuditEvent
from timebank.members.operations import record_leaving
from timebank.web.member_auth import current_member, member_required

PIN = "4071"


@pytest.fixture
def me_page(app: Flask) -> str:
    """A stand-in member page, registered before the first request."""

    @member_required
    def page() -> str:
        member = current_member()
        assert member is not None
        return f"Hello {member.display_name}"

    app.add_url_rule("/test-member-page", "test_member_page", page)
    return "/test-member-page"


@pytest.fixture
def card(session: Session, make_bank, make_member):  # type: ignore[no-untyped-def]
    """Joan's card with its PIN set; returns (member, token)."""
    bank = make_bank(help_phone="028 9000 0001")
    joan = make_member(bank, "Joan Murphy", display_name="Joan")
    _card, token = cards.issue_card(session, joan, by_user_id=None)
    cards.set_pin(session, joan, PIN, by_user_id=None)
    session.commit()
    return joan, token


def _actions(session: Session, action: str) -> list[AuditEvent]:
    session.expire_all()
    return list(session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def test_the_card_link_asks_for_the_pin(client: FlaskClient, card) -> None:
    _joan, token = card
    page = client.get(f"/c/{token}")
    assert page.status_code == 200
    body = page.text
    assert "Your 4-digit PIN" in body
    assert 'inputmode="numeric"' in body
    assert 'autocomplete="one-time-code"' in body
    assert 'pattern="[0-9]*"' in body
    assert "<script" not in body and "style=" not in body
    # the page does not name the member to whoever has the link
    assert "Joan Murphy" not in body


def test_an_unknown_card_is_a_plain_404(client: FlaskClient, card) -> None:
    for path in ("/c/nonsense", "/c/" + "x" * 300):
        page = client.get(path)
        assert page.status_code == 404
        assert "This card no longer works" in page.text
        assert "Ask your broker for a new one." in page.text
        assert client.post(path, data={"pin": PIN}).status_code == 404


def test_the_right_pin_signs_in_on_the_phone_for_90_days(
    client: FlaskClient, session: Session, card, me_page: str
) -> None:
    joan, token = card
    client.get("/?lang=pl")
    answer = client.post(f"/c/{token}", data={"pin": PIN})
    assert answer.status_code == 302
    assert answer.headers["Location"] == "/me"
    cookie = answer.headers["Set-Cookie"]
    assert "Expires=" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert client.application.permanent_session_lifetime == timedelta(days=90)
    with client.session_transaction() as stored:
        assert stored["member_card_id"] == cards.current_card(session, joan).id
        assert stored["lang"] == "pl"  # the chosen language survives the new session
        assert stored.permanent
    assert client.get(me_page).text == "Hello Joan"
    (event,) = _actions(session, "member.signed_in")
    assert event.subject == f"member:{joan.id}" and event.bank_id == joan.bank_id
    assert event.user_id is None  # the member acted, with their card
    assert event.details == {"card": cards.current_card(session, joan).id}


def test_the_members_language_is_used_when_none_was_chosen(
    client: FlaskClient, session: Session, make_bank, make_member
) -> None:
    joan = make_member(make_bank(), "Joan Murphy", preferred_locale="pl")
    _card, token = cards.issue_card(session, joan, by_user_id=None)
    cards.set_pin(session, joan, PIN, by_user_id=None)
    session.commit()
    client.post(f"/c/{token}", data={"pin": PIN})
    with client.session_transaction() as stored:
        assert stored["lang"] == "pl"


def test_a_sign_in_ends_after_90_days(client: FlaskClient, card, me_page: str) -> None:
    _joan, token = card
    client.post(f"/c/{token}", data={"pin": PIN})
    with client.session_transaction() as stored:
        stored["member_signed_in_at"] -= int(timedelta(days=90).total_seconds())
    assert client.get(me_page).headers["Location"] == "/me/signed-out"


def test_a_wrong_pin_says_how_many_tries_are_left(
    client: FlaskClient, session: Session, card
) -> None:
    _joan, token = card
    page = client.post(f"/c/{token}", data={"pin": "1111"})
    assert page.status_code == 200
    assert "That PIN is not right. You have 4 tries left." in page.text
    assert "1111" not in page.text  # the wrong PIN is not typed back
    for _ in range(3):
        page = client.post(f"/c/{token}", data={"pin": "1111"})
    assert "You have 1 try left." in page.text
    with client.session_transaction() as stored:
        assert "member_card_id" not in stored
    assert _actions(session, "member.signed_in") == []


def test_five_wrong_pins_lock_the_card_and_say_so(
    client: FlaskClient, session: Session, card
) -> None:
    joan, token = card
    for _ in range(5):
        page = client.post(f"/c/{token}", data={"pin": "1111"})
    assert "This card is locked for 15 minutes after five wrong PINs." in page.text
    assert "028 9000 0001" in page.text
    # the right PIN is refused too while the lock lasts
    page = client.post(f"/c/{token}", data={"pin": PIN})
    assert page.status_code == 200 and "locked for 15 minutes" in page.text
    with client.session_transaction() as stored:
        assert "member_card_id" not in stored
    assert "locked for 15 minutes" in client.get(f"/c/{token}").text
    (event,) = _actions(session, "card.locked")
    assert event.subject == f"member:{joan.id}"


def test_a_card_without_a_pin_says_to_ring_the_broker(
    client: FlaskClient, session: Session, make_bank, make_member
) -> None:
    joan = make_member(make_bank(help_phone="028 9000 0002"), "Joan Murphy")
    _card, token = cards.issue_card(session, joan, by_user_id=None)
    session.commit()
    page = client.get(f"/c/{token}")
    assert "Your card has no PIN yet" in page.text and "028 9000 0002" in page.text
    page = client.post(f"/c/{token}", data={"pin": PIN})
    assert "Your card has no PIN yet" in page.text


def test_a_reissued_card_stops_working_at_once(
    client: FlaskClient, session: Session, card, me_page: str
) -> None:
    joan, token = card
    assert client.post(f"/c/{token}", data={"pin": PIN}).status_code == 302
    assert client.get(me_page).status_code == 200
    _new, new_token = cards.issue_card(session, joan, by_user_id=None)
    session.commit()
    # the phone signed in with the old card is signed out on its next request
    assert client.get(me_page).headers["Location"] == "/me/signed-out"
    with client.session_transaction() as stored:
        assert "member_card_id" not in stored
    # the old link is refused; the new one works with the same PIN
    assert client.get(f"/c/{token}").status_code == 404
    assert client.post(f"/c/{token}", data={"pin": PIN}).status_code == 404
    assert client.post(f"/c/{new_token}", data={"pin": PIN}).status_code == 302
    assert client.get(me_page).text == "Hello Joan"


def test_a_member_who_left_is_signed_out(
    client: FlaskClient, session: Session, card, me_page: str
) -> None:
    joan, token = card
    client.post(f"/c/{token}", data={"pin": PIN})
    record_leaving(session, joan, on=joan.bank.today(), gift_to_pot=True, by=None)
    session.commit()
    assert client.get(me_page).status_code == 302
    assert client.get(f"/c/{token}").status_code == 404


def test_signing_out_on_this_phone(
    client: FlaskClient, session: Session, card, me_page: str
) -> None:
    joan, token = card
    client.post(f"/c/{token}", data={"pin": PIN})
    answer = client.post("/me/sign-out")
    assert answer.headers["Location"] == "/me/signed-out"
    assert client.get(me_page).headers["Location"] == "/me/signed-out"
    page = client.get("/me/signed-out")
    assert page.status_code == 200 and "Scan your card to sign in" in page.text
    (event,) = _actions(session, "member.signed_out")
    assert event.subject == f"member:{joan.id}" and event.bank_id == joan.bank_id
    assert event.user_id is None
    assert event.details == {"card": cards.current_card(session, joan).id}
    client.post("/me/sign-out")  # signed out already: nothing more to record
    assert len(_actions(session, "member.signed_out")) == 1


def test_nobody_signed_in_is_sent_to_scan_their_card(client: FlaskClient, me_page: str) -> None:
    assert client.get(me_page).headers["Location"] == "/me/signed-out"


def test_a_member_never_reaches_another_members_pages(
    client: FlaskClient, session: Session, card, make_member, me_page: str
) -> None:
    joan, token = card
    seamus = make_member(joan.bank, "Seamus Kelly", display_name="Seamus")
    _card, seamus_token = cards.issue_card(session, seamus, by_user_id=None)
    cards.set_pin(session, seamus, "5820", by_user_id=None)
    session.commit()
    client.post(f"/c/{token}", data={"pin": PIN})
    # Seamus's link without his PIN asks for it, and Joan's PIN does not open his card
    assert "Your 4-digit PIN" in client.get(f"/c/{seamus_token}").text
    assert "not right" in client.post(f"/c/{seamus_token}", data={"pin": PIN}).text
    assert client.get(me_page).text == "Hello Joan"
    # nor do a member's pages reach the broker's card pages
    bank = joan.bank_id
    for path in (
        f"/broker/banks/{bank}/members/{seamus.id}/card",
        f"/broker/banks/{bank}/cards/sheet",
    ):
        assert client.get(path).status_code == 302
        assert "/sign-in" in client.get(path).headers["Location"]
    assert client.post(f"/broker/banks/{bank}/members/{seamus.id}/card").status_code == 302
    assert cards.find_card(session, seamus_token) is not None


def test_a_broker_who_scans_a_card_goes_to_log_help(broker, session: Session, make_member) -> None:
    client, bank, _coordinator = broker
    joan = make_member(bank, "Joan Murphy")
    _card, token = cards.issue_card(session, joan, by_user_id=None)
    session.commit()
    answer = client.get(f"/c/{token}")
    assert answer.status_code == 302
    assert answer.headers["Location"] == (
        f"/broker/banks/{bank.id}/exchanges/new?provider={joan.id}"
    )
    page = client.get(answer.headers["Location"])
    assert page.status_code == 200 and f"Joan Murphy (#{joan.member_number})" in page.text


def test_an_admin_who_scans_a_card_goes_to_log_help(
    client: FlaskClient, session: Session, card, make_user, sign_in
) -> None:
    joan, token = card
    sign_in(make_user("admin"))
    assert "/exchanges/new?provider=" in client.get(f"/c/{token}").headers["Location"]


def test_another_banks_broker_who_scans_a_card_gets_the_pin_page(
    client: FlaskClient, card, make_bank, make_user, sign_in
) -> None:
    _joan, token = card
    sign_in(make_user("coordinator", banks=[make_bank()]))
    page = client.get(f"/c/{token}")
    assert page.status_code == 200 and "Your 4-digit PIN" in page.text
