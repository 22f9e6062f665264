"""`timebank simulate`: plausible books, the same for the same seed, and still balanced."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from timebank import ledger
from timebank.banks.models import Bank
from timebank.grants.models import Grant
from timebank.ledger import Entry, Transfer, TransferKind
from timebank.members.models import Member
from timebank.members.monitoring import PREFER_NOT, QUESTIONS, Monitoring
from timebank.reports import programme_report
from timebank.simulate import simulate

TODAY = date(2025, 6, 30)


def books_of(session: Session, programme_id: int) -> list[tuple]:
    """Everything that happened in a programme, without the ids the database chose."""
    first_bank = session.scalar(select(func.min(Bank.id)).where(Bank.programme_id == programme_id))
    banks = select(Bank.id).where(Bank.programme_id == programme_id)
    transfers = session.execute(
        select(Transfer.bank_id - first_bank, Transfer.kind, Transfer.amount, Transfer.given_on)
        .where(Transfer.bank_id.in_(banks))
        .order_by(Transfer.id)
    ).all()
    members = session.execute(
        select(Member.bank_id - first_bank, Member.joined_on, Member.left_on, Monitoring.carer)
        .outerjoin(Monitoring, Monitoring.member_id == Member.id)
        .where(Member.bank_id.in_(banks))
        .order_by(Member.id)
    ).all()
    return [tuple(row) for row in [*transfers, *members]]


def test_a_small_simulation_is_plausible_balanced_and_repeatable(session: Session) -> None:
    first = simulate(session, banks=2, members=30, months=6, seed=7, today=TODAY)
    second = simulate(session, banks=2, members=30, months=6, seed=7, today=TODAY)
    other = simulate(session, banks=2, members=30, months=6, seed=8, today=TODAY)

    assert ledger.verify(session).ok
    assert books_of(session, first.programme_id) == books_of(session, second.programme_id)
    assert books_of(session, first.programme_id) != books_of(session, other.programme_id)

    assert (first.banks, first.members) == (2, 60)
    banks = select(Bank.id).where(Bank.programme_id == first.programme_id)
    kinds = dict(
        session.execute(
            select(Transfer.kind, func.count())
            .where(Transfer.bank_id.in_(banks))
            .group_by(Transfer.kind)
        ).all()
    )
    assert first.transfers == sum(kinds.values())
    # 30 members make roughly 18 exchanges a month: over six months, 60 to 200 per bank
    assert 120 <= kinds[TransferKind.EXCHANGE] <= 400
    assert kinds[TransferKind.GROUP_EXCHANGE] > 0 and kinds[TransferKind.POT_CREDIT] > 0
    assert kinds[TransferKind.GRANT_AWARD] == 2 and kinds.get(TransferKind.GRANT_SPEND, 0) > 0
    assert session.scalar(select(func.count(Grant.id)).where(Grant.bank_id.in_(banks))) == 2
    assert kinds.get(TransferKind.REVERSAL, 0) == first.reversals
    assert session.scalar(select(func.count(Entry.id))) == 2 * session.scalar(
        select(func.count(Transfer.id))
    )
    # most members answered; some preferred not to say; some were never asked
    answered = session.scalar(
        select(func.count())
        .select_from(Monitoring)
        .join(Member, Member.id == Monitoring.member_id)
        .where(Member.bank_id.in_(banks))
    )
    assert 40 <= answered < 60
    assert set(QUESTIONS) <= {c.name for c in Monitoring.__table__.columns}
    declined = session.scalar(
        select(func.count())
        .select_from(Monitoring)
        .where((Monitoring.sexual_orientation == PREFER_NOT) | (Monitoring.ethnicity == PREFER_NOT))
    )
    assert declined > 0

    report = programme_report(session, first.programme_id, date(2025, 1, 1), TODAY)
    assert report.members.active > 20
    assert report.hours.exchanges > 100


def test_the_command_says_what_it_made(runner) -> None:
    result = runner.invoke(
        args=["simulate", "--banks", "1", "--members", "10", "--months", "2", "--seed", "3"]
    )
    assert result.exit_code == 0, result.output
    assert "1 banks, 10 members" in result.output
