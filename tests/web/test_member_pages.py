"""The member's own pages through the Flask test client: each page, the pending exchange's whole
life through them, supporters, and one member never reaching another's figures."""

from __future__ import annotations

import re
import time
from datetime import date, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from flask_babel import refresh
from sqlalchemy import select
from sqlalchemy.orm import Session

from timebank import cards, ledger
from timebank.audit import AuditEvent
from timebank.banks.models import Bank
from timebank.db import utcnow
from timebank.exchanges import HelpDetails, record_exchange
from timebank.ledger import PendingStatus, PendingTransfer
from timebank.members import member_view, skills
from timebank.members.models import Member, MemberSkill, MemberSkillStatus, MemberSupporter, Skill
from timebank.members.operations import member_account


def sign_in_member(client: FlaskClient, session: Session, member: Member) -> FlaskClient:
    """Sign ``client`` in as ``member``, as the card's PIN page would (tested elsewhere)."""
    card, _token = cards.issue_card(session, member, by_user_id=None)
    session.commit()
    with client.session_transaction() as stored:
        stored["member_card_id"] = card.id
        stored["member_signed_in_at"] = int(time.time())
    return client


def skill(session: Session, code: str) -> Skill:
    return session.scalars(select(Skill).where(Skill.code == code, Skill.bank_id.is_(None))).one()


@pytest.fixture
def bank(make_bank) -> Bank:  # type: ignore[no-untyped-def]
    return make_bank(name="Riverside Time Bank", help_phone="028 9000 1234")


@pytest.fixture
def joan(make_member, bank: Bank) -> Member:  # type: ignore[no-untyped-def]
    return make_member(bank, "Joan Murphy", display_name="Joan", area="BT9")


@pytest.fixture
def seamus(make_member, bank: Bank) -> Member:  # type: ignore[no-untyped-def]
    return make_member(bank, "Seamus Kelly", display_name="Seamus", phone="07700 900123")


@pytest.fixture
def as_seamus(app: Flask, session: Session, seamus: Member) -> FlaskClient:
    return sign_in_member(app.test_client(), session, seamus)


@pytest.fixture
def as_joan(app: Flask, session: Session, joan: Member) -> FlaskClient:
    return sign_in_member(app.test_client(), session, joan)


def form_key(page: str) -> str:
    found = re.search(r'name="key" type="hidden" value="([0-9a-f]{32})"', page) or re.search(
        r'name="key" value="([0-9a-f]{32})"', page
    )
    assert found, page
    return found.group(1)


def record_form(to: Member, what: Skill, key: str, **overrides: str) -> dict[str, str]:
    data = {
        "receiver": str(to.id),
        "skill": str(what.id),
        "hours": "1",
        "minutes": "30",
        "when": "today",
        "key": key,
    }
    data.update(overrides)
    return data


def pendings(session: Session) -> list[PendingTransfer]:
    session.expire_all()
    return list(session.scalars(select(PendingTransfer).order_by(PendingTransfer.id)))


def actions(session: Session, action: str) -> list[AuditEvent]:
    session.expire_all()
    return list(session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


# -- signed out ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/me", "/me/offers", "/me/needs", "/me/record", "/me/help", "/me/statement"]
)
def test_every_page_asks_a_stranger_to_scan_their_card(
    client: FlaskClient, bank: Bank, path: str
) -> None:
    page = client.get(path)
    assert page.status_code == 302
    assert page.headers["Location"].endswith("/me/signed-out")


# -- My time ------------------------------------------------------------------------------------


