"""A programme over two banks, corrections, and what a report refuses."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy.orm import Session

from tests.reports.helpers import answer, give
from timebank import ledger
from timebank.banks.operations import create_programme
from timebank.ledger import TransferKind
from timebank.members.operations import register_member
from timebank.reports import (
    BankSummary,
    HourFigures,
    MemberFigures,
    PotFlow,
    SegmentFigures,
    bank_report,
    programme_report,
    suppress,
)
from timebank.reports.suppression import STAR

START, END = date(2024, 1, 1), date(2024, 3, 31)
JUNE = date(2023, 6, 1)


@pytest.fixture
def programme(session: Session, make_bank):
    """Bank A: Pat (carer), Sam (not), Ted (never asked). Bank B, 60 welcome minutes: Una
    (carer "prefer not"), Val (carer), Wyn (joined 1 February 2024, never asked). Bank C is in no
    programme and must never show."""
    prog = create_programme(session, name="Seed grants 2024", funder="The Fund")
    a = make_bank(name="A", programme=prog)
    b = make_bank(name="B", programme=prog, welcome_minutes=60)
    c = make_bank(name="C")
    pat, sam, ted = (
        register_member(session, a, full_name=n, joined_on=JUNE) for n in ("Pat", "Sam", "Ted")
    )
    una, val = (register_member(session, b, full_name=n, joined_on=JUNE) for n in ("Una", "Val"))
    wyn = register_member(session, b, full_name="Wyn", joined_on=date(2024, 2, 1))
    xan, yaz = (register_member(session, c, full_name=n, joined_on=JUNE) for n in ("Xan", "Yaz"))
    answer(session, pat, carer="yes")
    answer(session, sam, carer="no")
    answer(session, una, carer="prefer_not")
    answer(session, val, carer="yes")
    give(session, pat, sam, 60, date(2024, 1, 10))
    give(session, sam, pat, 30, date(2024, 1, 11))
    give(session, una, val, 90, date(2024, 2, 2))
    wrong = give(session, val, wyn, 45, date(2024, 3, 3))
    ledger.reverse(session, wrong.id, "not Wyn")
    give(session, xan, yaz, 120, date(2024, 1, 5), "social")
    session.commit()
    return prog, a, b


def test_programme_report_adds_up_its_banks(session: Session, programme) -> None:
    prog, a, b = programme
    report = programme_report(session, prog.id, START, END)
    assert report.scope == "programme"
    assert report.members == MemberFigures(registered=6, joined=1, active=4, left=0)
    # bank C's 120 minutes are not the programme's; Val -> Wyn was reversed
    # Pat, Sam, Una and Val each took part in 90 minutes
    assert report.hours == HourFigures(180, 3, 45.0, 0.8, 90.0)
    assert report.banks == (
        BankSummary(a.id, registered=3, joined=0, left=0, active=2, exchanges=2, minutes=90),
        BankSummary(b.id, registered=3, joined=1, left=0, active=2, exchanges=1, minutes=90),
    )
    recip = report.reciprocity
    # Pat 60 : 30 and Sam 30 : 60 are exactly at the edges of balanced; Una gave only, Val
    # received only
    assert (recip.gave_only, recip.balanced, recip.received_only, recip.both) == (1, 2, 1, 2)
    # Wyn's welcome hours left bank B's pot in the period
    assert recip.pot == (PotFlow("welcome_credit", 0, 60),)
    assert (recip.within_ten_hours, recip.within_ten_hours_share) == (6, 100.0)
    assert report.outcomes[1].area == "social" and report.outcomes[1].exchanges == 0


def test_programme_reach_is_by_question_and_answer(session: Session, programme) -> None:
    prog, _, _ = programme
    report = programme_report(session, prog.id, START, END)
    assert [t.code for t in report.reach] == [
        "age_band",
        "gender",
        "ethnicity",
        "sexual_orientation",
        "carer",
        "bereaved",
        "dementia",
        "lives_alone",
        "disability",
    ]
    assert {t.kind for t in report.reach} == {"question"}
    carer = report.reach[4]
    rows = {row.segment: row.group for row in carer.rows}
    assert list(rows) == ["yes", "no", "prefer_not", "not_asked"]
    assert rows["yes"] == SegmentFigures(2, 33.3, 2, 100.0, 60, 120, 1, 50.0)  # Pat, Val
    assert rows["no"] == SegmentFigures(1, 16.7, 1, 100.0, 30, 60, 1, 100.0)  # Sam
    assert rows["prefer_not"] == SegmentFigures(1, 16.7, 1, 100.0, 90, 0, 0, 0.0)  # Una
    assert rows["not_asked"] == SegmentFigures(2, 33.3, 0, 0.0, 0, 0, 0, None)  # Ted, Wyn
    assert carer.total == SegmentFigures(6, 100.0, 4, 66.7, 180, 180, 2, 50.0)
    # one row per ethnic group of the census, then prefer_not and not_asked
    ethnicity = report.reach[2]
    assert len(ethnicity.rows) == 21
    assert ethnicity.rows[-1].group.members == 6


def test_programme_funder_view(session: Session, programme) -> None:
    prog, a, b = programme
    view = suppress(programme_report(session, prog.id, START, END))
    assert view.members == MemberFigures(registered=STAR, joined=STAR, active=STAR, left=0)
    # four active people: their hours, and every mean and median, go with them
    assert view.hours == HourFigures(STAR, STAR, STAR, STAR, STAR)
    assert view.banks == (
        BankSummary(a.id, STAR, 0, 0, STAR, STAR, STAR),
        BankSummary(b.id, STAR, STAR, 0, STAR, STAR, STAR),
    )
    # one welcome of a fixed 60 minutes would count the one who joined
    assert view.reciprocity.pot == (PotFlow("welcome_credit", 0, STAR),)


def test_a_bank_report_is_its_bank_alone(session: Session, programme) -> None:
    _, a, _ = programme
    report = bank_report(session, a.id, START, END)
    assert report.members == MemberFigures(registered=3, joined=0, active=2, left=0)
    assert (report.hours.minutes, report.hours.exchanges) == (90, 2)
    # a bank that chose no target groups has no reach tables
    assert report.reach == ()


def test_reversed_help_counts_nowhere(session: Session, make_bank) -> None:
    bank = make_bank()
    ann, bob = (register_member(session, bank, full_name=n, joined_on=JUNE) for n in "AB")
    # before the period, reversed by a correction dated inside it
    before = give(session, ann, bob, 60, date(2023, 12, 20))
    ledger.reverse(session, before.id, "wrong", now=datetime(2024, 2, 1, 12, tzinfo=UTC))
    # inside the period, reversed long after it
    inside = give(session, bob, ann, 90, date(2024, 1, 5), "health")
    ledger.reverse(session, inside.id, "wrong")
    # a pot credit, reversed inside the period
    credit = give(session, ann, None, 30, date(2024, 1, 6), kind=TransferKind.POT_CREDIT)
    ledger.reverse(session, credit.id, "wrong", now=datetime(2024, 1, 7, 12, tzinfo=UTC))
    session.commit()

    report = bank_report(session, bank.id, START, END)
    assert report.members.active == 0
    assert (report.hours.minutes, report.hours.exchanges) == (0, 0)
    assert report.hours.median_minutes_per_active is None
    assert report.outcomes[6].area == "health" and report.outcomes[6].exchanges == 0
    assert report.reciprocity.pot == ()
    # as corrected, both balances were 0 all along
    assert report.reciprocity.within_ten_hours == 2
    assert all(m.active == 0 and m.exchanges == 0 for m in report.trend)


def test_refusals(session: Session, programme) -> None:
    prog, a, _ = programme
    with pytest.raises(ValueError):
        bank_report(session, a.id, END, START)
    with pytest.raises(LookupError):
        bank_report(session, 999_999, START, END)
    with pytest.raises(LookupError):
        programme_report(session, 999_999, START, END)
