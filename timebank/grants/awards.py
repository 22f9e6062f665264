"""A grant's life: awarded with its budget lines, its plan changed, and closed once empty.

The award moves the money from the programme's fund (one ``FUNDER`` account per bank) into the
grant's own account, which has a floor of 0. Each budget line has an account of its own, which
spending pays into.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from timebank import audit, ledger
from timebank.banks.models import Bank, Programme
from timebank.grants.checks import (
    check_line_of,
    check_not_future,
    check_pence,
    is_count,
    keyed,
    lock_bank,
    lock_grant,
)
from timebank.grants.errors import GrantError, GrantErrorCode
from timebank.grants.models import DEFAULT_BUDGET_LINES, BudgetLine, Grant, GrantStatus
from timebank.grants.settings import settings_for
from timebank.ledger import (
    Account,
    AccountKind,
    ErrorCode,
    LedgerError,
    TransferKind,
    TransferRequest,
    Unit,
)

#: The longest budget line name the table keeps.
MAX_LINE_NAME = 100


def award_grant(
    session: Session,
    programme: Programme,
    bank: Bank,
    pence: int,
    awarded_on: date,
    conditions: str = "",
    lines: Mapping[str, int] | None = None,
    *,
    by_user_id: int | None,
    now: datetime | None = None,
    idempotency_key: str | None = None,
) -> Grant:
    """Award a seed grant to a bank of the programme and move the money into it.

    With an ``idempotency_key``, sending the same award again returns the first grant and
    writes nothing (a double-tapped form); the same key for other terms is refused.

    Every grant gets the default budget lines; ``lines`` sets their budgets (a line left out
    has a budget of 0) and may add lines of its own. The budgets may not add up to more than
    the grant.
    """
    check_pence(pence)
    if bank.programme_id != programme.id:
        raise GrantError(
            GrantErrorCode.BANK_NOT_IN_PROGRAMME,
            f"bank {bank.id} is not in programme {programme.id}",
        )
    check_not_future(bank, awarded_on, now)
    budgets = _budgets(lines or {})
    if sum(budgets.values()) > pence:
        raise GrantError(
            GrantErrorCode.BUDGET_ABOVE_AWARD,
            f"the lines add up to {sum(budgets.values())}p, more than the grant of {pence}p",
        )

    # awards to one bank take turns: a resent form waits for the first and finds it, and two
    # first awards cannot both open a fund account
    lock_bank(session, bank)
    replayed = _replayed_award(session, bank, idempotency_key, pence, awarded_on)
    if replayed is not None:
        return replayed

    # a savepoint, so a refusal part-way leaves no half-opened accounts behind
    with session.begin_nested():
        # the settings exist from the first award, so spending reads them and never writes them
        settings_for(session, programme)
        fund = _funder_account(session, bank)
        held = ledger.open_account(
            session,
            bank_id=bank.id,
            unit=Unit.GBP,
            kind=AccountKind.GRANT,
            label="seed grant",
            floor=0,
        )
        transfer = ledger.post(
            session,
            TransferRequest(
                bank_id=bank.id,
                unit=Unit.GBP,
                kind=TransferKind.GRANT_AWARD,
                from_account_id=fund.id,
                to_account_id=held.id,
                amount=pence,
                given_on=awarded_on,
                idempotency_key=idempotency_key,
            ),
            recorded_by_id=by_user_id,
            now=now,
        )
        grant = Grant(
            programme_id=programme.id,
            bank_id=bank.id,
            unit=Unit.GBP,
            amount_pence=pence,
            awarded_on=awarded_on,
            conditions=conditions,
            status=GrantStatus.OPEN,
            funder_account_id=fund.id,
            grant_account_id=held.id,
            award_transfer_id=transfer.id,
            awarded_by_id=by_user_id,
        )
        session.add(grant)
        session.flush()
        _open_lines(session, grant, budgets)
    audit.record(
        session,
        "grant.awarded",
        user_id=by_user_id,
        bank_id=bank.id,
        subject=f"grant:{grant.id}",
        details={
            "programme_id": programme.id,
            "amount_pence": pence,
            "awarded_on": awarded_on,
            "transfer_id": transfer.id,
            "lines": budgets,
        },
    )
    session.flush()
    return grant


def set_line_budget(
    session: Session, grant: Grant, line: BudgetLine, pence: int, *, by_user_id: int | None
) -> BudgetLine:
    """Move budget between lines: a plan changes, no money moves. Audited."""
    check_line_of(grant, line)
    if not is_count(pence) or pence < 0:
        raise GrantError(GrantErrorCode.INVALID_LINE, "a budget is whole pence, zero or more")
    lock_grant(session, grant)
    others = session.scalar(
        select(func.coalesce(func.sum(BudgetLine.budget_pence), 0)).where(
            BudgetLine.grant_id == grant.id, BudgetLine.id != line.id
        )
    )
    if (others or 0) + pence > grant.amount_pence:
        raise GrantError(
            GrantErrorCode.BUDGET_ABOVE_AWARD,
            f"the lines would add up to {(others or 0) + pence}p, "
            f"more than the grant of {grant.amount_pence}p",
        )
    before = line.budget_pence
    line.budget_pence = pence
    session.flush()
    audit.record(
        session,
        "grant.line_budget_changed",
        user_id=by_user_id,
        bank_id=grant.bank_id,
        subject=f"grant:{grant.id}",
        details={"line_id": line.id, "line": line.name, "budget_pence": [before, pence]},
    )
    return line


def close_grant(session: Session, grant: Grant, *, by_user_id: int | None) -> Grant:
    """Close a grant that holds nothing: its account takes no more money, and it never reopens.
    The ledger refuses while money is left (``balance_not_zero``): spend or return it first."""
    lock_grant(session, grant)
    if grant.status == GrantStatus.CLOSED:
        return grant
    ledger.close_account(session, grant.grant_account_id)
    grant.status = GrantStatus.CLOSED
    session.flush()
    audit.record(
        session,
        "grant.closed",
        user_id=by_user_id,
        bank_id=grant.bank_id,
        subject=f"grant:{grant.id}",
    )
    return grant


def funder_account(session: Session, bank_id: int) -> Account | None:
    """The programme's fund as seen from a bank, if a grant was ever awarded to it."""
    return session.scalars(
        select(Account).where(
            Account.bank_id == bank_id,
            Account.kind == AccountKind.FUNDER,
            Account.unit == Unit.GBP,
        )
    ).one_or_none()


