"""The money section of a report: a seed grant against the hours it paid for.

Grants live in the ledger in pence (see :mod:`timebank.grants`), so these are sums over GBP
transfers, done by the database like the rest of the report, and read as corrected: a reversed
spend and its reversal are both left out, as reversed help is in the hours. Definitions are in
``docs/reports.md`` ("Money").

Money is not a count of people and is shown to funders exactly, with one exception: cost per
active member is a mean over people, so it is hidden when it is over 1 to 7 of them, like every
other mean in the funder's view.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session, aliased

from timebank.banks.models import Bank, Programme
from timebank.grants.models import (
    NATIONAL_LIVING_WAGE_FROM,
    NATIONAL_LIVING_WAGE_PENCE,
    NATIONAL_LIVING_WAGE_SOURCE,
    BudgetLine,
    Grant,
    ProgrammeSettings,
)
from timebank.ledger.models import Entry, Transfer, TransferKind, Unit
from timebank.reports.queries import BankFilter
from timebank.reports.report import Ratio
from timebank.reports.suppression import SMALLEST_SHOWN, STAR


@dataclass(frozen=True)
class LineMoney:
    """One budget heading, summed over the grants the report covers, in pence."""

    name: str
    budgeted: int
    #: Spent on the line within the period.
    spent: int
    #: Spent on the line from the first award to the end of the period.
    spent_to_date: int


@dataclass(frozen=True)
class MoneyFigures:
    #: Grants awarded on or before the end of the period.
    grants: int
    #: Their total, in pence.
    awarded: int
    #: Spent within the period.
    spent: int
    spent_to_date: int
    #: Given back to the programme, up to the end of the period.
    returned: int
    #: Left in the grants at the end of the period: awarded - spent to date - returned.
    remaining: int
    lines: tuple[LineMoney, ...]
    #: Pence spent in the period per hour exchanged in it; None when no hours were exchanged.
    cost_per_hour: Ratio
    #: Pence spent in the period per active member; ``"*"`` over 1 to 7 members.
    cost_per_active_member: Ratio
    #: The hours exchanged in the period, valued at the programme's hourly rate, in pence.
    value_of_hours: int
    rate_pence_per_hour: int
    rate_source: str
    rate_from: date


def money_figures(
    session: Session,
    banks: BankFilter,
    start: date,
    end: date,
    *,
    minutes: int,
    active: int,
    settings: ProgrammeSettings | None,
) -> MoneyFigures:
    """The money of the grants awarded to ``banks``, beside the period's ``minutes`` exchanged
    and ``active`` members (the exact figures of the same report)."""
    reversal = aliased(Transfer)
    not_reversed = ~select(reversal.id).where(reversal.reverses_id == Transfer.id).exists()
    standing = (
        Transfer.bank_id.in_(banks),
        Transfer.unit == Unit.GBP,
        Transfer.given_on <= end,
        not_reversed,
    )
    totals = {
        str(kind): (int(count), int(total))
        for kind, count, total in session.execute(
            select(Transfer.kind, func.count(Transfer.id), func.sum(Transfer.amount))
            .where(
                *standing,
                Transfer.kind.in_([TransferKind.GRANT_AWARD, TransferKind.GRANT_RETURN]),
            )
            .group_by(Transfer.kind)
        )
    }
    grants, awarded = totals.get(TransferKind.GRANT_AWARD.value, (0, 0))
    returned = totals.get(TransferKind.GRANT_RETURN.value, (0, 0))[1]

    in_period = func.sum(case((Transfer.given_on >= start, Entry.amount), else_=0))
    spent_rows = session.execute(
        select(BudgetLine.name, func.sum(Entry.amount), in_period)
        .select_from(Entry)
        .join(Transfer, Transfer.id == Entry.transfer_id)
        .join(BudgetLine, BudgetLine.account_id == Entry.account_id)
        .where(*standing, Transfer.kind == TransferKind.GRANT_SPEND)
        .group_by(BudgetLine.name)
    )
    spent = {name: (int(to_date), int(period)) for name, to_date, period in spent_rows}

    award = aliased(Transfer)
    budgets = dict(
        session.execute(
            select(BudgetLine.name, func.sum(BudgetLine.budget_pence))
            .join(Grant, Grant.id == BudgetLine.grant_id)
            .join(award, award.id == Grant.award_transfer_id)
            .where(Grant.bank_id.in_(banks), award.given_on <= end)
            .group_by(BudgetLine.name)
        ).all()
    )
    # in the order of the first grant's lines, so the default headings come in their own order
    order = list(
        session.scalars(
            select(BudgetLine.name)
            .where(BudgetLine.bank_id.in_(banks))
            .group_by(BudgetLine.name)
            .order_by(func.min(BudgetLine.id))
        )
    )
    lines = tuple(
        LineMoney(
            name=name,
            budgeted=int(budgets.get(name) or 0),
            spent=spent.get(name, (0, 0))[1],
            spent_to_date=spent.get(name, (0, 0))[0],
        )
        for name in order
        if name in budgets or name in spent
    )
    spent_in_period = sum(line.spent for line in lines)
    spent_to_date = sum(line.spent_to_date for line in lines)

    rate = settings.hourly_value_pence if settings else NATIONAL_LIVING_WAGE_PENCE
    return MoneyFigures(
        grants=grants,
        awarded=awarded,
        spent=spent_in_period,
        spent_to_date=spent_to_date,
        returned=returned,
        remaining=awarded - spent_to_date - returned,
        lines=lines,
        # pence per hour = pence / (minutes / 60)
        cost_per_hour=None if minutes == 0 else round(spent_in_period * 60 / minutes, 1),
        cost_per_active_member=None if active == 0 else round(spent_in_period / active, 1),
        # whole pence, half up, in integers (as grants.value_of_hours)
        value_of_hours=(minutes * rate + 30) // 60,
        rate_pence_per_hour=rate,
        rate_source=settings.hourly_value_source if settings else NATIONAL_LIVING_WAGE_SOURCE,
        rate_from=settings.hourly_value_on if settings else NATIONAL_LIVING_WAGE_FROM,
    )


def bank_money(
    session: Session, bank: Bank, start: date, end: date, **figures: int
) -> MoneyFigures:
    """:func:`money_figures` for one bank, valued at its programme's rate."""
    settings = session.get(ProgrammeSettings, bank.programme_id) if bank.programme_id else None
    return money_figures(session, [bank.id], start, end, settings=settings, **figures)


def programme_money(
    session: Session, programme: Programme, start: date, end: date, **figures: int
) -> MoneyFigures:
    """:func:`money_figures` for every bank of a programme."""
    banks = select(Bank.id).where(Bank.programme_id == programme.id)
    settings = session.get(ProgrammeSettings, programme.id)
    return money_figures(session, banks, start, end, settings=settings, **figures)


def suppress_money(money: MoneyFigures, active: int, shown_active: int | str) -> MoneyFigures:
    """The funder's view: every sum as it is; cost per active member hidden over 1 to 7, and
    otherwise divided by the *shown* (rounded) count, so the exact count can't be worked back
    from the money spent."""
    if active == 0:
        return money
    if active < SMALLEST_SHOWN or shown_active == STAR:
        return replace(money, cost_per_active_member=STAR)
    assert isinstance(shown_active, int)  # nosec B101 # narrows the type only
    return replace(money, cost_per_active_member=round(money.spent / shown_active, 1))
