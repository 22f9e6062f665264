"""Awarding, spending and returning seed grants, and the money figures funders ask for.

Every movement of money goes through :func:`timebank.ledger.post`, in pence:

* award: the programme's fund (one ``FUNDER`` account per bank) -> the grant's account;
* spend: the grant's account -> a budget line's account;
* return: the grant's account -> the fund.

The grant's account has a floor of 0, so the ledger (and the database's CHECK) refuse to spend
or return more than it holds. Whether a line may go over its budget is the programme's choice
(:class:`OverspendPolicy`). Figures are SQL sums over the entries, never the cached balances, so
they agree with ``timebank verify`` by construction.

Like the ledger, functions flush and leave the commit to the caller; a refusal raises and leaves
nothing behind in the session. Each audits once, and never when it hands back what a retried
request first recorded.

This module is where pages, the API and the demo find them all; they live by subject in
:mod:`~timebank.grants.awards` (a grant's life), :mod:`~timebank.grants.spending` (money going
out), :mod:`~timebank.grants.settings` (a programme's rules) and
:mod:`~timebank.grants.figures` (where the money is).
"""

from __future__ import annotations

from timebank.grants.awards import (
    MAX_LINE_NAME,
    award_grant,
    close_grant,
    funder_account,
    set_line_budget,
)
from timebank.grants.errors import GrantError, GrantErrorCode, OverspendRefused
from timebank.grants.figures import (
    GrantSummary,
    LineFigures,
    budget_against_actual,
    grant_of_transfer,
    grant_summary,
)
from timebank.grants.settings import (
    HoursValue,
    overspend_policy,
    settings_for,
    settings_or_defaults,
    update_settings,
    value_of_hours,
)
from timebank.grants.spending import (
    SpendResult,
    record_spend,
    redact_spend,
    return_unspent,
    reverse_spend,
)

__all__ = [
    "MAX_LINE_NAME",
    "GrantError",
    "GrantErrorCode",
    "GrantSummary",
    "HoursValue",
    "LineFigures",
    "OverspendRefused",
    "SpendResult",
    "award_grant",
    "budget_against_actual",
    "close_grant",
    "funder_account",
    "grant_of_transfer",
    "grant_summary",
    "overspend_policy",
    "record_spend",
    "redact_spend",
    "return_unspent",
    "reverse_spend",
    "set_line_budget",
    "settings_for",
    "settings_or_defaults",
    "update_settings",
    "value_of_hours",
]