def test_my_time_shows_the_balance_in_words_this_year_and_the_last_exchanges(
    session: Session, as_joan: FlaskClient, joan: Member, seamus: Member
) -> None:
    shopping = skill(session, "shopping")
    today = joan.bank.today()
    record_exchange(
        session,
        provider=joan,
        receiver=seamus,
        help=HelpDetails(minutes=210, given_on=today, skill_id=shopping.id),
    )
    record_exchange(
        session, provider=seamus, receiver=joan, help=HelpDetails(minutes=60, given_on=today)
    )
    session.commit()
    page = as_joan.get("/me")
    assert page.status_code == 200
    body = page.text
    assert "You have 2 hours, 30 minutes in the bank." in body
    assert "Hours given: 3 hours, 30 minutes" in body
    assert "Hours received: 1 hour" in body
    assert "Shopping, for Seamus: 3 hours, 30 minutes given." in body
    assert "Help, from Seamus: 1 hour received." in body
    assert "Sign out on this phone" in body
    assert 'action="/me/sign-out"' in body
    assert "<script" not in body and "style=" not in body
    assert "member.css" in body and 'class="member"' in body
    for word in ("credit", "ledger", "transaction", "user"):
        assert word not in re.sub(r"<[^>]+>", " ", body).lower(), word


def test_a_negative_balance_is_said_kindly(
    session: Session, as_joan: FlaskClient, joan: Member, seamus: Member
) -> None:
    record_exchange(session, provider=seamus, receiver=joan, help=HelpDetails(minutes=120))
    session.commit()
    body = as_joan.get("/me").text
    assert "You have used 2 hours more than you have given so far." in body
    assert "That's fine: the bank is here for you." in body


def test_last_year_is_not_this_year(
    session: Session, as_joan: FlaskClient, joan: Member, seamus: Member
) -> None:
    today = joan.bank.today()
    last_year = date(today.year - 1, 6, 1)
    record_exchange(
        session, provider=joan, receiver=seamus, help=HelpDetails(minutes=60, given_on=last_year)
    )
    session.commit()
    totals = member_view.year_totals(session, joan, today)
    assert (totals.given, totals.received) == (0, 0)
    assert "You have 1 hour in the bank." in as_joan.get("/me").text


def test_a_correction_takes_back_what_it_corrects(
    session: Session, as_joan: FlaskClient, joan: Member, seamus: Member
) -> None:
    transfer = record_exchange(
        session, provider=joan, receiver=seamus, help=HelpDetails(minutes=60)
    ).transfer
    session.commit()
    ledger.reverse(session, transfer.id, reason="logged twice")
    session.commit()
    totals = member_view.year_totals(session, joan, joan.bank.today())
    assert (totals.given, totals.received) == (0, 0)
    body = as_joan.get("/me").text
    assert "(put right later)" in body and "A correction, with Seamus" in body


def test_my_time_lists_at_most_ten_exchanges(
    session: Session, as_joan: FlaskClient, joan: Member, seamus: Member
) -> None:
    for _ in range(12):
        record_exchange(session, provider=joan, receiver=seamus, help=HelpDetails(minutes=15))
    session.commit()
    body = as_joan.get("/me").text
    assert body.count("for Seamus: 15 minutes given.") == 10


# -- the pending exchange through the pages -----------------------------------------------------


