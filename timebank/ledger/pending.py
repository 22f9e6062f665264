"""Two-phase transfers: pending, then posted, voided or expired.

A member records help they gave on their own pages; it must not move anyone's hours until the
member who received it (or a broker) says it happened. Modelled on TigerBeetle's pending
transfers: the pending transfer moves no balance, and it ends exactly once.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from timebank.banks.models import Bank
from timebank.db import utcnow
from timebank.ledger.core import (
    TransferRequest,
    _check_shape,
    _lock_accounts,
    _post_batch,
    _usable_account,
)
from timebank.ledger.errors import ErrorCode, LedgerError
from timebank.ledger.models import PendingStatus, PendingTransfer, Transfer

#: How long the other side has to confirm.
PENDING_LIFETIME = timedelta(days=30)


def pend(
    session: Session,
    request: TransferRequest,
    *,
    by_member_id: int | None = None,
    by_user_id: int | None = None,
    now: datetime | None = None,
) -> PendingTransfer:
    """Record a transfer that waits for confirmation. Checked like a posting (amount, accounts,
    date, and the limits as they stand now), but it moves no hours."""
    now = now or utcnow()
    _check_shape(request, 0)
    if request.idempotency_key is not None:
        existing = session.scalars(
            select(PendingTransfer).where(
                PendingTransfer.bank_id == request.bank_id,
                PendingTransfer.idempotency_key == request.idempotency_key,
            )
        ).one_or_none()
        if existing is not None:
            if _same_terms(existing, request):
                return existing
            raise LedgerError(
                ErrorCode.IDEMPOTENCY_KEY_REUSED, "this key was used for a different transfer"
            )
    bank = session.get(Bank, request.bank_id)
    if bank is None:
        raise LedgerError(ErrorCode.NOT_FOUND, f"bank {request.bank_id} does not exist")
    given_on = request.given_on or bank.today(now)
    if given_on > bank.today(now):
        raise LedgerError(ErrorCode.DATE_IN_FUTURE, f"{given_on} has not happened yet at the bank")
    accounts = {
        a.id: a for a in _lock_accounts(session, [request.from_account_id, request.to_account_id])
    }
    source = _usable_account(accounts, request.from_account_id, request, 0)
    target = _usable_account(accounts, request.to_account_id, request, 0)
    # an early answer if it could not be confirmed today; confirmation checks again
    if source.floor is not None and source.balance - request.amount < source.floor:
        raise LedgerError(
            ErrorCode.EXCEEDS_FLOOR,
            f"account {source.id} would go below its floor",
            account_id=source.id,
        )
    if target.ceiling is not None and target.balance + request.amount > target.ceiling:
        raise LedgerError(
            ErrorCode.EXCEEDS_CEILING,
            f"account {target.id} would go above its ceiling",
            account_id=target.id,
        )
    pending = PendingTransfer(
        bank_id=request.bank_id,
        unit=request.unit,
        kind=request.kind,
        from_account_id=request.from_account_id,
        to_account_id=request.to_account_id,
        amount=request.amount,
        given_on=given_on,
        skill_id=request.skill_id,
        note=request.note or "",
        outcome_areas=sorted(set(request.outcome_areas)),
        idempotency_key=request.idempotency_key,
        created_at=now,
        created_by_member_id=by_member_id,
        created_by_user_id=by_user_id,
        expires_at=now + PENDING_LIFETIME,
        status=PendingStatus.PENDING,
    )
    session.add(pending)
    session.flush()
    return pending


def confirm(
    session: Session,
    pending_id: int,
    *,
    by_member_id: int | None = None,
    by_user_id: int | None = None,
    now: datetime | None = None,
) -> Transfer:
    """Post a pending transfer. The limits are checked now, as for any posting."""
    now = now or utcnow()
    pending = _open(session, pending_id, now)
    request = TransferRequest(
        bank_id=pending.bank_id,
        unit=pending.unit,
        kind=pending.kind,
        from_account_id=pending.from_account_id,
        to_account_id=pending.to_account_id,
        amount=pending.amount,
        given_on=pending.given_on,
        skill_id=pending.skill_id,
        note=pending.note or None,
        # the posting's own key: a retried confirmation posts once
        idempotency_key=f"pending:{pending.id}",
        outcome_areas=tuple(pending.outcome_areas or ()),
    )
    transfer = _post_batch(session, [request], [None], by_user_id, now).transfer
    _end(
        session,
        pending,
        PendingStatus.POSTED,
        now,
        by_member_id,
        by_user_id,
        transfer_id=transfer.id,
    )
    return transfer


def void(
    session: Session,
    pending_id: int,
    reason: str = "",
    *,
    by_member_id: int | None = None,
    by_user_id: int | None = None,
    now: datetime | None = None,
) -> PendingTransfer:
    """Decline a pending transfer: it will never move hours."""
    now = now or utcnow()
    pending = _open(session, pending_id, now)
    _end(
        session, pending, PendingStatus.VOIDED, now, by_member_id, by_user_id, reason=reason.strip()
    )
    return pending


def expire(session: Session, now: datetime | None = None, bank_id: int | None = None) -> int:
    """End every pending transfer whose time has run out; how many were ended."""
    now = now or utcnow()
    statement = (
        update(PendingTransfer)
        .where(PendingTransfer.status == PendingStatus.PENDING, PendingTransfer.expires_at <= now)
        .values(status=PendingStatus.EXPIRED, resolved_at=now)
        .execution_options(synchronize_session=False)
    )
    if bank_id is not None:
        statement = statement.where(PendingTransfer.bank_id == bank_id)
    count = session.execute(statement).rowcount or 0
    session.expire_all()
    return count


def _open(session: Session, pending_id: int, now: datetime) -> PendingTransfer:
    """The pending transfer, locked, if it can still be confirmed or declined."""
    pending = session.scalars(
        select(PendingTransfer)
        .where(PendingTransfer.id == pending_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one_or_none()
    if pending is None:
        raise LedgerError(ErrorCode.NOT_FOUND, f"pending transfer {pending_id} does not exist")
    if pending.status == PendingStatus.PENDING and pending.expires_at <= now:
        _end(session, pending, PendingStatus.EXPIRED, now, None, None)
    if pending.status == PendingStatus.EXPIRED:
        raise LedgerError(ErrorCode.PENDING_EXPIRED, "it was not confirmed in time")
    if pending.status != PendingStatus.PENDING:
        raise LedgerError(ErrorCode.ALREADY_RESOLVED, f"it was already {pending.status.value}")
    return pending


def _end(
    session: Session,
    pending: PendingTransfer,
    status: PendingStatus,
    now: datetime,
    by_member_id: int | None,
    by_user_id: int | None,
    *,
    transfer_id: int | None = None,
    reason: str = "",
) -> None:
    pending.status = status
    pending.resolved_at = now
    pending.resolved_by_member_id = by_member_id
    pending.resolved_by_user_id = by_user_id
    pending.transfer_id = transfer_id
    if reason:
        pending.reason = reason
    session.flush()


def _same_terms(pending: PendingTransfer, request: TransferRequest) -> bool:
    return (
        pending.kind == request.kind
        and pending.from_account_id == request.from_account_id
        and pending.to_account_id == request.to_account_id
        and pending.amount == request.amount
        and (request.given_on is None or pending.given_on == request.given_on)
        and pending.skill_id == request.skill_id
    )
