"""Logging help through the broker's pages: exchanges, groups, the pot, gifts and reversals."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from timebank import ledger
from timebank.audit import AuditEvent
from timebank.banks.operations import pot_account
from timebank.ledger import Transfer, TransferKind, TransferOutcome
from timebank.members.models import Skill


@pytest.fixture
def people(broker, make_member, session: Session):  # type: ignore[no-untyped-def]
    client, bank, coordinator = broker
    joan = make_member(bank, "Joan Murphy")
    seamus = make_member(bank, "Seamus Kelly")
    una = make_member(bank, "Una Boyle")
    shopping = session.scalars(select(Skill).where(Skill.code == "shopping")).one()
    return client, bank, joan, seamus, una, shopping


def balance_of(session: Session, account_of, member) -> int:  # type: ignore[no-untyped-def]
    account = account_of(member)
    session.refresh(account)
    return account.balance


def form(client: FlaskClient, url: str) -> dict[str, str]:
    """The hidden fields a real browser would send back, such as the idempotency key."""
    page = client.get(url).text
    key = page.split('name="idempotency_key" type="hidden" value="')[1].split('"')[0]
    return {"idempotency_key": key}


def test_logging_an_exchange_shows_both_new_balances(people, session: Session, account_of) -> None:
    client, bank, joan, seamus, una, shopping = people
    url = f"/broker/banks/{bank.id}/exchanges/new"
    data = form(client, url) | {
        "provider": f"Seamus Kelly (#{seamus.member_number})",
        "receiver": str(joan.member_number),
        "hours": "1",
        "minutes": "30",
        "skill": str(shopping.id),
        "given_on": bank.today().isoformat(),
        "outcome_areas": ["social", "health"],
        "note": "Big shop at the Co-op",
    }
    response = client.post(url, data=data)
    assert response.status_code == 302
    page = client.get(response.location).text
    assert "Recorded" in page
    assert "Now has 1 hour, 30 minutes" in page  # Seamus
    assert "Now owes 1 hour, 30 minutes" in page  # Joan
    assert balance_of(session, account_of, seamus) == 90
    transfer = session.scalars(select(Transfer)).one()
    assert {o.area for o in session.scalars(select(TransferOutcome))} == {"social", "health"}
    assert transfer.recorded_by_id is not None and transfer.skill_id == shopping.id


def test_a_double_submit_posts_once(people, session: Session) -> None:
    client, bank, joan, seamus, una, shopping = people
    url = f"/broker/banks/{bank.id}/exchanges/new"
    data = form(client, url) | {
        "provider": str(seamus.member_number),
        "receiver": str(joan.member_number),
        "hours": "1",
        "minutes": "0",
        "skill": str(shopping.id),
        "given_on": bank.today().isoformat(),
    }
    first = client.post(url, data=data)
    second = client.post(url, data=data)
    assert first.location == second.location
    assert session.scalar(select(func.count(Transfer.id))) == 1
    # and one record in the audit trail: the second send wrote nothing at all
    (event,) = session.scalars(select(AuditEvent).where(AuditEvent.action == "exchange.posted"))
    transfer = session.scalars(select(Transfer)).one()
    assert event.subject == f"transfer:{transfer.id}" and event.bank_id == bank.id


@pytest.mark.parametrize(
    ("path", "action", "fields", "legs"),
    [
        (
            "exchanges/group",
            "group_exchange.posted",
            {"provider": "Seamus", "receivers": "Joan\nUna"},
            2,
        ),
        ("pot/credit", "pot_credit.posted", {"members": "Joan\nUna"}, 2),
        ("gifts/new", "gift.posted", {"giver": "pot", "recipient": "Joan"}, 1),
    ],
)
def test_every_form_that_posts_help_sent_twice_posts_and_audits_once(
    people, session: Session, path: str, action: str, fields: dict[str, str], legs: int
) -> None:
    client, bank, joan, seamus, una, shopping = people
    url = f"/broker/banks/{bank.id}/{path}"
    data = form(client, url) | {
        "hours": "1",
        "minutes": "0",
        "skill": str(shopping.id),
        "given_on": bank.today().isoformat(),
        **fields,
    }
    first = client.post(url, data=data)
    second = client.post(url, data=data)
    assert first.status_code == second.status_code == 302
    assert first.location == second.location
    assert session.scalar(select(func.count(Transfer.id))) == legs
    assert len(session.scalars(select(AuditEvent).where(AuditEvent.action == action)).all()) == 1


def test_a_form_whose_key_was_tampered_with_posts_nothing(people, session: Session) -> None:
    client, bank, joan, seamus, una, shopping = people
    url = f"/broker/banks/{bank.id}/exchanges/new"
    data = {
        "idempotency_key": "not a key; drop table",
        "provider": str(seamus.member_number),
        "receiver": str(joan.member_number),
        "hours": "1",
        "minutes": "0",
        "skill": str(shopping.id),
        "given_on": bank.today().isoformat(),
    }
    response = client.post(url, data=data)
    assert response.status_code == 400
    page = response.text
    assert "This form has expired. Please try again." in page
    fresh = page.split('name="idempotency_key" type="hidden" value="')[1].split('"')[0]
    assert len(fresh) == 32 and fresh != data["idempotency_key"]
    assert session.scalar(select(func.count(Transfer.id))) == 0
    assert client.post(url, data=data | {"idempotency_key": fresh}).status_code == 302


def test_the_floor_is_explained_beside_the_receiver(people, session: Session) -> None:
    client, bank, joan, seamus, una, shopping = people
    url = f"/broker/banks/{bank.id}/exchanges/new"
    data = form(client, url) | {
        "provider": str(seamus.member_number),
        "receiver": str(joan.member_number),
        "hours": "11",
        "minutes": "0",
        "skill": str(shopping.id),
        "given_on": bank.today().isoformat(),
    }
    page = client.post(url, data=data).text
    assert "Joan cannot receive this much" in page
    assert 'id="receiver-error"' in page and 'href="#receiver"' in page
    assert session.scalar(select(func.count(Transfer.id))) == 0


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"hours": "0", "minutes": "0"}, "Enter how long the help took"),
        ({"hours": "24", "minutes": "15"}, "at most 24 hours"),
        ({"receiver": "999"}, "There is no member number 999"),
        ({"receiver": "Nobody Atall"}, "No member is called"),
        ({"receiver": "SEAMUS"}, "Choose two different members"),
        ({"given_on": "tomorrow"}, "Not a valid date value"),
        ({"skill": ""}, "Choose the kind of help"),
        ({"hours": "abc"}, "Not a valid choice"),
    ],
)
def test_bad_input_is_refused_in_plain_words(people, session: Session, change, message) -> None:
    client, bank, joan, seamus, una, shopping = people
    url = f"/broker/banks/{bank.id}/exchanges/new"
    data = (
        form(client, url)
        | {
            "provider": "Seamus",
            "receiver": "Joan",
            "hours": "1",
            "minutes": "0",
            "skill": str(shopping.id),
            "given_on": bank.today().isoformat(),
        }
        | change
    )
    response = client.post(url, data=data)
    assert response.status_code == 200
    assert message in response.text
    assert "There is a problem" in response.text
    assert session.scalar(select(func.count(Transfer.id))) == 0


def test_future_dates_are_refused_and_old_ones_need_confirming(people, session: Session) -> None:
    client, bank, joan, seamus, una, shopping = people
    url = f"/broker/banks/{bank.id}/exchanges/new"
    base = form(client, url) | {
        "provider": "Seamus",
        "receiver": "Joan",
        "hours": "1",
        "minutes": "0",
        "skill": str(shopping.id),
    }
    tomorrow = (bank.today() + timedelta(days=1)).isoformat()
    assert "cannot be in the future" in client.post(url, data=base | {"given_on": tomorrow}).text
    old = (bank.today() - timedelta(days=120)).isoformat()
    page = client.post(url, data=base | {"given_on": old}).text
    assert "more than 90 days ago" in page and 'name="confirm_old_date"' in page
    assert session.scalar(select(func.count(Transfer.id))) == 0
    done = client.post(url, data=base | {"given_on": old, "confirm_old_date": "y"})
    assert done.status_code == 302


def test_the_form_is_prefilled_from_a_member_page(people) -> None:
    client, bank, joan, seamus, una, shopping = people
    page = client.get(f"/broker/banks/{bank.id}/exchanges/new?provider={seamus.id}").text
    assert f'value="Seamus Kelly (#{seamus.member_number})"' in page
    assert '<datalist id="people">' in page


def test_a_group_exchange_is_all_or_nothing(people, session: Session, account_of) -> None:
    client, bank, joan, seamus, una, shopping = people
    url = f"/broker/banks/{bank.id}/exchanges/group"
    ledger.set_limits(session, account_of(una).id, floor=0, ceiling=None)  # Una may owe nothing
    session.commit()
    data = form(client, url) | {
        "provider": "Seamus",
        "receivers": "Joan\nUna",
        "hours": "1",
        "minutes": "0",
        "skill": str(shopping.id),
        "given_on": bank.today().isoformat(),
    }
    page = client.post(url, data=data).text
    assert "Una cannot receive this much" in page
    assert session.scalar(select(func.count(Transfer.id))) == 0
    ledger.set_limits(session, account_of(una).id, floor=-600, ceiling=None)
    session.commit()
    response = client.post(url, data=data)
    assert response.status_code == 302
    transfers = session.scalars(select(Transfer)).all()
    assert len(transfers) == 2 and len({t.batch for t in transfers}) == 1
    assert all(t.kind == TransferKind.GROUP_EXCHANGE for t in transfers)
    assert balance_of(session, account_of, seamus) == 120
    assert "Una" in client.get(response.location).text


def test_time_given_to_the_bank_is_paid_from_the_pot(people, session: Session, account_of) -> None:
    client, bank, joan, seamus, una, shopping = people
    url = f"/broker/banks/{bank.id}/pot/credit"
    data = form(client, url) | {
        "members": f"{joan.member_number}\n{una.member_number}",
        "hours": "2",
        "minutes": "0",
        "skill": str(shopping.id),
        "given_on": bank.today().isoformat(),
    }
    assert client.post(url, data=data).status_code == 302
    pot = pot_account(session, bank.id)
    session.refresh(pot)
    assert pot.balance == -240
    assert balance_of(session, account_of, joan) == 120


def test_gifts_between_members_and_the_pot(people, session: Session, account_of) -> None:
    client, bank, joan, seamus, una, shopping = people
    url = f"/broker/banks/{bank.id}/gifts/new"
    data = form(client, url) | {"giver": "pot", "recipient": "Joan", "hours": "3", "minutes": "0"}
    assert client.post(url, data=data).status_code == 302
    data = form(client, url) | {"giver": "Joan", "recipient": "Una", "hours": "1", "minutes": "30"}
    assert client.post(url, data=data).status_code == 302
    assert balance_of(session, account_of, joan) == 90
    assert balance_of(session, account_of, una) == 90
    data = form(client, url) | {"giver": "Una", "recipient": "Joan", "hours": "20", "minutes": "0"}
    assert "Una cannot give this many hours" in client.post(url, data=data).text
    assert session.scalar(select(func.count(Transfer.id))) == 2


def test_a_coordinator_reverses_an_exchange_with_a_reason(
    people, session: Session, account_of
) -> None:
    client, bank, joan, seamus, una, shopping = people
    url = f"/broker/banks/{bank.id}/exchanges/new"
    data = form(client, url) | {
        "provider": "Seamus",
        "receiver": "Joan",
        "hours": "1",
        "minutes": "0",
        "skill": str(shopping.id),
        "given_on": bank.today().isoformat(),
    }
    client.post(url, data=data)
    transfer = session.scalars(select(Transfer)).one()
    reverse = f"/broker/banks/{bank.id}/exchanges/{transfer.id}/reverse"
    assert "Say why" in client.post(reverse, data={"reason": ""}).text
    response = client.post(reverse, data={"reason": "Logged for the wrong member"})
    assert response.status_code == 302
    assert balance_of(session, account_of, seamus) == 0
    again = client.post(reverse, data={"reason": "again"})
    assert again.status_code == 409 and "already been reversed" in again.text
    reversal = ledger.reversal_of(session, transfer.id)
    assert reversal is not None and reversal.note.text == "Logged for the wrong member"
    page = client.get(f"/broker/banks/{bank.id}/exchanges/{transfer.id}").text
    assert "This exchange was reversed" in page and 'class="reversed"' in page


def test_logging_help_for_a_request_links_it_and_refuses_a_closed_one(
    people, session: Session
) -> None:
    from timebank.ledger import TransferAnswer
    from timebank.members.models import MemberSkill, MemberSkillStatus, SkillDirection

    client, bank, joan, seamus, una, shopping = people
    wish = MemberSkill(member_id=joan.id, skill_id=shopping.id, direction=SkillDirection.REQUEST)
    session.add(wish)
    session.commit()
    url = f"/broker/banks/{bank.id}/exchanges/new?provider={seamus.id}&request={wish.id}"
    page = client.get(url).text
    assert "This answers Joan" in page and f'value="{wish.id}"' in page
    data = form(client, url) | {
        "provider": "Seamus",
        "receiver": "Joan",
        "hours": "1",
        "minutes": "0",
        "skill": str(shopping.id),
        "given_on": bank.today().isoformat(),
        "answers_request": str(wish.id),
    }
    assert client.post(f"/broker/banks/{bank.id}/exchanges/new", data=data).status_code == 302
    assert session.scalars(select(TransferAnswer)).one().member_skill_id == wish.id
    wish.status = MemberSkillStatus.DONE
    session.commit()
    assert client.get(url).status_code == 409


def test_a_groups_page_asks_the_database_the_same_number_of_times_for_any_size(
    people, session: Session, make_member
) -> None:  # type: ignore[no-untyped-def]
    """The exchange page of a group loads its sides together, not two queries a member."""
    from sqlalchemy import event

    from timebank.extensions import db

    engine = db.engine

    client, bank, joan, seamus, una, shopping = people
    url = f"/broker/banks/{bank.id}/exchanges/group"
    extra = [make_member(bank, f"Extra Member{n}") for n in range(6)]
    pages = []
    for receivers in ([joan, una], [joan, una, *extra]):
        data = form(client, url) | {
            "provider": str(seamus.member_number),
            "receivers": "\n".join(str(m.member_number) for m in receivers),
            "hours": "1",
            "minutes": "0",
            "skill": str(shopping.id),
            "given_on": bank.today().isoformat(),
        }
        response = client.post(url, data=data)
        assert response.status_code == 302
        pages.append(response.location)
    statements: list[str] = []

    def listener(*args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        statements.append(args[2])

    counts = []
    event.listen(engine, "before_cursor_execute", listener)
    try:
        for page in pages:
            # requests share the test's session: start each from an empty one, with no
            # transaction open, as a server does
            session.close()
            before = len(statements)
            assert client.get(page).status_code == 200
            counts.append(len(statements) - before)
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    assert counts[0] == counts[1], counts