def test_recording_help_checks_then_sends_then_the_other_member_confirms(
    session: Session,
    as_seamus: FlaskClient,
    as_joan: FlaskClient,
    joan: Member,
    seamus: Member,
) -> None:
    shopping = skill(session, "shopping")
    step1 = as_seamus.get("/me/record")
    assert step1.status_code == 200
    assert f"Joan, member {joan.member_number}" in step1.text and "Step 1 of 2" in step1.text
    assert "Seamus, member" not in step1.text  # not yourself
    key = form_key(step1.text)
    check = as_seamus.post("/me/record", data=record_form(joan, shopping, key))
    assert check.status_code == 200, check.text
    assert "Check and send" in check.text and "1 hour, 30 minutes" in check.text
    assert pendings(session) == []  # nothing is sent until "Send"
    sent = as_seamus.post("/me/record/send", data=record_form(joan, shopping, key))
    assert sent.status_code == 302
    done = as_seamus.get(sent.headers["Location"])
    assert "<h1>Thank you</h1>" in done.text
    assert "We've asked Joan to say it happened." in done.text
    (pending,) = pendings(session)
    assert pending.status == PendingStatus.PENDING
    assert pending.from_account_id == member_account(session, joan.id).id
    assert pending.to_account_id == member_account(session, seamus.id).id
    assert pending.amount == 90 and pending.created_by_member_id == seamus.id
    assert member_account(session, seamus.id).balance == 0  # moves nothing yet
    assert "Waiting for the other member" in as_seamus.get("/me").text
    assert len(actions(session, "pending.recorded")) == 1

    mine = as_joan.get("/me").text
    assert "Seamus says they helped you" in mine
    assert "Yes, this happened" in mine and "No, this didn't happen" in mine
    confirmed = as_joan.post(f"/me/waiting/{pending.id}/yes")
    assert confirmed.status_code == 302
    session.expire_all()
    assert member_account(session, seamus.id).balance == 90
    assert member_account(session, joan.id).balance == -90
    assert pendings(session)[0].status == PendingStatus.POSTED
    assert pendings(session)[0].resolved_by_member_id == joan.id
    after = as_joan.get("/me").text
    assert "Thank you. The hours are now in the bank." in after
    assert "Yes, this happened" not in after
    assert "Shopping, from Seamus: 1 hour, 30 minutes received." in after
    # answering twice is refused in plain words, and moves nothing more
    again = as_joan.post(f"/me/waiting/{pending.id}/yes", follow_redirects=True)
    assert "This has already been answered." in again.text
    assert member_account(session, seamus.id).balance == 90
    assert len(actions(session, "pending.confirmed")) == 1


def test_sending_twice_records_once(session: Session, as_seamus: FlaskClient, joan: Member) -> None:
    shopping = skill(session, "shopping")
    key = form_key(as_seamus.get("/me/record").text)
    first = as_seamus.post("/me/record/send", data=record_form(joan, shopping, key))
    second = as_seamus.post("/me/record/send", data=record_form(joan, shopping, key))
    assert first.headers["Location"] == second.headers["Location"]
    assert len(pendings(session)) == 1
    assert len(actions(session, "pending.recorded")) == 1
    # the same key with other details is refused
    other = as_seamus.post("/me/record/send", data=record_form(joan, shopping, key, hours="3"))
    assert other.status_code == 400
    assert "already sent with other details" in other.text
    assert len(pendings(session)) == 1


def test_the_receiver_can_say_it_did_not_happen(
    session: Session, as_seamus: FlaskClient, as_joan: FlaskClient, joan: Member, seamus: Member
) -> None:
    shopping = skill(session, "shopping")
    key = form_key(as_seamus.get("/me/record").text)
    as_seamus.post("/me/record/send", data=record_form(joan, shopping, key))
    (pending,) = pendings(session)
    declined = as_joan.post(f"/me/waiting/{pending.id}/no", follow_redirects=True)
    assert "We will not count it." in declined.text
    (pending,) = pendings(session)
    assert pending.status == PendingStatus.VOIDED and pending.resolved_by_member_id == joan.id
    assert member_account(session, seamus.id).balance == 0
    assert len(actions(session, "pending.declined")) == 1
    assert "said it did not happen" in as_seamus.get(f"/me/record/sent/{pending.id}").text


def test_the_giver_cannot_confirm_their_own_help(
    session: Session, as_seamus: FlaskClient, joan: Member
) -> None:
    shopping = skill(session, "shopping")
    key = form_key(as_seamus.get("/me/record").text)
    as_seamus.post("/me/record/send", data=record_form(joan, shopping, key))
    (pending,) = pendings(session)
    assert as_seamus.post(f"/me/waiting/{pending.id}/yes").status_code == 404
    assert as_seamus.post(f"/me/waiting/{pending.id}/no").status_code == 404
    assert pendings(session)[0].status == PendingStatus.PENDING


