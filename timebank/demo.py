"""Made-up but plausible data: one programme and five banks modelled on the seed-grant banks.

Every hour goes through the ledger, so ``timebank verify`` holds after a demo load like after
real use. Names are invented.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from timebank import ledger
from timebank.banks.models import Bank, Programme
from timebank.banks.operations import create_bank, create_programme, pot_account
from timebank.exchanges import record_exchange
from timebank.ledger import LedgerError, TransferKind, TransferRequest, Unit
from timebank.members.catalogue import ensure_catalogue
from timebank.members.models import Member, MemberKind
from timebank.members.operations import member_account, register_member

BANKS = [
    {
        "name": "Carers' Respite Time Bank",
        "focus": "Carers of older people regaining a sense of self, and getting a break.",
        "skills": ["carer_sitting", "befriending", "shopping", "phone_calls", "meals"],
        "target_groups": ["carer"],
    },
    {
        "name": "New Chapters Skill Swap",
        "focus": "Recently bereaved partners swapping skills, gaining new skills and confidence.",
        "skills": ["cooking", "diy", "form_filling", "it_help", "teaching"],
        "target_groups": ["bereaved"],
    },
    {
        "name": "Transition Town Time Bank",
        "focus": "Sustainability: repairing, growing and sharing, as a transition town.",
        "skills": ["sewing", "gardening", "diy", "lifts", "odd_jobs"],
        "target_groups": ["age_75_plus"],
    },
    {
        "name": "Whole Town Time Bank",
        "focus": "Mutual support for a whole town, started by older people.",
        "skills": ["lifts", "shopping", "befriending", "it_help", "prescriptions"],
        "target_groups": ["lives_alone", "age_85_plus"],
    },
    {
        "name": "Allotment Growers' Time Bank",
        "focus": "An allotment project engaging older men.",
        "skills": ["allotment", "gardening", "diy", "cooking", "history"],
        "target_groups": ["men_65_plus"],
    },
]

FIRST_NAMES = [
    "Agnes",
    "Bernadette",
    "Brendan",
    "Bridie",
    "Cathal",
    "Colm",
    "Dympna",
    "Eamon",
    "Eileen",
    "Fergal",
    "Gerry",
    "Hazel",
    "Iris",
    "Jim",
    "Joan",
    "Kathleen",
    "Liam",
    "Margaret",
    "Maureen",
    "Noel",
    "Oonagh",
    "Patsy",
    "Philomena",
    "Rose",
    "Sadie",
    "Seamus",
    "Sheila",
    "Tommy",
    "Una",
    "Victor",
    "Winnie",
    "Ahmed",
    "Grace",
    "Kwame",
    "Mei",
    "Priya",
    "Tomasz",
    "Halina",
]
SURNAMES = [
    "Boyle",
    "Campbell",
    "Doherty",
    "Gallagher",
    "Kelly",
    "McCann",
    "McLaughlin",
    "Murphy",
    "O'Neill",
    "Quinn",
    "Robinson",
    "Smyth",
    "Wilson",
    "Chen",
    "Kowalski",
    "Mensah",
    "Patel",
]


def is_empty(session: Session) -> bool:
    """True when there are no banks yet."""
    return not session.scalar(select(func.count(Bank.id)))


def load(
    session: Session, *, seed: int = 2026, members_per_bank: int = 40, today: date | None = None
) -> str:
    """Create the demonstration data and say what was made."""
    rng = random.Random(seed)
    today = today or date.today()
    catalogue = {skill.code: skill for skill in ensure_catalogue(session)}
    programme = create_programme(
        session,
        name="Older People's Time Banking Seed Grants",
        funder="Community Foundation (demonstration)",
        starts_on=today.replace(month=1, day=1) - timedelta(days=365),
    )
    exchanges = 0
    banks = []
    for number, spec in enumerate(BANKS, start=1):
        bank = create_bank(
            session,
            name=spec["name"],
            programme=programme,
            focus=spec["focus"],
            target_groups=spec["target_groups"],
            welcome_minutes=60 if number % 2 else 0,
            help_phone=f"028 9000 {1000 + number:04d}",
        )
        start = today - timedelta(days=365)
        members = [
            register_member(
                session,
                bank,
                full_name=f"{rng.choice(FIRST_NAMES)} {rng.choice(SURNAMES)}",
                joined_on=start + timedelta(days=rng.randrange(0, 120)),
                kind=MemberKind.PERSON,
            )
            for _ in range(members_per_bank)
        ]
        lunch_club = register_member(
            session,
            bank,
            full_name="Lunch Bunch",
            display_name="Lunch Bunch",
            joined_on=start,
            kind=MemberKind.GROUP,
        )
        members.append(lunch_club)
        banks.append(bank)
        exchanges += _year_of_exchanges(
            session, rng, bank, members, spec["skills"], catalogue, today
        )
    sign_ins = _demo_users(session, banks, programme)
    session.flush()
    lines = [
        f"Loaded the demo: 1 programme, {len(BANKS)} banks, "
        f"{len(BANKS) * (members_per_bank + 1)} members, {exchanges} exchanges.",
        f"Demo sign-ins at /sign-in (the password for all is {DEMO_PASSWORD}):",
        *[f"  {email:28} {what}" for email, what in sign_ins],
    ]
    return "\n".join(lines)


#: Shared by every demo account; the demo is for trying timebank out, never for real data.
DEMO_PASSWORD = "demo-password"


def _demo_users(session: Session, banks: list[Bank], programme: Programme) -> list[tuple[str, str]]:
    from timebank.users.models import Role
    from timebank.users.operations import create_user

    made = [("admin@demo.timebank", "administrator")]
    create_user(
        session,
        email="admin@demo.timebank",
        display_name="Ada Admin",
        role=Role.ADMIN,
        password=DEMO_PASSWORD,
    )
    for number, bank in enumerate(banks, start=1):
        email = f"broker{number}@demo.timebank"
        create_user(
            session,
            email=email,
            display_name=f"Broker {number}",
            role=Role.COORDINATOR,
            password=DEMO_PASSWORD,
            banks=[bank],
        )
        made.append((email, f"broker for {bank.name}"))
    create_user(
        session,
        email="funder@demo.timebank",
        display_name="Fiona Funder",
        role=Role.FUNDER,
        password=DEMO_PASSWORD,
        programme=programme,
    )
    made.append(("funder@demo.timebank", "funder of the programme"))
    return made


def _year_of_exchanges(
    session: Session,
    rng: random.Random,
    bank: Bank,
    members: list[Member],
    skill_codes: list[str],
    catalogue: dict,
    today: date,
) -> int:
    """About eight hours of help per member over a year, as the Department of Health saw."""
    posted = 0
    # a few keen givers and a few who mostly receive, as in real banks
    weights = [rng.choice([1, 1, 2, 3, 5]) for _ in members]
    pot = pot_account(session, bank.id)
    for _ in range(len(members) * 5):
        provider, receiver = rng.choices(members, weights=weights, k=2)
        if provider.id == receiver.id:
            continue
        given_on = max(provider.joined_on, receiver.joined_on) + timedelta(
            days=rng.randrange(0, 240)
        )
        if given_on > today:
            continue
        try:
            with session.begin_nested():
                record_exchange(
                    session,
                    provider=provider,
                    receiver=receiver,
                    minutes=rng.choice([30, 45, 60, 60, 90, 120, 180]),
                    given_on=given_on,
                    skill_id=catalogue[rng.choice(skill_codes)].id,
                )
            posted += 1
        except LedgerError:
            continue  # the receiver had reached their floor: in life, the broker asks them to give
    # helpers at the lunch club are paid from the pot, and some members donate to it
    for member in rng.sample(members[:-1], k=6):
        ledger.post(
            session,
            TransferRequest(
                bank_id=bank.id,
                unit=Unit.HOURS,
                kind=TransferKind.POT_CREDIT,
                from_account_id=pot.id,
                to_account_id=member_account(session, member.id).id,
                amount=120,
                given_on=today - timedelta(days=rng.randrange(1, 200)),
                skill_id=catalogue["events"].id,
            ),
        )
    # one broker's slip, corrected: a reversal shows on the statements
    last = session.scalars(
        select(ledger.Transfer)
        .where(ledger.Transfer.bank_id == bank.id, ledger.Transfer.kind == TransferKind.EXCHANGE)
        .order_by(ledger.Transfer.id.desc())
    ).first()
    if last is not None:
        try:
            with session.begin_nested():
                ledger.reverse(session, last.id, "Logged twice by mistake")
        except LedgerError:
            pass
    return posted
