"""Synthetic activity at scale: a programme of many banks, for measuring reports and the ledger.

Plain SQLAlchemy, no Flask. Every hour goes through the ledger's bulk path
(:func:`timebank.ledger.post_many`), with the database's guards in place, so ``timebank verify``
holds afterwards. The same seed and the same ``today`` give the same data.

What a bank looks like, roughly as older people's time banks report themselves: about 60
exchanges a month per 100 members (a few keen givers do much of the giving, many give now and
then, and some only receive), help of 30 minutes to 3 hours, a group exchange now and then (one
member running a session for several), the pot paying members who help the bank itself, gifts
from the pot to members who cannot give back, a slip corrected by a reversal every few hundred
exchanges, and a seed grant with some of it spent. Members join over the months (most at the
start) and some leave; most answered the monitoring questions, some preferred not to say, a few
were never asked.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import insert, update
from sqlalchemy.orm import Session

from timebank import ledger
from timebank.banks.models import Bank, Programme
from timebank.banks.operations import create_bank, create_programme, pot_account
from timebank.db import utcnow
from timebank.grants.operations import GrantError, award_grant, record_spend
from timebank.ledger import Account, AccountKind, LedgerError, TransferKind, TransferRequest, Unit
from timebank.ledger.bulk import new_batch
from timebank.members.models import Member, MemberKind, MemberStatus
from timebank.members.monitoring import PREFER_NOT, QUESTIONS, TARGET_GROUPS, Monitoring

FIRST_NAMES = (
    "Agnes Brendan Bridie Cathal Colm Dympna Eamon Eileen Fergal Gerry Hazel Iris Jim Joan "
    "Kathleen Liam Margaret Maureen Noel Oonagh Patsy Rose Sadie Seamus Sheila Tommy Una Winnie "
    "Ahmed Grace Kwame Mei Priya Tomasz Halina"
).split()
SURNAMES = (
    "Boyle Campbell Doherty Gallagher Kelly McCann Murphy O'Neill Quinn Robinson Smyth Wilson "
    "Chen Kowalski Mensah Patel"
).split()

#: Shares of answers to each question among members who answered it (before "prefer not to
#: say" and skipped questions are drawn), loosely after older people's time banks.
ANSWER_SHARES: dict[str, dict[str, float]] = {
    "age_band": {"under_50": 3, "50_64": 14, "65_74": 36, "75_84": 33, "85_plus": 14},
    "gender": {"woman": 66, "man": 31, "non_binary": 2, "self_described": 1},
    "ethnicity": {
        "white_british": 62,
        "white_irish": 26,
        "white_other": 4,
        "asian_indian": 2,
        "asian_pakistani": 1,
        "asian_chinese": 1,
        "black_african": 1,
        "black_caribbean": 1,
        "mixed_other": 1,
        "other_any": 1,
    },
    "sexual_orientation": {"straight": 90, "gay_lesbian": 5, "bisexual": 3, "other": 2},
    "carer": {"yes": 22, "no": 78},
    "bereaved": {"yes": 18, "no": 82},
    "dementia": {"yes": 6, "no": 94},
    "lives_alone": {"yes": 42, "no": 58},
    "disability": {"yes": 33, "no": 67},
}
#: Of members, the share never asked any question.
NEVER_ASKED = 0.12
#: Per question: the share who preferred not to say, and the share not asked that question.
PREFER_NOT_SHARE = {"sexual_orientation": 0.08, "ethnicity": 0.03}
SKIPPED_SHARE = {"sexual_orientation": 0.15, "dementia": 0.08}

#: Exchanges a month per member on the register (60 a month for 100 members).
EXCHANGES_PER_MEMBER_MONTH = 0.6
MINUTES = (30, 45, 60, 60, 60, 90, 90, 120, 120, 180)
OUTCOME_AREAS = [area.value for area in ledger.OutcomeArea]


@dataclass(frozen=True)
class Summary:
    programme_id: int
    banks: int
    members: int
    transfers: int
    reversals: int
    seconds: float

    def __str__(self) -> str:
        return (
            f"Simulated programme {self.programme_id}: {self.banks} banks, {self.members} members,"
            f" {self.transfers} transfers ({self.reversals} reversals) in {self.seconds:.1f}s."
        )


@dataclass
class _Person:
    member_id: int
    account_id: int
    joined_on: date
    left_on: date | None
    give: float
    receive: float
    balance: int = 0

    def on_register(self, day: date) -> bool:
        return self.joined_on <= day and (self.left_on is None or self.left_on > day)


def months_back(today: date, months: int) -> date:
    """The same day ``months`` calendar months before ``today`` (the 28th at most)."""
    year, month = divmod(today.year * 12 + today.month - 1 - months, 12)
    return date(year, month + 1, min(today.day, 28))


def simulate(
    session: Session,
    *,
    banks: int,
    members: int,
    months: int,
    seed: int,
    today: date | None = None,
    progress: Callable[[str], None] | None = None,
) -> Summary:
    """Add one programme of ``banks`` banks with ``members`` members each and ``months`` months
    of activity ending ``today``. Commits after each bank, so a large run never holds one huge
    transaction (and a run stopped half-way leaves whole banks behind)."""
    if banks < 1 or members < 2 or months < 1:
        raise ValueError("a simulation needs a bank, two members and a month")
    started = time.perf_counter()
    today = today or date.today()
    start = months_back(today, months)
    programme = create_programme(
        session,
        name=f"Simulated programme (seed {seed})",
        funder="Simulation",
        starts_on=start,
    )
    session.commit()
    total_members = total_transfers = total_reversals = 0
    for number in range(1, banks + 1):
        rng = random.Random(f"{seed}:{number}")  # nosec B311 # made-up data for measuring
        made, transfers, reversals = _simulate_bank(
            session, programme, number, members, start, today, rng
        )
        session.commit()
        total_members += made
        total_transfers += transfers
        total_reversals += reversals
        if progress is not None and (number == banks or number % max(1, banks // 20) == 0):
            elapsed = time.perf_counter() - started
            progress(
                f"  bank {number}/{banks}: {total_members} members, {total_transfers} transfers,"
                f" {elapsed:.0f}s"
            )
    return Summary(
        programme_id=programme.id,
        banks=banks,
        members=total_members,
        transfers=total_transfers,
        reversals=total_reversals,
        seconds=time.perf_counter() - started,
    )


def _simulate_bank(
    session: Session,
    programme: Programme,
    number: int,
    size: int,
    start: date,
    today: date,
    rng: random.Random,
) -> tuple[int, int, int]:
    """One bank: members, answers, a grant and the months of help. Returns members, transfers
    and reversals written."""
    bank = create_bank(
        session,
        name=f"Simulated Time Bank {number}",
        programme=programme,
        target_groups=rng.sample(sorted(TARGET_GROUPS), k=rng.choice([1, 1, 2, 3])),
        welcome_minutes=rng.choice([0, 0, 60, 120]),
    )
    pot = pot_account(session, bank.id)
    people = _members(session, bank, size, start, today, rng)
    transfers = _grant(session, programme, bank, start, today, rng)

    requests: list[TransferRequest] = []
    linked: list[str | None] = []

    def add(request: TransferRequest, batch: str | None = None) -> None:
        requests.append(request)
        linked.append(batch)

    def hours(
        kind: TransferKind, source: int, target: int, minutes: int, day: date, **extra: Any
    ) -> TransferRequest:
        return TransferRequest(
            bank_id=bank.id,
            unit=Unit.HOURS,
            kind=kind,
            from_account_id=source,
            to_account_id=target,
            amount=minutes,
            given_on=day,
            **extra,
        )

    by_account = {person.account_id: person for person in people}
    if bank.welcome_minutes:
        for person in people:
            add(
                hours(
                    TransferKind.WELCOME_CREDIT,
                    pot.id,
                    person.account_id,
                    bank.welcome_minutes,
                    person.joined_on,
                )
            )
            person.balance += bank.welcome_minutes

    def can_pay(person: _Person, minutes: int, day: date) -> bool:
        """Whether the receiver can pay; if not, the pot tops them up, as brokers do for
        members who cannot give back."""
        if person.balance - minutes >= bank.floor_minutes:
            return True
        if person.give > 0 and rng.random() < 0.7:
            return False  # in life, the broker asks them to give some help first
        gift = 600
        add(hours(TransferKind.GIFT, pot.id, person.account_id, gift, day))
        person.balance += gift
        return person.balance - minutes >= bank.floor_minutes

    # who is on the register changes only on the days someone joins or leaves
    changes = {p.joined_on for p in people} | {p.left_on for p in people if p.left_on}
    on_register: list[_Person] = []
    givers: list[_Person] = []
    gives: list[float] = []
    receives: list[float] = []
    day = start
    while day <= today:
        if day == start or day in changes:
            on_register = [p for p in people if p.on_register(day)]
            givers = [p for p in on_register if p.give > 0]
            gives = [p.give for p in givers]
            receives = [p.receive for p in on_register]
        if len(on_register) >= 2 and givers:
            expected = EXCHANGES_PER_MEMBER_MONTH * len(on_register) * 12 / 365
            for _ in range(_poisson(rng, expected)):
                provider = rng.choices(givers, weights=gives)[0]
                roll = rng.random()
                areas = tuple(rng.sample(OUTCOME_AREAS, k=rng.choice([1, 1, 2])))
                if roll < 0.04 and len(on_register) >= 5:
                    # a group exchange: one member runs a session for several
                    others = [p for p in on_register if p is not provider]
                    group = rng.sample(others, k=min(len(others), rng.randint(3, 6)))
                    minutes = rng.choice([60, 90, 120])
                    batch = new_batch()
                    for receiver in group:
                        if not can_pay(receiver, minutes, day):
                            continue
                        add(
                            hours(
                                TransferKind.GROUP_EXCHANGE,
                                receiver.account_id,
                                provider.account_id,
                                minutes,
                                day,
                                outcome_areas=areas,
                            ),
                            batch,
                        )
                        receiver.balance -= minutes
                        provider.balance += minutes
                    continue
                if roll < 0.08:
                    # the pot pays a member who helped the bank itself
                    minutes = rng.choice([60, 120, 180])
                    add(
                        hours(
                            TransferKind.POT_CREDIT,
                            pot.id,
                            provider.account_id,
                            minutes,
                            day,
                            outcome_areas=("contribution",),
                        )
                    )
                    provider.balance += minutes
                    continue
                receiver = rng.choices(on_register, weights=receives)[0]
                if receiver is provider:
                    continue
                minutes = rng.choice(MINUTES)
                if not can_pay(receiver, minutes, day):
                    continue
                add(
                    hours(
                        TransferKind.EXCHANGE,
                        receiver.account_id,
                        provider.account_id,
                        minutes,
                        day,
                        outcome_areas=areas if rng.random() < 0.5 else (),
                    )
                )
                receiver.balance -= minutes
                provider.balance += minutes
            # now and then someone with hours to spare gives some to the pot
            for person in givers:
                if person.balance > 1200 and rng.random() < 0.01:
                    add(hours(TransferKind.GIFT, person.account_id, pot.id, 300, day))
                    person.balance -= 300
        day += timedelta(days=1)

    ids = ledger.post_many(session, requests, linked=linked)
    transfers += len(ids)

    # a slip now and then, corrected: about one exchange in 300
    reversals = 0
    candidates = [
        (transfer_id, request)
        for transfer_id, request in zip(ids, requests, strict=True)
        if request.kind == TransferKind.EXCHANGE
    ]
    for transfer_id, request in rng.sample(candidates, k=len(candidates) // 300):
        provider = by_account[request.to_account_id]
        if provider.balance - request.amount < bank.floor_minutes:
            continue
        ledger.reverse(session, transfer_id, "Recorded twice by mistake")
        provider.balance -= request.amount
        by_account[request.from_account_id].balance += request.amount
        reversals += 1
    return len(people), transfers + reversals, reversals


def _members(
    session: Session, bank: Bank, size: int, start: date, today: date, rng: random.Random
) -> list[_Person]:
    """Register the bank's members in bulk, with their accounts and monitoring answers."""
    span = (today - start).days
    rows = []
    for number in range(1, size + 1):
        # about half are founding members; the rest join over the months
        if rng.random() < 0.5:
            joined_on = start - timedelta(days=rng.randrange(0, 120))
        else:
            joined_on = start + timedelta(days=rng.randrange(0, span + 1))
        left_on = None
        if rng.random() < 0.15 and (today - joined_on).days > 60:
            left_on = joined_on + timedelta(days=rng.randrange(60, (today - joined_on).days + 1))
        first = rng.choice(FIRST_NAMES)
        rows.append(
            {
                "bank_id": bank.id,
                "member_number": number,
                "kind": MemberKind.PERSON,
                "full_name": f"{first} {rng.choice(SURNAMES)}",
                "display_name": first,
                "status": MemberStatus.LEFT if left_on else MemberStatus.ACTIVE,
                "joined_on": joined_on,
                "left_on": left_on,
                "consent_on": joined_on,
                "created_at": utcnow(),
            }
        )
    connection = session.connection()
    member_ids = list(
        connection.execute(
            insert(Member.__table__).returning(Member.__table__.c.id, sort_by_parameter_order=True),
            rows,
        ).scalars()
    )
    session.execute(
        update(Bank)
        .where(Bank.id == bank.id)
        .values(next_member_number=size + 1)
        .execution_options(synchronize_session=False)
    )
    account_ids = list(
        connection.execute(
            insert(Account.__table__).returning(
                Account.__table__.c.id, sort_by_parameter_order=True
            ),
            [
                {
                    "bank_id": bank.id,
                    "unit": Unit.HOURS,
                    "kind": AccountKind.MEMBER,
                    "member_id": member_id,
                    "label": "",
                    "balance": 0,
                    "floor": bank.floor_minutes,
                    "ceiling": None,
                    "status": "open",
                    "created_at": utcnow(),
                }
                for member_id in member_ids
            ],
        ).scalars()
    )
    answers = []
    for member_id, row in zip(member_ids, rows, strict=True):
        found = _answers(rng)
        if found is not None:
            answers.append(
                {"member_id": member_id, "consent_on": row["joined_on"], "updated_at": utcnow()}
                | found
            )
    if answers:
        connection.execute(insert(Monitoring.__table__), answers)

    people = []
    for member_id, account_id, row in zip(member_ids, account_ids, rows, strict=True):
        # a few keen givers, many occasional, some who only receive
        role = rng.random()
        if role < 0.08:
            give, receive = rng.uniform(8, 15), rng.uniform(0.5, 1.5)
        elif role < 0.25:
            give, receive = 0.0, rng.uniform(2, 5)
        elif role < 0.7:
            give, receive = rng.uniform(0.5, 2), rng.uniform(0.5, 2)
        else:
            give, receive = rng.uniform(0.1, 0.5), rng.uniform(0.1, 1)
        people.append(
            _Person(member_id, account_id, row["joined_on"], row["left_on"], give, receive)
        )
    return people


