"""The reports read whole months from the roll-ups and the part months from the books: over
random books (with reversals, pot flows, outcome areas, members joining and leaving) and random
periods that need not start or end on a month's edge, they equal the definitions worked out
plainly in Python from every transfer."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, timedelta

import hypothesis.strategies as st
from hypothesis import HealthCheck, given, settings
from sqlalchemy import select
from sqlalchemy.orm import Session

from timebank import ledger
from timebank.banks.operations import create_bank, create_programme, pot_account
from timebank.ledger import (
    Account,
    AccountKind,
    LedgerError,
    Transfer,
    TransferKind,
    TransferRequest,
    Unit,
)
from timebank.ledger.models import HELP_KINDS
from timebank.members.models import Member
from timebank.members.monitoring import QUESTIONS, Monitoring
from timebank.members.monitoring_operations import save_answers
from timebank.members.operations import member_account, record_leaving, register_member
from timebank.reports import bank_report, programme_report
from timebank.reports.assembly import assemble
from timebank.reports.report import MemberRow, MonthCounts, PotFlow, Report

FIRST = date(2024, 1, 1)
DAYS = 150  # about five months: periods cover whole months, part months, or lie within one
AREAS = [area.value for area in ledger.OutcomeArea]
KINDS = [
    TransferKind.EXCHANGE,
    TransferKind.EXCHANGE,
    TransferKind.GROUP_EXCHANGE,
    TransferKind.POT_CREDIT,
    TransferKind.GIFT,
    TransferKind.WELCOME_CREDIT,
]

days = st.integers(0, DAYS)
#: Periods often start on a month's first day or end on its last, so whole months are read from
#: the roll-ups and only the rest from the books.
MONTH_STARTS = [(date(2024, m, 1) - date(2024, 1, 1)).days for m in range(1, 6)]
MONTH_ENDS = [(date(2024, m + 1, 1) - date(2024, 1, 2)).days for m in range(1, 6)]
starts = st.one_of(days, st.sampled_from(MONTH_STARTS))
ends = st.one_of(days, st.sampled_from(MONTH_ENDS))
postings = st.lists(
    st.tuples(
        st.integers(0, 1),  # bank
        st.sampled_from(KINDS),
        st.integers(0, 4),  # from (4: the pot)
        st.integers(0, 4),  # to
        st.sampled_from([15, 30, 60, 90, 120]),
        days,
        st.lists(st.sampled_from(AREAS), max_size=2, unique=True),
        st.booleans(),  # in bulk
    ),
    max_size=40,
)


def _day(offset: int) -> date:
    return FIRST + timedelta(days=offset)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    joined=st.lists(days, min_size=8, max_size=8),
    leaving=st.lists(st.one_of(st.none(), days), min_size=8, max_size=8),
    moves=postings,
    reversals=st.lists(st.integers(0, 39), max_size=12, unique=True),
    period=st.tuples(starts, ends),
)
def test_reports_equal_the_books_worked_out_plainly(
    session: Session,
    joined: list[int],
    leaving: list[int | None],
    moves: list[tuple],
    reversals: list[int],
    period: tuple[int, int],
) -> None:
    try:
        programme = create_programme(session, name="Fast", funder="Test")
        banks = [
            create_bank(
                session,
                name=f"Bank {n}",
                programme=programme,
                floor_minutes=-100_000,
                target_groups=["carer", "lgbt"],
            )
            for n in range(2)
        ]
        members: list[list[Member]] = [[], []]
        for n in range(8):
            bank = banks[n % 2]
            member = register_member(
                session, bank, full_name=f"Member {n}", joined_on=_day(joined[n])
            )
            if n % 3 != 2:
                answers = {"carer": ["yes", "no", "prefer_not"][n % 3], "gender": "man"}
                save_answers(session, member, answers, consent_on=FIRST, by=None)
            members[n % 2].append(member)

        def account(bank: int, who: int) -> int:
            if who >= len(members[bank]):
                return pot_account(session, banks[bank].id).id
            return member_account(session, members[bank][who].id).id

        posted: list[int] = []
        bulk: list[TransferRequest] = []
        for bank, kind, source, target, minutes, day, areas, in_bulk in moves:
            if source == target:
                continue
            request = TransferRequest(
                bank_id=banks[bank].id,
                unit=Unit.HOURS,
                kind=kind,
                from_account_id=account(bank, source),
                to_account_id=account(bank, target),
                amount=minutes,
                given_on=_day(day),
                outcome_areas=tuple(areas),
            )
            if in_bulk:
                bulk.append(request)
            else:
                posted.append(ledger.post(session, request).id)
        posted += ledger.post_many(session, bulk)
        for index in reversals:
            if posted:
                try:
                    ledger.reverse(session, posted[index % len(posted)], "a slip")
                except LedgerError:
                    pass
        # members leave after their help is in the books, as in life
        for n, day in enumerate(leaving):
            member = members[n % 2][n // 2]
            if day is not None and day >= joined[n]:
                record_leaving(session, member, on=_day(day), gift_to_pot=False, by=None)
        session.flush()

        start, end = _day(min(period)), _day(max(period))
        for bank in banks:
            assert bank_report(session, bank.id, start, end) == plainly(
                session, "bank", bank.id, [bank.id], start, end, bank.target_groups
            )
        assert programme_report(session, programme.id, start, end) == plainly(
            session, "programme", programme.id, [b.id for b in banks], start, end
        )
    finally:
        session.rollback()


def plainly(
    session: Session,
    scope: str,
    scope_id: int,
    bank_ids: list[int],
    start: date,
    end: date,
    target_groups: list[str] | None = None,
) -> Report:
    """The report by its definitions, from every transfer loaded into Python."""
    transfers = list(session.scalars(select(Transfer).where(Transfer.bank_id.in_(bank_ids))))
    accounts = {
        a.id: a for a in session.scalars(select(Account).where(Account.bank_id.in_(bank_ids)))
    }
    reversed_ids = {t.reverses_id for t in transfers if t.reverses_id is not None}
    standing = [
        t
        for t in transfers
        if t.unit == Unit.HOURS and t.kind != TransferKind.REVERSAL and t.id not in reversed_ids
    ]
    helped = [t for t in standing if t.kind in HELP_KINDS and start <= t.given_on <= end]

    given: Counter[int] = Counter()
    received: Counter[int] = Counter()
    balance: Counter[int] = Counter()
    for t in standing:
        for e in t.entries:
            owner = accounts[e.account_id]
            if owner.kind != AccountKind.MEMBER or owner.member_id is None:
                continue
            if t.given_on <= end:
                balance[owner.member_id] += e.amount
            if t in helped:
                if e.amount > 0:
                    given[owner.member_id] += e.amount
                else:
                    received[owner.member_id] -= e.amount

    members = list(
        session.scalars(select(Member).where(Member.bank_id.in_(bank_ids)).order_by(Member.id))
    )
    answers = {
        m.member_id: {q: (None if getattr(m, q) is None else str(getattr(m, q))) for q in QUESTIONS}
        for m in session.scalars(select(Monitoring))
    }
    rows = [
        MemberRow(
            member_id=m.id,
            bank_id=m.bank_id,
            joined_on=m.joined_on,
            left_on=m.left_on,
            given=given[m.id],
            received=received[m.id],
            balance=balance[m.id],
            answers=answers.get(m.id),
        )
        for m in members
        if m.joined_on <= end or given[m.id] + received[m.id] > 0
    ]

    outcomes: dict[str, tuple[int, int]] = {}
    for t in helped:
        for outcome in t.outcomes:
            count, minutes = outcomes.get(outcome.area.value, (0, 0))
            outcomes[outcome.area.value] = (count + 1, minutes + t.amount)

    flows: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for t in standing:
        if start <= t.given_on <= end:
            for e in t.entries:
                if accounts[e.account_id].kind == AccountKind.POT:
                    flows[t.kind.value][0 if e.amount > 0 else 1] += abs(e.amount)
    pot = [PotFlow(k.value, *flows[k.value]) for k in TransferKind if k.value in flows]

    def key(day: date) -> tuple[int, int]:
        return (day.year, day.month)

    active: dict[tuple[int, int], set[int]] = defaultdict(set)
    by_month: dict[tuple[int, int], tuple[int, int]] = {}
    for t in helped:
        count, minutes = by_month.get(key(t.given_on), (0, 0))
        by_month[key(t.given_on)] = (count + 1, minutes + t.amount)
        for e in t.entries:
            if accounts[e.account_id].kind == AccountKind.MEMBER:
                active[key(t.given_on)].add(accounts[e.account_id].member_id or 0)
    months = MonthCounts(
        registered_before=sum(
            1 for m in members if m.joined_on < start and (m.left_on is None or m.left_on >= start)
        ),
        joined=Counter(key(m.joined_on) for m in members if start <= m.joined_on <= end),
        left=Counter(
            key(m.left_on) for m in members if m.left_on is not None and start <= m.left_on <= end
        ),
        active={month: len(ids) for month, ids in active.items()},
        help=by_month,
    )

    bank_help = None
    if scope == "programme":
        bank_help = {bank_id: (0, 0) for bank_id in bank_ids}
        for t in helped:
            count, minutes = bank_help[t.bank_id]
            bank_help[t.bank_id] = (count + 1, minutes + t.amount)
    return assemble(
        scope=scope,  # type: ignore[arg-type]
        scope_id=scope_id,
        start=start,
        end=end,
        rows=rows,
        exchanges=len(helped),
        minutes=sum(t.amount for t in helped),
        outcomes=outcomes,
        pot=pot,
        months=months,
        reach_by="target_group" if scope == "bank" else "question",
        target_groups=target_groups or [],
        bank_help=bank_help,
    )
