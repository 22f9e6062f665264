"""The figures of a bank's or a programme's report, straight from the books.

The database sums and counts (:mod:`timebank.reports.queries`); the report is made from what it
returns (:mod:`timebank.reports.assembly`); its types are in :mod:`timebank.reports.report`.

Every definition is written out, with its reasoning, in ``docs/reports.md``. In short: the report
counts the books *as corrected*: a transfer that was later reversed, and the reversal itself, are
left out everywhere.

Figures are exact. :func:`timebank.reports.suppression.suppress` makes the funder's view, in which
a count may be ``"*"``.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from timebank.banks.models import Bank, Programme
from timebank.members.monitoring import TARGET_GROUPS
from timebank.reports.assembly import assemble_totals, trend_from_counts
from timebank.reports.queries import (
    BankFilter,
    help_by_bank_month,
    help_totals_by_bank,
    member_totals,
    month_counts,
    outcome_totals,
    pot_flows,
)
from timebank.reports.report import HelpTotals, MonthFigures, Report


def bank_report(session: Session, bank_id: int, start: date, end: date) -> Report:
    """The exact report of one bank, from ``start`` to ``end``, both days included."""
    _check_period(start, end)
    bank = session.get(Bank, bank_id)
    if bank is None:
        raise LookupError(f"bank {bank_id} does not exist")
    banks = [bank_id]
    rolled = help_by_bank_month(session, banks, start, end)
    by_bank = help_totals_by_bank(session, banks, start, end, rolled)
    return assemble_totals(
        scope="bank",
        scope_id=bank_id,
        start=start,
        end=end,
        rows=member_totals(session, banks, start, end),
        exchanges=sum(total.exchanges for total in by_bank.values()),
        minutes=sum(total.minutes for total in by_bank.values()),
        outcomes=outcome_totals(session, banks, start, end),
        pot=pot_flows(session, banks, start, end),
        months=month_counts(session, banks, start, end, rolled),
        reach_by="target_group",
        target_groups=[code for code in bank.target_groups or [] if code in TARGET_GROUPS],
    )


def programme_report(session: Session, programme_id: int, start: date, end: date) -> Report:
    """The exact report of every bank in a programme together, with one line per bank."""
    _check_period(start, end)
    if session.get(Programme, programme_id) is None:
        raise LookupError(f"programme {programme_id} does not exist")
    bank_ids = list(
        session.scalars(select(Bank.id).where(Bank.programme_id == programme_id).order_by(Bank.id))
    )
    # a SELECT rather than a list of ids, so a thousand banks make no thousand-item IN list
    banks = select(Bank.id).where(Bank.programme_id == programme_id)
    rolled = help_by_bank_month(session, banks, start, end)
    per_bank = help_totals_by_bank(session, banks, start, end, rolled)
    return assemble_totals(
        scope="programme",
        scope_id=programme_id,
        start=start,
        end=end,
        rows=member_totals(session, banks, start, end),
        exchanges=sum(total.exchanges for total in per_bank.values()),
        minutes=sum(total.minutes for total in per_bank.values()),
        outcomes=outcome_totals(session, banks, start, end),
        pot=pot_flows(session, banks, start, end),
        months=month_counts(session, banks, start, end, rolled),
        reach_by="question",
        bank_help={bank_id: per_bank.get(bank_id, HelpTotals(0, 0)) for bank_id in bank_ids},
    )


def monthly_trend(
    session: Session, banks: BankFilter, start: date, end: date
) -> list[MonthFigures]:
    """Per-month figures for the banks over the period (also in every report's ``trend``)."""
    _check_period(start, end)
    return trend_from_counts(month_counts(session, banks, start, end), start, end)


def _check_period(start: date, end: date) -> None:
    if start > end:
        raise ValueError("the period starts after it ends")
