"""A member who left with something of every kind kept about them, for the erasure and
subject access tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from timebank import cards
from timebank.banks.models import Bank, Programme
from timebank.banks.operations import create_programme
from timebank.exchanges import HelpDetails, record_exchange
from timebank.exchanges.operations import record_pending
from timebank.members.member_view import add_supporter
from timebank.members.models import Member, Skill
from timebank.members.monitoring_operations import save_answers
from timebank.members.operations import (
    create_member_account,
    record_leaving,
    register_member,
    update_member,
)
from timebank.members.skills import add_offer
from timebank.users import operations as users
from timebank.users.models import User

#: What says who Gustav was, anywhere it was written.
SECRETS = (
    "Gustav",
    "Hiddenname",
    "028 9099 1234",
    "028 9099 5678",
    "Greta Carername",
    "07700 900123",
    "gustav@example.org",
    "fences",
    "clinic",
    "back door",
)


@dataclass
class Leaver:
    bank: Bank
    programme: Programme
    gus: Member
    ann: Member
    bob: Member
    coordinator: User


def make_leaver(session: Session, make_bank, make_user) -> Leaver:
    """Gus, who left, with something of every kind kept about him; Ann and Bob stay."""
    programme = create_programme(session, name="Seed grants", funder="The Fund")
    bank = make_bank(name="Erasure Bank", programme=programme, target_groups=["carer"])
    coordinator = make_user("coordinator", banks=[bank])
    joined = date(2023, 6, 1)
    gus = register_member(
        session,
        bank,
        full_name="Gustav Hiddenname",
        display_name="Gustav",
        joined_on=joined,
        phone="028 9099 1234",
        area="BT9",
        birth_year=1948,
        supporter_name="Greta Carername",
        supporter_phone="07700 900123",
        supporter_relationship="daughter",
        consent_on=joined,
        consent_wording="I, Gustav Hiddenname, agree.",
        needs_large_print=True,
    )
    ann = register_member(session, bank, full_name="Ann Stays", joined_on=joined)
    bob = register_member(session, bank, full_name="Bob Stays", joined_on=joined)
    save_answers(
        session,
        gus,
        {"carer": "yes", "gender": "man", "age_band": "75_84", "dementia": "no"},
        consent_on=joined,
        by=coordinator.id,
    )
    save_answers(session, ann, {"carer": "no", "gender": "woman"}, consent_on=joined, by=None)
    update_member(session, gus, {"phone": "028 9099 5678"}, by=coordinator.id)
    update_member(session, gus, {"phone": "028 9099 1234"}, by=coordinator.id)
    gardening = session.scalars(select(Skill).where(Skill.code == "gardening")).one()
    add_offer(session, gus, gardening, "Mends fences", by=coordinator.id)
    record_exchange(
        session,
        provider=gus,
        receiver=ann,
        help=HelpDetails(minutes=90, given_on=date(2024, 1, 12), note="Lift to the clinic"),
    )
    record_exchange(
        session,
        provider=bob,
        receiver=gus,
        help=HelpDetails(minutes=30, given_on=date(2024, 2, 2), outcome_areas=("social",)),
    )
    record_exchange(
        session, provider=ann, receiver=bob, help=HelpDetails(minutes=45, given_on=date(2024, 2, 9))
    )
    record_pending(
        session,
        provider=gus,
        receiver=bob,
        help=HelpDetails(minutes=20, given_on=date(2024, 2, 12), note="Fixed the back door"),
    )
    cards.issue_card(session, gus, by_user_id=coordinator.id)
    cards.set_pin(session, gus, "2580", by_user_id=coordinator.id)
    add_supporter(session, gus, supporter_member=bob, by=coordinator.id)
    add_supporter(session, ann, supporter_member=gus, by=coordinator.id)
    create_member_account(session, gus, email="gustav@example.org", by=coordinator)
    users.sign_in(session, "Gustav@example.org", "not the password")
    record_leaving(session, gus, on=date(2024, 2, 20), gift_to_pot=False, by=coordinator.id)
    session.commit()
    return Leaver(bank, programme, gus, ann, bob, coordinator)
