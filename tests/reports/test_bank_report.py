"""A hand-built bank where every figure of the report is known in advance.

The Wee Bank, 1 January to 31 March 2024, funded to reach carers and men aged 65 and over.

Members (joined 1 June 2023 unless said):
    Ann   carer, woman, 65-74                  Bob  not a carer, man, 75-84
    Cat   carer, woman, 50-64                  Dan  carer "prefer not", man, 85+
    Eve   not a carer, woman, age "prefer not"; joined 10 January 2024
    Fin   never asked; joined 5 February 2024
    Gus   not a carer, man, 65-74; left 20 February 2024
    Hal   answered gender only (man)
    Ivy, Jo, Kim, Lee, Max: never asked, never active
    Kay   left 31 December 2023 (before the period);  Lou joined 15 April 2024 (after it)

Help, in date order (minutes):
    2023-10-01  Ann -> Ivy 420           (before the period: in balances only)
    2023-11-01  Bob -> Ann 20            reversed later: nowhere
    2023-11-15  Bob -> Jo 600            (before)
    2023-12-01  Bob -> Cat 60            (before)
    2024-01-15  Ann -> Bob 120           social, health
    2024-01-20  Bob -> Ann 60            no area (recorded with record_exchange)
    2024-02-03  Cat -> Dan 90            safety
    2024-02-10  Ann -> Cat, Eve, Fin 60 each, a group exchange: 3 transfers, social
    2024-02-15  pot -> Gus 180           pot credit for the lunch club, contribution
    2024-03-05  Eve -> Dan 30            housing; reversed later: nowhere
    2024-03-10  Dan -> Hal 40            no outcome area
    2024-03-20  Ann gives the pot 30     a gift
    2024-04-10  Cat -> Ann 30            (after the period)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest
from sqlalchemy.orm import Session

from tests.reports.helpers import answer, give, request
from timebank import ledger
from timebank.banks.models import Bank
from timebank.exchanges import HelpDetails, record_exchange
from timebank.ledger import TransferKind
from timebank.members.models import Member
from timebank.members.operations import record_leaving, register_member
from timebank.reports import (
    HourFigures,
    MemberFigures,
    MonthFigures,
    OutcomeFigures,
    PotFlow,
    Reciprocity,
    SegmentFigures,
    bank_report,
    monthly_trend,
    suppress,
)
from timebank.reports.suppression import STAR, hidden_cells

START, END = date(2024, 1, 1), date(2024, 3, 31)
JUNE = date(2023, 6, 1)


@dataclass
class WeeBank:
    bank: Bank
    members: dict[str, Member]


@pytest.fixture
def wee(session: Session, make_bank) -> WeeBank:
    bank = make_bank(name="The Wee Bank", target_groups=["carer", "men_65_plus"])
    joined = {"Eve": date(2024, 1, 10), "Fin": date(2024, 2, 5), "Lou": date(2024, 4, 15)}
    joined |= {name: date(2023, 1, 1) for name in ("Ivy", "Jo", "Kim", "Lee", "Max", "Kay")}
    m = {
        name: register_member(
            session, bank, full_name=f"{name} Test", joined_on=joined.get(name, JUNE)
        )
        for name in ("Ann Bob Cat Dan Eve Fin Gus Hal Ivy Jo Kim Lee Max Kay Lou".split())
    }
    answer(session, m["Ann"], carer="yes", gender="woman", age_band="65_74")
    answer(session, m["Bob"], carer="no", gender="man", age_band="75_84")
    answer(session, m["Cat"], carer="yes", gender="woman", age_band="50_64")
    answer(session, m["Dan"], carer="prefer_not", gender="man", age_band="85_plus")
    answer(session, m["Eve"], carer="no", gender="woman", age_band="prefer_not")
    answer(session, m["Gus"], carer="no", gender="man", age_band="65_74")
    answer(session, m["Hal"], gender="man")
    answer(session, m["Kay"], carer="yes", gender="woman", age_band="85_plus")

    give(session, m["Ann"], m["Ivy"], 420, date(2023, 10, 1))
    early = give(session, m["Bob"], m["Ann"], 20, date(2023, 11, 1))
    give(session, m["Bob"], m["Jo"], 600, date(2023, 11, 15))
    give(session, m["Bob"], m["Cat"], 60, date(2023, 12, 1))
    give(session, m["Ann"], m["Bob"], 120, date(2024, 1, 15), "social", "health")
    record_exchange(
        session,
        provider=m["Bob"],
        receiver=m["Ann"],
        help=HelpDetails(minutes=60, given_on=date(2024, 1, 20)),
    )
    give(session, m["Cat"], m["Dan"], 90, date(2024, 2, 3), "safety")
    ledger.post_linked(
        session,
        [
            request(
                session, m["Ann"], m[who], 60, date(2024, 2, 10), "social",
                kind=TransferKind.GROUP_EXCHANGE,
            )
            for who in ("Cat", "Eve", "Fin")
        ],
    )  # fmt: skip
    give(
        session, m["Gus"], None, 180, date(2024, 2, 15), "contribution",
        kind=TransferKind.POT_CREDIT,
    )  # fmt: skip
    mistake = give(session, m["Eve"], m["Dan"], 30, date(2024, 3, 5), "housing")
    give(session, m["Dan"], m["Hal"], 40, date(2024, 3, 10))
    give(session, None, m["Ann"], 30, date(2024, 3, 20), kind=TransferKind.GIFT)
    give(session, m["Cat"], m["Ann"], 30, date(2024, 4, 10))
    # corrections are dated the day they are made, long after the period
    ledger.reverse(session, early.id, "recorded twice")
    ledger.reverse(session, mistake.id, "never happened")
    record_leaving(session, m["Gus"], on=date(2024, 2, 20), gift_to_pot=False, by=None)
    record_leaving(session, m["Kay"], on=date(2023, 12, 31), gift_to_pot=False, by=None)
    session.commit()
    return WeeBank(bank, m)


def seg(
    members: int,
    share: float | None,
    active: int,
    share_active: float | None,
    given: int,
    received: int,
    both: int,
    reciprocity: float | None,
) -> SegmentFigures:
    return SegmentFigures(members, share, active, share_active, given, received, both, reciprocity)


def test_members_hours_and_reciprocity(session: Session, wee: WeeBank) -> None:
    report = bank_report(session, wee.bank.id, START, END)
    assert report.scope == "bank" and report.scope_id == wee.bank.id
    # Ann Bob Cat Dan Eve Fin Hal Ivy Jo Kim Lee Max; Gus left, Kay left before, Lou too late
    assert report.members == MemberFigures(registered=12, joined=2, active=8, left=1)
    # 120 + 60 + 90 + 3 x 60 + 180 + 40; the group exchange is three exchanges
    # taking part (given + received): Hal 40, Eve 60, Fin 60, Dan 130, Cat 150, Bob 180,
    # Gus 180, Ann 360; the median is (130 + 150) / 2
    assert report.hours == HourFigures(
        minutes=670,
        exchanges=8,
        minutes_per_active=83.8,
        exchanges_per_active=1.0,
        median_minutes_per_active=140.0,
    )
    # Gus gave only; Ann 300 : 60 mostly gave; Bob 60 : 120 (exactly a half) and Cat 90 : 60
    # balanced; Dan 40 : 90 mostly received; Eve, Fin, Hal received only.
    # Balances at the end: Ann 630 (outside), Bob +600 and Jo -600 (inside, inclusive), Cat -30,
    # Dan -50, Eve -60, Fin -60, Hal -40, Ivy -420, the rest 0: 11 of 12.
    assert report.reciprocity == Reciprocity(
        both=4,
        both_share=50.0,
        gave_only=1,
        mostly_gave=1,
        balanced=2,
        mostly_received=1,
        received_only=3,
        within_ten_hours=11,
        within_ten_hours_share=91.7,
        pot=(PotFlow("pot_credit", 0, 180), PotFlow("gift", 30, 0)),
    )


def test_outcome_areas(session: Session, wee: WeeBank) -> None:
    report = bank_report(session, wee.bank.id, START, END)
    # one transfer may count in two areas; the reversed housing help counts nowhere
    assert report.outcomes == (
        OutcomeFigures("housing", 0, 0),
        OutcomeFigures("social", 4, 300),
        OutcomeFigures("contribution", 1, 180),
        OutcomeFigures("safety", 1, 90),
        OutcomeFigures("discrimination", 0, 0),
        OutcomeFigures("finances", 0, 0),
        OutcomeFigures("health", 1, 120),
        OutcomeFigures("dignity", 0, 0),
    )


def test_monthly_trend(session: Session, wee: WeeBank) -> None:
    report = bank_report(session, wee.bank.id, START, END)
    expected = [
        # 11 on the register at the end of 2023, Eve joins
        MonthFigures(date(2024, 1, 1), 12, 1, 0, 2, 2, 180),
        # Fin joins, Gus leaves; Ann Cat Dan Eve Fin Gus active
        MonthFigures(date(2024, 2, 1), 12, 1, 1, 6, 5, 450),
        # Dan and Hal; Eve's help was reversed
        MonthFigures(date(2024, 3, 1), 12, 0, 0, 2, 1, 40),
    ]
    assert list(report.trend) == expected
    assert monthly_trend(session, [wee.bank.id], START, END) == expected
    # a part month at each end
    assert [m.month for m in monthly_trend(session, [wee.bank.id], date(2024, 1, 20), END)] == [
        date(2024, 1, 1),
        date(2024, 2, 1),
        date(2024, 3, 1),
    ]
    assert monthly_trend(session, [wee.bank.id], date(2024, 1, 20), date(2024, 1, 31)) == [
        MonthFigures(date(2024, 1, 1), 12, 0, 0, 2, 1, 60)
    ]


def test_target_groups(session: Session, wee: WeeBank) -> None:
    report = bank_report(session, wee.bank.id, START, END)
    # the 13 on the register at some time in the period: the 12, and Gus
    carer, men = report.reach
    assert (carer.code, carer.kind, men.code) == ("carer", "target_group", "men_65_plus")
    assert carer.total == seg(13, 100.0, 8, 61.5, 670, 490, 4, 50.0)
    rows = {row.segment: (row.group, row.rest) for row in carer.rows}
    assert list(rows) == ["in_group", "not_in_group", "prefer_not", "not_asked"]
    # Ann and Cat
    assert rows["in_group"] == (
        seg(2, 15.4, 2, 100.0, 390, 120, 2, 100.0),
        seg(11, 84.6, 6, 54.5, 280, 370, 2, 33.3),
    )
    # Bob, Eve, Gus
    assert rows["not_in_group"] == (
        seg(3, 23.1, 3, 100.0, 240, 180, 1, 33.3),
        seg(10, 76.9, 5, 50.0, 430, 310, 3, 60.0),
    )
    # Dan
    assert rows["prefer_not"] == (
        seg(1, 7.7, 1, 100.0, 40, 90, 1, 100.0),
        seg(12, 92.3, 7, 58.3, 630, 400, 3, 42.9),
    )
    # Fin and Hal (asked other questions, not this one), and the five never asked
    assert rows["not_asked"] == (
        seg(7, 53.8, 2, 28.6, 0, 100, 0, 0.0),
        seg(6, 46.2, 6, 100.0, 670, 390, 4, 66.7),
    )

    rows = {row.segment: (row.group, row.rest) for row in men.rows}
    # Bob, Dan, Gus
    assert rows["in_group"][0] == seg(3, 23.1, 3, 100.0, 280, 210, 2, 66.7)
    # Ann, Cat
    assert rows["not_in_group"][0] == seg(2, 15.4, 2, 100.0, 390, 120, 2, 100.0)
    # Eve declined her age
    assert rows["prefer_not"][0] == seg(1, 7.7, 1, 100.0, 0, 60, 0, 0.0)
    # Hal gave his gender but was not asked his age; Fin and five others never asked
    assert rows["not_asked"][0] == seg(7, 53.8, 2, 28.6, 0, 100, 0, 0.0)
    assert rows["in_group"][1] == seg(10, 76.9, 5, 50.0, 390, 280, 2, 40.0)


def test_funder_view(session: Session, wee: WeeBank) -> None:
    """Every cell of the suppressed report, worked out by hand."""
    view = suppress(bank_report(session, wee.bank.id, START, END))
    assert view.suppressed
    # 12 -> 10, 8 -> 10; 2 joined and 1 left are hidden
    assert view.members == MemberFigures(registered=10, joined=STAR, active=10, left=STAR)
    # hours are not people: exact. Means over the *shown* 10 active; the median is over 8
    assert view.hours == HourFigures(670, 8, 67.0, 0.8, 140.0)
    # every bucket is 1 to 7; 11 of 12 in balance -> 10 of 10
    assert view.reciprocity == Reciprocity(
        both=STAR,
        both_share=STAR,
        gave_only=STAR,
        mostly_gave=STAR,
        balanced=STAR,
        mostly_received=STAR,
        received_only=STAR,
        within_ten_hours=10,
        within_ten_hours_share=100.0,
        pot=(PotFlow("pot_credit", 0, 180), PotFlow("gift", 30, 0)),
    )
    # each row's own count is 1 to 7, so everyone else (the total less it) is hidden too:
    # else 13 - 11 would give the 2 carers back. Only the totals remain.
    hidden = SegmentFigures(STAR, STAR, STAR, STAR, STAR, STAR, STAR, STAR)
    for table in view.reach:
        # 13 -> 15, 8 -> 10; 4 who both gave and received is hidden
        assert table.total == SegmentFigures(15, 100.0, 10, 66.7, 670, 490, STAR, STAR)
        for row in table.rows:
            assert (row.group, row.rest) == (hidden, hidden), (table.code, row.segment)
    # every month has 1 to 7 active members, so its hours go with them; the register (12 each
    # month) is shown rounded; March's nobody-joined and nobody-left stay 0
    assert list(view.trend) == [
        MonthFigures(date(2024, 1, 1), 10, STAR, 0, STAR, STAR, STAR),
        MonthFigures(date(2024, 2, 1), 10, STAR, STAR, STAR, STAR, STAR),
        MonthFigures(date(2024, 3, 1), 10, 0, 0, STAR, STAR, STAR),
    ]
    # outcome areas are not people
    assert view.outcomes == bank_report(session, wee.bank.id, START, END).outcomes
    assert suppress(view) is view


def test_funder_view_hides_exactly_these_cells(session: Session, wee: WeeBank) -> None:
    report = bank_report(session, wee.bank.id, START, END)
    hidden = hidden_cells(report)
    # nothing but the counts shown above; no secondary suppression was needed outside the
    # reach tables, because every other relation already had two or more hidden cells
    assert {key for key in hidden if key[0] not in ("reach", "trend")} == {
        ("members", "joined"),
        ("members", "left"),
        *(
            ("reciprocity", name)
            for name in (
                "gave_only",
                "mostly_gave",
                "balanced",
                "mostly_received",
                "received_only",
                "both",
            )
        ),
    }
