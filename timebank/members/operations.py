"""Registering members. Each member gets an account of hours with the bank's floor."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from timebank import ledger
from timebank.banks.models import Bank
from timebank.banks.operations import pot_account
from timebank.ledger import Account, AccountKind, TransferKind, TransferRequest, Unit
from timebank.members.models import Member, MemberKind


def next_member_number(session: Session, bank_id: int) -> int:
    """Take the bank's next member number. The UPDATE locks the bank row, so two brokers
    registering at once never get the same number."""
    session.execute(
        update(Bank)
        .where(Bank.id == bank_id)
        .values(next_member_number=Bank.next_member_number + 1)
        .execution_options(synchronize_session=False)
    )
    taken = session.scalar(select(Bank.next_member_number).where(Bank.id == bank_id))
    if taken is None:
        raise LookupError(f"bank {bank_id} does not exist")
    return taken - 1


def register_member(
    session: Session,
    bank: Bank,
    *,
    full_name: str,
    display_name: str | None = None,
    joined_on: date | None = None,
    kind: MemberKind = MemberKind.PERSON,
    recorded_by_id: int | None = None,
) -> Member:
    """Add a member to a bank, open their account and give any welcome credit from the pot."""
    member = Member(
        bank_id=bank.id,
        member_number=next_member_number(session, bank.id),
        kind=kind,
        full_name=full_name,
        display_name=display_name or full_name.split()[0],
        joined_on=joined_on or bank.today(),
    )
    session.add(member)
    session.flush()
    account = ledger.open_account(
        session,
        bank_id=bank.id,
        unit=Unit.HOURS,
        kind=AccountKind.MEMBER,
        member_id=member.id,
        floor=bank.floor_minutes,
    )
    if bank.welcome_minutes > 0:
        ledger.post(
            session,
            TransferRequest(
                bank_id=bank.id,
                unit=Unit.HOURS,
                kind=TransferKind.WELCOME_CREDIT,
                from_account_id=pot_account(session, bank.id).id,
                to_account_id=account.id,
                amount=bank.welcome_minutes,
                given_on=member.joined_on,
            ),
            recorded_by_id=recorded_by_id,
        )
    return member


def member_account(session: Session, member_id: int) -> Account:
    """A member's account of hours."""
    return session.scalars(
        select(Account).where(Account.member_id == member_id, Account.unit == Unit.HOURS)
    ).one()
