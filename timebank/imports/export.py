"""The bank's members and its movements of hours as CSV files, to keep or to import elsewhere.

Exports only read; :func:`record_export` puts each in the audit trail, and the caller hands the
file over once that is committed. Cells that a spreadsheet would take for a formula are
neutralised by :func:`~timebank.imports.csv_safety.write_csv`.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from timebank import audit
from timebank.banks.models import Bank
from timebank.imports.csv_safety import write_csv
from timebank.imports.reading import Translate
from timebank.ledger import Account, Entry, Transfer, TransferNote, Unit
from timebank.members.catalogue import N_
from timebank.members.models import Member, Skill

MEMBER_EXPORT_COLUMNS = (
    "member_number",
    "full_name",
    "preferred_name",
    "status",
    "phone",
    "area",
    "birth_year",
    "preferred_language",
    "contact_method",
    "consent_date",
    "consent_wording",
    "joined_on",
    "left_on",
    "balance_minutes",
    "balance_hours",
)

#: ``provider`` and ``receiver`` hold member numbers, so an export can be imported elsewhere.
EXCHANGE_EXPORT_COLUMNS = (
    "date",
    "kind",
    "provider",
    "provider_name",
    "receiver",
    "receiver_name",
    "minutes",
    "hours",
    "skill",
    "reversed",
    "note",
)


def hours_figure(minutes: int) -> Decimal:
    """Minutes as decimal hours for a spreadsheet, written with a point: 90 is 1.5.

    A number, not text, so a negative balance is never taken for a formula and quoted."""
    hours = (Decimal(minutes) / 60).quantize(Decimal("0.01"))
    # normalize() alone would write 10 as 1E+1
    return Decimal(format(hours.normalize(), "f"))


def _day(value: date | None) -> str:
    return value.isoformat() if value else ""


def record_export(
    session: Session, bank_id: int, what: str, rows: int, *, user_id: int | None
) -> None:
    """Put an export in the audit trail ("export.members", "export.exchanges"); the caller
    commits, and hands over the file only once that has succeeded."""
    audit.record(
        session, f"export.{what}", user_id=user_id, bank_id=bank_id, details={"rows": rows}
    )


def export_members(session: Session, bank: Bank) -> tuple[str, int]:
    """The bank's members as CSV, with their balance of hours, and how many rows. Only reads:
    record the export with :func:`record_export`."""
    rows = session.execute(
        select(Member, Account.balance)
        .outerjoin(Account, (Account.member_id == Member.id) & (Account.unit == Unit.HOURS))
        .where(Member.bank_id == bank.id)
        .order_by(Member.member_number)
    ).all()
    document = write_csv(
        MEMBER_EXPORT_COLUMNS,
        (
            (
                m.member_number,
                m.full_name,
                m.display_name,
                m.status.value,
                m.phone,
                m.area,
                m.birth_year,
                m.preferred_locale,
                m.contact_method.value,
                _day(m.consent_on),
                m.consent_wording,
                _day(m.joined_on),
                _day(m.left_on),
                balance or 0,
                hours_figure(balance or 0),
            )
            for m, balance in rows
        ),
    )
    return document, len(rows)


def export_exchanges(
    session: Session, bank: Bank, translate: Translate | None = None
) -> tuple[str, int]:
    """Every movement of hours in the bank as CSV, oldest first, and how many rows.

    The provider is the side that earned the hours, the receiver the side that paid; the pot
    has no member number. Only reads: record the export with :func:`record_export`."""
    say = translate or (lambda text: text)
    transfers = list(
        session.scalars(
            select(Transfer)
            .where(Transfer.bank_id == bank.id, Transfer.unit == Unit.HOURS)
            .order_by(Transfer.given_on, Transfer.id)
        )
    )
    sides: dict[int, dict[str, int]] = {}
    for transfer_id, account_id, amount in session.execute(
        select(Entry.transfer_id, Entry.account_id, Entry.amount).where(
            Entry.bank_id == bank.id, Entry.unit == Unit.HOURS
        )
    ):
        sides.setdefault(transfer_id, {})["to" if amount > 0 else "from"] = account_id
    owners = {
        account_id: (number, name)
        for account_id, number, name in session.execute(
            select(Account.id, Member.member_number, Member.full_name)
            .join(Member, Member.id == Account.member_id)
            .where(Account.bank_id == bank.id)
        )
    }
    reversed_ids = set(
        session.scalars(
            select(Transfer.reverses_id).where(
                Transfer.bank_id == bank.id, Transfer.reverses_id.is_not(None)
            )
        )
    )
    notes = dict(
        session.execute(
            select(TransferNote.transfer_id, TransferNote.text)
            .join(Transfer, Transfer.id == TransferNote.transfer_id)
            .where(Transfer.bank_id == bank.id, TransferNote.redacted_at.is_(None))
        ).all()
    )
    skills = {s.id: say(s.name) for s in session.scalars(select(Skill))}
    pot = (None, say(N_("Community pot")))
    yes, no = say(N_("yes")), say(N_("no"))

    def line(t: Transfer) -> tuple[object, ...]:
        earned = owners.get(sides.get(t.id, {}).get("to", 0), pot)
        paid = owners.get(sides.get(t.id, {}).get("from", 0), pot)
        return (
            t.given_on.isoformat(),
            t.kind.value,
            earned[0],
            earned[1],
            paid[0],
            paid[1],
            t.amount,
            hours_figure(t.amount),
            skills.get(t.skill_id or 0, ""),
            yes if t.id in reversed_ids else no,
            notes.get(t.id, ""),
        )

    document = write_csv(EXCHANGE_EXPORT_COLUMNS, (line(t) for t in transfers))
    return document, len(transfers)


__all__ = [
    "EXCHANGE_EXPORT_COLUMNS",
    "MEMBER_EXPORT_COLUMNS",
    "export_exchanges",
    "export_members",
    "hours_figure",
    "record_export",
]
