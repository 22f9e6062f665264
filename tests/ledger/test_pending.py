"""Two-phase transfers: pending moves nothing; confirmed posts once; declined and expired
never post; and the database refuses to reopen or rewrite one."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy import func, select
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session

from timebank import ledger
from timebank.db import utcnow
from timebank.ledger import (
    ErrorCode,
    LedgerError,
    PendingStatus,
    Transfer,
    TransferKind,
    TransferRequest,
    Unit,
)


@pytest.fixture
def request_(session: Session, make_bank, make_member, account_of):  # type: ignore[no-untyped-def]
    bank = make_bank()
    joan = account_of(make_member(bank, "Joan Murphy"))
    seamus = account_of(make_member(bank, "Seamus Kelly"))

    def make(minutes: int = 60, **changes: object) -> TransferRequest:
        values = dict(
            bank_id=bank.id,
            unit=Unit.HOURS,
            kind=TransferKind.EXCHANGE,
            from_account_id=joan.id,
            to_account_id=seamus.id,
            amount=minutes,
        )
        values.update(changes)
        return TransferRequest(**values)  # type: ignore[arg-type]

    make.joan, make.seamus = joan, seamus  # type: ignore[attr-defined]
    return make


def balances(session: Session, *accounts) -> list[int]:  # type: ignore[no-untyped-def]
    for account in accounts:
        session.refresh(account)
    return [a.balance for a in accounts]


def test_a_pending_exchange_moves_no_hours_until_confirmed(session: Session, request_) -> None:
    pending = ledger.pend(session, request_(90, note="Lift to the clinic"))
    session.commit()
    assert pending.status == PendingStatus.PENDING
    assert balances(session, request_.joan, request_.seamus) == [0, 0]
    assert session.scalar(select(func.count(Transfer.id))) == 0

    transfer = ledger.confirm(session, pending.id, by_member_id=None)
    session.commit()
    assert pending.status == PendingStatus.POSTED and pending.transfer_id == transfer.id
    assert balances(session, request_.joan, request_.seamus) == [-90, 90]
    assert transfer.note.text == "Lift to the clinic"


def test_a_declined_exchange_never_moves_hours(session: Session, request_) -> None:
    pending = ledger.pend(session, request_())
    ledger.void(session, pending.id, "That was not me")
    session.commit()
    assert pending.status == PendingStatus.VOIDED and pending.reason == "That was not me"
    with pytest.raises(LedgerError) as raised:
        ledger.confirm(session, pending.id)
    assert raised.value.code == ErrorCode.ALREADY_RESOLVED
    assert balances(session, request_.joan, request_.seamus) == [0, 0]


def test_it_ends_only_once(session: Session, request_) -> None:
    pending = ledger.pend(session, request_())
    ledger.confirm(session, pending.id)
    session.commit()
    for attempt in (
        lambda: ledger.confirm(session, pending.id),
        lambda: ledger.void(session, pending.id),
    ):
        with pytest.raises(LedgerError) as raised:
            attempt()
        assert raised.value.code == ErrorCode.ALREADY_RESOLVED
    session.rollback()
    assert session.scalar(select(func.count(Transfer.id))) == 1


def test_after_30_days_it_expires(session: Session, request_) -> None:
    start = utcnow()
    pending = ledger.pend(session, request_(), now=start)
    stale = ledger.pend(session, request_(30), now=start)
    session.commit()
    assert ledger.expire(session, now=start + timedelta(days=29)) == 0
    assert ledger.expire(session, now=start + timedelta(days=30, seconds=1)) == 2
    session.commit()
    session.refresh(pending)
    assert pending.status == PendingStatus.EXPIRED
    with pytest.raises(LedgerError) as raised:
        ledger.confirm(session, stale.id, now=start + timedelta(days=31))
    assert raised.value.code == ErrorCode.PENDING_EXPIRED


def test_confirming_after_the_deadline_expires_it_instead(session: Session, request_) -> None:
    start = utcnow()
    pending = ledger.pend(session, request_(), now=start)
    session.commit()
    with pytest.raises(LedgerError) as raised:
        ledger.confirm(session, pending.id, now=start + timedelta(days=31))
    assert raised.value.code == ErrorCode.PENDING_EXPIRED
    session.commit()
    session.refresh(pending)
    assert pending.status == PendingStatus.EXPIRED


def test_the_limits_are_checked_again_on_confirmation(session: Session, request_) -> None:
    first = ledger.pend(session, request_(400))
    second = ledger.pend(session, request_(400))
    session.commit()
    ledger.confirm(session, first.id)
    session.commit()
    with pytest.raises(LedgerError) as raised:
        ledger.confirm(session, second.id)
    assert raised.value.code == ErrorCode.EXCEEDS_FLOOR
    session.rollback()
    session.refresh(second)
    assert second.status == PendingStatus.PENDING  # still there to decline or retry


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"amount": 0}, ErrorCode.AMOUNT_MUST_BE_POSITIVE),
        ({"amount": 25 * 60}, ErrorCode.AMOUNT_TOO_LARGE),
        ({"to_account_id": -1}, ErrorCode.NOT_FOUND),
        ({"amount": 700}, ErrorCode.EXCEEDS_FLOOR),
    ],
)
def test_a_pending_exchange_is_checked_like_a_posting(
    session: Session, request_, changes, code
) -> None:
    if changes.get("to_account_id") == -1:
        changes = {"to_account_id": 999_999}
    with pytest.raises(LedgerError) as raised:
        ledger.pend(
            session,
            request_(
                **{k: v for k, v in changes.items() if k != "amount"},
                minutes=changes.get("amount", 60),
            ),
        )
    assert raised.value.code == code


def test_a_future_date_is_refused(session: Session, request_, make_bank) -> None:
    from timebank.banks.models import Bank

    bank = session.get(Bank, request_().bank_id)
    with pytest.raises(LedgerError) as raised:
        ledger.pend(session, request_(given_on=bank.today() + timedelta(days=1)))
    assert raised.value.code == ErrorCode.DATE_IN_FUTURE


def test_a_retried_request_records_once(session: Session, request_) -> None:
    first = ledger.pend(session, request_(idempotency_key="phone-1"))
    again = ledger.pend(session, request_(idempotency_key="phone-1"))
    assert first.id == again.id
    with pytest.raises(LedgerError) as raised:
        ledger.pend(session, request_(45, idempotency_key="phone-1"))
    assert raised.value.code == ErrorCode.IDEMPOTENCY_KEY_REUSED


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE pending_transfers SET amount = amount + 15",
        "UPDATE pending_transfers SET to_account_id = from_account_id",
        "DELETE FROM pending_transfers",
    ],
)
def test_the_database_refuses_to_rewrite_a_pending_transfer(
    session: Session, request_, statement: str
) -> None:
    ledger.pend(session, request_())
    session.commit()
    with pytest.raises((IntegrityError, DBAPIError)) as raised:
        session.execute(sa.text(statement))
        session.commit()
    session.rollback()
    assert "ledger_immutable" in str(raised.value.orig) or "two_accounts" in str(raised.value.orig)


def test_the_database_refuses_to_reopen_an_ended_one(session: Session, request_) -> None:
    pending = ledger.pend(session, request_())
    ledger.void(session, pending.id, "no")
    session.commit()
    with pytest.raises((IntegrityError, DBAPIError)) as raised:
        session.execute(
            sa.text(
                "UPDATE pending_transfers SET status = 'pending', resolved_at = NULL WHERE id = :p"
            ),
            {"p": pending.id},
        )
        session.commit()
    session.rollback()
    assert "ledger_immutable" in str(raised.value.orig)
    # the note may still be redacted after it ended
    session.execute(
        sa.text("UPDATE pending_transfers SET note = '' WHERE id = :p"), {"p": pending.id}
    )
    session.commit()