def test_unanswered_help_lapses_after_thirty_days(
    session: Session,
    runner: FlaskCliRunner,
    as_seamus: FlaskClient,
    as_joan: FlaskClient,
    joan: Member,
    seamus: Member,
) -> None:
    shopping = skill(session, "shopping")
    request = ledger.TransferRequest(
        bank_id=joan.bank_id,
        unit=ledger.Unit.HOURS,
        kind=ledger.TransferKind.EXCHANGE,
        from_account_id=member_account(session, joan.id).id,
        to_account_id=member_account(session, seamus.id).id,
        amount=60,
        skill_id=shopping.id,
        given_on=joan.bank.today() - timedelta(days=31),
    )
    pending = ledger.pend(
        session, request, by_member_id=seamus.id, now=utcnow() - timedelta(days=31)
    )
    session.commit()
    page = as_joan.get("/me").text  # past its deadline it is shown as lapsed...
    assert "Yes, this happened" not in page
    assert "lapsed" in as_seamus.get(f"/me/record/sent/{pending.id}").text
    session.expire_all()
    assert pendings(session)[0].status == PendingStatus.PENDING  # ...but viewing writes nothing
    answered = as_joan.post(f"/me/waiting/{pending.id}/yes", follow_redirects=True)
    assert "it has lapsed" in answered.text
    assert member_account(session, seamus.id).balance == 0
    # the daily job marks it so
    assert runner.invoke(args=["expire-pending"]).exit_code == 0
    session.expire_all()
    assert pendings(session)[0].status == PendingStatus.EXPIRED
    assert "lapsed" in as_seamus.get(f"/me/record/sent/{pending.id}").text


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"hours": "0", "minutes": "0"}, "Choose how long you helped"),
        ({"hours": "24", "minutes": "15"}, "at most 24 hours"),
        ({"receiver": "0"}, "Choose who you helped"),
        ({"skill": "0"}, "Choose the kind of help"),
        ({"when": "other"}, "Enter the day you helped"),
        ({"when": "other", "other_day": "2001-01-01"}, "more than 90 days ago"),
        ({"when": "other", "other_day": "2999-01-01"}, "has not come yet"),
    ],
)
def test_recording_help_explains_each_problem(
    session: Session, as_seamus: FlaskClient, joan: Member, overrides: dict, message: str
) -> None:
    shopping = skill(session, "shopping")
    key = form_key(as_seamus.get("/me/record").text)
    page = as_seamus.post("/me/record", data=record_form(joan, shopping, key, **overrides))
    assert page.status_code == 400
    assert "There is a problem" in page.text and message in page.text


def test_yesterday_and_another_day(session: Session, as_seamus: FlaskClient, joan: Member) -> None:
    shopping = skill(session, "shopping")
    today = joan.bank.today()
    for when, extra, expected in [
        ("yesterday", {}, today - timedelta(days=1)),
        ("other", {"other_day": (today - timedelta(days=90)).isoformat()}, today - timedelta(90)),
    ]:
        key = form_key(as_seamus.get("/me/record").text)
        sent = as_seamus.post(
            "/me/record/send", data=record_form(joan, shopping, key, when=when, **extra)
        )
        assert sent.status_code == 302, sent.text
        assert pendings(session)[-1].given_on == expected


def test_a_refusal_from_the_books_is_in_plain_words(
    session: Session, as_seamus: FlaskClient, joan: Member
) -> None:
    shopping = skill(session, "shopping")
    ledger.set_limits(session, member_account(session, joan.id).id, floor=-30, ceiling=None)
    session.commit()
    key = form_key(as_seamus.get("/me/record").text)
    page = as_seamus.post("/me/record/send", data=record_form(joan, shopping, key))
    assert page.status_code == 400
    assert "Joan cannot receive this much help for now. Please ring your broker." in page.text
    assert pendings(session) == []


