"""Creating programmes and banks. Each bank is born with its community pot."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from timebank import ledger
from timebank.banks.models import DEFAULT_FLOOR_MINUTES, Bank, Programme
from timebank.ledger import Account, AccountKind, Unit
from timebank.members.catalogue import ensure_catalogue


def create_programme(
    session: Session,
    *,
    name: str,
    funder: str,
    starts_on: date | None = None,
    ends_on: date | None = None,
) -> Programme:
    """Add a funder's programme."""
    programme = Programme(name=name, funder=funder, starts_on=starts_on, ends_on=ends_on)
    session.add(programme)
    session.flush()
    return programme


def create_bank(
    session: Session,
    *,
    name: str,
    programme: Programme | None = None,
    focus: str = "",
    target_groups: list[str] | None = None,
    timezone: str = "Europe/London",
    floor_minutes: int = DEFAULT_FLOOR_MINUTES,
    welcome_minutes: int = 0,
    help_phone: str = "",
) -> Bank:
    """Start a time bank, with its community pot ready to take and give hours."""
    bank = Bank(
        name=name,
        programme=programme,
        focus=focus,
        target_groups=list(target_groups or []),
        timezone=timezone,
        floor_minutes=floor_minutes,
        welcome_minutes=welcome_minutes,
        help_phone=help_phone,
        next_member_number=1,
    )
    session.add(bank)
    session.flush()
    ensure_catalogue(session)
    # the pot has no floor: it may give more than it has been given, and reports show by how much
    ledger.open_account(
        session, bank_id=bank.id, unit=Unit.HOURS, kind=AccountKind.POT, label="community pot"
    )
    return bank


def pot_account(session: Session, bank_id: int) -> Account:
    """The bank's community pot of hours."""
    return session.scalars(
        select(Account).where(
            Account.bank_id == bank_id,
            Account.kind == AccountKind.POT,
            Account.unit == Unit.HOURS,
        )
    ).one()
