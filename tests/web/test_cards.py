"""Brokers make and print member cards and set PINs; a printed QR code really scans."""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import urlsplit

import pytest
import zxingcpp
from flask.testing import FlaskClient
from PIL import Image, ImageDraw
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from timebank import cards
from timebank.audit import AuditEvent
from timebank.members.models import MemberCard

PIN = "4071"


def _svgs(html: str) -> list[str]:
    return re.findall(r"<svg .*?</svg>", html, re.S)


def _token_of(svg_page: str) -> str:
    """The card's link, read back from the QR code on the page by a real decoder."""
    (svg,) = _svgs(svg_page)
    return decode_svg(svg)


def decode_svg(svg: str) -> str:
    """Draw the QR code of the page's ``<svg>`` as pixels, and read it with zxing-cpp."""
    size = int(re.search(r'viewBox="0 0 (\d+) \d+"', svg).group(1))  # type: ignore[union-attr]
    scale = 8
    image = Image.new("L", (size * scale, size * scale), 255)
    draw = ImageDraw.Draw(image)
    # SvgPathImage draws each dark module as "Mx,yH..V..H..z"
    for x, y in re.findall(r"M(\d+),(\d+)H", svg):
        left, top = int(x) * scale, int(y) * scale
        draw.rectangle([left, top, left + scale - 1, top + scale - 1], fill=0)
    (found,) = zxingcpp.read_barcodes(image)
    assert found.format == zxingcpp.BarcodeFormat.QRCode
    return found.text


def _shown(page: str, name: str) -> str:
    """The value of a hidden field on a page, as the browser would send it back."""
    return re.search(rf'name="{name}" value="([^"]*)"', page).group(1)  # type: ignore[union-attr]


def _card_form(client: FlaskClient, bank_id: int, member_id: int) -> dict[str, str]:
    page = client.get(f"/broker/banks/{bank_id}/members/{member_id}/card").text
    return {"replaces": _shown(page, "replaces")}


def _issue(client: FlaskClient, bank_id: int, member_id: int) -> str:
    form = _card_form(client, bank_id, member_id)
    page = client.post(f"/broker/banks/{bank_id}/members/{member_id}/card", data=form)
    assert page.status_code == 200, page.text
    return page.text


def test_a_broker_makes_a_card_and_the_qr_code_signs_the_member_in(
    broker, session: Session, make_member, app
) -> None:
    client, bank, coordinator = broker
    joan = make_member(bank, "Joan Murphy", display_name="Joan")
    page = _issue(client, bank.id, joan.id)
    assert "Joan Murphy" in page and f"Member number {joan.member_number}" in page
    assert bank.name in page and "028 9000 0001" in page
    assert "style=" not in page and "<style" not in page and "<script" not in page
    url = _token_of(page)
    assert url.startswith("http://localhost/c/")
    card = cards.current_card(session, joan)
    assert card is not None and card.issued_by_id == coordinator.id
    assert card.token_hash == cards.digest(url.rsplit("/", 1)[1])

    response = client.post(
        f"/broker/banks/{bank.id}/members/{joan.id}/card/pin",
        data={
            "pin": PIN,
            "confirm": PIN,
        },
    )
    assert response.status_code == 302

    # the member's phone: a fresh client, opening what the camera read
    phone = app.test_client()
    path = urlsplit(url).path
    assert "Your 4-digit PIN" in phone.get(path).text
    signed_in = phone.post(path, data={"pin": PIN})
    assert signed_in.status_code == 302 and signed_in.headers["Location"] == "/me"
    with phone.session_transaction() as stored:
        assert stored["member_card_id"] == card.id


def test_the_card_page_and_the_member_page(broker, make_member) -> None:
    client, bank, _coordinator = broker
    joan = make_member(bank, "Joan Murphy", display_name="Joan")
    member_page = client.get(f"/broker/banks/{bank.id}/members/{joan.id}").text
    assert "Member card" in member_page and "Joan has no card yet." in member_page
    page = client.get(f"/broker/banks/{bank.id}/members/{joan.id}/card")
    assert page.status_code == 200 and "Make a card" in page.text
    _issue(client, bank.id, joan.id)
    page = client.get(f"/broker/banks/{bank.id}/members/{joan.id}/card").text
    assert "Make a new card" in page and "Not set yet" in page
    assert "The old card will stop working at once" in page
    assert "Set the PIN with Joan" in page
    assert "No PIN yet." in client.get(f"/broker/banks/{bank.id}/members/{joan.id}").text


def test_reissuing_stops_the_old_card_and_keeps_the_pin(
    broker, session: Session, make_member, app
) -> None:
    client, bank, _coordinator = broker
    joan = make_member(bank, "Joan Murphy")
    old = urlsplit(_token_of(_issue(client, bank.id, joan.id))).path
    client.post(
        f"/broker/banks/{bank.id}/members/{joan.id}/card/pin", data={"pin": PIN, "confirm": PIN}
    )
    new = urlsplit(_token_of(_issue(client, bank.id, joan.id))).path
    phone = app.test_client()
    assert phone.get(old).status_code == 404
    assert phone.post(new, data={"pin": PIN}).status_code == 302
    issued = session.scalars(select(AuditEvent).where(AuditEvent.action == "card.issued")).all()
    assert len(issued) == 2


