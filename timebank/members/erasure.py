"""Erasing a member who left, by pseudonymisation, and erasing on a bank's retention period.

Erasure wipes everything that says who the member was: their profile (names become "Former
member <number>"), monitoring answers and consent, their own words on offers, requests, notes
and pending help, their supporters, cards and PINs, any sign-in account, and the details of
every audit event about them. What stays is what the books and the funders' reports need: the
member's number, kind, dates of joining and leaving, and their account with every transfer, so
every balance and every report reads as before. Monitoring answers stay only as bare codes
that reports count (:class:`timebank.members.monitoring.ErasedAnswers`).

It cannot be undone, and it is audited with an event that holds no personal data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from timebank import audit
from timebank.banks.models import Bank
from timebank.db import utcnow
from timebank.ledger import Entry, PendingTransfer, TransferNote
from timebank.members.models import (
    CheckStatus,
    ContactMethod,
    Member,
    MemberCard,
    MemberSkill,
    MemberStatus,
    MemberSupporter,
)
from timebank.members.monitoring import ErasedAnswers, Monitoring, answer_codes
from timebank.members.operations import member_account
from timebank.members.subject_access import events_about
from timebank.users.models import ApiToken, PasswordReset, User

#: The longest reason kept with an erasure.
MAX_REASON_LENGTH = 500


class ErasureError(ValueError):
    """An erasure that cannot be done. ``code`` says why: ``reason_required``,
    ``reason_too_long``, ``not_left`` or ``already_erased``."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Erasure:
    """What an erasure removed, counted (the erasure's audit event holds the same)."""

    member_id: int
    member_number: int
    answers: bool
    skill_notes: int
    transfer_notes: int
    pending_notes: int
    supporters: int
    cards: int
    sign_in_accounts: int
    audit_details: int

    def counts(self) -> dict[str, int | bool]:
        return {
            "answers": self.answers,
            "skill_notes": self.skill_notes,
            "transfer_notes": self.transfer_notes,
            "pending_notes": self.pending_notes,
            "supporters": self.supporters,
            "cards": self.cards,
            "sign_in_accounts": self.sign_in_accounts,
            "audit_details": self.audit_details,
        }


def former_name(member: Member) -> str:
    """The name an erased member is shown by. Stored in the register, so it is not translated."""
    return f"Former member {member.member_number}"


def erasure_problem(member: Member) -> ErasureError | None:
    """Why this member cannot be erased now, or None if they can."""
    if member.erased_at is not None:
        return ErasureError("already_erased", "this member's details were already erased")
    if member.status != MemberStatus.LEFT:
        return ErasureError("not_left", "record that the member left before erasing them")
    return None


def erase_member(
    session: Session,
    member: Member,
    *,
    reason: str,
    by_user_id: int | None,
    now: datetime | None = None,
) -> Erasure:
    """Erase a member who left: wipe every personal detail, keep their account in the books.

    Refused without a reason, for a member who has not left, and for one already erased."""
    reason = (reason or "").strip()
    if not reason:
        raise ErasureError("reason_required", "say why the member's details are erased")
    if len(reason) > MAX_REASON_LENGTH:
        raise ErasureError("reason_too_long", f"keep the reason under {MAX_REASON_LENGTH} letters")
    # two brokers erasing at once: the second waits here, then finds it done (PostgreSQL;
    # SQLite transactions already hold the write lock)
    session.refresh(member, with_for_update=True)
    problem = erasure_problem(member)
    if problem is not None:
        raise problem
    now = now or utcnow()
    account = member_account(session, member.id)

    answers = _erase_answers(session, member)
    skill_notes = _count(
        session,
        update(MemberSkill)
        .where(MemberSkill.member_id == member.id, MemberSkill.note != "")
        .values(note=""),
    )
    touched = select(Entry.transfer_id).where(Entry.account_id == account.id)
    transfer_notes = _count(
        session,
        update(TransferNote)
        .where(TransferNote.transfer_id.in_(touched), TransferNote.redacted_at.is_(None))
        .values(text="", redacted_at=now),
    )
    pending_notes = _count(
        session,
        update(PendingTransfer)
        .where(
            or_(
                PendingTransfer.from_account_id == account.id,
                PendingTransfer.to_account_id == account.id,
            ),
            or_(PendingTransfer.note != "", PendingTransfer.reason != ""),
        )
        .values(note="", reason=""),
    )
    supporters = _count(
        session,
        delete(MemberSupporter).where(
            or_(
                MemberSupporter.member_id == member.id,
                MemberSupporter.supporter_member_id == member.id,
            )
        ),
    )
    cards = _count(session, delete(MemberCard).where(MemberCard.member_id == member.id))
    accounts = list(session.scalars(select(User).where(User.member_id == member.id)))
    events = events_about(session, member, accounts)
    for person in accounts:
        _close_sign_in(session, person, member, now)
    _wipe_profile(member)
    member.erased_at = now
    redacted = audit.redact_details(session, events, now=now)

    erasure = Erasure(
        member_id=member.id,
        member_number=member.member_number,
        answers=answers,
        skill_notes=skill_notes,
        transfer_notes=transfer_notes,
        pending_notes=pending_notes,
        supporters=supporters,
        cards=cards,
        sign_in_accounts=len(accounts),
        audit_details=redacted,
    )
    # the bulk updates above went around the session: read afresh what it holds
    session.expire_all()
    audit.record(
        session,
        "member.erased",
        user_id=by_user_id,
        bank_id=member.bank_id,
        subject=f"member:{member.id}",
        details={"reason": reason, **erasure.counts()},
    )
    session.flush()
    return erasure


