"""The database refuses to rewrite or delete grants, budget lines and spend details."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session

from tests.grants.conftest import line_named
from timebank.grants.models import Grant, Spend
from timebank.grants.operations import close_grant, record_spend, return_unspent


@pytest.fixture
def spent(session: Session, grant: Grant) -> Spend:
    result = record_spend(
        session,
        grant,
        line_named(session, grant, "venue hire"),
        4_500,
        date.today() - timedelta(days=1),
        payee="St Mary's Hall",
        receipt_reference="INV-0042",
        description="Lunch club, March",
        by_user_id=None,
    )
    session.commit()
    return result.spend


def refused_by_database(session: Session, statement: str) -> str:
    with pytest.raises((IntegrityError, DBAPIError)) as raised:
        session.execute(sa.text(statement))
        session.commit()
    session.rollback()
    return str(raised.value.orig)


def allowed(session: Session, statement: str) -> None:
    session.execute(sa.text(statement))
    session.commit()


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE grants SET amount_pence = amount_pence + 100",
        "UPDATE grants SET awarded_on = '2020-01-01'",
        "UPDATE grants SET grant_account_id = funder_account_id + 0, funder_account_id = 0",
        "UPDATE grants SET bank_id = bank_id + 1",
        "DELETE FROM grants",
        "UPDATE budget_lines SET account_id = account_id + 1",
        "UPDATE budget_lines SET name = 'something else'",
        "UPDATE budget_lines SET grant_id = grant_id + 1",
        "DELETE FROM budget_lines",
        "UPDATE grant_spends SET payee = 'Someone Else'",
        "UPDATE grant_spends SET receipt_reference = 'INV-9999'",
        "UPDATE grant_spends SET budget_line_id = budget_line_id + 1",
        "UPDATE grant_spends SET redacted_at = CURRENT_TIMESTAMP",
        "UPDATE grant_spends SET payee = '', description = '', receipt_reference = 'other',"
        " redacted_at = CURRENT_TIMESTAMP",
        "DELETE FROM grant_spends",
    ],
)
def test_raw_rewrites_and_deletes_are_refused(
    session: Session, spent: Spend, statement: str
) -> None:
    assert "ledger_immutable" in refused_by_database(session, statement)


def test_what_may_change_does(session: Session, grant: Grant, spent: Spend) -> None:
    allowed(session, "UPDATE grants SET conditions = 'Report every six months'")
    allowed(session, "UPDATE budget_lines SET budget_pence = 0 WHERE name = 'other'")
    # redaction: payee and description blanked, once; the receipt reference kept
    allowed(
        session,
        "UPDATE grant_spends SET payee = '', description = '', redacted_at = CURRENT_TIMESTAMP",
    )
    assert "ledger_immutable" in refused_by_database(
        session, "UPDATE grant_spends SET redacted_at = NULL"
    )
    assert "ledger_immutable" in refused_by_database(
        session, "UPDATE grant_spends SET payee = 'Joan Murphy'"
    )


def test_a_closed_grant_never_reopens(session: Session, grant: Grant) -> None:
    return_unspent(session, grant, grant.amount_pence, date.today(), by_user_id=None)
    close_grant(session, grant, by_user_id=None)
    session.commit()
    assert "ledger_immutable" in refused_by_database(session, "UPDATE grants SET status = 'open'")


def test_truncating_is_refused_on_postgresql(
    session: Session, spent: Spend, engine_name: str
) -> None:
    if engine_name != "postgresql":
        pytest.skip("SQLite has no TRUNCATE")
    for table in ("grant_spends", "budget_lines", "grants"):
        assert "ledger_immutable" in refused_by_database(session, f"TRUNCATE {table} CASCADE")
