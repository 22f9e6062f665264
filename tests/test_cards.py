"""Member cards: tokens kept only as hashes, reissue revokes at once, PIN rules and lockout."""

from __future__ import annotations

import re
import zlib
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from timebank import cards
from timebank.audit import AuditEvent
from timebank.db import utcnow
from timebank.members.models import MemberCard


@pytest.fixture
def joan(make_bank, make_member):  # type: ignore[no-untyped-def]
    return make_member(make_bank(), "Joan Murphy")


def _actions(session: Session, action: str) -> list[AuditEvent]:
    return list(session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def test_a_card_keeps_only_the_hash_of_its_token(session: Session, joan) -> None:
    card, token = cards.issue_card(session, joan, by_user_id=None)
    session.commit()
    assert len(token) >= 40
    assert card.token_hash == cards.digest(token) != token
    assert token not in str(session.scalars(select(MemberCard.token_hash)).all())
    assert cards.find_card(session, token) is card
    assert cards.find_card(session, token + "x") is None
    assert cards.find_card(session, "") is None
    assert [e.subject for e in _actions(session, "card.issued")] == [f"member:{joan.id}"]


def test_reissuing_revokes_the_old_card_at_once_and_keeps_the_pin(session: Session, joan) -> None:
    old, old_token = cards.issue_card(session, joan, by_user_id=None)
    cards.set_pin(session, joan, "4071", by_user_id=None)
    session.commit()
    new, new_token = cards.issue_card(session, joan, by_user_id=None)
    session.commit()
    assert old.revoked_at is not None and new.revoked_at is None
    assert cards.find_card(session, old_token) is None
    assert cards.find_card(session, new_token) is new
    assert cards.current_card(session, joan) is new
    assert cards.check_pin(session, new, "4071", utcnow()) == cards.PinCheck.OK
    session.commit()


@pytest.mark.parametrize("pin", ["", "123", "12345", "12a4", " 4071", "٤٠٧١"])
def test_a_pin_is_exactly_four_digits(session: Session, joan, pin: str) -> None:
    cards.issue_card(session, joan, by_user_id=None)
    with pytest.raises(cards.PinRefused) as refused:
        cards.set_pin(session, joan, pin, by_user_id=None)
    assert refused.value.code == "not_four_digits"


@pytest.mark.parametrize("pin", ["0000", "1111", "9999", "1234", "0123", "6789", "9876", "3210"])
def test_a_pin_is_not_too_easy(session: Session, joan, pin: str) -> None:
    cards.issue_card(session, joan, by_user_id=None)
    with pytest.raises(cards.PinRefused) as refused:
        cards.set_pin(session, joan, pin, by_user_id=None)
    assert refused.value.code == "too_easy"


def test_a_pin_needs_a_card(session: Session, joan) -> None:
    with pytest.raises(cards.PinRefused) as refused:
        cards.set_pin(session, joan, "4071", by_user_id=None)
    assert refused.value.code == "no_card"


def test_the_pin_is_stored_hashed_with_argon2id(session: Session, joan) -> None:
    cards.issue_card(session, joan, by_user_id=None)
    card = cards.set_pin(session, joan, "4071", by_user_id=None)
    session.commit()
    assert card.pin_hash is not None and card.pin_hash.startswith("$argon2id$")
    assert "4071" not in card.pin_hash
    assert len(_actions(session, "card.pin_set")) == 1


def test_no_pin_yet(session: Session, joan) -> None:
    card, _token = cards.issue_card(session, joan, by_user_id=None)
    assert cards.check_pin(session, card, "4071", utcnow()) == cards.PinCheck.NO_PIN


def test_five_wrong_pins_lock_the_card_for_fifteen_minutes(session: Session, joan) -> None:
    card, _token = cards.issue_card(session, joan, by_user_id=None)
    cards.set_pin(session, joan, "4071", by_user_id=None)
    session.commit()
    now = utcnow()
    for left in (4, 3, 2, 1):
        assert cards.check_pin(session, card, "0000", now) == cards.PinCheck.WRONG
        assert cards.tries_left(card) == left
    session.commit()
    assert _actions(session, "card.locked") == []
    assert cards.check_pin(session, card, "0000", now) == cards.PinCheck.LOCKED
    session.commit()
    assert card.locked_until == now + timedelta(minutes=15)
    (locked,) = _actions(session, "card.locked")
    assert locked.subject == f"member:{joan.id}" and locked.bank_id == joan.bank_id
    # even the right PIN is refused until the lock ends
    later = now + timedelta(minutes=14, seconds=59)
    assert cards.check_pin(session, card, "4071", later) == cards.PinCheck.LOCKED
    # then it opens, with five fresh tries
    after = now + timedelta(minutes=15)
    assert cards.check_pin(session, card, "4071", after) == cards.PinCheck.OK
    assert card.failed_pin_attempts == 0 and card.locked_until is None
    session.commit()
    assert len(_actions(session, "card.locked")) == 1


def test_a_right_pin_resets_the_count(session: Session, joan) -> None:
    card, _token = cards.issue_card(session, joan, by_user_id=None)
    cards.set_pin(session, joan, "4071", by_user_id=None)
    now = utcnow()
    for _ in range(4):
        cards.check_pin(session, card, "1111", now)
    assert cards.check_pin(session, card, "4071", now) == cards.PinCheck.OK
    assert cards.tries_left(card) == 5
    for _ in range(4):
        assert cards.check_pin(session, card, "1111", now) == cards.PinCheck.WRONG
    session.commit()


def test_setting_the_pin_again_clears_a_lock(session: Session, joan) -> None:
    card, _token = cards.issue_card(session, joan, by_user_id=None)
    cards.set_pin(session, joan, "4071", by_user_id=None)
    now = utcnow()
    for _ in range(5):
        cards.check_pin(session, card, "1111", now)
    assert cards.is_locked(card, now)
    cards.set_pin(session, joan, "5820", by_user_id=None)
    assert not cards.is_locked(card, now)
    assert cards.check_pin(session, card, "5820", now) == cards.PinCheck.OK
    session.commit()


def test_the_qr_svg_is_inline_and_plain() -> None:
    svg = cards.qr_svg("https://bank.example/c/abc")
    assert svg.startswith('<svg class="qr" aria-hidden="true"')
    assert "<?xml" not in svg and "width=" not in svg and "id=" not in svg
    assert "style" not in svg


def _content(pdf: bytes) -> bytes:
    streams = re.findall(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S)
    out = b""
    for stream in streams:
        try:
            out += zlib.decompress(stream)
        except zlib.error:
            continue
    return out


def test_the_pdf_puts_eight_cards_on_an_a4_page() -> None:
    made = [
        cards.PrintedCard(
            name=f"Zofia Łukasiewicz {n}",
            number_line=f"Member number {n}",
            bank_name="Test Time Bank",
            phone_line="Your broker: 028 9000 0001",
            scan_line="Scan the square with your phone's camera to see your time.",
            url=f"https://bank.example/c/token{n}",
        )
        for n in range(9)
    ]
    pdf = cards.cards_pdf(made)
    assert pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF")
    assert len(re.findall(rb"/Type\s*/Page\b", pdf)) == 2
    # A4 in points
    assert re.search(rb"/MediaBox\s*\[\s*0(\.0+)?\s+0(\.0+)?\s+595\.28", pdf)
    # each card links its QR to its own address: 8 on the first page, 1 on the second
    objects = re.findall(rb"\d+ 0 obj(.*?)endobj", pdf, re.S)
    pages = [o for o in objects if re.search(rb"/Type\s*/Page\b", o)]
    assert [p.count(b"/S /URI") for p in pages] == [8, 1]
    for n in range(9):
        assert f"https://bank.example/c/token{n}".encode() in pdf
    assert b" re" in _content(pdf)  # the QR modules are drawn as rectangles


def test_cards_sit_inside_the_page() -> None:
    for index in range(cards.CARDS_PER_PAGE):
        page, x, y = cards.card_position(index)
        assert page == 0
        assert 0 < x and x + cards.CARD_WIDTH < cards.PAGE_WIDTH
        assert 0 < y and y + cards.CARD_HEIGHT < cards.PAGE_HEIGHT
    assert cards.card_position(8)[0] == 1
    corners = {cards.card_position(i)[1:] for i in range(cards.CARDS_PER_PAGE)}
    assert len(corners) == 8
