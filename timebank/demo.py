"""Made-up but plausible data: one programme and five banks modelled on the seed-grant banks.

Every hour goes through the ledger, so ``timebank verify`` holds after a demo load like after
real use. Names are invented.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterator
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from timebank import ledger
from timebank.banks.models import Bank, Programme
from timebank.banks.operations import create_bank, create_programme
from timebank.exchanges import HelpDetails, credit_from_pot, record_exchange, reverse_exchange
from timebank.grants.operations import award_grant, record_spend
from timebank.ledger import LedgerError, TransferKind
from timebank.members import skills
from timebank.members.catalogue import ensure_catalogue
from timebank.members.models import (
    CheckStatus,
    ContactMethod,
    Member,
    MemberKind,
    MemberSkillStatus,
    Skill,
)
from timebank.members.monitoring import PREFER_NOT, QUESTIONS, Answer, Gender
from timebank.members.monitoring_operations import save_answers
from timebank.members.operations import register_member

BANKS = [
    {
        "name": "Carers' Respite Time Bank",
        "focus": "Carers of older people regaining a sense of self, and getting a break.",
        "skills": ["carer_sitting", "befriending", "shopping", "phone_calls", "meals"],
        "target_groups": ["carer"],
        "areas": ["BT9", "BT9", "BT7", "BT6", "BT10"],
        "own_skill": "Pampering afternoon for carers",
    },
    {
        "name": "New Chapters Skill Swap",
        "focus": "Recently bereaved partners swapping skills, gaining new skills and confidence.",
        "skills": ["cooking", "diy", "form_filling", "it_help", "teaching"],
        "target_groups": ["bereaved"],
        "areas": ["BT4", "BT4", "BT5", "BT16", "BT18"],
        "own_skill": "Managing the household money",
    },
    {
        "name": "Transition Town Time Bank",
        "focus": "Sustainability: repairing, growing and sharing, as a transition town.",
        "skills": ["sewing", "gardening", "diy", "lifts", "odd_jobs"],
        "target_groups": ["age_75_plus"],
        "areas": ["BT20", "BT20", "BT19", "BT23", "BT21"],
        "own_skill": "Repair café",
    },
    {
        "name": "Whole Town Time Bank",
        "focus": "Mutual support for a whole town, started by older people.",
        "skills": ["lifts", "shopping", "befriending", "it_help", "prescriptions"],
        "target_groups": ["lives_alone", "age_85_plus"],
        "areas": ["BT48", "BT48", "BT47", "BT49"],
        "own_skill": "Checking in during cold weather",
    },
    {
        "name": "Allotment Growers' Time Bank",
        "focus": "An allotment project engaging older men.",
        "skills": ["allotment", "gardening", "diy", "cooking", "history"],
        "target_groups": ["men_65_plus"],
        "areas": ["BT60", "BT60", "BT61", "BT62"],
        "own_skill": "Seed saving",
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


#: First names the demo treats as men's, for the gender answer and the allotment bank's men.
MEN = {
    "Brendan",
    "Cathal",
    "Colm",
    "Eamon",
    "Fergal",
    "Gerry",
    "Jim",
    "Liam",
    "Noel",
    "Seamus",
    "Tommy",
    "Victor",
    "Ahmed",
    "Kwame",
    "Tomasz",
}
#: A few members from minority ethnic communities, so reports have them to show.
ETHNICITY_BY_NAME = {
    "Ahmed": "asian_pakistani",
    "Priya": "asian_indian",
    "Mei": "asian_chinese",
    "Kwame": "black_african",
    "Grace": "black_caribbean",
    "Tomasz": "white_other",
    "Halina": "white_other",
}
POLISH = {"Tomasz", "Halina"}
AGES = {"under_50": (40, 49), "50_64": (50, 64), "65_74": (65, 74), "75_84": (75, 84)}
AGES["85_plus"] = (85, 96)
CONSENT_WORDING = (
    "I agree that the time bank keeps my name, contact details and the help I give and receive, "
    "to put me in touch with other members. I can ask to see or remove them at any time."
)
SUPPORTERS = [("daughter", "Ciara"), ("son", "Declan"), ("neighbour", "Pat"), ("niece", "Aoife")]
OFFER_NOTES = [
    "",
    "",
    "Weekday mornings suit best.",
    "Has a car and can drive to the hospital.",
    "Happy to help anyone nearby.",
    "Not on Sundays.",
    "Can bring own tools.",
]
REQUEST_NOTES = [
    "",
    "Once a fortnight if possible.",
    "Would like the same person each time.",
    "Hard of hearing: please knock loudly.",
    "Has a small dog.",
    "Afternoons are better.",
]


def _first_name(rng: random.Random, people: random.Random, groups: list[str]) -> str:
    first = rng.choice(FIRST_NAMES)
    # a bank for older men mostly has men in it
    if "men_65_plus" in groups and first not in MEN and people.random() < 0.75:
        first = people.choice(sorted(MEN))
    return first


def _weighted(r: random.Random, weights: dict[str, float]) -> str:
    return r.choices(list(weights), weights=list(weights.values()))[0]


def _yes_no(r: random.Random, chance: float) -> str:
    return Answer.YES.value if r.random() < chance else Answer.NO.value


def _answers(r: random.Random, first: str, groups: list[str]) -> dict[str, str | None] | None:
    """Plausible equality-monitoring answers, leaning towards the bank's target groups.

    Some members were never asked; others skip a question or prefer not to say."""
    if r.random() < 0.1:
        return None
    ages = {"under_50": 2, "50_64": 15, "65_74": 35, "75_84": 32, "85_plus": 12}
    if "age_75_plus" in groups:
        ages.update({"75_84": 60, "85_plus": 25})
    if "age_85_plus" in groups:
        ages["85_plus"] = 40
    if "men_65_plus" in groups:
        ages.update({"under_50": 0, "50_64": 5})
    gender = Gender.MAN.value if first in MEN else Gender.WOMAN.value
    if r.random() < 0.03:
        gender = r.choice([Gender.NON_BINARY.value, Gender.SELF_DESCRIBED.value])
    ethnicity = ETHNICITY_BY_NAME.get(first) or _weighted(
        r, {"white_british": 60, "white_irish": 32, "white_other": 3, "mixed_other": 2}
    )
    orientation = _weighted(r, {"straight": 88, "gay_lesbian": 5, "bisexual": 3, "other": 1})
    answers: dict[str, str | None] = {
        "age_band": _weighted(r, ages),
        "gender": gender,
        "ethnicity": ethnicity,
        "sexual_orientation": orientation,
        "carer": _yes_no(r, 0.75 if "carer" in groups else 0.15),
        "bereaved": _yes_no(r, 0.7 if "bereaved" in groups else 0.15),
        "dementia": _yes_no(r, 0.06),
        "lives_alone": _yes_no(r, 0.7 if "lives_alone" in groups else 0.35),
        "disability": _yes_no(r, 0.3),
    }
    for question in QUESTIONS:
        roll = r.random()
        # brokers often leave the most personal question out
        skipped = 0.2 if question == "sexual_orientation" else 0.05
        if roll < skipped:
            answers[question] = None
        elif roll < skipped + 0.05:
            answers[question] = PREFER_NOT
    return answers


def _profile(
    r: random.Random,
    first: str,
    areas: list[str],
    answers: dict[str, str | None] | None,
    joined_on: date,
    today: date,
    phones: Iterator[int],
) -> dict[str, object]:
    """Contact details, consent and safeguarding checks for one made-up member."""
    band = (answers or {}).get("age_band")
    low, high = AGES.get(band or "", (60, 90))
    contact = _weighted(
        r,
        {
            ContactMethod.PHONE.value: 60,
            ContactMethod.TEXT.value: 15,
            ContactMethod.LETTER.value: 10,
            ContactMethod.CARER.value: 15,
        },
    )
    details: dict[str, object] = {
        # Ofcom keeps 07700 900000 to 900999 for drama: never anyone's real number
        "phone": f"07700 900{next(phones) % 1000:03d}",
        "area": r.choice(areas),
        "birth_year": today.year - r.randint(low, high),
        "preferred_locale": "pl" if first in POLISH else "en",
        "contact_method": ContactMethod(contact),
        "needs_large_print": r.random() < 0.15,
        "needs_hearing_support": r.random() < 0.1,
        "needs_interpreter": first in POLISH and r.random() < 0.5,
        "consent_on": joined_on,
        "consent_wording": CONSENT_WORDING,
    }
    if contact == ContactMethod.CARER.value:
        relationship, name = r.choice(SUPPORTERS)
        details.update(
            supporter_name=name,
            supporter_relationship=relationship,
            supporter_phone=f"07700 900{next(phones) % 1000:03d}",
        )
    if r.random() < 0.35:
        # most visitors are fully checked; some wait for a DBS, and some have let theirs lapse
        details["visits_homes"] = True
        details["reference_check"] = (
            CheckStatus.CLEAR if r.random() < 0.85 else CheckStatus.REQUESTED
        )
        state = _weighted(r, {"clear": 60, "missing": 20, "expired": 20})
        if state == "clear":
            details["dbs_check"] = CheckStatus.CLEAR
            details["dbs_expires_on"] = today + timedelta(days=r.randrange(60, 1000))
        elif state == "expired":
            details["dbs_check"] = CheckStatus.CLEAR
            details["dbs_expires_on"] = today - timedelta(days=r.randrange(1, 200))
        else:
            details["dbs_check"] = r.choice([CheckStatus.NOT_STARTED, CheckStatus.REQUESTED])
    return details


def _offers_and_requests(
    session: Session, r: random.Random, member: Member, offered: list[Skill]
) -> tuple[int, int]:
    """One to three offers and up to two requests from the bank's kinds of help."""
    gives = r.sample(offered, k=r.randint(1, 3))
    for skill in gives:
        offer = skills.add_offer(session, member, skill, r.choice(OFFER_NOTES), by=None)
        if r.random() < 0.1:
            skills.set_status(session, offer, MemberSkillStatus.PAUSED, by=None)
    rest = [skill for skill in offered if skill not in gives]
    wants = r.sample(rest, k=min(r.choice([0, 0, 1, 1, 2]), len(rest)))
    for skill in wants:
        wanted = skills.add_request(session, member, skill, r.choice(REQUEST_NOTES), by=None)
        roll = r.random()
        if roll < 0.15:
            skills.set_status(session, wanted, MemberSkillStatus.DONE, by=None)
        elif roll < 0.2:
            skills.set_status(session, wanted, MemberSkillStatus.PAUSED, by=None)
    return len(gives), len(wants)