@pytest.mark.parametrize(
    ("pin", "confirm", "message"),
    [
        ("123", "123", "exactly 4 numbers"),
        ("1234", "1234", "too easy to guess"),
        ("7777", "7777", "too easy to guess"),
        ("4071", "4072", "The two PINs are different"),
        ("", "", "Type the new PIN"),
    ],
)
def test_the_pin_form_refuses_bad_pins(
    broker, session: Session, make_member, pin: str, confirm: str, message: str
) -> None:
    client, bank, _coordinator = broker
    joan = make_member(bank, "Joan Murphy")
    _issue(client, bank.id, joan.id)
    page = client.post(
        f"/broker/banks/{bank.id}/members/{joan.id}/card/pin", data={"pin": pin, "confirm": confirm}
    )
    assert page.status_code == 200 and message in page.text
    session.expire_all()
    assert cards.current_card(session, joan).pin_hash is None


def test_the_pin_needs_a_card_first(broker, make_member) -> None:
    client, bank, _coordinator = broker
    joan = make_member(bank, "Joan Murphy")
    page = client.post(
        f"/broker/banks/{bank.id}/members/{joan.id}/card/pin", data={"pin": PIN, "confirm": PIN}
    )
    assert page.status_code == 200 and "Make a card first" in page.text


def test_a_card_form_sent_twice_makes_one_card(broker, session: Session, make_member, app) -> None:
    client, bank, _coordinator = broker
    joan = make_member(bank, "Joan Murphy")
    _issue(client, bank.id, joan.id)
    form = _card_form(client, bank.id, joan.id)
    url = f"/broker/banks/{bank.id}/members/{joan.id}/card"
    printed = client.post(url, data=form)
    assert printed.status_code == 200
    link = urlsplit(_token_of(printed.text)).path
    # a refresh of the printed card, or a second tap, sends the same form again
    again = client.post(url, data=form)
    assert again.status_code == 409
    assert "No new card was made" in again.text and _svgs(again.text) == []
    assert session.scalar(select(func.count(MemberCard.id))) == 2
    assert app.test_client().get(link).status_code == 200  # the printed card still works
    # the page it answers with knows of the new card, so asking again makes another
    assert _shown(again.text, "replaces") == str(cards.current_card(session, joan).id)  # type: ignore[union-attr]
    assert client.post(url, data={"replaces": _shown(again.text, "replaces")}).status_code == 200
    assert app.test_client().get(link).status_code == 404  # replaced on purpose
    # a form from before the first card cannot stop it either
    assert client.post(url, data={"replaces": "0"}).status_code == 409
    assert client.post(url, data={}).status_code == 409


def test_a_sheet_sent_twice_makes_its_cards_once(broker, session: Session, make_member) -> None:
    client, bank, _coordinator = broker
    people = [make_member(bank, f"Member Number{n}") for n in range(3)]
    page = client.get(f"/broker/banks/{bank.id}/cards/sheet").text
    form = {"member": [str(p.id) for p in people]}
    form |= {f"card-{p.id}": _shown(page, f"card-{p.id}") for p in people}
    assert client.post(f"/broker/banks/{bank.id}/cards/sheet", data=form).status_code == 200
    again = client.post(f"/broker/banks/{bank.id}/cards/sheet", data=form)
    assert again.status_code == 409
    assert "New cards were made for Member Number0, Member Number1, Member Number2" in again.text
    assert _svgs(again.text) == []
    assert session.scalar(select(func.count(MemberCard.id))) == 3
    # the page sent back lists the same members, now unticked, beside their new cards
    assert again.text.count('name="member"') == 3 and " checked" not in again.text
    fresh = {
        "member": str(people[0].id),
        f"card-{people[0].id}": _shown(again.text, f"card-{people[0].id}"),
    }
    assert client.post(f"/broker/banks/{bank.id}/cards/sheet", data=fresh).status_code == 200
    assert session.scalar(select(func.count(MemberCard.id))) == 4


def test_no_card_for_a_member_who_left(broker, session: Session, make_member) -> None:
    from timebank.members.operations import record_leaving

    client, bank, _coordinator = broker
    joan = make_member(bank, "Joan Murphy")
    record_leaving(session, joan, on=bank.today(), gift_to_pot=True, by=None)
    session.commit()
    assert client.post(f"/broker/banks/{bank.id}/members/{joan.id}/card").status_code == 409
    assert session.scalars(select(MemberCard)).all() == []


