"""Seed grants in the books: awards, spending by line, overspending, returns and the figures."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.grants.conftest import BUDGET, line_named
from timebank import ledger
from timebank.audit import AuditEvent
from timebank.banks.models import Bank, Programme
from timebank.banks.operations import create_programme
from timebank.grants.models import (
    DEFAULT_BUDGET_LINES,
    NATIONAL_LIVING_WAGE_FROM,
    NATIONAL_LIVING_WAGE_SOURCE,
    Grant,
    GrantStatus,
    OverspendPolicy,
    ProgrammeSettings,
    Spend,
)
from timebank.grants.operations import (
    GrantError,
    GrantErrorCode,
    OverspendRefused,
    award_grant,
    budget_against_actual,
    close_grant,
    funder_account,
    grant_summary,
    record_spend,
    redact_spend,
    return_unspent,
    reverse_spend,
    set_line_budget,
    settings_for,
    update_settings,
    value_of_hours,
)
from timebank.ledger import (
    Account,
    AccountKind,
    Entry,
    ErrorCode,
    LedgerError,
    Transfer,
    TransferNote,
    Unit,
)


def balance(session: Session, account_id: int) -> int:
    return session.scalar(select(Account.balance).where(Account.id == account_id)) or 0


def count(session: Session, model: type) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def spend(session: Session, grant: Grant, line: str, pence: int, **details: object):
    details.setdefault("by_user_id", None)
    result = record_spend(
        session,
        grant,
        line_named(session, grant, line),
        pence,
        date.today() - timedelta(days=1),
        **details,
    )
    session.commit()
    return result


def use_policy(session: Session, programme: Programme, policy: OverspendPolicy) -> None:
    update_settings(session, programme, by_user_id=None, overspend_policy=policy)
    session.commit()


# -- awards -------------------------------------------------------------------------------------


def test_an_award_moves_the_money_from_the_fund_to_the_grant(
    session: Session, bank: Bank, grant: Grant
) -> None:
    fund = session.get_one(Account, grant.funder_account_id)
    held = session.get_one(Account, grant.grant_account_id)
    assert (fund.kind, fund.unit, fund.floor, fund.balance) == (
        AccountKind.FUNDER,
        Unit.GBP,
        None,
        -300_000,
    )
    assert (held.kind, held.unit, held.floor, held.balance) == (
        AccountKind.GRANT,
        Unit.GBP,
        0,
        300_000,
    )
    award = session.get_one(Transfer, grant.award_transfer_id)
    assert (award.kind, award.amount, award.given_on) == ("grant_award", 300_000, grant.awarded_on)
    assert [(line.name, line.budget_pence) for line in grant.lines] == list(BUDGET.items())
    for line in grant.lines:
        account = session.get_one(Account, line.account_id)
        assert (account.kind, account.unit, account.balance) == (
            AccountKind.BUDGET_LINE,
            Unit.GBP,
            0,
        )
    # the bank's pounds sum to zero, and every rule of the books holds
    assert (
        session.scalar(
            select(func.sum(Entry.amount)).where(Entry.bank_id == bank.id, Entry.unit == Unit.GBP)
        )
        == 0
    )
    assert ledger.verify(session, bank.id).ok
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "grant.awarded")).one()
    assert (event.bank_id, event.subject) == (bank.id, f"grant:{grant.id}")
    assert event.details["amount_pence"] == 300_000


def test_every_grant_has_the_default_lines_and_may_add_its_own(
    session: Session, make_grant: Callable[..., Grant]
) -> None:
    grant = make_grant(100_000, lines={"Venue hire": 40_000, "Lunch club  food": 5_000})
    budgets = {line.name: line.budget_pence for line in grant.lines}
    assert list(budgets) == [*DEFAULT_BUDGET_LINES, "Lunch club food"]
    assert budgets["venue hire"] == 40_000
    assert sum(budgets.values()) == 45_000


def test_a_second_grant_to_the_bank_draws_on_the_same_fund(
    session: Session, make_grant: Callable[..., Grant]
) -> None:
    first, second = make_grant(100_000, lines={}), make_grant(150_000, lines={})
    assert first.funder_account_id == second.funder_account_id
    assert first.grant_account_id != second.grant_account_id
    assert balance(session, first.funder_account_id) == -250_000


@pytest.mark.parametrize("pence", [0, -100])
def test_an_award_of_nothing_is_refused(
    session: Session, make_grant: Callable[..., Grant], pence: int
) -> None:
    with pytest.raises(LedgerError) as raised:
        make_grant(pence)
    assert raised.value.code == ErrorCode.AMOUNT_MUST_BE_POSITIVE
    assert count(session, Grant) == count(session, Transfer) == 0


def test_an_award_to_a_bank_of_another_programme_is_refused(
    session: Session, make_grant: Callable[..., Grant], make_bank: Callable[..., Bank]
) -> None:
    other = create_programme(session, name="Another", funder="Another fund")
    elsewhere = make_bank(programme=other)
    for bank in (elsewhere, make_bank()):
        with pytest.raises(GrantError) as raised:
            make_grant(bank=bank)
        assert raised.value.code == GrantErrorCode.BANK_NOT_IN_PROGRAMME
    assert count(session, Grant) == 0


def test_an_award_dated_tomorrow_is_refused(
    session: Session, bank: Bank, make_grant: Callable[..., Grant]
) -> None:
    with pytest.raises(LedgerError) as raised:
        make_grant(awarded_on=bank.today() + timedelta(days=1))
    assert raised.value.code == ErrorCode.DATE_IN_FUTURE
    assert count(session, Grant) == count(session, Account.__table__) - 1 == 0  # only the pot


def test_budgets_above_the_award_are_refused(make_grant: Callable[..., Grant]) -> None:
    with pytest.raises(GrantError) as raised:
        make_grant(1_000, lines={"venue hire": 600, "training": 401})
    assert raised.value.code == GrantErrorCode.BUDGET_ABOVE_AWARD


def test_a_line_named_twice_is_refused(make_grant: Callable[..., Grant]) -> None:
    with pytest.raises(GrantError) as raised:
        make_grant(1_000, lines={"Tea": 10, "tea": 20})
    assert raised.value.code == GrantErrorCode.INVALID_LINE


# -- spending -----------------------------------------------------------------------------------


def test_spending_moves_money_from_the_grant_to_its_line(session: Session, grant: Grant) -> None:
    result = spend(
        session,
        grant,
        "venue hire",
        4_500,
        payee="St Mary's Hall",
        receipt_reference="INV-0042",
        description="Lunch club, March",
        by_user_id=None,
    )
    assert not result.overspent
    assert (result.transfer.kind, result.transfer.amount) == ("grant_spend", 4_500)
    assert balance(session, grant.grant_account_id) == 300_000 - 4_500
    assert balance(session, line_named(session, grant, "venue hire").account_id) == 4_500
    stored = session.get_one(Spend, result.transfer.id)
    assert (stored.payee, stored.receipt_reference, stored.description) == (
        "St Mary's Hall",
        "INV-0042",
        "Lunch club, March",
    )
    # who was paid stays out of the books' notes and out of the audit trail
    assert result.transfer.note is None
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "grant.spent")).one()
    assert "St Mary" not in str(event.details) and "INV-0042" not in str(event.details)
    assert event.details["amount_pence"] == 4_500


def test_a_line_spent_to_its_budget_exactly_is_not_overspent(
    session: Session, grant: Grant
) -> None:
    spend(session, grant, "publicity", 15_000)
    result = spend(session, grant, "publicity", 5_000)
    assert not result.overspent
    assert (result.line_budget, result.line_spent) == (20_000, 20_000)


def test_overspending_a_line_is_refused_when_the_programme_says_refuse(
    session: Session, grant: Grant
) -> None:
    spend(session, grant, "publicity", 19_999)
    with pytest.raises(OverspendRefused) as raised:
        spend(session, grant, "publicity", 2)
    assert (raised.value.code, raised.value.budget, raised.value.spent, raised.value.asked) == (
        GrantErrorCode.OVERSPEND,
        20_000,
        19_999,
        2,
    )
    session.rollback()
    assert count(session, Spend) == 1
    assert balance(session, line_named(session, grant, "publicity").account_id) == 19_999


def test_overspending_a_line_is_recorded_and_flagged_when_the_programme_says_warn(
    session: Session, programme: Programme, grant: Grant
) -> None:
    use_policy(session, programme, OverspendPolicy.WARN)
    result = spend(session, grant, "publicity", 25_000)
    assert result.overspent
    assert (result.line_budget, result.line_spent) == (20_000, 25_000)
    (publicity,) = [f for f in budget_against_actual(session, grant) if f.name == "publicity"]
    assert (publicity.spent, publicity.remaining, publicity.overspent) == (25_000, -5_000, True)
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "grant.spent")).one()
    assert event.details["overspent"] is True


def test_an_exhausted_grant_refuses_to_spend_more(
    session: Session, programme: Programme, make_grant: Callable[..., Grant]
) -> None:
    use_policy(session, programme, OverspendPolicy.WARN)
    grant = make_grant(10_000, lines={"venue hire": 10_000})
    spend(session, grant, "venue hire", 6_000)
    spend(session, grant, "training", 4_000)
    with pytest.raises(LedgerError) as raised:
        spend(session, grant, "other", 1)
    assert raised.value.code == ErrorCode.EXCEEDS_FLOOR
    session.rollback()
    assert balance(session, grant.grant_account_id) == 0
    assert count(session, Spend) == 2


def test_a_line_of_another_grant_is_refused(
    session: Session, make_grant: Callable[..., Grant]
) -> None:
    first, second = make_grant(), make_grant()
    with pytest.raises(GrantError) as raised:
        record_spend(
            session,
            first,
            line_named(session, second, "venue hire"),
            100,
            date.today() - timedelta(days=1),
            by_user_id=None,
        )
    assert raised.value.code == GrantErrorCode.LINE_NOT_IN_GRANT


@pytest.mark.parametrize("pence", [0, -1])
def test_spending_nothing_is_refused(session: Session, grant: Grant, pence: int) -> None:
    with pytest.raises(LedgerError) as raised:
        spend(session, grant, "venue hire", pence)
    assert raised.value.code == ErrorCode.AMOUNT_MUST_BE_POSITIVE


def test_money_is_whole_pence(session: Session, grant: Grant) -> None:
    with pytest.raises(TypeError):
        spend(session, grant, "venue hire", 12.5)  # type: ignore[arg-type]


def test_a_spend_dated_tomorrow_is_refused(session: Session, bank: Bank, grant: Grant) -> None:
    with pytest.raises(LedgerError) as raised:
        record_spend(
            session,
            grant,
            line_named(session, grant, "venue hire"),
            100,
            bank.today() + timedelta(days=1),
            by_user_id=None,
        )
    assert raised.value.code == ErrorCode.DATE_IN_FUTURE
    assert count(session, Spend) == 0


def test_a_retried_spend_is_recorded_once(session: Session, grant: Grant) -> None:
    first = spend(session, grant, "venue hire", 60_000, idempotency_key="form-1")
    again = spend(session, grant, "venue hire", 60_000, idempotency_key="form-1")
    assert again.transfer.id == first.transfer.id
    assert count(session, Spend) == 1
    with pytest.raises(LedgerError) as raised:
        spend(session, grant, "venue hire", 500, idempotency_key="form-1")
    assert raised.value.code == ErrorCode.IDEMPOTENCY_KEY_REUSED


def test_reversing_a_spend_restores_its_line(session: Session, grant: Grant) -> None:
    wrong = spend(session, grant, "training", 12_000)
    spend(session, grant, "training", 3_000)
    ledger.reverse(session, wrong.transfer.id, "entered against the wrong grant")
    session.commit()
    (training,) = [f for f in budget_against_actual(session, grant) if f.name == "training"]
    assert (training.spent, training.remaining) == (3_000, 17_000)
    summary = grant_summary(session, grant)
    assert (summary.spent, summary.remaining) == (3_000, 297_000)
    # the line has room again: the refused-overspend check sees the reversal
    assert not spend(session, grant, "training", 17_000).overspent


def test_a_spend_is_reversed_once_and_audited_once(session: Session, grant: Grant) -> None:
    wrong = spend(session, grant, "publicity", 12_000)
    reversal = reverse_spend(session, wrong.spend, "entered twice", by_user_id=None)
    session.commit()
    assert reversal.reverses_id == wrong.transfer.id
    assert grant_summary(session, grant).spent == 0
    with pytest.raises(LedgerError) as raised:
        reverse_spend(session, wrong.spend, "entered twice", by_user_id=None)
    assert raised.value.code == ErrorCode.ALREADY_REVERSED
    session.rollback()
    events = session.scalars(
        select(AuditEvent).where(AuditEvent.action == "grant.spend_reversed")
    ).all()
    assert [(e.subject, e.details) for e in events] == [
        (f"transfer:{wrong.transfer.id}", {"grant_id": grant.id, "reversal": reversal.id})
    ]


def test_a_spend_of_a_closed_grant_is_not_reversed(session: Session, grant: Grant) -> None:
    wrong = spend(session, grant, "publicity", 12_000)
    return_unspent(session, grant, 288_000, date.today(), by_user_id=None)
    # the grant is empty only while the spend stands: reversing it would refill a closed grant
    close_grant(session, grant, by_user_id=None)
    session.commit()
    with pytest.raises(GrantError) as raised:
        reverse_spend(session, wrong.spend, "entered twice", by_user_id=None)
    assert raised.value.code == GrantErrorCode.GRANT_CLOSED
    session.rollback()
    assert count(session, Transfer) == 3


def test_redacting_a_spend_keeps_the_money_and_drops_the_payee(
    session: Session, grant: Grant
) -> None:
    result = spend(
        session,
        grant,
        "volunteer expenses",
        1_250,
        payee="Joan Murphy",
        receipt_reference="bus-0318",
        description="Bus fares to the lunch club",
    )
    redact_spend(session, result.spend, by_user_id=None)
    session.commit()
    stored = session.get_one(Spend, result.transfer.id)
    assert (stored.payee, stored.description, stored.receipt_reference) == ("", "", "bus-0318")
    assert stored.redacted_at is not None
    assert grant_summary(session, grant).spent_by_line["volunteer expenses"] == 1_250


# -- returns, closing and the figures -----------------------------------------------------------


def test_unspent_money_goes_back_to_the_fund(session: Session, grant: Grant) -> None:
    spend(session, grant, "coordinator time", 100_000)
    return_unspent(session, grant, 50_000, date.today() - timedelta(days=1), by_user_id=None)
    session.commit()
    assert balance(session, grant.grant_account_id) == 150_000
    assert balance(session, grant.funder_account_id) == -250_000
    with pytest.raises(LedgerError) as raised:
        return_unspent(session, grant, 150_001, date.today(), by_user_id=None)
    assert raised.value.code == ErrorCode.EXCEEDS_FLOOR
    session.rollback()
    summary = grant_summary(session, grant)
    assert (summary.awarded, summary.spent, summary.returned, summary.remaining) == (
        300_000,
        100_000,
        50_000,
        150_000,
    )


def test_a_grant_closes_only_when_empty_and_then_takes_nothing(
    session: Session, grant: Grant
) -> None:
    with pytest.raises(LedgerError) as raised:
        close_grant(session, grant, by_user_id=None)
    assert raised.value.code == ErrorCode.BALANCE_NOT_ZERO
    session.rollback()
    spend(session, grant, "venue hire", 60_000)
    return_unspent(session, grant, 240_000, date.today(), by_user_id=None)
    close_grant(session, grant, by_user_id=None)
    session.commit()
    assert grant.status == GrantStatus.CLOSED
    with pytest.raises(GrantError) as closed:
        spend(session, grant, "training", 1)
    assert closed.value.code == GrantErrorCode.GRANT_CLOSED


def test_budget_against_actual_is_exact(
    session: Session, programme: Programme, grant: Grant
) -> None:
    use_policy(session, programme, OverspendPolicy.WARN)
    spend(session, grant, "coordinator time", 40_000)
    spend(session, grant, "coordinator time", 40_001)
    spend(session, grant, "venue hire", 61_234)
    spend(session, grant, "reference and DBS checks", 1_800)
    spend(session, grant, "reference and DBS checks", 1_800)
    figures = {
        f.name: (f.budgeted, f.spent, f.remaining, f.overspent)
        for f in budget_against_actual(session, grant)
    }
    assert figures == {
        "coordinator time": (120_000, 80_001, 39_999, False),
        "venue hire": (60_000, 61_234, -1_234, True),
        "volunteer expenses": (30_000, 0, 30_000, False),
        "publicity": (20_000, 0, 20_000, False),
        "reference and DBS checks": (15_000, 3_600, 11_400, False),
        "insurance": (25_000, 0, 25_000, False),
        "training": (20_000, 0, 20_000, False),
        "other": (10_000, 0, 10_000, False),
    }
    summary = grant_summary(session, grant)
    assert summary.spent == 80_001 + 61_234 + 3_600
    assert summary.remaining == 300_000 - summary.spent
    assert summary.returned == 0


def test_a_line_budget_can_be_moved_within_the_grant(session: Session, grant: Grant) -> None:
    set_line_budget(session, grant, line_named(session, grant, "other"), 0, by_user_id=None)
    set_line_budget(session, grant, line_named(session, grant, "training"), 30_000, by_user_id=None)
    session.commit()
    with pytest.raises(GrantError) as raised:
        set_line_budget(
            session, grant, line_named(session, grant, "insurance"), 25_001, by_user_id=None
        )
    assert raised.value.code == GrantErrorCode.BUDGET_ABOVE_AWARD


def test_the_fund_account_is_found_by_bank(session: Session, bank: Bank, grant: Grant) -> None:
    found = funder_account(session, bank.id)
    assert found is not None and found.id == grant.funder_account_id


# -- settings and the value of hours ------------------------------------------------------------


def test_settings_default_to_the_national_living_wage_and_refusing_overspend(
    session: Session, programme: Programme
) -> None:
    settings = settings_for(session, programme)
    session.commit()
    assert (
        settings.hourly_value_pence,
        settings.hourly_value_source,
        settings.hourly_value_on,
    ) == (1221, NATIONAL_LIVING_WAGE_SOURCE, NATIONAL_LIVING_WAGE_FROM)
    assert settings.overspend_policy == OverspendPolicy.REFUSE
    assert (settings.period_starts_on, settings.period_ends_on) == (
        programme.starts_on,
        programme.ends_on,
    )


@pytest.mark.parametrize(
    ("minutes", "pence"),
    [(90, 1832), (60, 1221), (0, 0), (1, 20), (30, 611), (10, 204), (600, 12_210)],
)
def test_hours_are_valued_at_the_hourly_rate_rounded_half_up(
    session: Session, programme: Programme, minutes: int, pence: int
) -> None:
    value = value_of_hours(minutes, settings_for(session, programme))
    assert value.pence == pence
    assert (value.rate_pence_per_hour, value.source, value.rate_from) == (
        1221,
        NATIONAL_LIVING_WAGE_SOURCE,
        date(2025, 4, 1),
    )


def test_negative_hours_have_no_value(session: Session, programme: Programme) -> None:
    with pytest.raises(ValueError):
        value_of_hours(-1, settings_for(session, programme))


def test_a_new_hourly_value_needs_its_source_and_date(
    session: Session, programme: Programme
) -> None:
    with pytest.raises(GrantError) as raised:
        update_settings(session, programme, by_user_id=None, hourly_value_pence=1300)
    assert raised.value.code == GrantErrorCode.INVALID_SETTING
    settings = update_settings(
        session,
        programme,
        by_user_id=None,
        hourly_value_pence=1300,
        hourly_value_source="Real Living Wage, Living Wage Foundation",
        hourly_value_on=date(2025, 10, 22),
    )
    session.commit()
    assert value_of_hours(90, settings).pence == 1950
    event = session.scalars(
        select(AuditEvent).where(AuditEvent.action == "programme.settings_changed")
    ).one()
    assert event.details["hourly_value_pence"] == [1221, 1300]
    assert session.get_one(ProgrammeSettings, programme.id).hourly_value_pence == 1300


@pytest.mark.parametrize(
    "changes",
    [
        {"overspend_policy": "ignore"},
        {"target_banks_per_year": -1},
        {"period_starts_on": date(2029, 1, 1)},
        {"colour": "blue"},
    ],
)
def test_bad_settings_are_refused(session: Session, programme: Programme, changes: dict) -> None:
    with pytest.raises(GrantError) as raised:
        update_settings(session, programme, by_user_id=None, **changes)
    assert raised.value.code == GrantErrorCode.INVALID_SETTING


def test_an_award_sent_twice_with_its_key_makes_one_grant(
    session: Session, programme: Programme, bank: Bank, a_month_ago: date
) -> None:
    first = award_grant(
        session, programme, bank, 300_000, a_month_ago, by_user_id=None, idempotency_key="k1"
    )
    session.commit()
    again = award_grant(
        session, programme, bank, 300_000, a_month_ago, by_user_id=None, idempotency_key="k1"
    )
    assert again.id == first.id
    assert session.scalar(select(func.count()).select_from(Grant)) == 1
    with pytest.raises(LedgerError) as refused:
        award_grant(
            session, programme, bank, 250_000, a_month_ago, by_user_id=None, idempotency_key="k1"
        )
    assert refused.value.code == ErrorCode.IDEMPOTENCY_KEY_REUSED


def test_a_return_sent_twice_with_its_key_returns_once(
    session: Session, grant: Grant, a_month_ago: date
) -> None:
    first = return_unspent(
        session, grant, 10_000, a_month_ago, by_user_id=None, reason="unused", idempotency_key="r"
    )
    session.commit()
    again = return_unspent(
        session, grant, 10_000, a_month_ago, by_user_id=None, reason="unused", idempotency_key="r"
    )
    assert again.id == first.id
    assert grant_summary(session, grant).returned == 10_000
    notes = session.scalars(select(TransferNote).where(TransferNote.transfer_id == first.id))
    assert [note.text for note in notes] == ["unused"]
    with pytest.raises(LedgerError):
        return_unspent(session, grant, 5_000, a_month_ago, by_user_id=None, idempotency_key="r")
