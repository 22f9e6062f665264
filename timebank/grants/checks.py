"""The checks, locks and replays every grant operation shares.

Amounts are whole pence; dates are checked against the bank's own today; a grant's row lock
makes its operations take turns; and a retried request (the same idempotency key) is found
and handed back instead of being posted again.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from timebank import ledger
from timebank.banks.models import Bank, Programme
from timebank.grants.errors import GrantError, GrantErrorCode
from timebank.grants.models import BudgetLine, Grant
from timebank.ledger import ErrorCode, LedgerError, Transfer, TransferRequest


def is_count(value: object) -> bool:
    """Whether a value is a whole number (and not a bool)."""
    # True is an int to Python, never an amount of money
    return isinstance(value, int) and not isinstance(value, bool)


def check_pence(pence: object) -> None:
    """Refuse anything but whole pence above 0."""
    if not is_count(pence):
        raise TypeError("money is whole pence, an int")
    if pence <= 0:  # type: ignore[operator]
        raise LedgerError(ErrorCode.AMOUNT_MUST_BE_POSITIVE, "the amount must be more than 0p")


def check_not_future(bank: Bank, day: date, now: datetime | None) -> None:
    """Refuse a day that has not yet happened at the bank (``date_in_future``)."""
    if day > bank.today(now):
        raise LedgerError(
            ErrorCode.DATE_IN_FUTURE, f"{day.isoformat()} has not happened yet at the bank"
        )


def check_line_of(grant: Grant, line: BudgetLine) -> None:
    """Refuse a budget line of another grant."""
    if line.grant_id != grant.id:
        raise GrantError(
            GrantErrorCode.LINE_NOT_IN_GRANT,
            f"budget line {line.id} belongs to grant {line.grant_id}, not {grant.id}",
        )


def lock_bank(session: Session, bank: Bank) -> None:
    """Take the bank's row lock (PostgreSQL; SQLite already holds its write lock), so a second
    send of the same award waits for the first and then finds it recorded."""
    session.execute(select(Bank.id).where(Bank.id == bank.id).with_for_update())


def lock_grant(session: Session, grant: Grant) -> None:
    """Take the grant's row lock (PostgreSQL; SQLite already holds its write lock) and read
    its status afresh."""
    session.scalars(
        select(Grant)
        .where(Grant.id == grant.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()


def keyed(session: Session, bank_id: int, key: str | None) -> Transfer | None:
    """The transfer already posted with this idempotency key in the bank, if any."""
    if key is None:
        return None
    return session.scalars(
        select(Transfer).where(Transfer.bank_id == bank_id, Transfer.idempotency_key == key)
    ).one_or_none()


def replayed(session: Session, request: TransferRequest, now: datetime | None) -> Transfer | None:
    """The transfer a retried request first posted, or None; a key reused for other terms is
    refused by the ledger (``idempotency_key_reused``), which compares the fingerprints."""
    if keyed(session, request.bank_id, request.idempotency_key) is None:
        return None
    return ledger.post(session, request, now=now)


def bank_of(session: Session, grant: Grant) -> Bank:
    """The bank a grant was awarded to."""
    return session.get_one(Bank, grant.bank_id)


def programme_of(session: Session, grant: Grant) -> Programme:
    """The programme that awarded a grant."""
    return session.get_one(Programme, grant.programme_id)