def test_change_something_goes_back_with_the_answers_kept(
    session: Session, as_seamus: FlaskClient, joan: Member
) -> None:
    shopping = skill(session, "shopping")
    key = form_key(as_seamus.get("/me/record").text)
    data = record_form(joan, shopping, key, change="1")
    page = as_seamus.post("/me/record", data=data)
    assert page.status_code == 200 and "Step 1 of 2" in page.text
    assert f'<option selected value="{joan.id}">' in page.text
    assert key in page.text and "There is a problem" not in page.text


# -- offers and requests, and what the bank needs -----------------------------------------------


def test_a_member_adds_pauses_and_resumes_an_offer(
    session: Session, as_seamus: FlaskClient, seamus: Member
) -> None:
    shopping = skill(session, "shopping")
    page = as_seamus.get("/me/offers")
    assert page.status_code == 200 and "Nothing yet." in page.text
    added = as_seamus.post(
        "/me/offers", data={"direction": "offer", "skill": shopping.id, "note": "Tuesdays"}
    )
    assert added.status_code == 302
    (offer,) = skills_of(session, seamus)
    assert (offer.direction, offer.status, offer.note) == ("offer", "open", "Tuesdays")
    assert len(actions(session, "offer.added")) == 1
    again = as_seamus.post("/me/offers", data={"direction": "offer", "skill": shopping.id})
    assert again.status_code == 400 and "You already have this on your list." in again.text
    assert as_seamus.post(f"/me/offers/{offer.id}/pause").status_code == 302
    assert skills_of(session, seamus)[0].status == MemberSkillStatus.PAUSED
    assert "(paused)" in as_seamus.get("/me/offers").text
    as_seamus.post(f"/me/offers/{offer.id}/resume")
    assert skills_of(session, seamus)[0].status == MemberSkillStatus.OPEN
    assert len(actions(session, "offer.status")) == 2
    nothing = as_seamus.post("/me/offers", data={"direction": "request", "skill": "0"})
    assert nothing.status_code == 400 and "Choose the kind of help" in nothing.text


def test_the_audit_trail_names_the_member_who_acted_on_their_own_pages(
    session: Session, as_seamus: FlaskClient, seamus: Member, bank: Bank, make_user, sign_in
) -> None:  # type: ignore[no-untyped-def]
    shopping = skill(session, "shopping")
    as_seamus.post("/me/offers", data={"direction": "offer", "skill": shopping.id})
    (offer,) = skills_of(session, seamus)
    as_seamus.post(f"/me/offers/{offer.id}/pause")
    (added,) = actions(session, "offer.added")
    assert added.user_id is None and added.details["by_member"] == seamus.id
    assert actions(session, "offer.status")[0].details["by_member"] == seamus.id
    coordinator = sign_in(make_user("coordinator", banks=[bank], display_name="Bernie"))
    trail = coordinator.get(f"/broker/banks/{bank.id}/audit").text
    who = f"{seamus.full_name} (#{seamus.member_number}), on their own pages"
    assert trail.count(who) == 2


def skills_of(session: Session, member: Member) -> list[MemberSkill]:
    session.expire_all()
    return list(session.scalars(select(MemberSkill).where(MemberSkill.member_id == member.id)))


def test_what_the_bank_needs_shows_matching_requests_without_full_names_or_phones(
    session: Session,
    make_member,  # type: ignore[no-untyped-def]
    as_seamus: FlaskClient,
    joan: Member,
    seamus: Member,
) -> None:
    shopping, gardening = skill(session, "shopping"), skill(session, "gardening")
    first = as_seamus.get("/me/needs").text
    assert "Tell us what help you can give" in first
    skills.add_offer(session, seamus, shopping, by=None)
    skills.add_request(session, joan, shopping, "Big shop on Fridays", by=None)
    skills.add_request(session, seamus, shopping, by=None)  # his own: never shown to him
    una = make_member(joan.bank, "Una Boyle")  # preferred name defaults to the full name
    skills.add_request(session, una, shopping, by=None)
    skills.add_request(session, joan, gardening, by=None)  # he does not offer this
    session.commit()
    body = as_seamus.get("/me/needs").text
    assert "For Joan" in body and "in BT9" in body and "Big shop on Fridays" in body
    assert "For Una" in body and "Boyle" not in body and "Murphy" not in body
    assert "Gardening" not in body
    assert 'href="tel:02890001234"' in body
    assert body.count('<li class="card">') == 2


