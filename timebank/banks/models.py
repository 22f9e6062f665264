"""Programmes and banks."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from timebank.db import Base, UTCDateTime, utcnow

#: A member may owe the bank this much by default: the usual UK practice of a -10 hour floor.
DEFAULT_FLOOR_MINUTES = -10 * 60


class Programme(Base):
    """A funder's scheme that gives seed grants to start new time banks."""

    __tablename__ = "programmes"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    funder: Mapped[str] = mapped_column(String(200))
    starts_on: Mapped[date | None] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    banks: Mapped[list[Bank]] = relationship(back_populates="programme")

    def __repr__(self) -> str:
        return f"<Programme {self.id} {self.name!r}>"


class Bank(Base):
    """One time bank: its members, its pot and its settings."""

    __tablename__ = "banks"
    __table_args__ = (
        CheckConstraint("floor_minutes <= 0", name="floor_not_positive"),
        CheckConstraint("welcome_minutes >= 0", name="welcome_not_negative"),
        CheckConstraint("next_member_number >= 1", name="member_number_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int | None] = mapped_column(ForeignKey("programmes.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    #: What the bank was funded to do, in the funder's words ("carers regaining a sense of self").
    focus: Mapped[str] = mapped_column(Text, default="")
    #: Codes of the equality-monitoring groups the bank was funded to reach.
    target_groups: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: IANA zone that decides what "today" means for this bank.
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/London")
    #: The overdraft floor given to each new member account.
    floor_minutes: Mapped[int] = mapped_column(Integer, default=DEFAULT_FLOOR_MINUTES)
    #: Hours credited from the pot when a member joins.
    welcome_minutes: Mapped[int] = mapped_column(Integer, default=0)
    help_phone: Mapped[str] = mapped_column(String(40), default="")
    default_locale: Mapped[str] = mapped_column(String(16), default="en_GB")
    #: Counter for member numbers; bumped with an UPDATE so concurrent joins never collide.
    next_member_number: Mapped[int] = mapped_column(Integer, default=1)
    #: Months a member's profile is kept after they leave, then erased by ``timebank
    #: retention``; None keeps it until a broker erases it by hand.
    retention_months: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    programme: Mapped[Programme | None] = relationship(back_populates="banks")

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def today(self, now: datetime | None = None) -> date:
        """The calendar date at this bank, now or at ``now``."""
        return (now or utcnow()).astimezone(self.zone).date()

    def __repr__(self) -> str:
        return f"<Bank {self.id} {self.name!r}>"
