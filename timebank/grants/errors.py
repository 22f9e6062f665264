"""Why a grant operation was refused: one code per rule, and the error that carries it.

Refusals about money itself (too little left, a date in the future, a key reused) are the
ledger's own :class:`~timebank.ledger.LedgerError`; these are the rules of grants.
"""

from __future__ import annotations

import enum

from timebank.grants.models import BudgetLine


class GrantErrorCode(enum.StrEnum):
    #: A grant goes only to a bank of the programme that awards it.
    BANK_NOT_IN_PROGRAMME = "bank_not_in_programme"
    #: The budget line belongs to another grant.
    LINE_NOT_IN_GRANT = "line_not_in_grant"
    #: A budget line needs a name, unique within its grant, and a budget of zero or more.
    INVALID_LINE = "invalid_line"
    #: The budget lines add up to more than the grant.
    BUDGET_ABOVE_AWARD = "budget_above_award"
    #: The spend would take a line past its budget, and the programme refuses overspending.
    OVERSPEND = "overspend"
    #: The grant is closed: nothing more is spent or returned.
    GRANT_CLOSED = "grant_closed"
    #: A setting is out of range, or an hourly value came without its source and date.
    INVALID_SETTING = "invalid_setting"


class GrantError(Exception):
    """A grant operation was refused. Nothing was written."""

    def __init__(self, code: GrantErrorCode, message: str = "") -> None:
        self.code = code
        self.message = message or code.value.replace("_", " ")
        super().__init__(f"{code.value}: {self.message}")


class OverspendRefused(GrantError):
    """The spend would take a budget line past its budget, and the programme says refuse."""

    def __init__(self, line: BudgetLine, spent: int, asked: int) -> None:
        self.line_id = line.id
        self.line_name = line.name
        self.budget = line.budget_pence
        self.spent = spent
        self.asked = asked
        super().__init__(
            GrantErrorCode.OVERSPEND,
            f"{line.name!r} has {line.budget_pence - spent}p of its {line.budget_pence}p left;"
            f" {asked}p would overspend it",
        )


__all__ = ["GrantError", "GrantErrorCode", "OverspendRefused"]