# -- help and the statement ---------------------------------------------------------------------


def test_help_page_names_the_broker_and_their_phone(
    session: Session,
    make_user,
    bank: Bank,
    as_joan: FlaskClient,  # type: ignore[no-untyped-def]
) -> None:
    make_user("coordinator", banks=[bank], display_name="Bernie")
    body = as_joan.get("/me/help").text
    assert "Your broker is Bernie." in body
    assert 'href="tel:02890001234"' in body
    assert "A time bank is a group of people who help each other." in body
    assert 'href="/me/statement"' in body


def test_the_statement_lists_this_years_hours(
    session: Session, as_joan: FlaskClient, joan: Member, seamus: Member
) -> None:
    shopping = skill(session, "shopping")
    record_exchange(
        session, provider=joan, receiver=seamus, help=HelpDetails(minutes=45, skill_id=shopping.id)
    )
    session.commit()
    body = as_joan.get("/me/statement").text
    assert "Shopping, for Seamus" in body and "Hours given: 45 minutes" in body
    assert "At the end: 45 minutes in the bank" in body


# -- never another member's pages ---------------------------------------------------------------


def test_a_member_never_reaches_another_members_data(
    session: Session,
    make_bank,  # type: ignore[no-untyped-def]
    make_member,  # type: ignore[no-untyped-def]
    as_joan: FlaskClient,
    as_seamus: FlaskClient,
    joan: Member,
    seamus: Member,
) -> None:
    shopping = skill(session, "shopping")
    offer = skills.add_offer(session, seamus, shopping, by=None)
    session.commit()
    # someone else's offer cannot be paused
    assert as_joan.post(f"/me/offers/{offer.id}/pause").status_code == 404
    assert skills_of(session, seamus)[0].status == MemberSkillStatus.OPEN
    # someone else's recorded help is not shown to a third member, nor answerable by them
    una = make_member(joan.bank, "Una Boyle", display_name="Una")
    as_una = sign_in_member(as_joan.application.test_client(), session, una)
    key = form_key(as_seamus.get("/me/record").text)
    as_seamus.post("/me/record/send", data=record_form(joan, shopping, key))
    (pending,) = pendings(session)
    assert as_una.get(f"/me/record/sent/{pending.id}").status_code == 404
    assert as_joan.get(f"/me/record/sent/{pending.id}").status_code == 404
    assert as_una.post(f"/me/waiting/{pending.id}/yes").status_code == 404
    assert "Seamus says" not in as_una.get("/me").text
    # help cannot be recorded for a member of another bank
    other_bank = make_bank(name="Hillside")
    stranger = make_member(other_bank, "Pat Stranger")
    page = as_seamus.post("/me/record/send", data=record_form(stranger, shopping, key))
    assert page.status_code == 400
    assert "Pat" not in as_seamus.get("/me/record").text
    # no page takes a member's id
    assert as_joan.get(f"/me/{seamus.id}").status_code == 404
    assert as_joan.get(f"/me/supporting/{seamus.id}").status_code == 404


# -- supporters ---------------------------------------------------------------------------------


