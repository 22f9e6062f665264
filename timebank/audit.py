"""The audit trail: an append-only record of who did what, and when.

Each event (when, who, what action, about which subject, in which bank) is kept for good: the
database refuses updates and deletes of ``audit_events`` (and TRUNCATE on PostgreSQL), as it
does for the books. What an event carries besides (profile values before and after, the email
typed at a failed sign-in, ...) lives apart in ``audit_details``, which an erasure request may
redact while the event stays; the database allows that one change and no other (migration
0009). Read details only through :attr:`AuditEvent.details`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from timebank.db import Base, UTCDateTime, utcnow


class AuditDetail(Base):
    """What an event carries besides its facts; redactable, never otherwise rewritten."""

    __tablename__ = "audit_details"

    event_id: Mapped[int] = mapped_column(ForeignKey("audit_events.id"), primary_key=True)
    #: For edits, {"field": [before, after]}; otherwise whatever explains the event. Empty
    #: (NULL) once redacted.
    details: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    redacted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AuditEvent(Base):
    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    #: The bank the event belongs to, so each bank's coordinators see only their own trail.
    bank_id: Mapped[int | None] = mapped_column(ForeignKey("banks.id"), index=True)
    #: What happened, as a stable code: "member.created", "exchange.posted", "user.signed_in".
    action: Mapped[str] = mapped_column(String(60))
    #: What it happened to: "member:12", "transfer:40".
    subject: Mapped[str] = mapped_column(String(60), default="")

    # loaded with the event in one query: every reader of events reads their details
    detail: Mapped[AuditDetail | None] = relationship(lazy="joined", passive_deletes="all")

    @property
    def details(self) -> dict[str, Any]:
        """The event's details; empty when it had none or they were redacted."""
        if self.detail is None or self.detail.details is None:
            return {}
        return self.detail.details

    @property
    def redacted(self) -> bool:
        """Whether the event's details were removed for an erasure request."""
        return self.detail is not None and self.detail.redacted_at is not None


def record(
    session: Session,
    action: str,
    *,
    user_id: int | None,
    bank_id: int | None = None,
    subject: str = "",
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Add an event to the trail, with its details (if any), in the caller's transaction."""
    event = AuditEvent(user_id=user_id, bank_id=bank_id, action=action, subject=subject)
    if details:
        # an event without details has no row: most sign-ins and sign-outs carry none
        event.detail = AuditDetail(details=_plain(details))
    session.add(event)
    return event


def redact_details(
    session: Session, event_ids: Iterable[int], *, now: datetime | None = None
) -> int:
    """Remove the details of these events, keeping the events; how many were removed now.

    Part of an erasure (:func:`timebank.members.erasure.erase_member`), which audits it."""
    wanted = sorted(set(event_ids))
    now = now or utcnow()
    removed = 0
    # in slices: a long-standing member may be the subject of thousands of events
    for start in range(0, len(wanted), 500):
        rows = session.scalars(
            select(AuditDetail).where(
                AuditDetail.event_id.in_(wanted[start : start + 500]),
                AuditDetail.redacted_at.is_(None),
            )
        )
        for row in rows:
            row.details = None
            row.redacted_at = now
            removed += 1
    session.flush()
    return removed


def changes(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """The fields that differ, as {"field": [before, after]}."""
    return {
        key: [_plain(before.get(key)), _plain(after.get(key))]
        for key in sorted(set(before) | set(after))
        if before.get(key) != after.get(key)
    }


def _plain(value: Any) -> Any:
    # JSON has no dates or enums: store their text
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, date | datetime):
        return value.isoformat()
    if hasattr(value, "value"):
        return value.value
    return value
