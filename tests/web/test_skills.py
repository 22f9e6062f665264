"""Broker pages: offers, requests, matches, a bank's own kinds of help and target groups."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from timebank.audit import AuditEvent
from timebank.exchanges import HelpDetails, record_exchange
from timebank.members import skills
from timebank.members.catalogue import ensure_catalogue
from timebank.members.models import CheckStatus, MemberSkill, MemberSkillStatus, Skill


@pytest.fixture
def catalogue(session: Session) -> dict[str, Skill]:
    found = {s.code: s for s in ensure_catalogue(session)}
    session.commit()
    return found


def _text(response) -> str:  # type: ignore[no-untyped-def]
    return unescape(response.get_data(as_text=True))


def _checked(page: str, value: str) -> bool:
    return re.search(rf'<input[^>]* checked[^>]* value="{value}"', page) is not None


def test_the_bank_page_links_to_requests_kinds_of_help_and_target_groups(broker) -> None:
    client, bank, _coordinator = broker
    page = _text(client.get(f"/broker/banks/{bank.id}"))
    for path in ("requests", "skills", "target-groups"):
        assert f'href="/broker/banks/{bank.id}/{path}"' in page


def test_adding_an_offer_and_a_request_from_the_member_page(
    broker, make_member, session: Session, catalogue
) -> None:
    client, bank, coordinator = broker
    joan = make_member(bank)
    page = _text(client.get(f"/broker/banks/{bank.id}/members/{joan.id}"))
    assert "Offers and requests" in page and "None yet." in page
    form = _text(
        client.get(f"/broker/banks/{bank.id}/members/{joan.id}/skills/new?direction=request")
    )
    assert _checked(form, "request") and not _checked(form, "offer")
    assert "<legend>This is</legend>" in form
    response = client.post(
        f"/broker/banks/{bank.id}/members/{joan.id}/skills/new",
        data={"direction": "offer", "skill": str(catalogue["cooking"].id), "note": " Soup "},
    )
    assert response.status_code == 302
    client.post(
        f"/broker/banks/{bank.id}/members/{joan.id}/skills/new",
        data={"direction": "request", "skill": str(catalogue["lifts"].id), "note": ""},
    )
    offer, wanted = session.scalars(select(MemberSkill).order_by(MemberSkill.id)).all()
    assert (offer.direction, offer.note, wanted.direction) == ("offer", "Soup", "request")
    page = _text(client.get(response.location))
    assert "Added help Joan can give." in page
    assert "Cooking and baking" in page and "Soup" in page and "Lifts and transport" in page
    assert f"/broker/banks/{bank.id}/requests/{wanted.id}/matches" in page
    assert f"/broker/banks/{bank.id}/requests/{offer.id}/matches" not in page
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "offer.added")).one()
    assert event.user_id == coordinator.id


def test_a_duplicate_or_missing_skill_is_explained(
    broker, make_member, session: Session, catalogue
) -> None:
    client, bank, _coordinator = broker
    joan = make_member(bank)
    skills.add_offer(session, joan, catalogue["cooking"], by=None)
    session.commit()
    url = f"/broker/banks/{bank.id}/members/{joan.id}/skills/new"
    page = _text(
        client.post(url, data={"direction": "offer", "skill": str(catalogue["cooking"].id)})
    )
    assert "There is a problem" in page and "Joan already has this on their list." in page
    page = _text(client.post(url, data={"direction": "offer", "skill": ""}))
    assert "Choose the kind of help" in page


def test_editing_the_note_and_changing_the_status(
    broker, make_member, session: Session, catalogue
) -> None:
    client, bank, _coordinator = broker
    joan = make_member(bank)
    offer = skills.add_offer(session, joan, catalogue["diy"], "Shelves", by=None)
    wanted = skills.add_request(session, joan, catalogue["lifts"], by=None)
    session.commit()
    form = _text(client.get(f"/broker/banks/{bank.id}/skills/{offer.id}/edit"))
    assert "Shelves" in form and "Help Joan can give" in form
    response = client.post(
        f"/broker/banks/{bank.id}/skills/{offer.id}/edit", data={"note": "Shelves and rails"}
    )
    assert response.status_code == 302
    status = f"/broker/banks/{bank.id}/skills/{{}}/status"
    assert client.post(status.format(offer.id), data={"status": "paused"}).status_code == 302
    assert client.post(status.format(offer.id), data={"status": "done"}).status_code == 400
    assert client.post(status.format(offer.id), data={"status": "gone"}).status_code == 400
    response = client.post(status.format(wanted.id), data={"status": "done", "next": "requests"})
    assert response.location.endswith(f"/broker/banks/{bank.id}/requests")
    session.expire_all()
    assert offer.note == "Shelves and rails" and offer.status == MemberSkillStatus.PAUSED
    assert wanted.status == MemberSkillStatus.DONE
    page = _text(client.get(f"/broker/banks/{bank.id}/members/{joan.id}"))
    assert "Open again" in page and "Met" in page


def test_another_banks_offers_and_requests_are_not_found(
    broker, make_bank, make_member, session: Session, catalogue
) -> None:
    client, bank, _coordinator = broker
    other = make_bank()
    stranger = make_member(other, "Noel Campbell")
    theirs = skills.add_request(session, stranger, catalogue["lifts"], by=None)
    session.commit()
    for bank_id in (bank.id, other.id):
        base = f"/broker/banks/{bank_id}"
        assert client.get(f"{base}/skills/{theirs.id}/edit").status_code == 404
        assert client.post(f"{base}/skills/{theirs.id}/edit", data={"note": "x"}).status_code == 404
        assert (
            client.post(f"{base}/skills/{theirs.id}/status", data={"status": "done"}).status_code
            == 404
        )
        assert client.get(f"{base}/requests/{theirs.id}/matches").status_code == 404
        assert client.get(f"{base}/members/{stranger.id}/skills/new").status_code == 404
    session.expire_all()
    assert theirs.status == MemberSkillStatus.OPEN and theirs.note == ""


def test_an_offer_has_no_match_page(broker, make_member, session: Session, catalogue) -> None:
    client, bank, _coordinator = broker
    offer = skills.add_offer(session, make_member(bank), catalogue["diy"], by=None)
    session.commit()
    assert client.get(f"/broker/banks/{bank.id}/requests/{offer.id}/matches").status_code == 404


def test_the_open_requests_page(broker, make_member, session: Session, catalogue) -> None:
    client, bank, _coordinator = broker
    joan = make_member(bank, "Joan Murphy", area="BT9")
    wanted = skills.add_request(session, joan, catalogue["shopping"], "Fridays", by=None)
    met = skills.add_request(session, joan, catalogue["diy"], by=None)
    skills.set_status(session, met, MemberSkillStatus.DONE, by=None)
    session.commit()
    page = _text(client.get(f"/broker/banks/{bank.id}/requests"))
    assert "1 open request" in page and "Shopping for Joan" in page and "Fridays" in page
    assert f"/broker/banks/{bank.id}/requests/{wanted.id}/matches" in page
    assert "Small DIY jobs" not in page


def test_the_match_page_lists_nearby_helpers_first_with_warnings_and_log_links(
    broker, make_member, session: Session, catalogue
) -> None:
    client, bank, _coordinator = broker
    today = bank.today()
    joan = make_member(bank, "Joan Murphy", area="BT9")
    wanted = skills.add_request(session, joan, catalogue["shopping"], "Big shop", by=None)
    seamus = make_member(bank, "Seamus Kelly", area="BT9", phone="07700 900111", visits_homes=True)
    agnes = make_member(
        bank,
        "Agnes Boyle",
        area="BT9",
        phone="07700 900222",
        visits_homes=True,
        reference_check=CheckStatus.CLEAR,
        dbs_check=CheckStatus.CLEAR,
        dbs_expires_on=today - timedelta(days=3),
    )
    colm = make_member(bank, "Colm Smyth", area="BT7", phone="07700 900333")
    for member in (seamus, agnes, colm):
        skills.add_offer(session, member, catalogue["shopping"], "Has a car", by=None)
    record_exchange(
        session, provider=seamus, receiver=colm, help=HelpDetails(minutes=120, given_on=today)
    )
    session.commit()
    page = _text(client.get(f"/broker/banks/{bank.id}/requests/{wanted.id}/matches"))
    assert "Who could help Joan" in page and "Big shop" in page
    nearby = page.index("Nearby, in BT9")
    elsewhere = page.index("Elsewhere in the time bank")
    assert nearby < page.index("Seamus Kelly") < page.index("Agnes Boyle") < elsewhere
    assert elsewhere < page.index("Colm Smyth")
    assert "07700 900111" in page and "07700 900333" in page
    assert "references not received; no clear DBS check" in page
    assert "DBS check out of date" in page
    assert "gave 2 hours, received 0 minutes" in page
    log = f"/broker/banks/{bank.id}/exchanges/new?provider={seamus.id}&request={wanted.id}"
    assert f'href="{log}"' in page.replace("&amp;", "&")
    # the link opens the log form with the request filled in
    form = _text(client.get(log))
    assert "This answers Joan's request." in form and "Seamus Kelly" in form


def test_a_bank_adds_its_own_kind_of_help(broker, make_bank, session: Session, catalogue) -> None:
    client, bank, _coordinator = broker
    page = _text(client.get(f"/broker/banks/{bank.id}/skills"))
    assert "None yet." in page and "Shopping" in page
    response = client.post(f"/broker/banks/{bank.id}/skills", data={"name": " Bee keeping "})
    assert response.status_code == 302
    assert "Added “Bee keeping”." in _text(client.get(response.location))
    skill = session.scalars(select(Skill).where(Skill.bank_id == bank.id)).one()
    assert skill.name == "Bee keeping"
    page = _text(client.post(f"/broker/banks/{bank.id}/skills", data={"name": "shopping"}))
    assert "That kind of help is already on the list." in page
    # it is offered in the add form of this bank, not another's
    other = make_bank()
    assert client.get(f"/broker/banks/{other.id}/skills").status_code == 404


def test_target_groups_are_chosen_by_the_banks_coordinator_or_an_admin(
    client: FlaskClient, make_bank, make_user, sign_in, session: Session
) -> None:
    bank = make_bank(target_groups=["carer"])
    url = f"/broker/banks/{bank.id}/target-groups"
    sign_in(make_user("coordinator", banks=[make_bank()]))
    assert client.get(url).status_code == 404
    client.post("/sign-out")
    sign_in(make_user("funder"))
    assert client.get(url).status_code == 403
    client.post("/sign-out")
    sign_in(make_user("coordinator", banks=[bank]))
    page = _text(client.get(url))
    assert "<legend>Who was this time bank funded to reach?</legend>" in page
    assert _checked(page, "carer") and not _checked(page, "lives_alone")
    response = client.post(url, data={"target_groups": ["lives_alone", "age_85_plus"]})
    assert response.status_code == 302
    client.post("/sign-out")
    admin = make_user("admin")
    sign_in(admin)
    assert client.post(url, data={"target_groups": ["dementia"]}).status_code == 302
    session.expire_all()
    assert bank.target_groups == ["dementia"]
    events = session.scalars(select(AuditEvent).where(AuditEvent.action == "bank.target_groups"))
    assert [e.user_id for e in events][-1] == admin.id
