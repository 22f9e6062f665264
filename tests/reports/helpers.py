"""Building blocks for report tests: help given on a date, with outcome areas."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from timebank import ledger
from timebank.banks.operations import pot_account
from timebank.ledger import Transfer, TransferKind, TransferRequest, Unit
from timebank.members.models import Member
from timebank.members.monitoring_operations import save_answers
from timebank.members.operations import member_account


def request(
    session: Session,
    provider: Member | None,
    receiver: Member | None,
    minutes: int,
    on: date,
    *areas: str,
    kind: TransferKind = TransferKind.EXCHANGE,
) -> TransferRequest:
    """Hours leave the receiver (or the pot, when None) and reach the provider (or the pot)."""
    bank_id = (provider or receiver).bank_id  # type: ignore[union-attr]

    def account(member: Member | None) -> int:
        if member is None:
            return pot_account(session, bank_id).id
        return member_account(session, member.id).id

    return TransferRequest(
        bank_id=bank_id,
        unit=Unit.HOURS,
        kind=kind,
        from_account_id=account(receiver),
        to_account_id=account(provider),
        amount=minutes,
        given_on=on,
        outcome_areas=tuple(areas),
    )


def give(
    session: Session,
    provider: Member | None,
    receiver: Member | None,
    minutes: int,
    on: date,
    *areas: str,
    kind: TransferKind = TransferKind.EXCHANGE,
) -> Transfer:
    return ledger.post(
        session, request(session, provider, receiver, minutes, on, *areas, kind=kind)
    )


def answer(session: Session, member: Member, **answers: str | None) -> None:
    save_answers(session, member, answers, consent_on=date(2023, 6, 1), by=None)
