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
nothing behind in the session.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from timebank import audit, ledger
from timebank.banks.models import Bank, Programme
from timebank.db import utcnow
from timebank.grants.models import (
    DEFAULT_BUDGET_LINES,
    BudgetLine,
    Grant,
    GrantStatus,
    OverspendPolicy,
    ProgrammeSettings,
    Spend,
)
from timebank.ledger import (
    Account,
    AccountKind,
    Entry,
    ErrorCode,
    LedgerError,
    Transfer,
    TransferKind,
    TransferNote,
    TransferRequest,
    Unit,
)

#: The longest budget line name the table keeps.
MAX_LINE_NAME = 100


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


# -- results ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SpendResult:
    """A recorded spend, and whether it took its line past its budget (``warn`` policy)."""

    transfer: Transfer
    spend: Spend
    overspent: bool
    line_budget: int
    #: Spent on the line, this spend included.
    line_spent: int


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


@dataclass(frozen=True)
class HoursValue:
    """Hours given a money value, always with the rate, its source and its date."""

    minutes: int
    pence: int
    rate_pence_per_hour: int
    source: str
    rate_from: date


# -- programme settings -------------------------------------------------------------------------

_SETTING_FIELDS = frozenset(
    {
        "period_starts_on",
        "period_ends_on",
        "target_banks_per_year",
        "overspend_policy",
        "hourly_value_pence",
        "hourly_value_source",
        "hourly_value_on",
    }
)


def settings_for(session: Session, programme: Programme) -> ProgrammeSettings:
    """The programme's grant settings, made with the defaults (the programme's own period, the
    National Living Wage, refuse overspending) the first time they are asked for."""
    settings = session.get(ProgrammeSettings, programme.id)
    if settings is None:
        settings = ProgrammeSettings(
            programme_id=programme.id,
            period_starts_on=programme.starts_on,
            period_ends_on=programme.ends_on,
        )
        session.add(settings)
        session.flush()
    return settings


def update_settings(
    session: Session, programme: Programme, *, by_user_id: int | None, **changes: Any
) -> ProgrammeSettings:
    """Change some of a programme's settings, audited with their values before and after.

    A new hourly value must come with its source and the date it applies from, so a report
    never shows a rate without saying where it came from."""
    unknown = set(changes) - _SETTING_FIELDS
    if unknown:
        raise GrantError(GrantErrorCode.INVALID_SETTING, f"no such setting: {sorted(unknown)[0]}")
    if "hourly_value_pence" in changes and not {"hourly_value_source", "hourly_value_on"} <= set(
        changes
    ):
        raise GrantError(
            GrantErrorCode.INVALID_SETTING, "state the hourly value's source and date with it"
        )
    settings = settings_for(session, programme)
    before = {name: getattr(settings, name) for name in _SETTING_FIELDS}
    after = {**before, **changes}
    if "overspend_policy" in changes:
        try:
            after["overspend_policy"] = OverspendPolicy(changes["overspend_policy"])
        except ValueError as error:
            raise GrantError(GrantErrorCode.INVALID_SETTING, str(error)) from error
    if not _is_count(after["hourly_value_pence"]) or after["hourly_value_pence"] <= 0:
        raise GrantError(GrantErrorCode.INVALID_SETTING, "the hourly value is whole pence above 0")
    if not str(after["hourly_value_source"] or "").strip():
        raise GrantError(GrantErrorCode.INVALID_SETTING, "the hourly value needs a source")
    if not _is_count(after["target_banks_per_year"]) or after["target_banks_per_year"] < 0:
        raise GrantError(GrantErrorCode.INVALID_SETTING, "the target is a whole number of banks")
    starts, ends = after["period_starts_on"], after["period_ends_on"]
    if starts is not None and ends is not None and starts > ends:
        raise GrantError(GrantErrorCode.INVALID_SETTING, "the period ends before it starts")
    for name, value in after.items():
        setattr(settings, name, value)
    session.flush()
    audit.record(
        session,
        "programme.settings_changed",
        user_id=by_user_id,
        subject=f"programme:{programme.id}",
        details=audit.changes(before, after),
    )
    return settings