def test_a_sheet_of_eight_and_its_pdf(broker, session: Session, make_member) -> None:
    client, bank, _coordinator = broker
    people = [make_member(bank, f"Member Number{n}") for n in range(10)]
    choose = client.get(f"/broker/banks/{bank.id}/cards/sheet")
    assert choose.status_code == 200
    assert choose.text.count('name="member"') == 8 and "Page 1 of 2" in choose.text
    second = client.get(f"/broker/banks/{bank.id}/cards/sheet?page=2").text
    assert second.count('name="member"') == 2
    chosen = client.get(
        f"/broker/banks/{bank.id}/cards/sheet?members={people[0].id},{people[9].id}"
    ).text
    assert chosen.count('name="member"') == 2

    sheet = client.post(
        f"/broker/banks/{bank.id}/cards/sheet", data={"member": [str(p.id) for p in people[:8]]}
    )
    assert sheet.status_code == 200
    svgs = _svgs(sheet.text)
    assert len(svgs) == 8 and sheet.text.count('class="member-card"') == 8
    links = {decode_svg(svg) for svg in svgs}
    assert len(links) == 8
    assert session.scalar(select(MemberCard.id).where(MemberCard.revoked_at.is_(None))) is not None

    signed = unescape(re.search(r'name="cards" value="([^"]+)"', sheet.text).group(1))  # type: ignore[union-attr]
    pdf = client.post(f"/broker/banks/{bank.id}/cards/pdf", data={"cards": signed})
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert pdf.headers["Cache-Control"] == "no-store"
    assert pdf.data.startswith(b"%PDF-")
    objects = re.findall(rb"\d+ 0 obj(.*?)endobj", pdf.data, re.S)
    pages = [o for o in objects if re.search(rb"/Type\s*/Page\b", o)]
    assert [p.count(b"/S /URI") for p in pages] == [8]
    for link in links:
        assert link.encode() in pdf.data


def test_the_sheet_needs_one_to_eight_members(broker, make_member) -> None:
    client, bank, _coordinator = broker
    people = [make_member(bank, f"Member Number{n}") for n in range(9)]
    none = client.post(f"/broker/banks/{bank.id}/cards/sheet", data={})
    assert none.status_code == 400 and "Tick at least one member." in none.text
    nine = client.post(
        f"/broker/banks/{bank.id}/cards/sheet", data={"member": [str(p.id) for p in people]}
    )
    assert nine.status_code == 400 and "A sheet holds 8 cards" in nine.text


def test_the_pdf_of_a_replaced_card_is_refused(broker, make_member) -> None:
    client, bank, _coordinator = broker
    joan = make_member(bank, "Joan Murphy")
    first = _issue(client, bank.id, joan.id)
    signed = unescape(re.search(r'name="cards" value="([^"]+)"', first).group(1))  # type: ignore[union-attr]
    assert (
        client.post(f"/broker/banks/{bank.id}/cards/pdf", data={"cards": signed}).status_code == 200
    )
    _issue(client, bank.id, joan.id)
    assert (
        client.post(f"/broker/banks/{bank.id}/cards/pdf", data={"cards": signed}).status_code == 409
    )
    assert (
        client.post(f"/broker/banks/{bank.id}/cards/pdf", data={"cards": "forged"}).status_code
        == 400
    )


def test_another_banks_coordinator_gets_404_on_every_card_route(
    broker, session: Session, make_bank, make_member, make_user, sign_in
) -> None:
    client, bank, _coordinator = broker
    joan = make_member(bank, "Joanna Secretname")
    page = _issue(client, bank.id, joan.id)
    signed = unescape(re.search(r'name="cards" value="([^"]+)"', page).group(1))  # type: ignore[union-attr]
    client.post("/sign-out")
    theirs = make_bank()
    sign_in(make_user("coordinator", banks=[theirs]))
    base = f"/broker/banks/{bank.id}"
    for method, path, data in [
        ("GET", f"{base}/members/{joan.id}/card", {}),
        ("POST", f"{base}/members/{joan.id}/card", {}),
        ("GET", f"{base}/members/{joan.id}/card/pin", {}),
        ("POST", f"{base}/members/{joan.id}/card/pin", {"pin": PIN, "confirm": PIN}),
        ("GET", f"{base}/cards/sheet?members={joan.id}", {}),
        ("POST", f"{base}/cards/sheet", {"member": str(joan.id)}),
        ("POST", f"{base}/cards/pdf", {"cards": signed}),
    ]:
        response = client.open(path, method=method, data=data)
        assert response.status_code == 404, (method, path)
        assert "Secretname" not in response.text
    # nor through their own bank's address
    for path in (f"/members/{joan.id}/card", f"/members/{joan.id}/card/pin"):
        assert client.get(f"/broker/banks/{theirs.id}{path}").status_code == 404
    assert client.post(f"/broker/banks/{theirs.id}/members/{joan.id}/card").status_code == 404
    sheet = client.post(f"/broker/banks/{theirs.id}/cards/sheet", data={"member": str(joan.id)})
    assert sheet.status_code == 400
    assert (
        client.post(f"/broker/banks/{theirs.id}/cards/pdf", data={"cards": signed}).status_code
        == 409
    )
    session.expire_all()
    assert cards.current_card(session, joan).pin_hash is None
    assert len(session.scalars(select(MemberCard)).all()) == 1
