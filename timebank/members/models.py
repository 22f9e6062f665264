"""Members and the skill catalogue."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from timebank.banks.models import Bank
from timebank.db import Base, UTCDateTime, str_enum, utcnow


class MemberKind(enum.StrEnum):
    #: One person.
    PERSON = "person"
    #: A group that gives or receives together, such as a lunch club.
    GROUP = "group"
    #: An organisation, such as the church that lends its hall.
    ORGANISATION = "organisation"


class MemberStatus(enum.StrEnum):
    ACTIVE = "active"
    #: Taking a break; kept on the register but not offered for matches.
    PAUSED = "paused"
    #: Left the bank; the record stays because the books point to it.
    LEFT = "left"


class Member(Base):
    """A person, group or organisation in one bank."""

    __tablename__ = "members"
    __table_args__ = (UniqueConstraint("bank_id", "member_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    bank_id: Mapped[int] = mapped_column(ForeignKey("banks.id"), index=True)
    #: Unique within the bank; what a broker says on the phone ("member 42").
    member_number: Mapped[int] = mapped_column(Integer)
    kind: Mapped[MemberKind] = mapped_column(
        str_enum(MemberKind, "member_kind"),
        default=MemberKind.PERSON,
    )
    full_name: Mapped[str] = mapped_column(String(200))
    #: The name the member likes to be called, shown on every page.
    display_name: Mapped[str] = mapped_column(String(100))
    status: Mapped[MemberStatus] = mapped_column(
        str_enum(MemberStatus, "member_status"),
        default=MemberStatus.ACTIVE,
    )
    joined_on: Mapped[date] = mapped_column(Date)
    left_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    bank: Mapped[Bank] = relationship()

    def __repr__(self) -> str:
        return f"<Member {self.bank_id}/{self.member_number}>"


class Skill(Base):
    """A kind of help. ``bank_id`` is empty for the shared catalogue, set for a bank's own."""

    __tablename__ = "skills"
    __table_args__ = (UniqueConstraint("bank_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    bank_id: Mapped[int | None] = mapped_column(ForeignKey("banks.id"), index=True)
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(100))

    def __repr__(self) -> str:
        return f"<Skill {self.code}>"