def test_a_supporter_sees_the_members_time_read_only_and_every_view_is_audited(
    session: Session,
    make_member,  # type: ignore[no-untyped-def]
    as_joan: FlaskClient,
    as_seamus: FlaskClient,
    joan: Member,
    seamus: Member,
) -> None:
    shopping = skill(session, "shopping")
    key = form_key(as_seamus.get("/me/record").text)
    as_seamus.post("/me/record/send", data=record_form(joan, shopping, key))
    daughter = make_member(joan.bank, "Mary Murphy", display_name="Mary")
    member_view.add_supporter(session, joan, supporter_member=daughter, by=None)
    session.commit()
    as_mary = sign_in_member(as_joan.application.test_client(), session, daughter)
    assert 'href="/me/supporting"' in as_mary.get("/me").text
    assert 'href="/me/supporting"' not in as_joan.get("/me").text
    listing = as_mary.get("/me/supporting").text
    assert "See Joan's time" in listing
    page = as_mary.get(f"/me/supporting/{joan.id}")
    assert page.status_code == 200
    body = page.text
    assert "You are looking at Joan's time, as their supporter." in body
    assert "Seamus says they helped you" in body
    assert "Yes, this happened" not in body and "/me/waiting/" not in body
    assert "Record help I gave" not in body
    (viewed,) = actions(session, "supporter.viewed")
    assert viewed.subject == f"member:{joan.id}"
    assert viewed.details["supporter_member"] == daughter.id
    as_mary.get(f"/me/supporting/{joan.id}")
    assert len(actions(session, "supporter.viewed")) == 2
    # never anyone they do not support, and not once the broker ends it
    assert as_mary.get(f"/me/supporting/{seamus.id}").status_code == 404
    link = session.scalars(select(MemberSupporter)).one()
    member_view.end_supporter(session, link, by=None)
    session.commit()
    assert as_mary.get(f"/me/supporting/{joan.id}").status_code == 404
    assert len(actions(session, "supporter.viewed")) == 2


def test_a_supporter_with_an_account_signs_in_with_it(
    session: Session,
    make_user,  # type: ignore[no-untyped-def]
    sign_in,  # type: ignore[no-untyped-def]
    joan: Member,
    seamus: Member,
) -> None:
    carer = make_user("member", display_name="Kevin")
    member_view.add_supporter(session, joan, supporter_user=carer, by=None)
    session.commit()
    client = sign_in(carer)
    assert "See Joan's time" in client.get("/me/supporting").text
    page = client.get(f"/me/supporting/{joan.id}")
    assert page.status_code == 200 and "as their supporter" in page.text
    assert "Sign out on this phone" not in page.text  # no card on this phone
    (viewed,) = actions(session, "supporter.viewed")
    assert viewed.user_id == carer.id
    assert client.get(f"/me/supporting/{seamus.id}").status_code == 404
    assert client.get("/me").status_code == 302  # an account is not a member's card


def test_nobody_signed_in_cannot_look_as_a_supporter(client: FlaskClient, joan: Member) -> None:
    assert client.get(f"/me/supporting/{joan.id}").status_code == 302
    assert client.get("/me/supporting").status_code == 302


def test_a_supporter_cannot_be_added_twice_or_for_themselves(
    session: Session, joan: Member, seamus: Member
) -> None:
    member_view.add_supporter(session, joan, supporter_member=seamus, by=None)
    with pytest.raises(member_view.SupporterError) as twice:
        member_view.add_supporter(session, joan, supporter_member=seamus, by=None)
    assert twice.value.code == "already"
    with pytest.raises(member_view.SupporterError) as own:
        member_view.add_supporter(session, joan, supporter_member=joan, by=None)
    assert own.value.code == "self"
    session.rollback()


# -- language -----------------------------------------------------------------------------------


