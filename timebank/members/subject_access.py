"""A subject access request: everything the bank holds about one member (no Flask here).

What a broker hands a member who asks what is kept about them (UK GDPR article 15): their
profile, monitoring answers with the consent, offers and requests, every exchange, help still
waiting, cards (dates only: never a token or a PIN's hash), supporters, any sign-in account,
and the audit events about them with their details (unless redacted). Other members appear by
the name they are shown by and their number. Reading only: nothing is written.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from timebank.audit import AuditDetail, AuditEvent
from timebank.banks.models import Bank
from timebank.ledger import Account, PendingTransfer, TransferNote
from timebank.members.models import Member, MemberCard, MemberSkill, MemberSupporter, Skill
from timebank.members.monitoring import QUESTIONS, Monitoring
from timebank.members.operations import PROFILE_FIELDS, member_account
from timebank.statements import member_statement
from timebank.users.models import User

#: Far enough back and ahead to take in every exchange a member ever had.
_EVER = (date(1900, 1, 1), date(9999, 12, 31))


@dataclass(frozen=True)
class Person:
    """Someone on the other side: a member (by shown name and number), the pot, or a user."""

    name: str
    member_number: int | None = None


@dataclass(frozen=True)
class ExchangeLine:
    transfer_id: int
    given_on: date
    kind: str
    #: The kind of help, by its name in the bank's list; None when none was given.
    help: str | None
    #: Minutes that came in (above zero) or went out (below zero).
    minutes: int
    balance_after: int
    with_whom: Person | None
    reversed: bool
    is_correction: bool
    note: str | None


@dataclass(frozen=True)
class PendingLine:
    pending_id: int
    given_on: date
    minutes: int
    #: "gave" when the member is the one who helped, else "received".
    side: str
    with_whom: Person | None
    help: str | None
    status: str
    note: str
    recorded_at: datetime


@dataclass(frozen=True)
class SkillLine:
    direction: str
    help: str
    status: str
    note: str
    added_at: datetime


@dataclass(frozen=True)
class CardLine:
    issued_at: datetime
    revoked_at: datetime | None
    has_pin: bool
    locked_until: datetime | None


@dataclass(frozen=True)
class SupporterLine:
    #: "supports them" or "they support".
    role: str
    person: Person
    added_at: datetime
    ended_at: datetime | None


@dataclass(frozen=True)
class SignInAccount:
    email: str | None
    active: bool
    created_at: datetime
    last_signed_in_at: datetime | None


@dataclass(frozen=True)
class EventLine:
    at: datetime
    action: str
    #: Who did it, by name; None when not recorded (a member on their own pages, a script).
    by: str | None
    subject: str
    details: dict[str, Any]
    redacted: bool


@dataclass(frozen=True)
class SubjectAccess:
    """Everything held about one member, made at ``made_at``."""

    made_at: datetime
    bank: str
    member_number: int
    status: str
    joined_on: date
    left_on: date | None
    erased_at: datetime | None
    balance_minutes: int
    profile: dict[str, Any]
    #: The answers by question (codes); None when the member gave none.
    monitoring: dict[str, str | None] | None
    monitoring_consent_on: date | None
    monitoring_updated_at: datetime | None
    skills: list[SkillLine] = field(default_factory=list)
    exchanges: list[ExchangeLine] = field(default_factory=list)
    pending: list[PendingLine] = field(default_factory=list)
    cards: list[CardLine] = field(default_factory=list)
    supporters: list[SupporterLine] = field(default_factory=list)
    sign_in_accounts: list[SignInAccount] = field(default_factory=list)
    events: list[EventLine] = field(default_factory=list)

    def as_json(self) -> str:
        """The whole record as JSON: dates and times in ISO 8601, enums as their codes."""
        return json.dumps(dataclasses.asdict(self), default=_plain, indent=2, ensure_ascii=False)


def _plain(value: object) -> object:
    if isinstance(value, date | datetime):
        return value.isoformat()
    if hasattr(value, "value"):
        return value.value  # an enum
    raise TypeError(f"{type(value).__name__} is not JSON")


def _code(value: object) -> Any:
    return value.value if hasattr(value, "value") else value  # type: ignore[attr-defined]


def subject_access(session: Session, member: Member, *, now: datetime) -> SubjectAccess:
    """Everything the bank holds about ``member``."""
    bank = session.get_one(Bank, member.bank_id)
    account = member_account(session, member.id)
    skills = _skill_names(session, member.bank_id)
    answers = session.get(Monitoring, member.id)
    accounts = list(session.scalars(select(User).where(User.member_id == member.id)))
    return SubjectAccess(
        made_at=now,
        bank=bank.name,
        member_number=member.member_number,
        status=_code(member.status),
        joined_on=member.joined_on,
        left_on=member.left_on,
        erased_at=member.erased_at,
        balance_minutes=account.balance,
        profile={name: _code(getattr(member, name)) for name in PROFILE_FIELDS},
        monitoring=(
            None if answers is None else {q: _code(getattr(answers, q)) for q in QUESTIONS}
        ),
        monitoring_consent_on=answers.consent_on if answers else None,
        monitoring_updated_at=answers.updated_at if answers else None,
        skills=[
            SkillLine(
                direction=_code(s.direction),
                help=skills.get(s.skill_id, ""),
                status=_code(s.status),
                note=s.note,
                added_at=s.created_at,
            )
            for s in session.scalars(
                select(MemberSkill)
                .where(MemberSkill.member_id == member.id)
                .order_by(MemberSkill.direction, MemberSkill.id)
            )
        ],
        exchanges=_exchanges(session, member, skills),
        pending=_pending(session, account, skills),
        cards=[
            CardLine(c.issued_at, c.revoked_at, c.pin_hash is not None, c.locked_until)
            for c in session.scalars(
                select(MemberCard).where(MemberCard.member_id == member.id).order_by(MemberCard.id)
            )
        ],
        supporters=_supporters(session, member),
        sign_in_accounts=[
            SignInAccount(p.email, p.is_active, p.created_at, p.last_signed_in_at) for p in accounts
        ],
        events=_events(session, member, accounts),
    )


def _skill_names(session: Session, bank_id: int) -> dict[int, str]:
    rows = session.execute(
        select(Skill.id, Skill.name).where(or_(Skill.bank_id.is_(None), Skill.bank_id == bank_id))
    )
    return {skill_id: name for skill_id, name in rows}


def _people(session: Session, member_ids: set[int | None]) -> dict[int, Person]:
    wanted = {i for i in member_ids if i is not None}
    if not wanted:
        return {}
    rows = session.execute(
        select(Member.id, Member.display_name, Member.member_number).where(Member.id.in_(wanted))
    )
    return {i: Person(name, number) for i, name, number in rows}


#: The community pot, as a member sees it on the other side of an exchange.
POT = Person("the community pot")


def _exchanges(session: Session, member: Member, skills: dict[int, str]) -> list[ExchangeLine]:
    statement = member_statement(session, member.id, *_EVER)
    people = _people(session, {line.counterparty_member_id for line in statement.lines})
    notes = dict(
        session.execute(
            select(TransferNote.transfer_id, TransferNote.text).where(
                TransferNote.transfer_id.in_([line.transfer_id for line in statement.lines]),
                TransferNote.redacted_at.is_(None),
            )
        ).all()
    )
    return [
        ExchangeLine(
            transfer_id=line.transfer_id,
            given_on=line.given_on,
            kind=_code(line.kind),
            help=skills.get(line.skill_id) if line.skill_id else None,
            minutes=line.amount,
            balance_after=line.balance,
            with_whom=(
                people.get(line.counterparty_member_id)
                if line.counterparty_member_id is not None
                else POT
            ),
            reversed=line.reversed,
            is_correction=line.is_reversal,
            note=notes.get(line.transfer_id),
        )
        for line in statement.lines
    ]


def _pending(session: Session, account: Account, skills: dict[int, str]) -> list[PendingLine]:
    rows = list(
        session.scalars(
            select(PendingTransfer)
            .where(
                or_(
                    PendingTransfer.from_account_id == account.id,
                    PendingTransfer.to_account_id == account.id,
                )
            )
            .order_by(PendingTransfer.given_on, PendingTransfer.id)
        )
    )
    others = {
        (p.from_account_id if p.to_account_id == account.id else p.to_account_id) for p in rows
    }
    owners = dict(
        session.execute(select(Account.id, Account.member_id).where(Account.id.in_(others))).all()
    )
    people = _people(session, set(owners.values()))
    lines = []
    for p in rows:
        gave = p.to_account_id == account.id  # hours go to the one who helped
        other = owners.get(p.from_account_id if gave else p.to_account_id)
        lines.append(
            PendingLine(
                pending_id=p.id,
                given_on=p.given_on,
                minutes=p.amount,
                side="gave" if gave else "received",
                with_whom=people.get(other) if other is not None else POT,
                help=skills.get(p.skill_id) if p.skill_id else None,
                status=_code(p.status),
                note=p.note,
                recorded_at=p.created_at,
            )
        )
    return lines


def _supporters(session: Session, member: Member) -> list[SupporterLine]:
    links = list(
        session.scalars(
            select(MemberSupporter)
            .where(
                or_(
                    MemberSupporter.member_id == member.id,
                    MemberSupporter.supporter_member_id == member.id,
                )
            )
            .order_by(MemberSupporter.added_at, MemberSupporter.id)
        )
    )
    people = _people(
        session,
        {link.supporter_member_id for link in links} | {link.member_id for link in links},
    )
    users = _user_names(session, {link.supporter_user_id for link in links})
    lines = []
    for link in links:
        if link.member_id == member.id:
            person = (
                people.get(link.supporter_member_id)
                if link.supporter_member_id is not None
                else Person(users.get(link.supporter_user_id or 0, ""))
            )
            role = "supports them"
        else:
            person = people.get(link.member_id)
            role = "they support"
        lines.append(SupporterLine(role, person or Person(""), link.added_at, link.ended_at))
    return lines


def _user_names(session: Session, ids: set[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return dict(
        session.execute(select(User.id, User.display_name).where(User.id.in_(wanted))).all()
    )


def events_about(session: Session, member: Member, accounts: list[User]) -> list[int]:
    """The ids of the events that may say something about the member: those about them, about
    or by their sign-in accounts, and failed sign-ins typed with those accounts' emails."""
    subjects = [f"member:{member.id}", *(f"user:{person.id}" for person in accounts)]
    ids = set(
        session.scalars(
            select(AuditEvent.id).where(
                or_(
                    AuditEvent.subject.in_(subjects),
                    AuditEvent.user_id.in_([person.id for person in accounts]),
                )
            )
        )
    )
    emails = {person.email for person in accounts if person.email}
    if emails:
        # the email is only in the details, which each engine keeps as JSON of its own
        failed = session.execute(
            select(AuditDetail.event_id, AuditDetail.details)
            .join(AuditEvent, AuditEvent.id == AuditDetail.event_id)
            .where(AuditEvent.action == "user.sign_in_failed", AuditDetail.details.is_not(None))
        )
        ids |= {event_id for event_id, details in failed if details.get("email") in emails}
    return sorted(ids)


def _events(session: Session, member: Member, accounts: list[User]) -> list[EventLine]:
    ids = events_about(session, member, accounts)
    events = list(
        session.scalars(
            select(AuditEvent).where(AuditEvent.id.in_(ids)).order_by(AuditEvent.at, AuditEvent.id)
        )
    )
    users = _user_names(session, {e.user_id for e in events})
    return [
        EventLine(
            at=e.at,
            action=e.action,
            by=users.get(e.user_id) if e.user_id is not None else None,
            subject=e.subject,
            details=e.details,
            redacted=e.redacted,
        )
        for e in events
    ]


__all__ = [
    "CardLine",
    "EventLine",
    "ExchangeLine",
    "PendingLine",
    "Person",
    "SignInAccount",
    "SkillLine",
    "SubjectAccess",
    "SupporterLine",
    "events_about",
    "subject_access",
]
