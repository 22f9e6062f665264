"""The audit trail: an append-only record of who did what, and when.

The database refuses updates and deletes of these rows, as it does for the books. Profile edits
carry their values before and after; sign-ins are recorded too.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, Session, mapped_column

from timebank.db import Base, UTCDateTime, utcnow


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
    #: For edits, {"field": [before, after]}; otherwise whatever explains the event.
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


def record(
    session: Session,
    action: str,
    *,
    user_id: int | None,
    bank_id: int | None = None,
    subject: str = "",
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Add an event to the trail, in the caller's transaction."""
    event = AuditEvent(
        user_id=user_id,
        bank_id=bank_id,
        action=action,
        subject=subject,
        details=_plain(details or {}),
    )
    session.add(event)
    return event


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
