"""Registering, finding, editing, pausing and recording the leaving of members."""

from __future__ import annotations

from datetime import timedelta

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from timebank import ledger
from timebank.audit import AuditEvent
from timebank.banks.operations import pot_account
from timebank.ledger import AccountStatus, TransferKind, TransferRequest, Unit
from timebank.members.models import Member, MemberStatus
from timebank.users.models import Role, User


def registration(bank, **changes: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    data = {
        "full_name": "Bridie  Gallagher ",
        "display_name": "",
        "kind": "person",
        "phone": "07700 900123",
        "area": "bt9 ",
        "birth_year": "1941",
        "preferred_locale": "ga",
        "contact_method": "carer",
        "needs_large_print": "y",
        "supporter_name": "Mary Gallagher",
        "supporter_phone": "07700 900456",
        "supporter_relationship": "daughter",
        "consent_on": bank.today().isoformat(),
        "consent_wording": "I agree to be on the register.",
        "reference_check": "not_started",
        "dbs_check": "not_started",
    }
    data.update(changes)
    return data


def test_registering_a_member_gives_a_number_and_welcome_hours(
    client: FlaskClient, make_bank, make_user, sign_in, session: Session, account_of
) -> None:
    bank = make_bank(welcome_minutes=60)
    sign_in(make_user("coordinator", banks=[bank]))
    response = client.post(f"/broker/banks/{bank.id}/members/new", data=registration(bank))
    assert response.status_code == 302
    member = session.scalars(select(Member)).one()
    assert (member.full_name, member.display_name, member.area) == (
        "Bridie  Gallagher",
        "Bridie",
        "BT9",
    )
    assert (
        member.member_number == 1 and member.needs_large_print and member.contact_method == "carer"
    )
    assert account_of(member).balance == 60
    page = client.get(response.location).text
    assert "Bridie is member number 1" in page and "Has 1 hour in the bank" in page


def test_registration_errors_are_named_and_linked(broker, session: Session) -> None:
    client, bank, _ = broker
    page = client.post(
        f"/broker/banks/{bank.id}/members/new",
        data=registration(
            bank,
            full_name="",
            area="Belfast",
            birth_year="1850",
            consent_on=(bank.today() + timedelta(days=2)).isoformat(),
        ),
    ).text
    for message in (
        "full name",
        "Enter the first half of a postcode",
        "Enter a year between 1900 and this year",
        "cannot be in the future",
    ):
        assert message in page, message
    assert 'href="#full_name"' in page and 'aria-invalid="true"' in page
    assert session.scalars(select(Member)).all() == []


def test_a_dbs_check_needs_its_renewal_date(broker) -> None:
    client, bank, _ = broker
    page = client.post(
        f"/broker/banks/{bank.id}/members/new", data=registration(bank, dbs_check="clear")
    ).text
    assert "Enter when the DBS check is due for renewal" in page


def test_editing_records_before_and_after_in_the_audit_trail(
    broker, make_member, session: Session
) -> None:
    client, bank, coordinator = broker
    member = make_member(bank, "Joan Murphy")
    data = registration(bank, full_name="Joan Murphy", display_name="Joanie", area="BT48")
    assert (
        client.post(f"/broker/banks/{bank.id}/members/{member.id}/edit", data=data).status_code
        == 302
    )
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "member.updated")).one()
    assert event.details["display_name"] == ["Joan", "Joanie"]
    assert event.details["area"] == ["", "BT48"]
    assert event.user_id == coordinator.id and event.bank_id == bank.id


def test_safeguarding_warning_when_checks_are_missing_or_expired(
    broker, make_member, session: Session
) -> None:
    client, bank, _ = broker
    member = make_member(bank, "Eamon Doherty")
    member.visits_homes = True
    member.reference_check = "clear"
    member.dbs_check = "clear"
    member.dbs_expires_on = bank.today() - timedelta(days=1)
    session.commit()
    page = client.get(f"/broker/banks/{bank.id}/members/{member.id}").text
    assert "DBS check out of date" in page and "Do not arrange home visits" in page
    assert "Eamon" in client.get(f"/broker/banks/{bank.id}").text  # and on the bank's start page
    member.dbs_expires_on = bank.today() + timedelta(days=300)
    session.commit()
    assert "Safeguarding:" not in client.get(f"/broker/banks/{bank.id}/members/{member.id}").text


def test_pausing_and_resuming(broker, make_member, session: Session) -> None:
    client, bank, _ = broker
    member = make_member(bank, "Joan Murphy")
    client.post(f"/broker/banks/{bank.id}/members/{member.id}/pause")
    session.refresh(member)
    assert member.status == MemberStatus.PAUSED
    client.post(f"/broker/banks/{bank.id}/members/{member.id}/pause")
    session.refresh(member)
    assert member.status == MemberStatus.ACTIVE