def _count(session: Session, statement: object) -> int:
    result = session.execute(statement.execution_options(synchronize_session=False))  # type: ignore[attr-defined]
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def _erase_answers(session: Session, member: Member) -> bool:
    """Remove the member's answers and consent, keeping their codes for reports only."""
    record = session.get(Monitoring, member.id)
    if record is None:
        return False
    session.add(ErasedAnswers(member_id=member.id, answers=answer_codes(record)))
    session.delete(record)
    session.flush()
    return True


def _close_sign_in(session: Session, person: User, member: Member, now: datetime) -> None:
    """Stop a member's sign-in account for good and remove what said who they were."""
    person.is_active = False
    person.email = None
    person.password_hash = None
    person.display_name = former_name(member)
    session.execute(
        update(PasswordReset)
        .where(PasswordReset.user_id == person.id, PasswordReset.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    session.execute(
        update(ApiToken)
        .where(ApiToken.user_id == person.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=now)
        .execution_options(synchronize_session=False)
    )


def _wipe_profile(member: Member) -> None:
    """Every personal field of the profile, blank; what the books and reports need stays."""
    member.full_name = member.display_name = former_name(member)
    member.phone = ""
    member.area = ""
    member.birth_year = None
    member.contact_method = ContactMethod.PHONE
    member.needs_large_print = False
    member.needs_interpreter = False
    member.needs_hearing_support = False
    member.supporter_name = ""
    member.supporter_phone = ""
    member.supporter_relationship = ""
    member.consent_on = None
    member.consent_wording = ""
    member.visits_homes = False
    member.reference_check = CheckStatus.NOT_STARTED
    member.dbs_check = CheckStatus.NOT_STARTED
    member.dbs_expires_on = None


# -- retention --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Due:
    """A member whose bank's retention period has run out since they left."""

    bank: Bank
    member: Member
    reason: str


def months_before(day: date, months: int) -> date:
    """The same day ``months`` calendar months earlier (the month's last day if it is shorter)."""
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    month += 1
    for last in (31, 30, 29, 28):
        try:
            return date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("every month has 28 days")


def retention_reason(months: int) -> str:
    return f"retention: left more than {months} months ago"


def due_for_erasure(session: Session, today: date | None = None) -> list[Due]:
    """Members not yet erased who left their bank more than its retention period ago, by bank
    and member number. Banks without a retention period keep profiles until erased by hand."""
    due = []
    banks = session.scalars(
        select(Bank).where(Bank.retention_months.is_not(None)).order_by(Bank.id)
    )
    for bank in banks:
        months = bank.retention_months or 0
        cutoff = months_before(today or bank.today(), months)
        members = session.scalars(
            select(Member)
            .where(
                Member.bank_id == bank.id,
                Member.status == MemberStatus.LEFT,
                Member.erased_at.is_(None),
                Member.left_on < cutoff,
            )
            .order_by(Member.member_number)
        )
        due += [Due(bank, member, retention_reason(months)) for member in members]
    return due


def apply_retention(session: Session, today: date | None = None) -> list[Erasure]:
    """Erase every member due for erasure (see :func:`due_for_erasure`); the caller commits."""
    return [
        erase_member(session, item.member, reason=item.reason, by_user_id=None)
        for item in due_for_erasure(session, today)
    ]


__all__ = [
    "Due",
    "Erasure",
    "ErasureError",
    "apply_retention",
    "due_for_erasure",
    "erase_member",
    "erasure_problem",
    "former_name",
    "months_before",
    "retention_reason",
]