def value_of_hours(minutes: int, settings: ProgrammeSettings) -> HoursValue:
    """Hours x the programme's hourly value, in pence, rounded half up."""
    if not _is_count(minutes) or minutes < 0:
        raise ValueError("minutes are a whole number, zero or more")
    rate = settings.hourly_value_pence
    # whole pence, half up: floor(minutes * rate / 60 + 1/2) in integers, never through floats
    pence = (minutes * rate + 30) // 60
    return HoursValue(
        minutes=minutes,
        pence=pence,
        rate_pence_per_hour=rate,
        source=settings.hourly_value_source,
        rate_from=settings.hourly_value_on,
    )


# -- award --------------------------------------------------------------------------------------


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
    _check_pence(pence)
    if bank.programme_id != programme.id:
        raise GrantError(
            GrantErrorCode.BANK_NOT_IN_PROGRAMME,
            f"bank {bank.id} is not in programme {programme.id}",
        )
    _check_not_future(bank, awarded_on, now)
    budgets = _budgets(lines or {})
    if sum(budgets.values()) > pence:
        raise GrantError(
            GrantErrorCode.BUDGET_ABOVE_AWARD,
            f"the lines add up to {sum(budgets.values())}p, more than the grant of {pence}p",
        )

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
        for name, budget in budgets.items():
            account = ledger.open_account(
                session, bank_id=bank.id, unit=Unit.GBP, kind=AccountKind.BUDGET_LINE, label=name
            )
            session.add(
                BudgetLine(
                    grant_id=grant.id,
                    bank_id=bank.id,
                    unit=Unit.GBP,
                    name=name,
                    budget_pence=budget,
                    account_id=account.id,
                )
            )
        session.flush()
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
    _check_line_of(grant, line)
    if not _is_count(pence) or pence < 0:
        raise GrantError(GrantErrorCode.INVALID_LINE, "a budget is whole pence, zero or more")
    _lock_grant(session, grant)
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


# -- spend and return ---------------------------------------------------------------------------


def record_spend(
    session: Session,
    grant: Grant,
    line: BudgetLine,
    pence: int,
    spent_on: date,
    payee: str = "",
    receipt_reference: str = "",
    description: str = "",
    *,
    by_user_id: int | None,
    idempotency_key: str | None = None,
    now: datetime | None = None,
) -> SpendResult:
    """Record money spent from the grant on one budget line.

    Refused when the grant has too little left (``LedgerError`` ``exceeds_floor``), and, if the
    programme refuses overspending, when the line would pass its budget (:class:`OverspendRefused`);
    under ``warn`` it is recorded with ``overspent=True``. The payee, receipt reference and
    description are kept apart from the books, and out of the audit trail, so they can be
    redacted.
    """
    _check_pence(pence)
    _check_line_of(grant, line)
    bank = _bank_of(session, grant)
    _check_not_future(bank, spent_on, now)
    request = TransferRequest(
        bank_id=grant.bank_id,
        unit=Unit.GBP,
        kind=TransferKind.GRANT_SPEND,
        from_account_id=grant.grant_account_id,
        to_account_id=line.account_id,
        amount=pence,
        given_on=spent_on,
        idempotency_key=idempotency_key,
    )
    # one spend at a time per grant, so two cannot both fit the last of a line's budget
    _lock_grant(session, grant)
    replayed = _replayed_spend(session, request, now)
    if replayed is not None:
        return replayed
    if grant.status == GrantStatus.CLOSED:
        raise GrantError(GrantErrorCode.GRANT_CLOSED, f"grant {grant.id} is closed")

    spent_before = _spent_on_line(session, line)
    overspent = spent_before + pence > line.budget_pence
    policy = settings_for(session, _programme_of(session, grant)).overspend_policy
    if overspent and policy == OverspendPolicy.REFUSE:
        raise OverspendRefused(line, spent_before, pence)

    transfer = ledger.post(session, request, recorded_by_id=by_user_id, now=now)
    spend = Spend(
        transfer_id=transfer.id,
        grant_id=grant.id,
        budget_line_id=line.id,
        payee=payee.strip(),
        receipt_reference=receipt_reference.strip(),
        description=description.strip(),
    )
    session.add(spend)
    session.flush()
    audit.record(
        session,
        "grant.spent",
        user_id=by_user_id,
        bank_id=grant.bank_id,
        subject=f"transfer:{transfer.id}",
        # no payee or description: the trail cannot be redacted, so it holds no personal data
        details={
            "grant_id": grant.id,
            "line_id": line.id,
            "line": line.name,
            "amount_pence": pence,
            "spent_on": spent_on,
            "overspent": overspent,
        },
    )
    session.flush()
    return SpendResult(
        transfer=transfer,
        spend=spend,
        overspent=overspent,
        line_budget=line.budget_pence,
        line_spent=spent_before + pence,
    )