def test_leaving_gifts_the_balance_to_the_pot_and_closes_the_account(
    broker, make_member, session: Session, account_of
) -> None:
    client, bank, _ = broker
    member = make_member(bank, "Joan Murphy")
    pot = pot_account(session, bank.id)
    ledger.post(
        session,
        TransferRequest(
            bank_id=bank.id,
            unit=Unit.HOURS,
            kind=TransferKind.GIFT,
            from_account_id=pot.id,
            to_account_id=account_of(member).id,
            amount=150,
        ),
    )
    session.commit()
    url = f"/broker/banks/{bank.id}/members/{member.id}/leave"
    assert "They have 2 hours, 30 minutes in the bank" in client.get(url).text
    response = client.post(url, data={"left_on": bank.today().isoformat(), "gift_to_pot": "y"})
    assert response.status_code == 302
    session.refresh(member)
    account = account_of(member)
    session.refresh(account)
    assert member.status == MemberStatus.LEFT and account.balance == 0
    assert account.status == AccountStatus.CLOSED
    assert "has already left" in client.get(url, follow_redirects=True).text


def test_a_member_who_owes_hours_leaves_with_the_debt_on_the_books(
    broker, make_member, session: Session, account_of
) -> None:
    client, bank, _ = broker
    joan, seamus = make_member(bank, "Joan Murphy"), make_member(bank, "Seamus Kelly")
    ledger.post(
        session,
        TransferRequest(
            bank_id=bank.id,
            unit=Unit.HOURS,
            kind=TransferKind.EXCHANGE,
            from_account_id=account_of(joan).id,
            to_account_id=account_of(seamus).id,
            amount=60,
        ),
    )
    session.commit()
    client.post(
        f"/broker/banks/{bank.id}/members/{joan.id}/leave",
        data={"left_on": bank.today().isoformat()},
    )
    account = account_of(joan)
    session.refresh(account)
    assert account.balance == -60 and account.status == AccountStatus.OPEN


def test_search_by_name_number_area_with_paging(broker, make_member, session: Session) -> None:
    client, bank, _ = broker
    for n in range(30):
        make_member(bank, f"Person {n:02d}", area="BT9" if n % 2 else "BT48")
    make_member(bank, "Joan Murphy", area="BT7")
    url = f"/broker/banks/{bank.id}/members"
    assert "31 members found" in client.get(url).text
    first = client.get(url).text
    assert "Page 1 of 2" in first and 'rel="next"' in first
    assert "Joan Murphy" in client.get(url + "?q=murphy").text
    assert "1 member found" in client.get(url + "?q=%2331").text
    assert "1 member found" in client.get(url + "?area=bt7").text
    assert "15 members found" in client.get(url + "?area=BT9").text
    assert "0 members found" in client.get(url + "?q=nobody").text
    assert client.get(url + "?page=-4").status_code == 200
    assert client.get(url + "?page=abc").status_code == 200


def test_a_member_may_choose_an_email_and_password_as_well_as_their_card(
    broker, make_member, session: Session
) -> None:
    from flask import Flask

    client, bank, coordinator = broker
    member = make_member(bank, "Joan Murphy")
    url = f"/broker/banks/{bank.id}/members/{member.id}/account"
    assert "Enter a real email address" in client.post(url, data={"email": "nope"}).text
    page = client.post(url, data={"email": "joan@example.org"})
    link = page.text.split('<code class="link">')[1].split("</code>")[0].split("localhost", 1)[1]
    assert "can already sign in with joan@example.org" in client.get(url).text
    session.expire_all()
    (given,) = session.scalars(
        select(AuditEvent).where(AuditEvent.action == "member.account_created")
    )
    assert (given.user_id, given.bank_id, given.subject) == (
        coordinator.id,
        bank.id,
        f"member:{member.id}",
    )
    joans = session.scalars(select(User).where(User.member_id == member.id)).one()
    assert joans.email == "joan@example.org" and joans.role == Role.MEMBER

    app: Flask = client.application
    phone = app.test_client()
    assert (
        phone.post(
            link, data={"password": "joans own secret", "confirm": "joans own secret"}
        ).status_code
        == 302
    )
    signed_in = phone.post(
        "/sign-in", data={"email": "joan@example.org", "password": "joans own secret"}
    )
    assert signed_in.location.endswith("/me")
    session.expire_all()
    own = session.scalars(
        select(AuditEvent.action).where(AuditEvent.user_id == joans.id).order_by(AuditEvent.id)
    ).all()
    assert own == ["user.password_set", "user.signed_in"]
    assert "Hello, Joan" in phone.get("/me").text
    # a member's account is no way into the broker's pages
    assert phone.get(f"/broker/banks/{bank.id}").status_code == 403
