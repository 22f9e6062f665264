"""Offers and requests of help, a bank's own kinds of help, and matching a request to offers.

Plain domain functions: the caller commits. Every change is recorded in the audit trail.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session, aliased, joinedload
from sqlalchemy.sql import Subquery

from timebank import audit
from timebank.banks.models import Bank
from timebank.ledger import Account, Entry, Transfer, TransferKind
from timebank.members.models import (
    Member,
    MemberSkill,
    MemberSkillStatus,
    MemberStatus,
    Skill,
    SkillDirection,
)

#: Help between members that counts towards who has given and who has received.
EXCHANGE_KINDS = (TransferKind.EXCHANGE, TransferKind.GROUP_EXCHANGE)

#: How far back the match page looks when weighing what each member has given and received.
MATCH_WINDOW = timedelta(days=365)


class SkillError(ValueError):
    """A change to offers, requests or skills that cannot be made. ``code`` says why."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


# -- the kinds of help a bank uses ----------------------------------------------------------------


def bank_skills(session: Session, bank_id: int) -> list[Skill]:
    """The shared catalogue and the bank's own kinds of help."""
    return list(
        session.scalars(
            select(Skill)
            .where(or_(Skill.bank_id.is_(None), Skill.bank_id == bank_id))
            .order_by(Skill.name)
        )
    )


def own_skills(session: Session, bank_id: int) -> list[Skill]:
    """The kinds of help a bank added for itself."""
    return list(session.scalars(select(Skill).where(Skill.bank_id == bank_id).order_by(Skill.name)))


