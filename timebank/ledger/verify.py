"""Recompute the books from their entries and report every breach of the ledger's rules.

This is the safety net under the database's own guards: it finds what someone wrote around
them (triggers dropped, a restore gone wrong, a hand-edited SQLite file).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, aliased

from timebank.ledger.models import (
    Account,
    AccountStatus,
    Entry,
    PendingStatus,
    PendingTransfer,
    Transfer,
    TransferKind,
)


@dataclass(frozen=True)
class Breach:
    code: str
    message: str

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


@dataclass
class Report:
    transfers: int = 0
    entries: int = 0
    accounts: int = 0
    breaches: list[Breach] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.breaches

    def summary(self) -> str:
        head = (
            f"Checked {self.transfers} transfers, {self.entries} entries "
            f"and {self.accounts} accounts: "
        )
        if self.ok:
            return head + "the books balance."
        lines = [head + f"{len(self.breaches)} breach(es)."]
        lines += [f"  {breach}" for breach in self.breaches]
        return "\n".join(lines)


def verify(session: Session, bank_id: int | None = None) -> Report:
    """Check every rule of the books, for one bank or all of them."""
    report = Report()

    def scoped(statement, column):  # type: ignore[no-untyped-def]
        return statement if bank_id is None else statement.where(column == bank_id)

    add = report.breaches.append
    report.transfers = (
        session.scalar(scoped(select(func.count(Transfer.id)), Transfer.bank_id)) or 0
    )
    report.entries = session.scalar(scoped(select(func.count(Entry.id)), Entry.bank_id)) or 0
    report.accounts = session.scalar(scoped(select(func.count(Account.id)), Account.bank_id)) or 0

    # every transfer: at least two entries, summing to zero, its positive side equal to its amount
    positive = func.coalesce(func.sum(Entry.amount).filter(Entry.amount > 0), 0)
    legs = (
        select(
            Transfer.id,
            Transfer.amount,
            func.count(Entry.id),
            func.coalesce(func.sum(Entry.amount), 0),
            positive,
        )
        .outerjoin(Entry, Entry.transfer_id == Transfer.id)
        .group_by(Transfer.id, Transfer.amount)
        .order_by(Transfer.id)
    )
    for transfer_id, amount, count, total, credited in session.execute(
        scoped(legs, Transfer.bank_id)
    ):
        if count < 2:
            add(Breach("too_few_entries", f"transfer {transfer_id} has {count} entries"))
        if total != 0:
            add(Breach("unbalanced", f"transfer {transfer_id} entries sum to {total}, not 0"))
        elif credited != amount:
            add(
                Breach(
                    "amount_mismatch",
                    f"transfer {transfer_id} says {amount} but its entries move {credited}",
                )
            )

    # entries agree with their transfer and account on bank and unit, and are never zero
    mismatched = (
        select(Entry.id, Entry.transfer_id)
        .join(Transfer, Transfer.id == Entry.transfer_id)
        .join(Account, Account.id == Entry.account_id)
        .where(
            or_(
                Entry.bank_id != Transfer.bank_id,
                Entry.unit != Transfer.unit,
                Entry.bank_id != Account.bank_id,
                Entry.unit != Account.unit,
            )
        )
    )
    for entry_id, transfer_id in session.execute(scoped(mismatched, Entry.bank_id)):
        add(
            Breach(
                "bank_or_unit_mismatch",
                f"entry {entry_id} of transfer {transfer_id} mixes banks or units",
            )
        )
    zero = select(Entry.id, Entry.transfer_id).where(Entry.amount == 0)
    for entry_id, transfer_id in session.execute(scoped(zero, Entry.bank_id)):
        add(Breach("zero_amount", f"entry {entry_id} of transfer {transfer_id} is zero"))

    # the cached balances equal the sum of their entries, and lie within their limits
    sums = (
        select(Entry.account_id, func.sum(Entry.amount).label("total"))
        .group_by(Entry.account_id)
        .subquery()
    )
    balances = (
        select(Account, func.coalesce(sums.c.total, 0))
        .outerjoin(sums, sums.c.account_id == Account.id)
        .order_by(Account.id)
    )
    for account, total in session.execute(scoped(balances, Account.bank_id)):
        if account.balance != total:
            add(
                Breach(
                    "balance_mismatch",
                    f"account {account.id} shows {account.balance} but its entries sum to {total}",
                )
            )
        if account.floor is not None and total < account.floor:
            add(
                Breach(
                    "below_floor",
                    f"account {account.id} is at {total}, below its floor of {account.floor}",
                )
            )
        if account.ceiling is not None and total > account.ceiling:
            add(
                Breach(
                    "above_ceiling",
                    f"account {account.id} is at {total}, above its ceiling of {account.ceiling}",
                )
            )
        if account.status == AccountStatus.CLOSED and total != 0:
            add(Breach("closed_not_empty", f"closed account {account.id} holds {total}"))

    # each bank's accounts sum to zero in each unit: nothing is created from nothing
    per_unit = select(Entry.bank_id, Entry.unit, func.sum(Entry.amount)).group_by(
        Entry.bank_id, Entry.unit
    )
    for bank, unit, total in session.execute(scoped(per_unit, Entry.bank_id)):
        if total != 0:
            add(Breach("unit_not_zero", f"bank {bank} {unit} entries sum to {total}, not 0"))

    # reversals: point at a non-reversal, at most one each, and mirror it exactly
    original = aliased(Transfer)
    reversals = (
        select(Transfer, original)
        .outerjoin(original, original.id == Transfer.reverses_id)
        .where(or_(Transfer.kind == TransferKind.REVERSAL, Transfer.reverses_id.is_not(None)))
        .order_by(Transfer.id)
    )
    seen: dict[int, int] = {}
    for reversal, reversed_ in session.execute(scoped(reversals, Transfer.bank_id)):
        if reversal.kind != TransferKind.REVERSAL or reversed_ is None:
            add(Breach("broken_reversal", f"transfer {reversal.id} is a reversal of nothing"))
            continue
        if reversed_.kind == TransferKind.REVERSAL:
            add(
                Breach(
                    "reversal_of_reversal",
                    f"transfer {reversal.id} reverses reversal {reversed_.id}",
                )
            )
        if reversed_.id in seen:
            add(
                Breach(
                    "reversed_twice",
                    f"transfer {reversed_.id} is reversed by "
                    f"{seen[reversed_.id]} and {reversal.id}",
                )
            )
        seen[reversed_.id] = reversal.id
        mirror = {(e.account_id, -e.amount) for e in reversed_.entries}
        if {(e.account_id, e.amount) for e in reversal.entries} != mirror:
            add(
                Breach(
                    "reversal_mismatch",
                    f"transfer {reversal.id} does not mirror transfer {reversed_.id}",
                )
            )
    # a posted pending transfer points at a transfer with the same terms, and only one does
    posted = (
        select(PendingTransfer, Transfer)
        .outerjoin(Transfer, Transfer.id == PendingTransfer.transfer_id)
        .where(PendingTransfer.status == PendingStatus.POSTED)
    )
    for pending, transfer in session.execute(scoped(posted, PendingTransfer.bank_id)):
        if transfer is None:
            add(Breach("pending_lost", f"pending transfer {pending.id} is posted to nothing"))
            continue
        legs = {(e.account_id, e.amount) for e in transfer.entries}
        expected = {
            (pending.from_account_id, -pending.amount),
            (pending.to_account_id, pending.amount),
        }
        if legs != expected:
            add(
                Breach(
                    "pending_mismatch",
                    f"pending transfer {pending.id} was posted as transfer {transfer.id}"
                    " with other terms",
                )
            )
    return report


__all__ = ["Breach", "Report", "verify"]
