"""Members and the skill catalogue."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
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


class ContactMethod(enum.StrEnum):
    PHONE = "phone"
    TEXT = "text"
    LETTER = "letter"
    #: Through their carer or supporter.
    CARER = "carer"


class CheckStatus(enum.StrEnum):
    """Where a safeguarding check stands."""

    NOT_STARTED = "not_started"
    REQUESTED = "requested"
    #: References received and satisfactory; or a DBS certificate seen and clear.
    CLEAR = "clear"


class Member(Base):
    """A person, group or organisation in one bank."""

    __tablename__ = "members"
    __table_args__ = (
        UniqueConstraint("bank_id", "member_number"),
        CheckConstraint(
            "birth_year IS NULL OR (birth_year >= 1900 AND birth_year <= 2100)",
            name="birth_year_plausible",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    bank_id: Mapped[int] = mapped_column(ForeignKey("banks.id"), index=True)
    #: Unique within the bank; what a broker says on the phone ("member 42").
    member_number: Mapped[int] = mapped_column(Integer)
    kind: Mapped[MemberKind] = mapped_column(
        str_enum(MemberKind, "member_kind"), default=MemberKind.PERSON
    )
    full_name: Mapped[str] = mapped_column(String(200))
    #: The name the member likes to be called, shown on every page.
    display_name: Mapped[str] = mapped_column(String(100))
    status: Mapped[MemberStatus] = mapped_column(
        str_enum(MemberStatus, "member_status"), default=MemberStatus.ACTIVE
    )
    joined_on: Mapped[date] = mapped_column(Date)
    left_on: Mapped[date | None] = mapped_column(Date)
    phone: Mapped[str] = mapped_column(String(40), default="")
    #: Postcode district only ("BT9"): reports need no more, and we keep no more.
    area: Mapped[str] = mapped_column(String(8), default="", index=True)
    birth_year: Mapped[int | None] = mapped_column(Integer)
    preferred_locale: Mapped[str] = mapped_column(String(16), default="en")
    contact_method: Mapped[ContactMethod] = mapped_column(
        str_enum(ContactMethod, "contact_method"), default=ContactMethod.PHONE
    )
    needs_large_print: Mapped[bool] = mapped_column(Boolean, default=False)
    needs_interpreter: Mapped[bool] = mapped_column(Boolean, default=False)
    needs_hearing_support: Mapped[bool] = mapped_column(Boolean, default=False)
    supporter_name: Mapped[str] = mapped_column(String(200), default="")
    supporter_phone: Mapped[str] = mapped_column(String(40), default="")
    supporter_relationship: Mapped[str] = mapped_column(String(100), default="")
    #: When the member agreed to be on the register, and the words they agreed to.
    consent_on: Mapped[date | None] = mapped_column(Date)
    consent_wording: Mapped[str] = mapped_column(Text, default="")
    #: Members who visit others' homes need references and a DBS check.
    visits_homes: Mapped[bool] = mapped_column(Boolean, default=False)
    reference_check: Mapped[CheckStatus] = mapped_column(
        str_enum(CheckStatus, "reference_check"), default=CheckStatus.NOT_STARTED
    )
    dbs_check: Mapped[CheckStatus] = mapped_column(
        str_enum(CheckStatus, "dbs_check"), default=CheckStatus.NOT_STARTED
    )
    dbs_expires_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: When the member's personal details were erased (:mod:`timebank.members.erasure`); the
    #: number, dates and account stay, because the books point to them.
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    bank: Mapped[Bank] = relationship()
    skills: Mapped[list[MemberSkill]] = relationship(
        back_populates="member", order_by="MemberSkill.id"
    )

    def safeguarding_problems(self, today: date) -> list[str]:
        """Codes of what is missing before this member may visit homes; empty when all is well."""
        if not self.visits_homes:
            return []
        problems = []
        if self.reference_check != CheckStatus.CLEAR:
            problems.append("references_missing")
        if self.dbs_check != CheckStatus.CLEAR:
            problems.append("dbs_missing")
        elif self.dbs_expires_on is None or self.dbs_expires_on < today:
            problems.append("dbs_expired")
        return problems

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


class SkillDirection(enum.StrEnum):
    #: Help the member can give.
    OFFER = "offer"
    #: Help the member would like.
    REQUEST = "request"


class MemberSkillStatus(enum.StrEnum):
    OPEN = "open"
    PAUSED = "paused"
    #: A request that has been met.
    DONE = "done"


class MemberSkill(Base):
    """An offer or a request of one kind of help, with the member's own words."""

    __tablename__ = "member_skills"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    skill_id: Mapped[int] = mapped_column(ForeignKey("skills.id"), index=True)
    direction: Mapped[SkillDirection] = mapped_column(str_enum(SkillDirection, "direction"))
    note: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[MemberSkillStatus] = mapped_column(
        str_enum(MemberSkillStatus, "member_skill_status"), default=MemberSkillStatus.OPEN
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    member: Mapped[Member] = relationship(back_populates="skills")
    skill: Mapped[Skill] = relationship()


class MemberCard(Base):
    """A printed card whose QR code opens the member's pages, with a PIN.

    Only hashes are stored: of the card's token and of the PIN. Reissuing a card revokes the
    old one, and with it every phone signed in through it.
    """

    __tablename__ = "member_cards"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    #: SHA-256 of the random token in the QR link.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: argon2id hash of the 4-digit PIN the broker set with the member; none until set.
    pin_hash: Mapped[str | None] = mapped_column(String(200))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    failed_pin_attempts: Mapped[int] = mapped_column(Integer, default=0)
    #: After five wrong PINs the card is locked until this time.
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)

    member: Mapped[Member] = relationship()


class MemberSupporter(Base):
    """Someone, such as a family carer, who may view a member's pages: another member (with
    their own card) or a user with an account. Every view is audited."""

    __tablename__ = "member_supporters"
    __table_args__ = (
        CheckConstraint(
            "(supporter_member_id IS NULL) <> (supporter_user_id IS NULL)",
            name="one_kind_of_supporter",
        ),
        CheckConstraint(
            "supporter_member_id IS NULL OR supporter_member_id <> member_id", name="not_self"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    supporter_member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"), index=True)
    supporter_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    member: Mapped[Member] = relationship(foreign_keys=[member_id])