def _slug(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")
    return slug[:30] or "skill"


def add_bank_skill(session: Session, bank: Bank, name: str, *, by: int | None) -> Skill:
    """Add a kind of help of the bank's own. Its name must differ from every kind it can use."""
    name = " ".join(name.split())
    if not name:
        raise SkillError("name_required", "a kind of help needs a name")
    taken = {s.name.casefold() for s in bank_skills(session, bank.id)}
    if name.casefold() in taken:
        raise SkillError("duplicate_name", f"{name!r} is already a kind of help")
    codes = set(session.scalars(select(Skill.code).where(Skill.bank_id == bank.id)))
    # codes are unique per bank; a suffix keeps two similar names apart
    base = code = _slug(name)
    n = 2
    while code in codes:
        code = f"{base}_{n}"
        n += 1
    skill = Skill(bank_id=bank.id, code=code, name=name)
    session.add(skill)
    session.flush()
    audit.record(
        session,
        "skill.added",
        user_id=by,
        bank_id=bank.id,
        subject=f"skill:{skill.id}",
        details={"code": code, "name": name},
    )
    return skill


def usable_by(skill: Skill, bank_id: int) -> bool:
    """True when a bank may use this kind of help: it is shared, or the bank's own."""
    return skill.bank_id is None or skill.bank_id == bank_id


# -- offers and requests --------------------------------------------------------------------------


def add_member_skill(
    session: Session,
    member: Member,
    skill: Skill,
    direction: SkillDirection,
    note: str = "",
    *,
    by: int | None,
    by_member: int | None = None,
) -> MemberSkill:
    """Record help a member offers or would like. ``by`` is the user who did it, or
    ``by_member`` the member on their own pages. The same open offer or request twice is
    refused, so a match page never lists someone twice."""
    if not usable_by(skill, member.bank_id):
        raise SkillError("other_bank", "this kind of help belongs to another bank")
    if member.status == MemberStatus.LEFT:
        raise SkillError("member_left", "the member has left the bank")
    existing = session.scalar(
        select(MemberSkill.id).where(
            MemberSkill.member_id == member.id,
            MemberSkill.skill_id == skill.id,
            MemberSkill.direction == direction,
            MemberSkill.status != MemberSkillStatus.DONE,
        )
    )
    if existing is not None:
        raise SkillError("duplicate", "the member already has this offer or request")
    member_skill = MemberSkill(
        member_id=member.id,
        skill_id=skill.id,
        direction=direction,
        note=note.strip(),
        status=MemberSkillStatus.OPEN,
    )
    session.add(member_skill)
    session.flush()
    audit.record(
        session,
        f"{direction.value}.added",
        user_id=by,
        bank_id=member.bank_id,
        subject=f"member:{member.id}",
        details=_by({"member_skill": member_skill.id, "skill": skill.code}, by_member),
    )
    return member_skill


def add_offer(
    session: Session, member: Member, skill: Skill, note: str = "", *, by: int | None
) -> MemberSkill:
    """Help the member can give."""
    return add_member_skill(session, member, skill, SkillDirection.OFFER, note, by=by)


def add_request(
    session: Session, member: Member, skill: Skill, note: str = "", *, by: int | None
) -> MemberSkill:
    """Help the member would like."""
    return add_member_skill(session, member, skill, SkillDirection.REQUEST, note, by=by)


def _by(details: dict[str, object], by_member: int | None) -> dict[str, object]:
    """The details of an event, naming the member who did it on their own pages, if one did."""
    return details if by_member is None else {**details, "by_member": by_member}


def set_status(
    session: Session,
    member_skill: MemberSkill,
    status: MemberSkillStatus,
    *,
    by: int | None,
    by_member: int | None = None,
) -> None:
    """Pause, resume or (for a request) mark as met."""
    if status == MemberSkillStatus.DONE and member_skill.direction != SkillDirection.REQUEST:
        raise SkillError("offer_not_done", "only a request can be marked as done")
    old = member_skill.status
    if old == status:
        return
    member_skill.status = status
    audit.record(
        session,
        f"{member_skill.direction.value}.status",
        user_id=by,
        bank_id=member_skill.member.bank_id,
        subject=f"member:{member_skill.member_id}",
        details=_by(
            {"member_skill": member_skill.id, "status": [old.value, status.value]}, by_member
        ),
    )
    session.flush()


def update_note(session: Session, member_skill: MemberSkill, note: str, *, by: int | None) -> bool:
    """Change the member's own words about an offer or request; True when they changed."""
    note = note.strip()
    if note == member_skill.note:
        return False
    before = member_skill.note
    member_skill.note = note
    audit.record(
        session,
        f"{member_skill.direction.value}.updated",
        user_id=by,
        bank_id=member_skill.member.bank_id,
        subject=f"member:{member_skill.member_id}",
        details={"member_skill": member_skill.id, "note": [before, note]},
    )
    session.flush()
    return True


def open_requests(session: Session, bank_id: int) -> list[MemberSkill]:
    """The bank's open requests of members still in it, oldest first: waited longest."""
    return list(
        session.scalars(
            select(MemberSkill)
            .join(Member, Member.id == MemberSkill.member_id)
            .where(
                Member.bank_id == bank_id,
                Member.status != MemberStatus.LEFT,
                MemberSkill.direction == SkillDirection.REQUEST,
                MemberSkill.status == MemberSkillStatus.OPEN,
            )
            .options(joinedload(MemberSkill.member), joinedload(MemberSkill.skill))
            .order_by(MemberSkill.created_at, MemberSkill.id)
        )
    )


# -- matching -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    """A member who offers the help asked for, with what they gave and received lately."""

    member: Member
    offer: MemberSkill
    #: Minutes of help given to and received from other members in the window.
    given: int
    received: int

    @property
    def balance(self) -> int:
        """Given minus received: the higher, the more this member is owed some help back."""
        return self.given - self.received


@dataclass
class Matches:
    """Who could help: first those in the requester's postcode district, then the rest."""

    request: MemberSkill
    nearby: list[Candidate] = field(default_factory=list)
    elsewhere: list[Candidate] = field(default_factory=list)


def give_and_take(bank_id: int, since: date) -> Subquery:
    """Per member: minutes given and received in exchanges from ``since``, as a subquery.

    A reversal of an exchange takes back what the exchange counted, dated as the original, so a
    corrected mistake counts for nobody.
    """
    original = aliased(Transfer)
    counted = or_(
        and_(Transfer.kind.in_(EXCHANGE_KINDS), Transfer.given_on >= since),
        and_(
            Transfer.kind == TransferKind.REVERSAL,
            original.kind.in_(EXCHANGE_KINDS),
            original.given_on >= since,
        ),
    )
    reversal = Transfer.kind == TransferKind.REVERSAL
    # an exchange's positive side is help given; a reversal's negative side takes it back
    given = func.sum(
        case(
            (and_(~reversal, Entry.amount > 0), Entry.amount),
            (and_(reversal, Entry.amount < 0), Entry.amount),
            else_=0,
        )
    )
    received = -func.sum(
        case(
            (and_(~reversal, Entry.amount < 0), Entry.amount),
            (and_(reversal, Entry.amount > 0), Entry.amount),
            else_=0,
        )
    )
    return (
        select(
            Account.member_id.label("member_id"),
            given.label("given"),
            received.label("received"),
        )
        .select_from(Entry)
        .join(Transfer, Transfer.id == Entry.transfer_id)
        .join(Account, Account.id == Entry.account_id)
        .outerjoin(original, original.id == Transfer.reverses_id)
        .where(Transfer.bank_id == bank_id, Account.member_id.is_not(None), counted)
        .group_by(Account.member_id)
        .subquery()
    )


def matches(session: Session, request: MemberSkill, today: date) -> Matches:
    """Members who could meet a request: active, with an open offer of the same help, not the
    requester. Those who have given much and received little over the last 12 months come first,
    so help flows back to them; ties go by name."""
    requester = request.member
    scores = give_and_take(requester.bank_id, today - MATCH_WINDOW)
    given = func.coalesce(scores.c.given, 0)
    received = func.coalesce(scores.c.received, 0)
    rows = session.execute(
        select(MemberSkill, Member, given, received)
        .join(Member, Member.id == MemberSkill.member_id)
        .outerjoin(scores, scores.c.member_id == Member.id)
        .where(
            MemberSkill.skill_id == request.skill_id,
            MemberSkill.direction == SkillDirection.OFFER,
            MemberSkill.status == MemberSkillStatus.OPEN,
            Member.bank_id == requester.bank_id,
            Member.status == MemberStatus.ACTIVE,
            Member.id != requester.id,
        )
        .order_by((given - received).desc(), func.lower(Member.full_name), Member.member_number)
    ).all()
    found = Matches(request=request)
    seen: set[int] = set()
    area = requester.area.strip().upper()
    for offer, member, member_given, member_received in rows:
        if member.id in seen:
            continue
        seen.add(member.id)
        candidate = Candidate(member, offer, int(member_given), int(member_received))
        if area and member.area.strip().upper() == area:
            found.nearby.append(candidate)
        else:
            found.elsewhere.append(candidate)
    return found