def is_empty(session: Session) -> bool:
    """True when there are no banks yet."""
    return not session.scalar(select(func.count(Bank.id)))


def load(
    session: Session, *, seed: int = 2026, members_per_bank: int = 40, today: date | None = None
) -> str:
    """Create the demonstration data and say what was made."""
    rng = random.Random(seed)  # nosec B311 # made-up demo data, no secret
    today = today or date.today()
    catalogue = {skill.code: skill for skill in ensure_catalogue(session)}
    programme = create_programme(
        session,
        name="Older People's Time Banking Seed Grants",
        funder="Community Foundation (demonstration)",
        starts_on=today.replace(month=1, day=1) - timedelta(days=365),
    )
    exchanges = offers = requests = answered = spends = 0
    phones = itertools.count(100)
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
        # profiles, answers and skills draw on their own generator, so the year of exchanges
        # below stays the same whatever is added to them
        people = random.Random(f"{seed}:people:{number}")  # nosec B311 # demo data
        members = []
        for _ in range(members_per_bank):
            first = _first_name(rng, people, spec["target_groups"])
            joined_on = start + timedelta(days=rng.randrange(0, 120))
            answers = _answers(people, first, spec["target_groups"])
            member = register_member(
                session,
                bank,
                full_name=f"{first} {rng.choice(SURNAMES)}",
                joined_on=joined_on,
                kind=MemberKind.PERSON,
                **_profile(people, first, spec["areas"], answers, joined_on, today, phones),
            )
            if answers is not None:
                save_answers(
                    session,
                    member,
                    answers,
                    consent_on=min(joined_on + timedelta(days=people.randrange(0, 30)), today),
                    by=None,
                )
                answered += 1
            members.append(member)
        own_skill = skills.add_bank_skill(session, bank, spec["own_skill"], by=None)
        offered = [catalogue[code] for code in spec["skills"]] + [own_skill]
        for member in members:
            made = _offers_and_requests(session, people, member, offered)
            offers += made[0]
            requests += made[1]
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
        grant_rng = random.Random(f"{seed}:grant:{number}")  # nosec B311 # demo data
        spends += _seed_grant(session, grant_rng, programme, bank, today)
    sign_ins = _demo_users(session, banks, programme)
    session.flush()
    lines = [
        f"Loaded the demo: 1 programme, {len(BANKS)} banks, "
        f"{len(BANKS) * (members_per_bank + 1)} members, {exchanges} exchanges.",
        f"Demo sign-ins at /sign-in (the password for all is {DEMO_PASSWORD}):",
        *[f"  {email:28} {what}" for email, what in sign_ins],
        f"Members offer help {offers} times and ask for it {requests} times; "
        f"{answered} answered the equality questions.",
        f"Each bank has a £3,000 seed grant, with {spends} payments recorded against it.",
    ]
    return "\n".join(lines)


