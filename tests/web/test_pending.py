"""A broker confirms or declines help that members recorded themselves."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from timebank import ledger
from timebank.audit import AuditEvent
from timebank.db import utcnow
from timebank.ledger import PendingStatus, TransferKind, TransferRequest, Unit


def recorded(session: Session, bank, giver, receiver, account_of, minutes: int = 60, **kw):  # type: ignore[no-untyped-def]
    pending = ledger.pend(
        session,
        TransferRequest(
            bank_id=bank.id,
            unit=Unit.HOURS,
            kind=TransferKind.EXCHANGE,
            from_account_id=account_of(receiver).id,
            to_account_id=account_of(giver).id,
            amount=minutes,
            note="Took Joan to the shops",
        ),
        by_member_id=giver.id,
        **kw,
    )
    session.commit()
    return pending


def test_a_broker_confirms_recorded_help(broker, make_member, session: Session, account_of) -> None:
    client, bank, _ = broker
    joan, seamus = make_member(bank, "Joan Murphy"), make_member(bank, "Seamus Kelly")
    pending = recorded(session, bank, seamus, joan, account_of)
    page = client.get(f"/broker/banks/{bank.id}/pending").text
    assert "Seamus helped Joan" in page and "Took Joan to the shops" in page
    response = client.post(f"/broker/banks/{bank.id}/pending/{pending.id}/confirm")
    assert response.status_code == 302
    session.refresh(pending)
    assert pending.status == PendingStatus.POSTED
    assert account_of(seamus).balance == 60
    assert "Nothing is waiting" in client.get(f"/broker/banks/{bank.id}/pending").text
    again = client.post(
        f"/broker/banks/{bank.id}/pending/{pending.id}/confirm", follow_redirects=True
    )
    assert "already" in again.text
    assert "pending.confirmed" in session.scalars(select(AuditEvent.action)).all()


def test_a_broker_declines_recorded_help(broker, make_member, session: Session, account_of) -> None:
    client, bank, _ = broker
    joan, seamus = make_member(bank, "Joan Murphy"), make_member(bank, "Seamus Kelly")
    pending = recorded(session, bank, seamus, joan, account_of)
    page = client.post(
        f"/broker/banks/{bank.id}/pending/{pending.id}/decline", follow_redirects=True
    )
    assert "No hours were moved" in page.text
    session.refresh(pending)
    assert pending.status == PendingStatus.VOIDED and account_of(seamus).balance == 0


def test_lapsed_help_cannot_be_confirmed(broker, make_member, session: Session, account_of) -> None:
    client, bank, _ = broker
    joan, seamus = make_member(bank, "Joan Murphy"), make_member(bank, "Seamus Kelly")
    pending = recorded(session, bank, seamus, joan, account_of, now=utcnow() - timedelta(days=31))
    assert "Nothing is waiting" in client.get(f"/broker/banks/{bank.id}/pending").text
    page = client.post(
        f"/broker/banks/{bank.id}/pending/{pending.id}/confirm", follow_redirects=True
    )
    assert "lapsed" in page.text
    assert account_of(seamus).balance == 0


def test_another_banks_broker_gets_404(
    broker, make_bank, make_member, make_user, session: Session, account_of
) -> None:
    client, bank, _ = broker
    other = make_bank()
    joan, seamus = make_member(other, "Joan Murphy"), make_member(other, "Seamus Kelly")
    pending = recorded(session, other, seamus, joan, account_of)
    assert client.post(f"/broker/banks/{bank.id}/pending/{pending.id}/confirm").status_code == 404
    assert client.post(f"/broker/banks/{other.id}/pending/{pending.id}/confirm").status_code == 404
    session.refresh(pending)
    assert pending.status == PendingStatus.PENDING


def test_the_expire_command_lapses_old_records(
    app, session: Session, make_bank, make_member, account_of
) -> None:
    bank = make_bank()
    joan, seamus = make_member(bank, "Joan Murphy"), make_member(bank, "Seamus Kelly")
    recorded(session, bank, seamus, joan, account_of, now=utcnow() - timedelta(days=40))
    result = app.test_cli_runner().invoke(args=["expire-pending"])
    assert "1 unconfirmed record(s) of help lapsed" in result.output
