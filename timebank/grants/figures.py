"""Where a grant's money is, as funders ask: budget against actual, and awarded = spent +
returned + remaining. Figures are SQL sums over the entries, never the cached balances, so
they agree with ``timebank verify`` by construction."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from timebank.grants.models import BudgetLine, Grant
from timebank.ledger import Entry, Transfer, TransferKind


@dataclass(frozen=True)
class LineFigures:
    """Budget against actual for one line, in pence."""

    line_id: int
    name: str
    budgeted: int
    spent: int
    remaining: int
    overspent: bool


@dataclass(frozen=True)
class GrantSummary:
    """Where a grant's money is, in pence: awarded = spent + returned + remaining."""

    grant_id: int
    bank_id: int
    awarded: int
    spent: int
    #: Line name to pence spent, in the lines' order.
    spent_by_line: dict[str, int]
    returned: int
    remaining: int


def budget_against_actual(session: Session, grant: Grant) -> list[LineFigures]:
    """Each line's budget beside what was spent on it (net of reversed spends), in pence."""
    spent = func.coalesce(func.sum(Entry.amount), 0)
    rows = session.execute(
        select(BudgetLine.id, BudgetLine.name, BudgetLine.budget_pence, spent)
        .outerjoin(Entry, Entry.account_id == BudgetLine.account_id)
        .where(BudgetLine.grant_id == grant.id)
        .group_by(BudgetLine.id, BudgetLine.name, BudgetLine.budget_pence)
        .order_by(BudgetLine.id)
    ).all()
    return [
        LineFigures(
            line_id=line_id,
            name=name,
            budgeted=budget,
            spent=int(total),
            remaining=budget - int(total),
            overspent=int(total) > budget,
        )
        for line_id, name, budget, total in rows
    ]


def grant_summary(session: Session, grant: Grant) -> GrantSummary:
    """Awarded, spent by line, returned and remaining, in pence, from the entries.

    Each is summed on its own (awards and returns on the grant's account, spending on the
    lines' accounts, what remains over all the grant account's entries), so that awarded =
    spent + returned + remaining is a check, not an identity. A reversal counts against the
    kind of transfer it reverses."""
    original = aliased(Transfer)
    kind = func.coalesce(original.kind, Transfer.kind)
    by_kind = dict(
        session.execute(
            select(kind, func.sum(Entry.amount))
            .join(Transfer, Transfer.id == Entry.transfer_id)
            .outerjoin(original, original.id == Transfer.reverses_id)
            .where(
                Entry.account_id == grant.grant_account_id,
                kind.in_([TransferKind.GRANT_AWARD, TransferKind.GRANT_RETURN]),
            )
            .group_by(kind)
        ).all()
    )
    remaining = session.scalar(
        select(func.coalesce(func.sum(Entry.amount), 0)).where(
            Entry.account_id == grant.grant_account_id
        )
    )
    lines = budget_against_actual(session, grant)
    return GrantSummary(
        grant_id=grant.id,
        bank_id=grant.bank_id,
        awarded=int(by_kind.get(TransferKind.GRANT_AWARD, 0)),
        spent=sum(line.spent for line in lines),
        spent_by_line={line.name: line.spent for line in lines},
        returned=-int(by_kind.get(TransferKind.GRANT_RETURN, 0)),
        remaining=int(remaining or 0),
    )


def spent_on_line(session: Session, line: BudgetLine) -> int:
    """Pence spent on one budget line so far, net of reversed spends."""
    total = session.scalar(
        select(func.coalesce(func.sum(Entry.amount), 0)).where(Entry.account_id == line.account_id)
    )
    return int(total or 0)


def grant_of_transfer(session: Session, transfer: Transfer) -> Grant | None:
    """The grant a transfer of money belongs to (its award, a spend, a return, or the reversal
    of one): every one of them moves money into or out of the grant's own account."""
    touched = select(Entry.account_id).where(Entry.transfer_id == transfer.id)
    return session.scalars(select(Grant).where(Grant.grant_account_id.in_(touched))).first()


__all__ = [
    "GrantSummary",
    "LineFigures",
    "budget_against_actual",
    "grant_of_transfer",
    "grant_summary",
    "spent_on_line",
]
