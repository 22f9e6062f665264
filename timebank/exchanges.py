"""Recording help given between members: the broker's everyday posting."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from timebank import ledger
from timebank.ledger import Transfer, TransferKind, TransferRequest, Unit
from timebank.members.models import Member
from timebank.members.operations import member_account


def record_exchange(
    session: Session,
    *,
    provider: Member,
    receiver: Member,
    minutes: int,
    given_on: date | None = None,
    skill_id: int | None = None,
    note: str | None = None,
    idempotency_key: str | None = None,
    recorded_by_id: int | None = None,
) -> Transfer:
    """Record that ``provider`` gave ``receiver`` some minutes of help.

    The receiver's account pays and the provider's earns: one hour given, one hour credited.
    """
    request = TransferRequest(
        bank_id=provider.bank_id,
        unit=Unit.HOURS,
        kind=TransferKind.EXCHANGE,
        from_account_id=member_account(session, receiver.id).id,
        to_account_id=member_account(session, provider.id).id,
        amount=minutes,
        given_on=given_on,
        skill_id=skill_id,
        note=note,
        idempotency_key=idempotency_key,
    )
    return ledger.post(session, request, recorded_by_id=recorded_by_id)
