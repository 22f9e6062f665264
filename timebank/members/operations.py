"""Registering members. Each member gets an account of hours with the bank's floor."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from timebank import ledger
from timebank.banks.models import Bank
from timebank.banks.operations import pot_account
from timebank.ledger import Account, AccountKind, TransferKind, TransferRequest, Unit
from timebank.members.models import Member, MemberKind, MemberStatus
from timebank.users.models import Role, User


def next_member_number(session: Session, bank_id: int) -> int:
    """Take the bank's next member number. The UPDATE locks the bank row, so two brokers
    registering at once never get the same number."""
    session.execute(
        update(Bank)
        .where(Bank.id == bank_id)
        .values(next_member_number=Bank.next_member_number + 1)
        .execution_options(synchronize_session=False)
    )
    taken = session.scalar(select(Bank.next_member_number).where(Bank.id == bank_id))
    if taken is None:
        raise LookupError(f"bank {bank_id} does not exist")
    return taken - 1


def register_member(
    session: Session,
    bank: Bank,
    *,
    full_name: str,
    display_name: str | None = None,
    joined_on: date | None = None,
    kind: MemberKind = MemberKind.PERSON,
    recorded_by_id: int | None = None,
    **details: object,
) -> Member:
    """Add a member to a bank, open their account and give any welcome credit from the pot.

    ``details`` are further profile fields (phone, area, consent, ...)."""
    from timebank import audit

    unknown = set(details) - set(PROFILE_FIELDS)
    if unknown:
        raise KeyError(sorted(unknown)[0])
    member = Member(
        bank_id=bank.id,
        member_number=next_member_number(session, bank.id),
        kind=kind,
        full_name=full_name,
        display_name=display_name or full_name.split()[0],
        joined_on=joined_on or bank.today(),
        **details,
    )
    session.add(member)
    session.flush()
    audit.record(
        session,
        "member.registered",
        user_id=recorded_by_id,
        bank_id=bank.id,
        subject=f"member:{member.id}",
        details={"member_number": member.member_number},
    )
    account = ledger.open_account(
        session,
        bank_id=bank.id,
        unit=Unit.HOURS,
        kind=AccountKind.MEMBER,
        member_id=member.id,
        floor=bank.floor_minutes,
    )
    if bank.welcome_minutes > 0:
        ledger.post(
            session,
            TransferRequest(
                bank_id=bank.id,
                unit=Unit.HOURS,
                kind=TransferKind.WELCOME_CREDIT,
                from_account_id=pot_account(session, bank.id).id,
                to_account_id=account.id,
                amount=bank.welcome_minutes,
                given_on=member.joined_on,
            ),
            recorded_by_id=recorded_by_id,
        )
    return member


def member_account(session: Session, member_id: int) -> Account:
    """A member's account of hours."""
    # a page asks for it several times: remember it for as long as the session holds it
    known = session.info.setdefault("member_accounts", {})
    account = known.get(member_id)
    if account is None or account not in session:
        account = session.scalars(
            select(Account).where(Account.member_id == member_id, Account.unit == Unit.HOURS)
        ).one()
        known[member_id] = account
    return account


#: The fields a broker may edit on a member's profile (the audit trail records each change).
PROFILE_FIELDS = (
    "full_name",
    "display_name",
    "kind",
    "phone",
    "area",
    "birth_year",
    "preferred_locale",
    "contact_method",
    "needs_large_print",
    "needs_interpreter",
    "needs_hearing_support",
    "supporter_name",
    "supporter_phone",
    "supporter_relationship",
    "consent_on",
    "consent_wording",
    "visits_homes",
    "reference_check",
    "dbs_check",
    "dbs_expires_on",
)


def profile(member: Member) -> dict[str, object]:
    return {name: getattr(member, name) for name in PROFILE_FIELDS}


def update_member(
    session: Session, member: Member, changes: dict[str, object], *, by: int | None
) -> dict[str, list[object]]:
    """Apply profile changes and record them, before and after, in the audit trail."""
    from timebank import audit

    before = profile(member)
    for name, value in changes.items():
        if name not in PROFILE_FIELDS:
            raise KeyError(name)
        setattr(member, name, value)
    changed = audit.changes(before, profile(member))
    if changed:
        audit.record(
            session,
            "member.updated",
            user_id=by,
            bank_id=member.bank_id,
            subject=f"member:{member.id}",
            details=changed,
        )
    session.flush()
    return changed