def _budgets(lines: Mapping[str, int]) -> dict[str, int]:
    """The default lines and any extra ones, in order, with their budgets."""
    budgets = {name: 0 for name in DEFAULT_BUDGET_LINES}
    seen = {name.casefold() for name in DEFAULT_BUDGET_LINES}
    given: set[str] = set()
    for raw, budget in lines.items():
        name = " ".join(raw.split())
        if not name or len(name) > MAX_LINE_NAME:
            raise GrantError(
                GrantErrorCode.INVALID_LINE, f"a line name is 1 to {MAX_LINE_NAME} characters"
            )
        if not is_count(budget) or budget < 0:
            raise GrantError(
                GrantErrorCode.INVALID_LINE, f"the budget of {name!r} is whole pence, 0 or more"
            )
        key = name.casefold()
        if key in given:
            raise GrantError(GrantErrorCode.INVALID_LINE, f"{name!r} is named twice")
        given.add(key)
        # "Venue hire" sets the default "venue hire" line rather than adding a second one
        existing = next((d for d in budgets if d.casefold() == key), None) if key in seen else None
        budgets[existing or name] = budget
    return budgets


def _open_lines(session: Session, grant: Grant, budgets: Mapping[str, int]) -> None:
    """Give a new grant its budget lines, each with an account of its own."""
    for name, budget in budgets.items():
        account = ledger.open_account(
            session, bank_id=grant.bank_id, unit=Unit.GBP, kind=AccountKind.BUDGET_LINE, label=name
        )
        session.add(
            BudgetLine(
                grant_id=grant.id,
                bank_id=grant.bank_id,
                unit=Unit.GBP,
                name=name,
                budget_pence=budget,
                account_id=account.id,
            )
        )
    session.flush()


def _funder_account(session: Session, bank: Bank) -> Account:
    """The bank's view of the programme fund, opened with the first grant (the caller holds
    the bank's lock). No floor: the fund is the source of the money, and its balance shows how
    much has gone out to the bank."""
    found = funder_account(session, bank.id)
    if found is not None:
        return found
    return ledger.open_account(
        session, bank_id=bank.id, unit=Unit.GBP, kind=AccountKind.FUNDER, label="programme fund"
    )


def _replayed_award(
    session: Session, bank: Bank, key: str | None, pence: int, awarded_on: date
) -> Grant | None:
    """The grant a retried award first made, or None. Its transfer's fingerprint can't be
    compared (the grant's account is new each time), so the terms are compared instead."""
    existing = keyed(session, bank.id, key)
    if existing is None:
        return None
    grant = session.scalars(select(Grant).where(Grant.award_transfer_id == existing.id)).first()
    if grant is None or (grant.amount_pence, grant.awarded_on) != (pence, awarded_on):
        raise LedgerError(
            ErrorCode.IDEMPOTENCY_KEY_REUSED,
            "this key was used before for a different transfer",
        )
    return grant


__all__ = ["MAX_LINE_NAME", "award_grant", "close_grant", "funder_account", "set_line_budget"]
