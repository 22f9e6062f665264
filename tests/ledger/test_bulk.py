"""The bulk path: the same checks as a single posting, the database's guards still in place."""

from __future__ import annotations

from dataclasses import replace
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from timebank import ledger
from timebank.banks.operations import pot_account
from timebank.ledger import (
    Account,
    Entry,
    ErrorCode,
    LedgerError,
    Transfer,
    TransferKind,
    TransferOutcome,
    TransferRequest,
    Unit,
)


@pytest.fixture
def accounts(session: Session, make_bank, make_member, account_of) -> tuple[Account, ...]:
    bank = make_bank()
    joan = account_of(make_member(bank, "Joan Murphy"))
    seamus = account_of(make_member(bank, "Seamus Kelly"))
    return joan, seamus, pot_account(session, bank.id)


def exchange(payer: Account, earner: Account, minutes: int = 60, **changes) -> TransferRequest:
    request = TransferRequest(
        bank_id=payer.bank_id,
        unit=Unit.HOURS,
        kind=TransferKind.EXCHANGE,
        from_account_id=payer.id,
        to_account_id=earner.id,
        amount=minutes,
    )
    return replace(request, **changes)


def count(session: Session) -> int:
    return session.scalar(select(func.count(Transfer.id))) or 0


def test_many_transfers_move_the_balances(session: Session, accounts) -> None:
    joan, seamus, _ = accounts
    requests = [exchange(joan, seamus, 30)] * 5 + [
        exchange(seamus, joan, 60, outcome_areas=("social", "health"), note="Lifts")
    ]
    ids = ledger.post_many(session, requests, batch_size=4)
    session.commit()
    assert len(ids) == 6 and len(set(ids)) == 6
    session.refresh(joan)
    session.refresh(seamus)
    assert (joan.balance, seamus.balance) == (-90, 90)
    assert session.scalar(select(func.count(Entry.id))) == 12
    assert session.scalar(select(func.count()).select_from(TransferOutcome)) == 2
    assert session.get(Transfer, ids[-1]).note.text == "Lifts"
    assert ledger.verify(session).ok


def test_the_floor_is_checked_in_order_and_nothing_is_written(session: Session, accounts) -> None:
    joan, seamus, _ = accounts
    # the default floor is -600: the eleventh hour is one too many
    requests = [exchange(joan, seamus, 60)] * 11
    with pytest.raises(LedgerError) as refused:
        ledger.post_many(session, requests)
    assert (refused.value.code, refused.value.index) == (ErrorCode.EXCEEDS_FLOOR, 10)
    assert count(session) == 0
    # giving first makes room, as it would one posting at a time
    ledger.post_many(session, [exchange(seamus, joan, 60), *requests])
    session.commit()
    session.refresh(joan)
    assert joan.balance == -600


def test_a_ceiling_is_respected(session: Session, accounts) -> None:
    joan, seamus, _ = accounts
    ledger.set_limits(session, seamus.id, floor=None, ceiling=90)
    with pytest.raises(LedgerError) as refused:
        ledger.post_many(session, [exchange(joan, seamus, 60), exchange(joan, seamus, 60)])
    assert (refused.value.code, refused.value.index) == (ErrorCode.EXCEEDS_CEILING, 1)
    assert count(session) == 0


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"amount": 0}, ErrorCode.AMOUNT_MUST_BE_POSITIVE),
        ({"amount": 25 * 60}, ErrorCode.AMOUNT_TOO_LARGE),
        ({"unit": Unit.GBP}, ErrorCode.UNIT_MISMATCH),
        ({"outcome_areas": ("fun",)}, ErrorCode.INVALID_OUTCOME_AREA),
        ({"kind": TransferKind.REVERSAL}, ErrorCode.CANNOT_REVERSE_REVERSAL),
        ({"to_account_id": 999_999}, ErrorCode.NOT_FOUND),
    ],
)
def test_each_request_is_checked_as_a_single_posting_is(
    session: Session, accounts, change: dict, code: ErrorCode
) -> None:
    joan, seamus, _ = accounts
    with pytest.raises(LedgerError) as refused:
        ledger.post_many(session, [exchange(joan, seamus), exchange(joan, seamus, **change)])
    assert (refused.value.code, refused.value.index) == (code, 1)
    assert count(session) == 0