def redact_spend(
    session: Session,
    spend: Spend,
    *,
    by_user_id: int | None,
    receipt_reference: bool = False,
    now: datetime | None = None,
) -> Spend:
    """Blank a spend's payee and description (and its receipt reference, if asked) for an
    erasure request. The money stays in the books; the database allows this change only."""
    if spend.redacted_at is not None:
        return spend
    spend.payee = ""
    spend.description = ""
    if receipt_reference:
        spend.receipt_reference = ""
    spend.redacted_at = now or utcnow()
    session.flush()
    audit.record(
        session,
        "grant.spend_redacted",
        user_id=by_user_id,
        bank_id=session.get_one(Grant, spend.grant_id).bank_id,
        subject=f"transfer:{spend.transfer_id}",
        details={"receipt_reference": receipt_reference},
    )
    return spend


def return_unspent(
    session: Session,
    grant: Grant,
    pence: int,
    on: date,
    *,
    by_user_id: int | None,
    now: datetime | None = None,
    reason: str = "",
    idempotency_key: str | None = None,
) -> Transfer:
    """Give money the bank will not spend back to the programme's fund. More than the grant
    holds is refused by the ledger (``exceeds_floor``). The ``reason`` is kept as the
    transfer's note, apart from the books. Sent again with the same ``idempotency_key``, it
    returns the first transfer and writes nothing."""
    _check_pence(pence)
    _check_not_future(_bank_of(session, grant), on, now)
    _lock_grant(session, grant)
    request = TransferRequest(
        bank_id=grant.bank_id,
        unit=Unit.GBP,
        kind=TransferKind.GRANT_RETURN,
        from_account_id=grant.grant_account_id,
        to_account_id=grant.funder_account_id,
        amount=pence,
        given_on=on,
        idempotency_key=idempotency_key,
    )
    replayed = _replayed(session, request, now)
    if replayed is not None:
        return replayed
    if grant.status == GrantStatus.CLOSED:
        raise GrantError(GrantErrorCode.GRANT_CLOSED, f"grant {grant.id} is closed")
    transfer = ledger.post(session, request, recorded_by_id=by_user_id, now=now)
    if reason.strip():
        session.add(TransferNote(transfer_id=transfer.id, text=reason.strip()))
    audit.record(
        session,
        "grant.returned",
        user_id=by_user_id,
        bank_id=grant.bank_id,
        subject=f"transfer:{transfer.id}",
        details={"grant_id": grant.id, "amount_pence": pence, "returned_on": on},
    )
    session.flush()
    return transfer


def close_grant(session: Session, grant: Grant, *, by_user_id: int | None) -> Grant:
    """Close a grant that holds nothing: its account takes no more money, and it never reopens.
    The ledger refuses while money is left (``balance_not_zero``): spend or return it first."""
    _lock_grant(session, grant)
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


# -- figures ------------------------------------------------------------------------------------


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


def grant_of_transfer(session: Session, transfer: Transfer) -> Grant | None:
    """The grant a transfer of money belongs to (its award, a spend, a return, or the reversal
    of one): every one of them moves money into or out of the grant's own account."""
    touched = select(Entry.account_id).where(Entry.transfer_id == transfer.id)
    return session.scalars(select(Grant).where(Grant.grant_account_id.in_(touched))).first()


def funder_account(session: Session, bank_id: int) -> Account | None:
    """The programme's fund as seen from a bank, if a grant was ever awarded to it."""
    return session.scalars(
        select(Account).where(
            Account.bank_id == bank_id,
            Account.kind == AccountKind.FUNDER,
            Account.unit == Unit.GBP,
        )
    ).one_or_none()


# -- helpers ------------------------------------------------------------------------------------


def _is_count(value: object) -> bool:
    # True is an int to Python, never an amount of money
    return isinstance(value, int) and not isinstance(value, bool)


