"""Creating programmes and banks, and changing a bank's settings. Each bank is born with its
community pot. Each operation writes its one audit record, flushes, and leaves the commit to the
caller: the admin pages and the API call the same functions, so they audit alike."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from timebank import audit, ledger
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
    by: int | None = None,
) -> Programme:
    """Add a funder's programme. ``by`` is the user who added it (None for set-up scripts)."""
    programme = Programme(name=name, funder=funder, starts_on=starts_on, ends_on=ends_on)
    session.add(programme)
    session.flush()
    audit.record(session, "programme.created", user_id=by, subject=f"programme:{programme.id}")
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
    retention_months: int | None = None,
    by: int | None = None,
) -> Bank:
    """Start a time bank, with its community pot ready to take and give hours. ``by`` is the
    user who started it (None for set-up scripts)."""
    bank = Bank(
        name=name,
        programme=programme,
        focus=focus,
        target_groups=list(target_groups or []),
        timezone=timezone,
        floor_minutes=floor_minutes,
        welcome_minutes=welcome_minutes,
        help_phone=help_phone,
        retention_months=retention_months,
        next_member_number=1,
    )
    session.add(bank)
    session.flush()
    ensure_catalogue(session)
    # the pot has no floor: it may give more than it has been given, and reports show by how much
    ledger.open_account(
        session, bank_id=bank.id, unit=Unit.HOURS, kind=AccountKind.POT, label="community pot"
    )
    audit.record(session, "bank.created", user_id=by, bank_id=bank.id, subject=f"bank:{bank.id}")
    session.flush()
    return bank


#: The settings an admin may change on a bank after it has started.
BANK_SETTINGS = (
    "name",
    "programme",
    "focus",
    "help_phone",
    "floor_minutes",
    "welcome_minutes",
    "retention_months",
)
#: Those the audit record shows before and after.
_AUDITED_SETTINGS = (
    "name",
    "focus",
    "help_phone",
    "floor_minutes",
    "welcome_minutes",
    "retention_months",
)
#: The longest retention period a bank may set, in months (a hundred years).
MAX_RETENTION_MONTHS = 1200


def update_bank(
    session: Session, bank: Bank, *, by: int | None, **settings: object
) -> dict[str, list[object]]:
    """Change a bank's settings and record the change, before and after; returns what changed.

    A new floor applies to members who join from now on, not to the accounts already open."""
    unknown = set(settings) - set(BANK_SETTINGS)
    if unknown:
        raise KeyError(sorted(unknown)[0])
    months = settings.get("retention_months")
    if months is not None and not (isinstance(months, int) and 1 <= months <= MAX_RETENTION_MONTHS):
        raise ValueError(f"retention_months is a whole number from 1 to {MAX_RETENTION_MONTHS}")
    before = {name: getattr(bank, name) for name in _AUDITED_SETTINGS}
    for name, value in settings.items():
        setattr(bank, name, value)
    changed = audit.changes(before, {name: getattr(bank, name) for name in _AUDITED_SETTINGS})
    audit.record(
        session,
        "bank.updated",
        user_id=by,
        bank_id=bank.id,
        subject=f"bank:{bank.id}",
        details=changed,
    )
    session.flush()
    return changed


def pot_account(session: Session, bank_id: int) -> Account:
    """The bank's community pot of hours."""
    return session.scalars(
        select(Account).where(
            Account.bank_id == bank_id,
            Account.kind == AccountKind.POT,
            Account.unit == Unit.HOURS,
        )
    ).one()
