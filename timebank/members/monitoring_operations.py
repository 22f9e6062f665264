"""Saving equality-monitoring answers, and choosing a bank's target groups.

The audit trail says that answers changed and which questions, never the answers themselves:
the trail is read more widely than the answers may be.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from timebank import audit
from timebank.banks.models import Bank
from timebank.members.models import Member
from timebank.members.monitoring import QUESTIONS, TARGET_GROUPS, Monitoring


class MonitoringError(ValueError):
    """Answers that cannot be saved. ``code`` says why."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def answers_of(session: Session, member: Member) -> Monitoring | None:
    """A member's answers, or None when none were ever recorded."""
    return session.get(Monitoring, member.id)


def save_answers(
    session: Session,
    member: Member,
    answers: dict[str, str | None],
    *,
    consent_on: date | None,
    by: int | None,
) -> list[str]:
    """Record a member's answers; None (or a missing question) means "not asked".

    Answers need the date the member agreed to give them. Returns the names of what changed.
    """
    unknown = set(answers) - set(QUESTIONS)
    if unknown:
        raise MonitoringError("unknown_question", f"no such question: {sorted(unknown)[0]}")
    values: dict[str, object] = {}
    for question, (_label, choices) in QUESTIONS.items():
        value = answers.get(question) or None
        if value is not None:
            try:
                value = choices(value)
            except ValueError:
                raise MonitoringError(
                    "unknown_answer", f"{value!r} is not an answer to {question}"
                ) from None
        values[question] = value
    if consent_on is None and any(v is not None for v in values.values()):
        raise MonitoringError("consent_required", "answers need the date the member agreed")
    record = answers_of(session, member)
    if record is None:
        if consent_on is None:
            return []  # nothing asked, nothing to keep
        record = Monitoring(member_id=member.id)
        session.add(record)
    changed = [q for q, v in values.items() if getattr(record, q) != v]
    if record.consent_on != consent_on:
        changed.insert(0, "consent_on")
    for question, value in values.items():
        setattr(record, question, value)
    record.consent_on = consent_on
    if changed:
        audit.record(
            session,
            "monitoring.updated",
            user_id=by,
            bank_id=member.bank_id,
            subject=f"member:{member.id}",
            details={"changed": changed},
        )
    session.flush()
    return changed


def withdraw(session: Session, member: Member, *, by: int | None) -> bool:
    """The member withdrew their consent: remove every answer. True when there were some."""
    record = answers_of(session, member)
    if record is None:
        return False
    session.delete(record)
    audit.record(
        session,
        "monitoring.withdrawn",
        user_id=by,
        bank_id=member.bank_id,
        subject=f"member:{member.id}",
    )
    session.flush()
    return True


def set_target_groups(session: Session, bank: Bank, codes: list[str], *, by: int | None) -> bool:
    """Choose the groups a bank was funded to reach; True when the choice changed."""
    unknown = set(codes) - set(TARGET_GROUPS)
    if unknown:
        raise MonitoringError("unknown_group", f"no such target group: {sorted(unknown)[0]}")
    # kept in the catalogue's order, so reports list the groups the same way for every bank
    chosen = [code for code in TARGET_GROUPS if code in codes]
    before = list(bank.target_groups or [])
    if chosen == before:
        return False
    bank.target_groups = chosen  # a new list, so SQLAlchemy sees the JSON change
    audit.record(
        session,
        "bank.target_groups",
        user_id=by,
        bank_id=bank.id,
        subject=f"bank:{bank.id}",
        details={"target_groups": [before, chosen]},
    )
    session.flush()
    return True