#: Shared by every demo account; the demo is for trying timebank out, never for real data.
DEMO_PASSWORD = "demo-password"  # nosec B105 # the published demo sign-in


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
                    help=HelpDetails(
                        minutes=rng.choice([30, 45, 60, 60, 90, 120, 180]),
                        given_on=given_on,
                        skill_id=catalogue[rng.choice(skill_codes)].id,
                    ),
                )
            posted += 1
        except LedgerError:
            continue  # the receiver had reached their floor: in life, the broker asks them to give
    # helpers at the lunch club are paid from the pot, and some members donate to it
    for member in rng.sample(members[:-1], k=6):
        credit_from_pot(
            session,
            bank=bank,
            members=[member],
            help=HelpDetails(
                minutes=120,
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
                reverse_exchange(session, last, "Logged twice by mistake")
        except LedgerError:
            pass
    return posted


#: A £3,000 seed grant's budget by line, in pence, as the seed programme set them.
GRANT_BUDGET = {
    "coordinator time": 120_000,
    "venue hire": 60_000,
    "volunteer expenses": 30_000,
    "publicity": 20_000,
    "reference and DBS checks": 15_000,
    "insurance": 25_000,
    "training": 20_000,
    "other": 10_000,
}


def _seed_grant(
    session: Session, rng: random.Random, programme: Programme, bank: Bank, today: date
) -> int:
    """A seed grant awarded ten months ago, and the monthly spending a new bank has: the
    coordinator's hours, the hall, volunteers' expenses, and the one-off costs of starting."""
    # the grant rules judge "the future" by the real clock, so a demo dated ahead stops there
    last = min(today, bank.today())
    awarded_on = last - timedelta(days=300)
    grant = award_grant(
        session,
        programme,
        bank,
        300_000,
        awarded_on,
        "Report each quarter on members, hours exchanged and spending; return what is unspent.",
        GRANT_BUDGET,
        by_user_id=None,
    )
    lines = {line.name: line for line in grant.lines}
    plan = [
        (10, "insurance", 24_000, "Community Insurance Ltd", "Public liability, first year"),
        (14, "publicity", 11_800, "Printwise", "Leaflets and posters for the launch"),
        (21, "training", 9_500, "Timebanking UK", "Broker training day"),
    ]
    plan += [
        (35 + 15 * n, "reference and DBS checks", 1_800, "Disclosure and Barring Service", "")
        for n in range(3)
    ]
    for month in range(9):
        day = 30 * month + rng.randrange(25, 30)
        plan.append((day, "coordinator time", 10_000, "Coordinator", "Eight hours' brokering"))
        plan.append((day, "venue hire", 4_500, "Parish hall", "Monthly members' get-together"))
        plan.append(
            (
                day,
                "volunteer expenses",
                rng.choice([850, 1_240, 1_600, 2_100]),
                "Mileage claims",
                "",
            )
        )
    made = 0
    for number, (after, line, pence, payee, description) in enumerate(sorted(plan)):
        spent_on = awarded_on + timedelta(days=after)
        if spent_on > last:
            continue
        record_spend(
            session,
            grant,
            lines[line],
            pence,
            spent_on,
            payee,
            f"R{number + 1:03d}",
            description,
            by_user_id=None,
        )
        made += 1
    # a hall booking logged twice, and put right
    twice = record_spend(
        session,
        grant,
        lines["venue hire"],
        4_500,
        awarded_on + timedelta(days=40),
        "Parish hall",
        by_user_id=None,
    )
    ledger.reverse(session, twice.transfer.id, "Entered twice")
    return made + 1
