"""The money section, on the hand-built Wee Bank with a seed grant whose every penny is known.

The grant, £3,000 awarded 1 December 2023; the report runs 1 January to 31 March 2024:
    2023-12-15  venue hire           £100.00   (before the period: to date only)
    2024-01-10  coordinator time     £500.00
    2024-02-01  publicity             £50.50   reversed later: nowhere
    2024-03-01  volunteer expenses    £25.00
    2024-03-31  £100.00 returned to the programme
    2024-04-05  training             £200.00   (after the period: nowhere)
"""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy.orm import Session

from tests.grants.conftest import BUDGET, line_named
from tests.reports.test_bank_report import END, START, WeeBank, wee  # noqa: F401
from timebank import ledger
from timebank.banks.models import Programme
from timebank.banks.operations import create_programme
from timebank.grants.models import Grant
from timebank.grants.operations import award_grant, record_spend, return_unspent, update_settings
from timebank.reports import bank_report, suppress
from timebank.reports.money import (
    LineMoney,
    MoneyFigures,
    bank_money,
    programme_money,
    suppress_money,
)
from timebank.reports.suppression import STAR

PAYEES = ("St Aidan's Church Hall", "Margaret Payeename", "Print Shop Ltd")


@pytest.fixture
def funded(session: Session, wee: WeeBank) -> Grant:  # noqa: F811
    programme = create_programme(
        session, name="Wee Programme", funder="The Wee Fund", starts_on=date(2023, 4, 1)
    )
    wee.bank.programme_id = programme.id
    session.flush()
    grant = award_grant(
        session, programme, wee.bank, 300_000, date(2023, 12, 1), lines=BUDGET, by_user_id=None
    )

    def spend(name: str, pence: int, on: date, payee: str = "") -> ledger.Transfer:
        line = line_named(session, grant, name)
        return record_spend(session, grant, line, pence, on, payee, by_user_id=None).transfer

    spend("venue hire", 10_000, date(2023, 12, 15), PAYEES[0])
    spend("coordinator time", 50_000, date(2024, 1, 10), PAYEES[1])
    wrong = spend("publicity", 5_050, date(2024, 2, 1), PAYEES[2])
    spend("volunteer expenses", 2_500, date(2024, 3, 1), PAYEES[1])
    return_unspent(session, grant, 10_000, date(2024, 3, 31), by_user_id=None)
    spend("training", 20_000, date(2024, 4, 5))
    ledger.reverse(session, wrong.id, "wrong line")
    session.commit()
    return grant


def expected_lines() -> tuple[LineMoney, ...]:
    in_period = {"coordinator time": 50_000, "volunteer expenses": 2_500}
    to_date = {**in_period, "venue hire": 10_000}
    return tuple(
        LineMoney(name, budget, in_period.get(name, 0), to_date.get(name, 0))
        for name, budget in BUDGET.items()
    )


def test_money_of_a_bank(session: Session, wee: WeeBank, funded: Grant) -> None:  # noqa: F811
    report = bank_report(session, wee.bank.id, START, END)
    # the Wee Bank's exact figures: 670 minutes exchanged by 8 active members
    assert (report.hours.minutes, report.members.active) == (670, 8)
    money = bank_money(session, wee.bank, START, END, minutes=670, active=8)
    assert money == MoneyFigures(
        grants=1,
        awarded=300_000,
        spent=52_500,
        spent_to_date=62_500,
        returned=10_000,
        remaining=227_500,
        lines=expected_lines(),
        # 52,500p over 11 h 10 min = 4,701.49p an hour
        cost_per_hour=4701.5,
        cost_per_active_member=6562.5,
        # 670 / 60 x 1,221p = 13,634.5p, half up
        value_of_hours=13_635,
        rate_pence_per_hour=1221,
        rate_source="UK National Living Wage (age 21+), GOV.UK",
        rate_from=date(2025, 4, 1),
    )


def test_before_the_award_there_is_no_money(
    session: Session,
    wee: WeeBank,  # noqa: F811
    funded: Grant,
) -> None:
    money = bank_money(session, wee.bank, date(2023, 1, 1), date(2023, 11, 30), minutes=0, active=0)
    assert (money.grants, money.awarded, money.spent, money.remaining) == (0, 0, 0, 0)
    assert (money.cost_per_hour, money.cost_per_active_member) == (None, None)


def test_the_programme_rate_values_the_hours(
    session: Session,
    wee: WeeBank,  # noqa: F811
    funded: Grant,
) -> None:
    programme = session.get(Programme, wee.bank.programme_id)
    update_settings(
        session,
        programme,
        by_user_id=None,
        hourly_value_pence=1500,
        hourly_value_source="Our own volunteer rate",
        hourly_value_on=date(2024, 1, 1),
    )
    money = programme_money(session, programme, START, END, minutes=670, active=8)
    assert (money.value_of_hours, money.rate_source) == (16_750, "Our own volunteer rate")
    assert money.awarded == 300_000


def test_the_funder_divides_by_the_shown_count(
    session: Session,
    wee: WeeBank,  # noqa: F811
    funded: Grant,
) -> None:
    report = bank_report(session, wee.bank.id, START, END)
    money = bank_money(session, wee.bank, START, END, minutes=670, active=8)
    shown = suppress(report)
    # 8 active is shown as 10: 52,500p / 10, never / 8, which would give the 8 away
    assert suppress_money(money, 8, shown.members.active).cost_per_active_member == 5250.0
    assert suppress_money(money, 5, STAR).cost_per_active_member == STAR
    assert suppress_money(money, 0, 0) == money
    # sums of money are shown as they are
    assert suppress_money(money, 8, 10).spent == money.spent
