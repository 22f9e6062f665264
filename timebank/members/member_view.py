"""What a member's own pages show, and who may look at them (no Flask here).

Every function takes the member the page is for; the web layer finds that member from the
card the phone signed in with, never from an address, so one member cannot ask for another's
figures. Sums are done by the database on the member's own entries.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import ColumnElement, and_, bindparam, case, func, or_, select
from sqlalchemy.orm import Session, aliased

from timebank import audit
from timebank.db import utcnow
from timebank.ledger import Account, Entry, PendingStatus, PendingTransfer, Transfer, TransferKind
from timebank.ledger.models import HELP_KINDS
from timebank.members.models import (
    Member,
    MemberSkill,
    MemberSkillStatus,
    MemberStatus,
    MemberSupporter,
    Skill,
    SkillDirection,
)
from timebank.members.operations import member_account
from timebank.members.skills import open_requests
from timebank.users.models import Role, User, user_banks

#: How many exchanges "My time" lists.
RECENT_COUNT = 10


# -- figures ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class YearTotals:
    """Minutes of help given and received in one calendar year at the bank."""

    given: int
    received: int


_original = aliased(Transfer)
_reversal = Transfer.kind == TransferKind.REVERSAL
_HELP_KINDS = [k.value for k in HELP_KINDS]
_YEAR_TOTALS = (
    select(
        func.coalesce(
            func.sum(
                case(
                    (and_(~_reversal, Entry.amount > 0), Entry.amount),
                    (and_(_reversal, Entry.amount < 0), Entry.amount),
                    else_=0,
                )
            ),
            0,
        ),
        func.coalesce(
            func.sum(
                case(
                    (and_(~_reversal, Entry.amount < 0), -Entry.amount),
                    (and_(_reversal, Entry.amount > 0), -Entry.amount),
                    else_=0,
                )
            ),
            0,
        ),
    )
    .select_from(Entry)
    .join(Transfer, Transfer.id == Entry.transfer_id)
    .outerjoin(_original, _original.id == Transfer.reverses_id)
    .where(
        Entry.account_id == bindparam("account_id"),
        or_(
            and_(Transfer.kind.in_(_HELP_KINDS), Transfer.given_on >= bindparam("start")),
            and_(
                _reversal,
                _original.kind.in_(_HELP_KINDS),
                _original.given_on >= bindparam("start"),
            ),
        ),
    )
)


def year_totals(session: Session, member: Member, today: date) -> YearTotals:
    """Help given and received this calendar year (the bank's ``today``).

    Only help counts (exchanges, group help and time given to the bank), not gifts or hours
    brought over. A correction takes back what it corrects, dated as the original, so a
    mistake put right counts for nothing.
    """
    account = member_account(session, member.id)
    start = date(today.year, 1, 1)
    given, received = session.execute(
        _YEAR_TOTALS, {"account_id": account.id, "start": start}
    ).one()
    return YearTotals(given=int(given), received=int(received))


@dataclass(frozen=True)
class RecentLine:
    """One exchange on "My time": when, with whom, what, and which way the hours went."""

    transfer_id: int
    given_on: date
    kind: TransferKind
    skill: Skill | None
    #: The member on the other side; None when it was the time bank itself (its pot).
    other: Member | None
    #: Signed minutes: above zero the member gave (or was given hours), below zero received.
    amount: int
    #: Put right later by a correction.
    reversed: bool


# built once: rebuilding aliased entities and the statement on every view was 40% of the page
_other_entry = aliased(Entry)
_other_account = aliased(Account)
_other_member = aliased(Member)
_correction = aliased(Transfer)
_RECENT = (
    select(Transfer, Entry.amount, Skill, _other_member, _correction.id)
    .join(Entry, Entry.transfer_id == Transfer.id)
    # two entries a transfer: the other one says who was on the other side
    .join(
        _other_entry,
        and_(
            _other_entry.transfer_id == Transfer.id,
            _other_entry.account_id != bindparam("account_id"),
        ),
    )
    .join(_other_account, _other_account.id == _other_entry.account_id)
    .outerjoin(_other_member, _other_member.id == _other_account.member_id)
    .outerjoin(Skill, Skill.id == Transfer.skill_id)
    .outerjoin(_correction, _correction.reverses_id == Transfer.id)
    .where(Entry.account_id == bindparam("account_id"))
    .order_by(Transfer.given_on.desc(), Transfer.id.desc())
    .limit(bindparam("limit"))
)


def recent(session: Session, member: Member, limit: int = RECENT_COUNT) -> list[RecentLine]:
    """The member's latest transfers, newest first."""
    account = member_account(session, member.id)
    rows = session.execute(_RECENT, {"account_id": account.id, "limit": limit}).all()
    return [
        RecentLine(
            transfer_id=transfer.id,
            given_on=transfer.given_on,
            kind=transfer.kind,
            skill=skill,
            other=other,
            amount=amount,
            reversed=correction_id is not None,
        )
        for transfer, amount, skill, other, correction_id in rows
    ]


# -- exchanges waiting to be confirmed --------------------------------------------------------


@dataclass(frozen=True)
class WaitingLine:
    """A pending exchange with the names a member page needs."""

    pending: PendingTransfer
    #: Who gave the help (the one who recorded it) and who received it.
    giver: Member | None
    receiver: Member | None
    skill: Skill | None

    @property
    def state(self) -> str:
        """pending, posted, voided or expired; past its 30 days it is expired, whether or not
        the daily job (``timebank expire-pending``) has marked it yet."""
        status = self.pending.status
        if status == PendingStatus.PENDING and self.pending.expires_at <= utcnow():
            return PendingStatus.EXPIRED.value
        return status.value


_giver_account = aliased(Account)
_receiver_account = aliased(Account)
_giver = aliased(Member)
_receiver = aliased(Member)
_WAITING = (
    select(PendingTransfer, _giver, _receiver, Skill)
    .join(_giver_account, _giver_account.id == PendingTransfer.to_account_id)
    .join(_receiver_account, _receiver_account.id == PendingTransfer.from_account_id)
    .outerjoin(_giver, _giver.id == _giver_account.member_id)
    .outerjoin(_receiver, _receiver.id == _receiver_account.member_id)
    .outerjoin(Skill, Skill.id == PendingTransfer.skill_id)
    .order_by(PendingTransfer.created_at, PendingTransfer.id)
)


def _waiting(session: Session, *conditions: ColumnElement[bool]) -> list[WaitingLine]:
    """Pending exchanges, in any state, with who gave, who received and what."""
    rows = session.execute(_WAITING.where(*conditions)).all()
    return [WaitingLine(p, g, r, s) for p, g, r, s in rows]


def _still_waiting() -> ColumnElement[bool]:
    # past its deadline an item has lapsed, even before the daily job marks it so
    return and_(
        PendingTransfer.status == PendingStatus.PENDING, PendingTransfer.expires_at > utcnow()
    )


def _for_me(account_id: int) -> ColumnElement[bool]:
    # help the member received: they are the one to say it happened
    return PendingTransfer.from_account_id == account_id


def _by_me(account_id: int, member_id: int) -> ColumnElement[bool]:
    # help the member gave and recorded themselves
    return and_(
        PendingTransfer.to_account_id == account_id,
        PendingTransfer.created_by_member_id == member_id,
    )


def waiting_for_me(session: Session, member: Member) -> list[WaitingLine]:
    """Help others say they gave this member, waiting for the member to say it happened."""
    account = member_account(session, member.id)
    return _waiting(session, _still_waiting(), _for_me(account.id))


def waiting_for_others(session: Session, member: Member) -> list[WaitingLine]:
    """Help this member recorded, still waiting for the other member (or a broker)."""
    account = member_account(session, member.id)
    return _waiting(session, _still_waiting(), _by_me(account.id, member.id))


def waiting_both_ways(
    session: Session, member: Member
) -> tuple[list[WaitingLine], list[WaitingLine]]:
    """:func:`waiting_for_me` and :func:`waiting_for_others` together, in one query ("My time"
    shows both)."""
    account = member_account(session, member.id)
    lines = _waiting(
        session, _still_waiting(), or_(_for_me(account.id), _by_me(account.id, member.id))
    )
    # the same two tests as the query's, on each line it brought back
    to_answer = [line for line in lines if line.pending.from_account_id == account.id]
    recorded = [
        line
        for line in lines
        if line.pending.to_account_id == account.id
        and line.pending.created_by_member_id == member.id
    ]
    return to_answer, recorded


def pending_to_answer(session: Session, member: Member, pending_id: int) -> PendingTransfer | None:
    """The pending exchange, if this member is the one who received the help; otherwise None
    (the page then answers 404, as if it did not exist). The ledger says if it has ended."""
    pending = session.get(PendingTransfer, pending_id)
    if pending is None:
        return None
    if pending.from_account_id != member_account(session, member.id).id:
        return None
    return pending


def pending_with_key(session: Session, bank_id: int, key: str) -> PendingTransfer | None:
    """The pending exchange recorded under an idempotency key, if any."""
    return session.scalars(
        select(PendingTransfer).where(
            PendingTransfer.bank_id == bank_id, PendingTransfer.idempotency_key == key
        )
    ).one_or_none()


def pending_recorded_by(session: Session, member: Member, pending_id: int) -> WaitingLine | None:
    """A pending exchange this member recorded, in any state."""
    rows = _waiting(
        session,
        PendingTransfer.id == pending_id,
        PendingTransfer.created_by_member_id == member.id,
    )
    return rows[0] if rows else None


# -- who to record help for, and what the bank needs ------------------------------------------


def fellow_members(session: Session, member: Member) -> list[Member]:
    """The bank's active people, groups and organisations other than this member, by name."""
    return list(
        session.scalars(
            select(Member)
            .where(
                Member.bank_id == member.bank_id,
                Member.status == MemberStatus.ACTIVE,
                Member.id != member.id,
            )
            .order_by(func.lower(Member.display_name), Member.member_number)
        )
    )


def own_skills(session: Session, member: Member) -> list[MemberSkill]:
    """The member's offers and requests that are not done, offers first."""
    return list(
        session.scalars(
            select(MemberSkill)
            .where(
                MemberSkill.member_id == member.id,
                MemberSkill.status != MemberSkillStatus.DONE,
            )
            .order_by(MemberSkill.direction, MemberSkill.created_at, MemberSkill.id)
        )
    )


def own_skill(session: Session, member: Member, member_skill_id: int) -> MemberSkill | None:
    """One of the member's own offers or requests, or None."""
    found = session.get(MemberSkill, member_skill_id)
    return found if found is not None and found.member_id == member.id else None


def needs_for(session: Session, member: Member) -> list[MemberSkill]:
    """Other active members' open requests for help this member openly offers, oldest first."""
    offered = set(
        session.scalars(
            select(MemberSkill.skill_id).where(
                MemberSkill.member_id == member.id,
                MemberSkill.direction == SkillDirection.OFFER,
                MemberSkill.status == MemberSkillStatus.OPEN,
            )
        )
    )
    if not offered:
        return []
    return [
        request
        for request in open_requests(session, member.bank_id)
        if request.skill_id in offered
        and request.member_id != member.id
        and request.member.status == MemberStatus.ACTIVE
    ]


def first_name(member: Member) -> str:
    """What to call a member to other members: their chosen name, or the first word of it when
    it is their full name (other members never see a full name)."""
    name = member.display_name.strip()
    if name.casefold() == member.full_name.strip().casefold() and " " in name:
        return name.split()[0]
    return name


def brokers(session: Session, bank_id: int) -> list[User]:
    """The bank's coordinators who can still sign in, by name."""
    return list(
        session.scalars(
            select(User)
            .join(user_banks, user_banks.c.user_id == User.id)
            .where(
                user_banks.c.bank_id == bank_id,
                User.role == Role.COORDINATOR,
                User.is_active.is_(True),
            )
            .order_by(func.lower(User.display_name))
        )
    )


# -- supporters -------------------------------------------------------------------------------


class SupporterError(ValueError):
    """A supporter that cannot be added. ``code`` says why: ``self``, ``other_bank``,
    ``member_left``, ``already``."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def _supporter_is(supporter_member_id: int | None, supporter_user_id: int | None) -> object:
    if supporter_member_id is not None:
        return MemberSupporter.supporter_member_id == supporter_member_id
    return MemberSupporter.supporter_user_id == supporter_user_id


def supported_members(
    session: Session,
    *,
    supporter_member_id: int | None = None,
    supporter_user_id: int | None = None,
) -> list[Member]:
    """The members someone supports now, by name."""
    if supporter_member_id is None and supporter_user_id is None:
        return []
    # a subquery, not a join: a member supported twice over is still listed once
    supported = select(MemberSupporter.member_id).where(
        MemberSupporter.ended_at.is_(None),
        _supporter_is(supporter_member_id, supporter_user_id),
    )
    return list(
        session.scalars(
            select(Member)
            .where(Member.id.in_(supported), Member.status != MemberStatus.LEFT)
            .order_by(func.lower(Member.display_name), Member.id)
        )
    )


def supporters_of(session: Session, member: Member) -> list[tuple[MemberSupporter, str]]:
    """The member's current supporters, each with the name to show a broker."""
    rows = session.execute(
        select(MemberSupporter, Member, User)
        .outerjoin(Member, Member.id == MemberSupporter.supporter_member_id)
        .outerjoin(User, User.id == MemberSupporter.supporter_user_id)
        .where(MemberSupporter.member_id == member.id, MemberSupporter.ended_at.is_(None))
        .order_by(MemberSupporter.added_at, MemberSupporter.id)
    ).all()
    named = []
    for link, supporter, person in rows:
        if supporter is not None:
            named.append((link, f"{supporter.full_name} (#{supporter.member_number})"))
        else:
            named.append((link, f"{person.display_name} ({person.email or ''})"))
    return named


def add_supporter(
    session: Session,
    member: Member,
    *,
    supporter_member: Member | None = None,
    supporter_user: User | None = None,
    by: int | None,
) -> MemberSupporter:
    """Let another member (with their own card) or a user with an account view the member's
    pages, read-only. Audited."""
    if (supporter_member is None) == (supporter_user is None):
        raise ValueError("name exactly one supporter")
    if member.status == MemberStatus.LEFT:
        raise SupporterError("member_left", "the member has left the bank")
    if supporter_member is not None:
        if supporter_member.id == member.id:
            raise SupporterError("self", "a member cannot support themselves")
        if supporter_member.bank_id != member.bank_id:
            raise SupporterError("other_bank", "the supporter is in another bank")
        if supporter_member.status == MemberStatus.LEFT:
            raise SupporterError("member_left", "the supporter has left the bank")
    supporter_member_id = supporter_member.id if supporter_member else None
    supporter_user_id = supporter_user.id if supporter_user else None
    already = session.scalar(
        select(MemberSupporter.id).where(
            MemberSupporter.member_id == member.id,
            MemberSupporter.ended_at.is_(None),
            _supporter_is(supporter_member_id, supporter_user_id),
        )
    )
    if already is not None:
        raise SupporterError("already", "this supporter is already named")
    link = MemberSupporter(
        member_id=member.id,
        supporter_member_id=supporter_member_id,
        supporter_user_id=supporter_user_id,
        added_by_id=by,
    )
    session.add(link)
    session.flush()
    audit.record(
        session,
        "supporter.added",
        user_id=by,
        bank_id=member.bank_id,
        subject=f"member:{member.id}",
        details={
            "link": link.id,
            "supporter_member": supporter_member_id,
            "supporter_user": supporter_user_id,
        },
    )
    return link


def end_supporter(
    session: Session, link: MemberSupporter, *, by: int | None, now: datetime | None = None
) -> None:
    """Stop a supporter viewing the member's pages, at once. Audited."""
    if link.ended_at is not None:
        return
    link.ended_at = now or utcnow()
    audit.record(
        session,
        "supporter.ended",
        user_id=by,
        bank_id=link.member.bank_id,
        subject=f"member:{link.member_id}",
        details={
            "link": link.id,
            "supporter_member": link.supporter_member_id,
            "supporter_user": link.supporter_user_id,
        },
    )
    session.flush()


def record_supporter_view(
    session: Session,
    member: Member,
    *,
    supporter_member_id: int | None,
    supporter_user_id: int | None,
) -> None:
    """Note in the audit trail that a supporter looked at the member's time."""
    audit.record(
        session,
        "supporter.viewed",
        user_id=supporter_user_id,
        bank_id=member.bank_id,
        subject=f"member:{member.id}",
        details={"supporter_member": supporter_member_id, "supporter_user": supporter_user_id},
    )
    session.flush()