def test_a_closed_account_is_refused(session: Session, accounts, make_member, account_of) -> None:
    joan, seamus, _ = accounts
    ledger.close_account(session, seamus.id)
    with pytest.raises(LedgerError) as refused:
        ledger.post_many(session, [exchange(joan, seamus)])
    assert refused.value.code == ErrorCode.ACCOUNT_CLOSED


def test_the_database_still_refuses_what_the_checks_let_through(
    session: Session, accounts, engine_name: str
) -> None:
    """With the floor lowered behind the ledger's back, the accounts' CHECK still holds."""
    joan, seamus, _ = accounts
    # the ledger reads the floor as it loads the accounts; change it in the database after
    requests = [exchange(joan, seamus, 600), exchange(joan, seamus, 60)]
    original = ledger.bulk._lock_accounts

    def stale(session_: Session, ids):  # type: ignore[no-untyped-def]
        # copies that have lost their floors: the database's own rows keep them
        return {
            i: SimpleNamespace(**{**vars(a), "floor": None})
            for i, a in original(session_, ids).items()
        }

    ledger.bulk._lock_accounts = stale  # type: ignore[attr-defined]
    try:
        with pytest.raises(LedgerError) as refused:
            ledger.post_many(session, requests)
    finally:
        ledger.bulk._lock_accounts = original  # type: ignore[attr-defined]
    assert refused.value.code == ErrorCode.EXCEEDS_FLOOR
    session.rollback()
    assert count(session) == 0


def test_rows_written_in_bulk_can_never_be_changed(session: Session, accounts) -> None:
    joan, seamus, _ = accounts
    (transfer_id,) = ledger.post_many(session, [exchange(joan, seamus)])
    session.commit()
    with pytest.raises(Exception, match="ledger_immutable"):
        session.execute(
            text("UPDATE entries SET amount = 1 WHERE transfer_id = :t"), {"t": transfer_id}
        )
    session.rollback()


def test_a_replay_writes_nothing_and_gives_the_first_ids(session: Session, accounts) -> None:
    joan, seamus, _ = accounts
    requests = [
        exchange(joan, seamus, 30, idempotency_key="a"),
        exchange(joan, seamus, 45, idempotency_key="b"),
    ]
    first = ledger.post_many(session, requests)
    session.commit()
    again = ledger.post_many(session, [*requests, exchange(joan, seamus, 60)])
    session.commit()
    assert again[:2] == first
    assert count(session) == 3
    session.refresh(joan)
    assert joan.balance == -135
    with pytest.raises(LedgerError) as refused:
        ledger.post_many(session, [exchange(joan, seamus, 90, idempotency_key="a")])
    assert refused.value.code == ErrorCode.IDEMPOTENCY_KEY_REUSED
    with pytest.raises(LedgerError) as refused:
        ledger.post_many(session, [requests[0], requests[0]])
    assert refused.value.code == ErrorCode.IDEMPOTENCY_KEY_REUSED


def test_linked_legs_share_a_batch(session: Session, accounts) -> None:
    joan, seamus, pot = accounts
    batch = ledger.bulk.new_batch()
    ids = ledger.post_many(
        session,
        [
            exchange(joan, seamus, kind=TransferKind.GROUP_EXCHANGE),
            exchange(pot, seamus, kind=TransferKind.GROUP_EXCHANGE),
            exchange(joan, seamus),
        ],
        linked=[batch, batch, None],
    )
    session.commit()
    batches = [session.get(Transfer, i).batch for i in ids]
    assert batches == [batch, batch, None]
