"""``timebank verify``: clean on healthy books, loud and specific on broken ones."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask.testing import FlaskCliRunner
from sqlalchemy.orm import Session

from timebank import demo


@pytest.fixture
def demo_books(session: Session) -> None:
    demo.load(session, members_per_bank=8)
    session.commit()


def drop_guards(session: Session, engine_name: str) -> None:
    """What a careless restore or a hand edit would do: the triggers are gone."""
    if engine_name == "postgresql":
        session.execute(sa.text("ALTER TABLE entries DISABLE TRIGGER USER"))
        session.execute(sa.text("ALTER TABLE transfers DISABLE TRIGGER USER"))
    else:
        names = session.scalars(sa.text("SELECT name FROM sqlite_master WHERE type = 'trigger'"))
        for name in list(names):
            session.execute(sa.text(f"DROP TRIGGER {name}"))
    session.commit()


def test_verify_is_clean_after_the_demo(runner: FlaskCliRunner, demo_books: None) -> None:
    result = runner.invoke(args=["verify"])
    assert result.exit_code == 0, result.output
    assert "the books balance" in result.output


def test_verify_can_check_one_bank(runner: FlaskCliRunner, demo_books: None) -> None:
    result = runner.invoke(args=["verify", "--bank", "2"])
    assert result.exit_code == 0, result.output


@pytest.mark.books_broken
def test_verify_names_an_entry_changed_by_hand(
    runner: FlaskCliRunner, session: Session, demo_books: None, engine_name: str
) -> None:
    drop_guards(session, engine_name)
    entry_id, transfer_id, account_id = session.execute(
        sa.text(
            "SELECT id, transfer_id, account_id FROM entries WHERE amount > 0 ORDER BY id LIMIT 1"
        )
    ).one()
    session.execute(
        sa.text("UPDATE entries SET amount = amount + 30 WHERE id = :e"), {"e": entry_id}
    )
    session.commit()

    result = runner.invoke(args=["verify"])

    assert result.exit_code == 1
    assert f"unbalanced: transfer {transfer_id} entries sum to 30, not 0" in result.output
    assert f"balance_mismatch: account {account_id} shows" in result.output
    assert "unit_not_zero" in result.output


@pytest.mark.books_broken
def test_verify_names_a_deleted_entry(
    runner: FlaskCliRunner, session: Session, demo_books: None, engine_name: str
) -> None:
    drop_guards(session, engine_name)
    transfer_id = session.scalar(sa.text("SELECT MIN(transfer_id) FROM entries"))
    session.execute(
        sa.text(
            "DELETE FROM entries WHERE id = (SELECT MIN(id) FROM entries WHERE transfer_id = :t)"
        ),
        {"t": transfer_id},
    )
    session.commit()

    result = runner.invoke(args=["verify"])

    assert result.exit_code == 1
    assert f"too_few_entries: transfer {transfer_id} has 1 entries" in result.output


@pytest.mark.books_broken
def test_verify_names_a_drifted_cached_balance(
    runner: FlaskCliRunner, session: Session, demo_books: None
) -> None:
    account_id = session.scalar(sa.text("SELECT MIN(id) FROM accounts WHERE kind = 'member'"))
    session.execute(
        sa.text("UPDATE accounts SET balance = balance + 15 WHERE id = :a"), {"a": account_id}
    )
    session.commit()

    result = runner.invoke(args=["verify"])

    assert result.exit_code == 1
    assert f"balance_mismatch: account {account_id}" in result.output


@pytest.mark.books_broken
def test_verify_names_a_reversal_that_does_not_mirror(
    runner: FlaskCliRunner, session: Session, demo_books: None, engine_name: str
) -> None:
    drop_guards(session, engine_name)
    reversal_id = session.scalar(sa.text("SELECT MIN(id) FROM transfers WHERE kind = 'reversal'"))
    # shift both legs of the reversal by the same amount: still balanced, no longer a mirror
    session.execute(
        sa.text(
            "UPDATE entries SET amount = CASE WHEN amount > 0 THEN amount + 15 ELSE amount - 15 END"
            " WHERE transfer_id = :t"
        ),
        {"t": reversal_id},
    )
    session.execute(
        sa.text("UPDATE transfers SET amount = amount + 15 WHERE id = :t"), {"t": reversal_id}
    )
    session.commit()

    result = runner.invoke(args=["verify"])

    assert result.exit_code == 1
    assert f"reversal_mismatch: transfer {reversal_id} does not mirror" in result.output


@pytest.mark.books_broken
def test_verify_names_a_pending_transfer_posted_with_other_terms(
    runner: FlaskCliRunner, session: Session, demo_books: None, engine_name: str
) -> None:
    from timebank import ledger
    from timebank.ledger import Account, AccountKind, TransferKind, TransferRequest, Unit

    members = session.scalars(
        sa.select(Account).where(Account.kind == AccountKind.MEMBER, Account.bank_id == 1)
    ).all()
    pending = ledger.pend(
        session,
        TransferRequest(
            bank_id=1,
            unit=Unit.HOURS,
            kind=TransferKind.EXCHANGE,
            from_account_id=members[0].id,
            to_account_id=members[1].id,
            amount=15,
        ),
    )
    ledger.confirm(session, pending.id)
    session.commit()
    if engine_name == "postgresql":
        session.execute(sa.text("ALTER TABLE pending_transfers DISABLE TRIGGER USER"))
    else:
        session.execute(sa.text("DROP TRIGGER pending_transfers_terms_fixed"))
    session.execute(
        sa.text("UPDATE pending_transfers SET amount = 45 WHERE id = :p"), {"p": pending.id}
    )
    session.commit()

    result = runner.invoke(args=["verify"])

    assert result.exit_code == 1
    assert f"pending_mismatch: pending transfer {pending.id}" in result.output