def _check_pence(pence: object) -> None:
    if not _is_count(pence):
        raise TypeError("money is whole pence, an int")
    if pence <= 0:  # type: ignore[operator]
        raise LedgerError(ErrorCode.AMOUNT_MUST_BE_POSITIVE, "the amount must be more than 0p")


def _check_not_future(bank: Bank, day: date, now: datetime | None) -> None:
    if day > bank.today(now):
        raise LedgerError(
            ErrorCode.DATE_IN_FUTURE, f"{day.isoformat()} has not happened yet at the bank"
        )


def _check_line_of(grant: Grant, line: BudgetLine) -> None:
    if line.grant_id != grant.id:
        raise GrantError(
            GrantErrorCode.LINE_NOT_IN_GRANT,
            f"budget line {line.id} belongs to grant {line.grant_id}, not {grant.id}",
        )


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
        if not _is_count(budget) or budget < 0:
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


def _funder_account(session: Session, bank: Bank) -> Account:
    """The bank's view of the programme fund, opened with the first grant. No floor: the fund
    is the source of the money, and its balance shows how much has gone out to the bank."""
    # lock the bank so two first awards cannot both open a fund account
    session.execute(select(Bank.id).where(Bank.id == bank.id).with_for_update())
    found = funder_account(session, bank.id)
    if found is not None:
        return found
    return ledger.open_account(
        session, bank_id=bank.id, unit=Unit.GBP, kind=AccountKind.FUNDER, label="programme fund"
    )


def _lock_grant(session: Session, grant: Grant) -> None:
    """Take the grant's row lock (PostgreSQL; SQLite already holds its write lock) and read
    its status afresh."""
    session.scalars(
        select(Grant)
        .where(Grant.id == grant.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()


def _spent_on_line(session: Session, line: BudgetLine) -> int:
    total = session.scalar(
        select(func.coalesce(func.sum(Entry.amount), 0)).where(Entry.account_id == line.account_id)
    )
    return int(total or 0)


def _keyed(session: Session, bank_id: int, key: str | None) -> Transfer | None:
    """The transfer already posted with this idempotency key in the bank, if any."""
    if key is None:
        return None
    return session.scalars(
        select(Transfer).where(Transfer.bank_id == bank_id, Transfer.idempotency_key == key)
    ).one_or_none()


def _replayed(session: Session, request: TransferRequest, now: datetime | None) -> Transfer | None:
    """The transfer a retried request first posted, or None; a key reused for other terms is
    refused by the ledger (``idempotency_key_reused``), which compares the fingerprints."""
    if _keyed(session, request.bank_id, request.idempotency_key) is None:
        return None
    return ledger.post(session, request, now=now)


def _replayed_award(
    session: Session, bank: Bank, key: str | None, pence: int, awarded_on: date
) -> Grant | None:
    """The grant a retried award first made, or None. Its transfer's fingerprint can't be
    compared (the grant's account is new each time), so the terms are compared instead."""
    existing = _keyed(session, bank.id, key)
    if existing is None:
        return None
    grant = session.scalars(select(Grant).where(Grant.award_transfer_id == existing.id)).first()
    if grant is None or (grant.amount_pence, grant.awarded_on) != (pence, awarded_on):
        raise LedgerError(
            ErrorCode.IDEMPOTENCY_KEY_REUSED,
            "this key was used before for a different transfer",
        )
    return grant


def _replayed_spend(
    session: Session, request: TransferRequest, now: datetime | None
) -> SpendResult | None:
    """The first result of a retried spend, or None; a key reused for other terms is refused."""
    transfer = _replayed(session, request, now)
    if transfer is None:
        return None
    spend = session.get_one(Spend, transfer.id)
    line = session.get_one(BudgetLine, spend.budget_line_id)
    spent = _spent_on_line(session, line)
    return SpendResult(
        transfer=transfer,
        spend=spend,
        overspent=spent > line.budget_pence,
        line_budget=line.budget_pence,
        line_spent=spent,
    )


def _bank_of(session: Session, grant: Grant) -> Bank:
    return session.get_one(Bank, grant.bank_id)


def _programme_of(session: Session, grant: Grant) -> Programme:
    return session.get_one(Programme, grant.programme_id)


__all__ = [
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
    "grant_summary",
    "record_spend",
    "redact_spend",
    "return_unspent",
    "set_line_budget",
    "settings_for",
    "update_settings",
    "value_of_hours",
]
