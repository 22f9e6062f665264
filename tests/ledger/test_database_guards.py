"""The database itself refuses what would break the books, whatever code talks to it."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session

from timebank import ledger
from timebank.banks.models import Bank
from timebank.banks.operations import pot_account
from timebank.ledger import Account, TransferKind, TransferRequest, Unit


@pytest.fixture
def posted(session: Session, make_bank, make_member, account_of) -> tuple[int, Account, Account]:
    bank = make_bank()
    joan = account_of(make_member(bank, "Joan Murphy"))
    seamus = account_of(make_member(bank, "Seamus Kelly"))
    transfer = ledger.post(
        session,
        TransferRequest(
            bank_id=bank.id,
            unit=Unit.HOURS,
            kind=TransferKind.EXCHANGE,
            from_account_id=joan.id,
            to_account_id=seamus.id,
            amount=60,
        ),
    )
    session.commit()
    return transfer.id, joan, seamus


def refused_by_database(session: Session, statement: str, **params: object) -> str:
    with pytest.raises((IntegrityError, DBAPIError)) as raised:
        session.execute(sa.text(statement), params)
        session.commit()  # PostgreSQL checks deferred constraints here
    session.rollback()
    return str(raised.value.orig)


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE entries SET amount = amount + 1",
        "DELETE FROM entries",
        "UPDATE transfers SET amount = 1",
        "UPDATE transfers SET given_on = given_on",
        "DELETE FROM transfers",
    ],
)
def test_raw_updates_and_deletes_of_the_books_are_refused(
    session: Session, posted, statement: str
) -> None:
    message = refused_by_database(session, statement)
    assert "ledger_immutable" in message


def test_truncating_the_books_is_refused_on_postgresql(
    session: Session, posted, engine_name: str
) -> None:
    if engine_name != "postgresql":
        pytest.skip("SQLite has no TRUNCATE")
    assert "ledger_immutable" in refused_by_database(session, "TRUNCATE entries, transfers CASCADE")


def test_a_zero_entry_is_refused(session: Session, posted) -> None:
    transfer_id, joan, _ = posted
    message = refused_by_database(
        session,
        "INSERT INTO entries (transfer_id, account_id, bank_id, unit, amount)"
        " VALUES (:t, :a, :b, 'HOURS', 0)",
        t=transfer_id,
        a=joan.id,
        b=joan.bank_id,
    )
    assert "amount_not_zero" in message


def test_an_entry_in_another_unit_than_its_account_is_refused(session: Session, posted) -> None:
    transfer_id, joan, _ = posted
    pot = pot_account(session, joan.bank_id)
    message = refused_by_database(
        session,
        "INSERT INTO entries (transfer_id, account_id, bank_id, unit, amount)"
        " VALUES (:t, :a, :b, 'GBP', 5)",
        t=transfer_id,
        a=pot.id,
        b=joan.bank_id,
    )
    assert "foreign key" in message.lower()


def test_a_balance_beyond_the_floor_is_refused(session: Session, posted) -> None:
    _, joan, _ = posted
    message = refused_by_database(
        session, "UPDATE accounts SET balance = -6000 WHERE id = :a", a=joan.id
    )
    assert "within_floor" in message


#: How each engine says a transfer does not balance: PostgreSQL's deferred trigger names it;
#: SQLite's deferred foreign key (migration 0008) can only say that it failed.
UNBALANCED = {"postgresql": "unbalanced", "sqlite": "FOREIGN KEY constraint failed"}


def test_an_unbalanced_transfer_is_refused_at_commit(
    session: Session, posted, engine_name: str
) -> None:
    transfer_id, joan, _ = posted
    pot = pot_account(session, joan.bank_id)
    message = refused_by_database(
        session,
        "INSERT INTO entries (transfer_id, account_id, bank_id, unit, amount)"
        " VALUES (:t, :a, :b, 'HOURS', 5)",
        t=transfer_id,
        a=pot.id,
        b=joan.bank_id,
    )
    assert UNBALANCED[engine_name] in message


def test_a_transfer_without_entries_is_refused_at_commit(
    session: Session, posted, engine_name: str
) -> None:
    _, joan, _ = posted
    message = refused_by_database(
        session,
        "INSERT INTO transfers (bank_id, unit, kind, amount, given_on, recorded_at)"
        " VALUES (:b, 'HOURS', 'gift', 30, CURRENT_DATE, CURRENT_TIMESTAMP)",
        b=joan.bank_id,
    )
    assert UNBALANCED[engine_name] in message


def test_entries_that_balance_in_sql_are_accepted(session: Session, posted) -> None:
    """The guard counts the whole transfer at COMMIT, not each entry as it is written."""
    _, joan, seamus = posted
    session.execute(
        sa.text(
            "INSERT INTO transfers (bank_id, unit, kind, amount, given_on, recorded_at)"
            " VALUES (:b, 'HOURS', 'gift', 30, CURRENT_DATE, CURRENT_TIMESTAMP)"
        ),
        {"b": joan.bank_id},
    )
    transfer_id = session.scalar(sa.text("SELECT max(id) FROM transfers"))
    for account, amount in ((joan, -30), (seamus, 30)):
        session.execute(
            sa.text(
                "INSERT INTO entries (transfer_id, account_id, bank_id, unit, amount)"
                " VALUES (:t, :a, :b, 'HOURS', :amount)"
            ),
            {"t": transfer_id, "a": account.id, "b": joan.bank_id, "amount": amount},
        )
    session.commit()
    assert ledger.verify(session).ok


def test_entries_on_a_closed_account_are_refused(
    session: Session, posted, make_member, account_of
) -> None:
    transfer_id, joan, _ = posted
    closed = account_of(make_member(session.get(Bank, joan.bank_id), "Una Boyle"))
    ledger.close_account(session, closed.id)
    session.commit()
    message = refused_by_database(
        session,
        "INSERT INTO entries (transfer_id, account_id, bank_id, unit, amount)"
        " VALUES (:t, :a, :b, 'HOURS', 5)",
        t=transfer_id,
        a=closed.id,
        b=closed.bank_id,
    )
    assert "account_closed" in message


def test_a_second_reversal_and_a_reversal_of_a_reversal_are_refused(
    session: Session, posted
) -> None:
    transfer_id, joan, _ = posted
    reversal = ledger.reverse(session, transfer_id, "mistake")
    session.commit()
    insert = (
        "INSERT INTO transfers (bank_id, unit, kind, amount, given_on, recorded_at, reverses_id)"
        " VALUES (:b, 'HOURS', 'reversal', 60, CURRENT_DATE, CURRENT_TIMESTAMP, :r)"
    )
    assert "reverses_id" in refused_by_database(session, insert, b=joan.bank_id, r=transfer_id)
    assert "cannot_reverse_reversal" in refused_by_database(
        session, insert, b=joan.bank_id, r=reversal.id
    )


def test_an_idempotency_key_is_unique_within_a_bank(session: Session, posted) -> None:
    _, joan, _ = posted
    insert = (
        "INSERT INTO transfers (bank_id, unit, kind, amount, given_on, recorded_at,"
        " idempotency_key, fingerprint) VALUES (:b, 'HOURS', 'gift', 30, CURRENT_DATE,"
        " CURRENT_TIMESTAMP, 'same', 'x')"
    )
    session.execute(sa.text(insert), {"b": joan.bank_id})
    with pytest.raises(IntegrityError) as raised:
        session.execute(sa.text(insert), {"b": joan.bank_id})
    session.rollback()
    assert "idempotency_key" in str(raised.value.orig)


def test_the_ledger_refuses_to_commit_a_transfer_that_was_unbalanced_behind_its_back(
    session: Session, posted
) -> None:
    transfer_id, joan, _ = posted
    pot = pot_account(session, joan.bank_id)
    transfer = ledger.post(
        session,
        TransferRequest(
            bank_id=joan.bank_id,
            unit=Unit.HOURS,
            kind=TransferKind.GIFT,
            from_account_id=pot.id,
            to_account_id=joan.id,
            amount=15,
        ),
    )
    session.execute(
        sa.text(
            "INSERT INTO entries (transfer_id, account_id, bank_id, unit, amount)"
            " VALUES (:t, :a, :b, 'HOURS', 5)"
        ),
        {"t": transfer.id, "a": posted[2].id, "b": joan.bank_id},
    )
    with pytest.raises((RuntimeError, IntegrityError)) as raised:
        session.commit()
    session.rollback()
    assert "balance" in str(raised.value)