def test_the_members_own_language_is_used_until_they_choose(
    app: Flask,
    session: Session,
    make_member,
    bank: Bank,  # type: ignore[no-untyped-def]
) -> None:
    if "pl" not in app.config["LOCALES"]:
        pytest.skip("no Polish catalogue")
    ola = make_member(bank, "Aleksandra Nowak", display_name="Ola", preferred_locale="pl")
    client = sign_in_member(app.test_client(), session, ola)
    page = client.get("/me")
    assert '<html lang="pl">' in page.text
    # the tests share one app context, where Flask-Babel keeps the locale it worked out
    refresh()
    chosen = client.get("/me?lang=en")
    assert '<html lang="en">' in chosen.text
    refresh()
    assert '<html lang="en">' in client.get("/me").text  # their choice stays


# -- the broker names and stops supporters ------------------------------------------------------


def test_a_broker_names_a_supporter_and_stops_them(
    session: Session,
    broker,  # type: ignore[no-untyped-def]
    make_member,  # type: ignore[no-untyped-def]
    make_user,  # type: ignore[no-untyped-def]
) -> None:
    client, bank, coordinator = broker
    joan = make_member(bank, "Joan Murphy", display_name="Joan")
    mary = make_member(bank, "Mary Murphy", display_name="Mary")
    carer = make_user("member", display_name="Kevin", email="kevin@example.org")
    base = f"/broker/banks/{bank.id}/members/{joan.id}"
    record = client.get(base).text
    assert "No supporter is named." in record and "Name a supporter" in record
    added = client.post(f"{base}/supporters", data={"member_number": str(mary.member_number)})
    assert added.status_code == 302 and added.headers["Location"].endswith("#supporters")
    client.post(f"{base}/supporters", data={"email": "KEVIN@example.org"})
    record = client.get(base).text
    assert f"Mary Murphy (#{mary.member_number})" in record and "Kevin" in record
    assert {m.id for m in member_view.supported_members(session, supporter_user_id=carer.id)} == {
        joan.id
    }
    (added_event, _second) = actions(session, "supporter.added")
    assert added_event.user_id == coordinator.id
    # problems are said plainly and change nothing
    twice = client.post(
        f"{base}/supporters", data={"member_number": str(mary.member_number)}, follow_redirects=True
    )
    assert "They are already a supporter." in twice.text
    both = client.post(
        f"{base}/supporters",
        data={"member_number": "1", "email": "kevin@example.org"},
        follow_redirects=True,
    )
    assert "not both" in both.text
    nobody = client.post(
        f"{base}/supporters", data={"email": "x@example.org"}, follow_redirects=True
    )
    assert "Nobody has an account with that email." in nobody.text
    # stop one
    link = session.scalars(
        select(MemberSupporter).where(MemberSupporter.supporter_member_id == mary.id)
    ).one()
    assert client.post(f"{base}/supporters/end", data={"link": link.id}).status_code == 302
    assert member_view.supported_members(session, supporter_member_id=mary.id) == []
    assert len(actions(session, "supporter.ended")) == 1
    # a link of another member is not stopped through this one
    seamus = make_member(bank, "Seamus Kelly")
    other = f"/broker/banks/{bank.id}/members/{seamus.id}/supporters/end"
    carer_link = session.scalars(
        select(MemberSupporter).where(MemberSupporter.supporter_user_id == carer.id)
    ).one()
    assert client.post(other, data={"link": carer_link.id}).status_code == 404


def test_another_banks_broker_cannot_name_supporters(
    session: Session,
    make_bank,  # type: ignore[no-untyped-def]
    make_member,  # type: ignore[no-untyped-def]
    make_user,  # type: ignore[no-untyped-def]
    sign_in,  # type: ignore[no-untyped-def]
    joan: Member,
    seamus: Member,
) -> None:
    elsewhere = make_bank(name="Hillside")
    client = sign_in(make_user("coordinator", banks=[elsewhere]))
    page = client.post(
        f"/broker/banks/{joan.bank_id}/members/{joan.id}/supporters",
        data={"member_number": str(seamus.member_number)},
    )
    assert page.status_code == 404
    assert session.scalars(select(MemberSupporter)).all() == []
