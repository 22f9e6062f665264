"""Offers and requests, a bank's own kinds of help, and matching a request to offers."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from timebank import ledger
from timebank.audit import AuditEvent
from timebank.exchanges import HelpDetails, record_exchange
from timebank.members import skills
from timebank.members.catalogue import ensure_catalogue
from timebank.members.models import MemberSkillStatus, MemberStatus, Skill, SkillDirection
from timebank.members.operations import record_leaving, set_status


@pytest.fixture
def catalogue(session: Session) -> dict[str, Skill]:
    found = {s.code: s for s in ensure_catalogue(session)}
    session.commit()
    return found


def _events(session: Session, action: str) -> list[AuditEvent]:
    return list(session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def test_a_member_offers_and_requests_help_with_notes(
    session: Session, make_bank, make_member, catalogue
) -> None:
    bank = make_bank()
    joan = make_member(bank)
    offer = skills.add_offer(session, joan, catalogue["cooking"], "  Soup on Fridays ", by=None)
    wanted = skills.add_request(session, joan, catalogue["lifts"], by=None)
    session.commit()
    assert offer.direction == SkillDirection.OFFER and offer.note == "Soup on Fridays"
    assert wanted.direction == SkillDirection.REQUEST and wanted.status == MemberSkillStatus.OPEN
    assert [s.id for s in joan.skills] == [offer.id, wanted.id]
    assert [e.details["skill"] for e in _events(session, "offer.added")] == ["cooking"]
    assert [e.details["skill"] for e in _events(session, "request.added")] == ["lifts"]


def test_the_same_open_offer_twice_is_refused_but_a_met_request_can_be_asked_again(
    session: Session, make_bank, make_member, catalogue
) -> None:
    joan = make_member(make_bank())
    skills.add_offer(session, joan, catalogue["cooking"], by=None)
    with pytest.raises(skills.SkillError) as refused:
        skills.add_offer(session, joan, catalogue["cooking"], by=None)
    assert refused.value.code == "duplicate"
    wanted = skills.add_request(session, joan, catalogue["cooking"], by=None)
    skills.set_status(session, wanted, MemberSkillStatus.DONE, by=None)
    again = skills.add_request(session, joan, catalogue["cooking"], by=None)
    assert again.id != wanted.id
    session.commit()


def test_another_banks_skill_and_a_member_who_left_are_refused(
    session: Session, make_bank, make_member, catalogue
) -> None:
    bank, other = make_bank(), make_bank()
    theirs = skills.add_bank_skill(session, other, "Bee keeping", by=None)
    joan = make_member(bank)
    with pytest.raises(skills.SkillError) as refused:
        skills.add_offer(session, joan, theirs, by=None)
    assert refused.value.code == "other_bank"
    record_leaving(session, joan, on=bank.today(), gift_to_pot=False, by=None)
    with pytest.raises(skills.SkillError) as left:
        skills.add_offer(session, joan, catalogue["diy"], by=None)
    assert left.value.code == "member_left"
    session.commit()


def test_pausing_resuming_and_meeting_are_recorded(
    session: Session, make_bank, make_member, catalogue
) -> None:
    joan = make_member(make_bank())
    offer = skills.add_offer(session, joan, catalogue["diy"], by=None)
    wanted = skills.add_request(session, joan, catalogue["lifts"], by=None)
    skills.set_status(session, offer, MemberSkillStatus.PAUSED, by=None)
    skills.set_status(session, offer, MemberSkillStatus.OPEN, by=None)
    skills.set_status(session, wanted, MemberSkillStatus.DONE, by=None)
    with pytest.raises(skills.SkillError):
        skills.set_status(session, offer, MemberSkillStatus.DONE, by=None)
    session.commit()
    assert offer.status == MemberSkillStatus.OPEN and wanted.status == MemberSkillStatus.DONE
    assert [e.details["status"] for e in _events(session, "offer.status")] == [
        ["open", "paused"],
        ["paused", "open"],
    ]
    assert [e.details["status"] for e in _events(session, "request.status")] == [["open", "done"]]


def test_editing_a_note_keeps_before_and_after(
    session: Session, make_bank, make_member, catalogue
) -> None:
    joan = make_member(make_bank())
    offer = skills.add_offer(session, joan, catalogue["diy"], "Shelves", by=None)
    assert skills.update_note(session, offer, "Shelves and curtain rails", by=None)
    assert not skills.update_note(session, offer, " Shelves and curtain rails ", by=None)
    session.commit()
    (event,) = _events(session, "offer.updated")
    assert event.details["note"] == ["Shelves", "Shelves and curtain rails"]


def test_a_bank_adds_its_own_kinds_of_help(session: Session, make_bank, catalogue) -> None:
    bank, other = make_bank(), make_bank()
    bees = skills.add_bank_skill(session, bank, "  Bee   keeping ", by=None)
    also = skills.add_bank_skill(session, bank, "Bee-keeping", by=None)
    theirs = skills.add_bank_skill(session, other, "Bee keeping", by=None)
    session.commit()
    assert (bees.name, bees.code, bees.bank_id) == ("Bee keeping", "bee_keeping", bank.id)
    assert also.code == "bee_keeping_2"
    assert theirs.code == "bee_keeping"
    for taken in ("bee keeping", "Shopping", "  "):
        with pytest.raises(skills.SkillError):
            skills.add_bank_skill(session, bank, taken, by=None)
    usable = skills.bank_skills(session, bank.id)
    assert bees in usable and catalogue["shopping"] in usable and theirs not in usable
    assert skills.own_skills(session, bank.id) == [bees, also]
    assert len(_events(session, "skill.added")) == 3


def test_open_requests_lists_the_longest_waiting_first(
    session: Session, make_bank, make_member, catalogue
) -> None:
    bank, other = make_bank(), make_bank()
    joan, seamus = make_member(bank, "Joan Murphy"), make_member(bank, "Seamus Kelly")
    first = skills.add_request(session, seamus, catalogue["lifts"], by=None)
    second = skills.add_request(session, joan, catalogue["shopping"], by=None)
    met = skills.add_request(session, joan, catalogue["diy"], by=None)
    skills.set_status(session, met, MemberSkillStatus.DONE, by=None)
    skills.add_offer(session, joan, catalogue["cooking"], by=None)
    skills.add_request(session, make_member(other), catalogue["lifts"], by=None)
    session.commit()
    assert skills.open_requests(session, bank.id) == [first, second]


# -- matching -------------------------------------------------------------------------------------


@pytest.fixture
def street(session: Session, make_bank, make_member, catalogue):
    """Joan (BT9) wants shopping; several members offer it, near and far."""
    bank = make_bank()
    joan = make_member(bank, "Joan Murphy", area="BT9")
    wanted = skills.add_request(session, joan, catalogue["shopping"], by=None)
    people = {
        name: make_member(bank, name, area=area)
        for name, area in [
            ("Seamus Kelly", "BT9"),
            ("Agnes Boyle", "BT9"),
            ("Bridie Quinn", "BT9"),
            ("Colm Smyth", "BT7"),
            ("Rose Doherty", ""),
        ]
    }
    for member in people.values():
        skills.add_offer(session, member, catalogue["shopping"], by=None)
    session.commit()
    return bank, joan, wanted, people


def _names(candidates: list[skills.Candidate]) -> list[str]:
    return [c.member.full_name for c in candidates]


def test_matches_show_the_same_district_first_then_the_rest_of_the_bank(
    session: Session, street
) -> None:
    bank, _joan, wanted, _people = street
    found = skills.matches(session, wanted, bank.today())
    # nobody has given or received yet: by name
    assert _names(found.nearby) == ["Agnes Boyle", "Bridie Quinn", "Seamus Kelly"]
    assert _names(found.elsewhere) == ["Colm Smyth", "Rose Doherty"]


def test_those_who_gave_much_and_received_little_come_first(
    session: Session, street, make_member
) -> None:
    bank, joan, wanted, people = street
    today = bank.today()
    seamus, agnes, bridie = people["Seamus Kelly"], people["Agnes Boyle"], people["Bridie Quinn"]
    someone = make_member(bank, "Kathleen Wilson")
    # Seamus gave 3 hours; Bridie gave 2 and received 1; Agnes received 1
    record_exchange(
        session, provider=seamus, receiver=someone, help=HelpDetails(minutes=180, given_on=today)
    )
    record_exchange(
        session, provider=bridie, receiver=someone, help=HelpDetails(minutes=120, given_on=today)
    )
    record_exchange(
        session, provider=someone, receiver=bridie, help=HelpDetails(minutes=60, given_on=today)
    )
    record_exchange(
        session, provider=someone, receiver=agnes, help=HelpDetails(minutes=60, given_on=today)
    )
    # help over a year ago does not count
    old = today - timedelta(days=400)
    record_exchange(
        session, provider=agnes, receiver=someone, help=HelpDetails(minutes=240, given_on=old)
    )
    session.commit()
    found = skills.matches(session, wanted, today)
    assert _names(found.nearby) == ["Seamus Kelly", "Bridie Quinn", "Agnes Boyle"]
    assert [(c.given, c.received, c.balance) for c in found.nearby] == [
        (180, 0, 180),
        (120, 60, 60),
        (0, 60, -60),
    ]
    assert joan.id not in {c.member.id for c in found.nearby + found.elsewhere}


def test_a_reversed_exchange_counts_for_nobody(session: Session, street, make_member) -> None:
    bank, _joan, wanted, people = street
    today = bank.today()
    someone = make_member(bank, "Kathleen Wilson")
    slip = record_exchange(
        session,
        provider=people["Seamus Kelly"],
        receiver=someone,
        help=HelpDetails(minutes=240, given_on=today),
    ).transfer
    record_exchange(
        session,
        provider=people["Bridie Quinn"],
        receiver=someone,
        help=HelpDetails(minutes=60, given_on=today),
    )
    ledger.reverse(session, slip.id, "Logged twice by mistake")
    session.commit()
    found = skills.matches(session, wanted, today)
    assert _names(found.nearby) == ["Bridie Quinn", "Agnes Boyle", "Seamus Kelly"]
    assert (found.nearby[2].given, found.nearby[2].received) == (0, 0)


def test_paused_offers_paused_members_and_other_banks_are_left_out(
    session: Session, street, make_bank, make_member, catalogue
) -> None:
    bank, _joan, wanted, people = street
    skills.set_status(session, people["Agnes Boyle"].skills[0], MemberSkillStatus.PAUSED, by=None)
    set_status(session, people["Colm Smyth"], MemberStatus.PAUSED, by=None)
    stranger = make_member(make_bank(), "Noel Campbell", area="BT9")
    skills.add_offer(session, stranger, catalogue["shopping"], by=None)
    skills.add_offer(session, people["Rose Doherty"], catalogue["lifts"], by=None)
    session.commit()
    found = skills.matches(session, wanted, bank.today())
    assert _names(found.nearby) == ["Bridie Quinn", "Seamus Kelly"]
    assert _names(found.elsewhere) == ["Rose Doherty"]


def test_a_requester_with_no_area_sees_everyone_as_elsewhere(
    session: Session, make_bank, make_member, catalogue
) -> None:
    bank = make_bank()
    joan = make_member(bank)
    wanted = skills.add_request(session, joan, catalogue["diy"], by=None)
    skills.add_offer(session, make_member(bank, "Liam Quinn", area=""), catalogue["diy"], by=None)
    session.commit()
    found = skills.matches(session, wanted, bank.today())
    assert found.nearby == [] and _names(found.elsewhere) == ["Liam Quinn"]