def _answers(rng: random.Random) -> dict[str, str | None] | None:
    if rng.random() < NEVER_ASKED:
        return None
    answers: dict[str, str | None] = {}
    for question in QUESTIONS:
        roll = rng.random()
        if roll < SKIPPED_SHARE.get(question, 0.02):
            answers[question] = None
        elif roll < SKIPPED_SHARE.get(question, 0.02) + PREFER_NOT_SHARE.get(question, 0.02):
            answers[question] = PREFER_NOT
        else:
            shares = ANSWER_SHARES[question]
            answers[question] = rng.choices(list(shares), weights=list(shares.values()))[0]
    return answers


def _grant(
    session: Session, programme: Programme, bank: Bank, start: date, today: date, rng: random.Random
) -> int:
    """A seed grant of £2,000 to £5,000 with some of it spent. Returns transfers written."""
    pence = rng.choice([2000, 3000, 4000, 5000]) * 100
    grant = award_grant(
        session,
        programme,
        bank,
        pence,
        start,
        lines={
            "coordinator time": pence * 5 // 10,
            "venue hire": pence * 2 // 10,
            "volunteer expenses": pence // 10,
            "publicity": pence // 10,
        },
        by_user_id=None,
    )
    lines = {line.name: line for line in grant.lines}
    written = 1
    span = max((today - start).days, 1)
    for name, share in (("coordinator time", 4), ("venue hire", 1), ("publicity", 1)):
        line = lines.get(name)
        if line is None:
            continue
        for _ in range(rng.randint(1, 3)):
            amount = pence * share // 10 // 3
            try:
                record_spend(
                    session,
                    grant,
                    line,
                    amount,
                    start + timedelta(days=rng.randrange(0, span)),
                    payee="Simulated supplier",
                    by_user_id=None,
                )
            except (LedgerError, GrantError):
                continue
            written += 1
    return written


def _poisson(rng: random.Random, mean: float) -> int:
    """A Poisson draw (Knuth's method; the daily means here are small)."""
    if mean <= 0:
        return 0
    limit, product, count = pow(2.718281828459045, -mean), rng.random(), 0
    while product > limit:
        product *= rng.random()
        count += 1
    return count
