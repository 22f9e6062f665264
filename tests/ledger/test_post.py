"""Posting: one test per ledger error code, idempotency, linked postings and reversals."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from timebank import ledger
from timebank.banks.models import Bank
from timebank.banks.operations import pot_account
from timebank.ledger import (
    Account,
    AccountKind,
    Entry,
    ErrorCode,
    LedgerError,
    Transfer,
    TransferKind,
    TransferRequest,
    Unit,
)


@dataclass
class Books:
    bank: Bank
    joan: Account
    seamus: Account
    pot: Account

    def exchange(self, minutes: int = 60, **changes: object) -> TransferRequest:
        """Seamus helps Joan: Joan's account pays, Seamus's earns."""
        request = TransferRequest(
            bank_id=self.bank.id,
            unit=Unit.HOURS,
            kind=TransferKind.EXCHANGE,
            from_account_id=self.joan.id,
            to_account_id=self.seamus.id,
            amount=minutes,
        )
        return replace(request, **changes)


@pytest.fixture
def books(session: Session, make_bank, make_member, account_of) -> Books:
    bank = make_bank()
    joan = account_of(make_member(bank, "Joan Murphy"))
    seamus = account_of(make_member(bank, "Seamus Kelly"))
    return Books(bank, joan, seamus, pot_account(session, bank.id))


def refused(
    session: Session, code: ErrorCode, request: TransferRequest, **kwargs: object
) -> LedgerError:
    """The refusal of ``request``, checked to have the code and to have written nothing."""
    before = session.scalar(select(func.count(Transfer.id)))
    with pytest.raises(LedgerError) as raised:
        ledger.post(session, request, **kwargs)
    assert raised.value.code == code
    session.commit()
    assert session.scalar(select(func.count(Transfer.id))) == before, "a refusal wrote something"
    return raised.value


def balance(session: Session, account: Account) -> int:
    session.refresh(account)
    return account.balance


# -- the happy path -----------------------------------------------------------------------------


def test_an_exchange_moves_hours_from_receiver_to_provider(session: Session, books: Books) -> None:
    transfer = ledger.post(session, books.exchange(90))
    session.commit()

    assert sorted((e.account_id, e.amount) for e in transfer.entries) == sorted(
        [(books.joan.id, -90), (books.seamus.id, 90)]
    )
    assert balance(session, books.joan) == -90
    assert balance(session, books.seamus) == 90
    assert transfer.given_on == books.bank.today()
    assert transfer.recorded_at.tzinfo is not None


def test_a_note_is_kept_apart_from_the_books(session: Session, books: Books) -> None:
    transfer = ledger.post(session, books.exchange(note="Shopping at the Co-op"))
    session.commit()
    assert transfer.note is not None and transfer.note.text == "Shopping at the Co-op"
    assert not hasattr(Transfer, "text")


def test_today_is_decided_by_the_bank_time_zone(
    session: Session, make_bank, make_member, account_of
) -> None:
    # 23:30 UTC on 1 June is already 2 June in Auckland, still 1 June in London
    late_evening = datetime(2026, 6, 1, 23, 30, tzinfo=UTC)
    auckland = make_bank(timezone="Pacific/Auckland")
    a = account_of(make_member(auckland, "Ann Bell"))
    b = account_of(make_member(auckland, "Bob Bell"))
    request = TransferRequest(
        bank_id=auckland.id,
        unit=Unit.HOURS,
        kind=TransferKind.EXCHANGE,
        from_account_id=a.id,
        to_account_id=b.id,
        amount=30,
        given_on=date(2026, 6, 2),
    )
    transfer = ledger.post(session, request, now=late_evening)
    session.commit()
    assert transfer.given_on == date(2026, 6, 2)


# -- one test per error code --------------------------------------------------------------------


def test_same_account_is_refused(session: Session, books: Books) -> None:
    refused(session, ErrorCode.SAME_ACCOUNT, books.exchange(to_account_id=books.joan.id))


@pytest.mark.parametrize("minutes", [0, -15])
def test_amount_must_be_positive(session: Session, books: Books, minutes: int) -> None:
    refused(session, ErrorCode.AMOUNT_MUST_BE_POSITIVE, books.exchange(minutes))


def test_help_above_24_hours_is_too_large(session: Session, books: Books) -> None:
    refused(session, ErrorCode.AMOUNT_TOO_LARGE, books.exchange(24 * 60 + 15))
    ledger.set_limits(session, books.joan.id, floor=-24 * 60, ceiling=None)
    ledger.post(session, books.exchange(24 * 60))  # a whole day is the most, and is accepted
    session.commit()


def test_any_amount_above_the_unit_cap_is_too_large(session: Session, books: Books) -> None:
    gift = books.exchange(ledger.MAX_AMOUNT[Unit.HOURS] + 1, kind=TransferKind.GIFT)
    refused(session, ErrorCode.AMOUNT_TOO_LARGE, gift)


def test_unit_mismatch_is_refused(session: Session, books: Books) -> None:
    grant = ledger.open_account(
        session, bank_id=books.bank.id, unit=Unit.GBP, kind=AccountKind.GRANT, label="grant"
    )
    session.commit()
    error = refused(session, ErrorCode.UNIT_MISMATCH, books.exchange(to_account_id=grant.id))
    assert error.account_id == grant.id


def test_bank_mismatch_is_refused(
    session: Session, books: Books, make_bank, make_member, account_of
) -> None:
    elsewhere = account_of(make_member(make_bank(), "Oonagh Quinn"))
    error = refused(session, ErrorCode.BANK_MISMATCH, books.exchange(to_account_id=elsewhere.id))
    assert error.account_id == elsewhere.id


def test_account_closed_is_refused(session: Session, books: Books) -> None:
    ledger.close_account(session, books.seamus.id)
    session.commit()
    # the refusal names the account, so a form can put it beside the right member
    assert (
        refused(session, ErrorCode.ACCOUNT_CLOSED, books.exchange()).account_id == books.seamus.id
    )


def test_exceeds_floor_is_refused(session: Session, books: Books) -> None:
    ledger.post(session, books.exchange(600))  # Joan reaches the -10 hour floor exactly
    session.commit()
    error = refused(session, ErrorCode.EXCEEDS_FLOOR, books.exchange(15))
    assert error.account_id == books.joan.id
    assert balance(session, books.joan) == -600


def test_exceeds_ceiling_is_refused(session: Session, books: Books) -> None:
    ledger.set_limits(session, books.seamus.id, floor=-600, ceiling=60)
    session.commit()
    assert (
        refused(session, ErrorCode.EXCEEDS_CEILING, books.exchange(75)).account_id
        == books.seamus.id
    )


def test_date_in_future_is_refused(session: Session, books: Books) -> None:
    tomorrow = books.bank.today() + timedelta(days=1)
    refused(session, ErrorCode.DATE_IN_FUTURE, books.exchange(given_on=tomorrow))


def test_idempotency_key_reused_with_another_body_is_refused(
    session: Session, books: Books
) -> None:
    ledger.post(session, books.exchange(60, idempotency_key="form-1"))
    session.commit()
    refused(session, ErrorCode.IDEMPOTENCY_KEY_REUSED, books.exchange(45, idempotency_key="form-1"))


def test_already_reversed_is_refused(session: Session, books: Books) -> None:
    transfer = ledger.post(session, books.exchange())
    ledger.reverse(session, transfer.id, "logged twice")
    session.commit()
    with pytest.raises(LedgerError) as raised:
        ledger.reverse(session, transfer.id, "again")
    assert raised.value.code == ErrorCode.ALREADY_REVERSED


def test_cannot_reverse_reversal(session: Session, books: Books) -> None:
    transfer = ledger.post(session, books.exchange())
    reversal = ledger.reverse(session, transfer.id, "logged twice")
    session.commit()
    with pytest.raises(LedgerError) as raised:
        ledger.reverse(session, reversal.id, "undo the undo")
    assert raised.value.code == ErrorCode.CANNOT_REVERSE_REVERSAL


@pytest.mark.parametrize("missing", ["bank", "account", "transfer"])
def test_not_found(session: Session, books: Books, missing: str) -> None:
    if missing == "bank":
        refused(session, ErrorCode.NOT_FOUND, books.exchange(bank_id=999_999))
    elif missing == "account":
        refused(session, ErrorCode.NOT_FOUND, books.exchange(to_account_id=999_999))
    else:
        with pytest.raises(LedgerError) as raised:
            ledger.reverse(session, 999_999, "no such transfer")
        assert raised.value.code == ErrorCode.NOT_FOUND


def test_a_reversal_needs_a_reason(session: Session, books: Books) -> None:
    transfer = ledger.post(session, books.exchange())
    session.commit()
    with pytest.raises(LedgerError) as raised:
        ledger.reverse(session, transfer.id, "   ")
    assert raised.value.code == ErrorCode.REASON_REQUIRED


def test_an_account_with_a_balance_cannot_close(session: Session, books: Books) -> None:
    ledger.post(session, books.exchange())
    session.commit()
    with pytest.raises(LedgerError) as raised:
        ledger.close_account(session, books.joan.id)
    assert raised.value.code == ErrorCode.BALANCE_NOT_ZERO


def test_limits_that_the_balance_already_breaks_are_refused(session: Session, books: Books) -> None:
    ledger.post(session, books.exchange(120))
    session.commit()
    with pytest.raises(LedgerError) as raised:
        ledger.set_limits(session, books.joan.id, floor=-60, ceiling=None)
    assert raised.value.code == ErrorCode.EXCEEDS_FLOOR
    with pytest.raises(LedgerError) as raised:
        ledger.set_limits(session, books.seamus.id, floor=None, ceiling=60)
    assert raised.value.code == ErrorCode.EXCEEDS_CEILING
    with pytest.raises(LedgerError) as raised:
        ledger.set_limits(session, books.seamus.id, floor=200, ceiling=100)
    assert raised.value.code == ErrorCode.INVALID_LIMITS


def test_an_empty_batch_is_refused(session: Session, books: Books) -> None:
    with pytest.raises(LedgerError) as raised:
        ledger.post_linked(session, [])
    assert raised.value.code == ErrorCode.EMPTY_BATCH


# -- idempotency --------------------------------------------------------------------------------


def test_a_replay_returns_the_original_and_writes_nothing(session: Session, books: Books) -> None:
    first = ledger.post(session, books.exchange(60, idempotency_key="form-7"))
    session.commit()
    again = ledger.post(session, books.exchange(60, idempotency_key="form-7"))
    session.commit()
    assert again.id == first.id
    assert session.scalar(select(func.count(Transfer.id))) == 1
    assert balance(session, books.seamus) == 60


def test_the_same_key_in_another_bank_is_another_transfer(
    session: Session, books: Books, make_bank, make_member, account_of
) -> None:
    other = make_bank()
    a = account_of(make_member(other, "Ann Bell"))
    b = account_of(make_member(other, "Bob Bell"))
    ledger.post(session, books.exchange(idempotency_key="k"))
    ledger.post(
        session,
        books.exchange(
            bank_id=other.id, from_account_id=a.id, to_account_id=b.id, idempotency_key="k"
        ),
    )
    session.commit()
    assert session.scalar(select(func.count(Transfer.id))) == 2


# -- linked postings ----------------------------------------------------------------------------


def test_linked_postings_are_all_or_nothing(
    session: Session, books: Books, make_member, account_of
) -> None:
    una = account_of(make_member(books.bank, "Una Boyle"))
    ledger.post(session, books.exchange(600, from_account_id=una.id))  # Una is at her floor
    session.commit()
    talk = [
        books.exchange(60, kind=TransferKind.GROUP_EXCHANGE),
        books.exchange(60, kind=TransferKind.GROUP_EXCHANGE, from_account_id=una.id),
    ]
    before = session.scalar(select(func.count(Transfer.id)))
    with pytest.raises(LedgerError) as raised:
        ledger.post_linked(session, talk)
    assert raised.value.code == ErrorCode.EXCEEDS_FLOOR
    assert raised.value.index == 1
    session.commit()
    assert session.scalar(select(func.count(Transfer.id))) == before
    assert balance(session, books.joan) == 0


def test_limits_count_earlier_transfers_of_the_same_batch(session: Session, books: Books) -> None:
    # each leg alone fits Joan's floor; together they would not
    legs = [books.exchange(400, kind=TransferKind.GROUP_EXCHANGE)] * 2
    with pytest.raises(LedgerError) as raised:
        ledger.post_linked(session, legs)
    assert (raised.value.code, raised.value.index) == (ErrorCode.EXCEEDS_FLOOR, 1)


def test_linked_transfers_share_a_batch_and_replay_together(
    session: Session, books: Books, make_member, account_of
) -> None:
    una = account_of(make_member(books.bank, "Una Boyle"))
    talk = [
        books.exchange(60, kind=TransferKind.GROUP_EXCHANGE, idempotency_key="talk:1"),
        books.exchange(
            60, kind=TransferKind.GROUP_EXCHANGE, from_account_id=una.id, idempotency_key="talk:2"
        ),
    ]
    first = ledger.post_linked(session, talk)
    session.commit()
    assert first[0].batch is not None and first[0].batch == first[1].batch
    assert balance(session, books.seamus) == 120
    again = ledger.post_linked(session, talk)
    session.commit()
    assert [t.id for t in again] == [t.id for t in first]
    assert balance(session, books.seamus) == 120


def test_a_batch_mixing_old_and_new_keys_is_refused(session: Session, books: Books) -> None:
    ledger.post(session, books.exchange(30, kind=TransferKind.GROUP_EXCHANGE, idempotency_key="a"))
    session.commit()
    batch = [
        books.exchange(30, kind=TransferKind.GROUP_EXCHANGE, idempotency_key="a"),
        books.exchange(30, kind=TransferKind.GROUP_EXCHANGE, idempotency_key="b"),
    ]
    with pytest.raises(LedgerError) as raised:
        ledger.post_linked(session, batch)
    assert (raised.value.code, raised.value.index) == (ErrorCode.IDEMPOTENCY_KEY_REUSED, 1)


# -- reversals ----------------------------------------------------------------------------------


def test_a_reversal_mirrors_the_original(session: Session, books: Books) -> None:
    original = ledger.post(session, books.exchange(75))
    reversal = ledger.reverse(session, original.id, "wrong member", by=None)
    session.commit()
    assert reversal.kind == TransferKind.REVERSAL
    assert reversal.reverses_id == original.id
    assert sorted((e.account_id, e.amount) for e in reversal.entries) == sorted(
        (e.account_id, -e.amount) for e in original.entries
    )
    assert balance(session, books.joan) == 0 and balance(session, books.seamus) == 0
    assert reversal.note is not None and reversal.note.text == "wrong member"
    assert ledger.reversal_of(session, original.id).id == reversal.id


def test_a_reversal_respects_the_floor(
    session: Session, books: Books, make_member, account_of
) -> None:
    # Seamus earned an hour and has since spent all he may; reversing his hour would break his floor
    una = account_of(make_member(books.bank, "Una Boyle"))
    original = ledger.post(session, books.exchange(60))
    ledger.post(
        session,
        books.exchange(
            660, from_account_id=books.seamus.id, to_account_id=una.id, kind=TransferKind.GIFT
        ),
    )
    session.commit()
    with pytest.raises(LedgerError) as raised:
        ledger.reverse(session, original.id, "never happened")
    assert raised.value.code == ErrorCode.EXCEEDS_FLOOR
    # the broker lowers his floor on purpose, then corrects the books
    ledger.set_limits(session, books.seamus.id, floor=-660, ceiling=None)
    ledger.reverse(session, original.id, "never happened")
    session.commit()
    assert balance(session, books.seamus) == -660


def test_a_refusal_leaves_the_callers_transaction_usable(session: Session, books: Books) -> None:
    ledger.post(session, books.exchange(30))
    with pytest.raises(LedgerError):
        ledger.post(session, books.exchange(0))
    ledger.post(session, books.exchange(30))
    session.commit()
    assert balance(session, books.seamus) == 60
    assert session.scalar(select(func.count(Entry.id))) == 4