def set_status(session: Session, member: Member, status: MemberStatus, *, by: int | None) -> None:
    """Pause a member, or make them active again."""
    from timebank import audit

    if member.status == MemberStatus.LEFT:
        raise ValueError("a member who left cannot be paused or resumed")
    old = member.status
    member.status = status
    audit.record(
        session,
        "member.status",
        user_id=by,
        bank_id=member.bank_id,
        subject=f"member:{member.id}",
        details={"status": [old.value, status.value]},
    )
    session.flush()


def create_member_account(
    session: Session, member: Member, *, email: str, by: User
) -> tuple[User, str]:
    """Give a member an email and password besides their card: their user, and a one-time link
    token to choose the password. The caller has checked that the email is free."""
    from timebank import audit
    from timebank.users import operations as users

    person = users.create_user(
        session, email=email, display_name=member.display_name, role=Role.MEMBER
    )
    person.member_id = member.id
    token = users.create_reset(session, person, by=by)
    audit.record(
        session,
        "member.account_created",
        user_id=by.id,
        bank_id=member.bank_id,
        subject=f"member:{member.id}",
    )
    session.flush()
    return person, token


def record_leaving(
    session: Session, member: Member, *, on: date, gift_to_pot: bool, by: int | None
) -> ledger.Transfer | None:
    """Record that a member left. Hours they hold may be given to the pot; the account closes
    when it is empty. Hours owed stay on the books, for the report to show."""
    from timebank import audit

    account = member_account(session, member.id)
    gift = None
    if gift_to_pot and account.balance > 0:
        gift = ledger.post(
            session,
            TransferRequest(
                bank_id=member.bank_id,
                unit=Unit.HOURS,
                kind=TransferKind.GIFT,
                from_account_id=account.id,
                to_account_id=pot_account(session, member.bank_id).id,
                amount=account.balance,
                given_on=on,
                note="Gifted to the pot on leaving",
            ),
            recorded_by_id=by,
        )
    session.refresh(account)
    if account.balance == 0:
        ledger.close_account(session, account.id)
    member.status = MemberStatus.LEFT
    member.left_on = on
    audit.record(
        session,
        "member.left",
        user_id=by,
        bank_id=member.bank_id,
        subject=f"member:{member.id}",
        details={"gifted_minutes": gift.amount if gift else 0, "left_on": on},
    )
    session.flush()
    return gift


def search_members(
    session: Session,
    bank_id: int,
    *,
    text: str = "",
    skill_id: int | None = None,
    area: str = "",
    include_left: bool = False,
    page: int = 1,
    per_page: int = 25,
) -> tuple[list[Member], int]:
    """Members of a bank matching a name or member number, a skill offered, and an area;
    one page of them, and how many match in all."""
    from sqlalchemy import func, or_

    from timebank.db import id_from_text
    from timebank.members.models import MemberSkill, MemberSkillStatus, SkillDirection

    statement = select(Member).where(Member.bank_id == bank_id)
    text = text.strip()
    if text:
        number = text.lstrip("#")
        if number.isascii() and number.isdigit():
            # a number past what the column holds is no member's: match none
            statement = statement.where(Member.member_number == (id_from_text(number) or 0))
        else:
            pattern = f"%{text.lower()}%"
            statement = statement.where(
                or_(
                    func.lower(Member.full_name).like(pattern),
                    func.lower(Member.display_name).like(pattern),
                )
            )
    if skill_id is not None:
        statement = statement.where(
            Member.id.in_(
                select(MemberSkill.member_id).where(
                    MemberSkill.skill_id == skill_id,
                    MemberSkill.direction == SkillDirection.OFFER,
                    MemberSkill.status == MemberSkillStatus.OPEN,
                )
            )
        )
    if area.strip():
        statement = statement.where(Member.area.like(area.strip().upper() + "%"))
    if not include_left:
        statement = statement.where(Member.status != MemberStatus.LEFT)
    total = session.scalar(select(func.count()).select_from(statement.subquery())) or 0
    members = session.scalars(
        statement.order_by(Member.display_name, Member.member_number)
        .limit(per_page)
        .offset((max(page, 1) - 1) * per_page)
    )
    return list(members), total
