"""Money going out of a grant: spent on a budget line, returned to the programme, or a wrong
spend put right with a reversal.

* spend: the grant's account -> a budget line's account;
* return: the grant's account -> the fund;
* reversal: the mirror of a spend, back into the grant.

The grant's account has a floor of 0, so the ledger (and the database's CHECK) refuse to spend
or return more than it holds. Whether a line may go over its budget is the programme's choice
(:class:`~timebank.grants.models.OverspendPolicy`). Each operation takes the grant's row lock
first, so a resent form waits for the first and then finds it recorded.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.orm import Session

from timebank import audit, ledger
from timebank.db import utcnow
from timebank.grants.checks import (
    bank_of,
    check_line_of,
    check_not_future,
    check_pence,
    lock_grant,
    programme_of,
    replayed,
)
from timebank.grants.errors import GrantError, GrantErrorCode, OverspendRefused
from timebank.grants.figures import spent_on_line
from timebank.grants.models import BudgetLine, Grant, GrantStatus, OverspendPolicy, Spend
from timebank.grants.settings import settings_for
from timebank.ledger import Transfer, TransferKind, TransferNote, TransferRequest, Unit


@dataclass(frozen=True)
class SpendResult:
    """A recorded spend, and whether it took its line past its budget (``warn`` policy)."""

    transfer: Transfer
    spend: Spend
    overspent: bool
    line_budget: int
    #: Spent on the line, this spend included.
    line_spent: int


def record_spend(
    session: Session,
    grant: Grant,
    line: BudgetLine,
    pence: int,
    spent_on: date,
    payee: str = "",
    receipt_reference: str = "",
    description: str = "",
    *,
    by_user_id: int | None,
    idempotency_key: str | None = None,
    now: datetime | None = None,
) -> SpendResult:
    """Record money spent from the grant on one budget line.

    Refused when the grant has too little left (``LedgerError`` ``exceeds_floor``), and, if the
    programme refuses overspending, when the line would pass its budget (:class:`OverspendRefused`);
    under ``warn`` it is recorded with ``overspent=True``. The payee, receipt reference and
    description are kept apart from the books, and out of the audit trail, so they can be
    redacted.
    """
    check_pence(pence)
    check_line_of(grant, line)
    check_not_future(bank_of(session, grant), spent_on, now)
    request = TransferRequest(
        bank_id=grant.bank_id,
        unit=Unit.GBP,
        kind=TransferKind.GRANT_SPEND,
        from_account_id=grant.grant_account_id,
        to_account_id=line.account_id,
        amount=pence,
        given_on=spent_on,
        idempotency_key=idempotency_key,
    )
    # one spend at a time per grant, so two cannot both fit the last of a line's budget
    lock_grant(session, grant)
    first = _replayed_spend(session, request, now)
    if first is not None:
        return first
    if grant.status == GrantStatus.CLOSED:
        raise GrantError(GrantErrorCode.GRANT_CLOSED, f"grant {grant.id} is closed")

    spent_before = spent_on_line(session, line)
    overspent = spent_before + pence > line.budget_pence
    policy = settings_for(session, programme_of(session, grant)).overspend_policy
    if overspent and policy == OverspendPolicy.REFUSE:
        raise OverspendRefused(line, spent_before, pence)

    transfer = ledger.post(session, request, recorded_by_id=by_user_id, now=now)
    spend = Spend(
        transfer_id=transfer.id,
        grant_id=grant.id,
        budget_line_id=line.id,
        payee=payee.strip(),
        receipt_reference=receipt_reference.strip(),
        description=description.strip(),
    )
    session.add(spend)
    session.flush()
    audit.record(
        session,
        "grant.spent",
        user_id=by_user_id,
        bank_id=grant.bank_id,
        subject=f"transfer:{transfer.id}",
        # no payee or description: the trail cannot be redacted, so it holds no personal data
        details={
            "grant_id": grant.id,
            "line_id": line.id,
            "line": line.name,
            "amount_pence": pence,
            "spent_on": spent_on,
            "overspent": overspent,
        },
    )
    session.flush()
    return SpendResult(
        transfer=transfer,
        spend=spend,
        overspent=overspent,
        line_budget=line.budget_pence,
        line_spent=spent_before + pence,
    )


def reverse_spend(
    session: Session,
    spend: Spend,
    reason: str,
    *,
    by_user_id: int | None,
    now: datetime | None = None,
) -> Transfer:
    """Put a wrong spend right with the mirror transfer, saying why; the money goes back into
    the grant. Nothing is deleted. A spend is reversed at most once (``already_reversed``), and
    not once its grant is closed (``grant_closed``)."""
    grant = session.get_one(Grant, spend.grant_id)
    # one at a time per grant, so a resent form finds the first reversal and is refused
    lock_grant(session, grant)
    if grant.status == GrantStatus.CLOSED:
        raise GrantError(GrantErrorCode.GRANT_CLOSED, f"grant {grant.id} is closed")
    reversal = ledger.reverse(session, spend.transfer_id, reason, by=by_user_id, now=now)
    audit.record(
        session,
        "grant.spend_reversed",
        user_id=by_user_id,
        bank_id=grant.bank_id,
        subject=f"transfer:{spend.transfer_id}",
        details={"grant_id": grant.id, "reversal": reversal.id},
    )
    session.flush()
    return reversal


def redact_spend(
    session: Session,
    spend: Spend,
    *,
    by_user_id: int | None,
    receipt_reference: bool = False,
    now: datetime | None = None,
) -> Spend:
    """Blank a spend's payee and description (and its receipt reference, if asked) for an
    erasure request. The money stays in the books; the database allows this change only."""
    if spend.redacted_at is not None:
        return spend
    spend.payee = ""
    spend.description = ""
    if receipt_reference:
        spend.receipt_reference = ""
    spend.redacted_at = now or utcnow()
    session.flush()
    audit.record(
        session,
        "grant.spend_redacted",
        user_id=by_user_id,
        bank_id=session.get_one(Grant, spend.grant_id).bank_id,
        subject=f"transfer:{spend.transfer_id}",
        details={"receipt_reference": receipt_reference},
    )
    return spend


def return_unspent(
    session: Session,
    grant: Grant,
    pence: int,
    on: date,
    *,
    by_user_id: int | None,
    now: datetime | None = None,
    reason: str = "",
    idempotency_key: str | None = None,
) -> Transfer:
    """Give money the bank will not spend back to the programme's fund. More than the grant
    holds is refused by the ledger (``exceeds_floor``). The ``reason`` is kept as the
    transfer's note, apart from the books. Sent again with the same ``idempotency_key``, it
    returns the first transfer and writes nothing."""
    check_pence(pence)
    check_not_future(bank_of(session, grant), on, now)
    lock_grant(session, grant)
    request = TransferRequest(
        bank_id=grant.bank_id,
        unit=Unit.GBP,
        kind=TransferKind.GRANT_RETURN,
        from_account_id=grant.grant_account_id,
        to_account_id=grant.funder_account_id,
        amount=pence,
        given_on=on,
        idempotency_key=idempotency_key,
    )
    first = replayed(session, request, now)
    if first is not None:
        return first
    if grant.status == GrantStatus.CLOSED:
        raise GrantError(GrantErrorCode.GRANT_CLOSED, f"grant {grant.id} is closed")
    transfer = ledger.post(session, request, recorded_by_id=by_user_id, now=now)
    if reason.strip():
        session.add(TransferNote(transfer_id=transfer.id, text=reason.strip()))
    audit.record(
        session,
        "grant.returned",
        user_id=by_user_id,
        bank_id=grant.bank_id,
        subject=f"transfer:{transfer.id}",
        details={"grant_id": grant.id, "amount_pence": pence, "returned_on": on},
    )
    session.flush()
    return transfer


def _replayed_spend(
    session: Session, request: TransferRequest, now: datetime | None
) -> SpendResult | None:
    """The first result of a retried spend, or None; a key reused for other terms is refused."""
    transfer = replayed(session, request, now)
    if transfer is None:
        return None
    spend = session.get_one(Spend, transfer.id)
    line = session.get_one(BudgetLine, spend.budget_line_id)
    spent = spent_on_line(session, line)
    return SpendResult(
        transfer=transfer,
        spend=spend,
        overspent=spent > line.budget_pence,
        line_budget=line.budget_pence,
        line_spent=spent,
    )


__all__ = ["SpendResult", "record_spend", "redact_spend", "return_unspent", "reverse_spend"]
