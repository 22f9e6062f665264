"""Sign-in accounts: admins, brokers (coordinators), funders, and members who want a password."""

from __future__ import annotations

import enum
import hashlib
from datetime import datetime

from sqlalchemy import Boolean, Column, ForeignKey, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship

from timebank.banks.models import Bank, Programme
from timebank.db import Base, UTCDateTime, str_enum, utcnow


class Role(enum.StrEnum):
    #: Runs the installation: programmes, banks and users.
    ADMIN = "admin"
    #: A broker for one or more banks.
    COORDINATOR = "coordinator"
    #: Reads the reports of one programme.
    FUNDER = "funder"
    #: Uses the member phone pages.
    MEMBER = "member"


#: Which banks a coordinator brokers for.
user_banks = Table(
    "user_banks",
    Base.metadata,
    Column("user_id", ForeignKey("users.id"), primary_key=True),
    Column("bank_id", ForeignKey("banks.id"), primary_key=True),
)


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str | None] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    role: Mapped[Role] = mapped_column(str_enum(Role, "role"))
    password_hash: Mapped[str | None] = mapped_column(String(200))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    #: The programme whose reports a funder reads.
    programme_id: Mapped[int | None] = mapped_column(ForeignKey("programmes.id"))
    #: The member a member-role user is.
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    last_signed_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    banks: Mapped[list[Bank]] = relationship(secondary=user_banks, order_by="Bank.name")
    programme: Mapped[Programme | None] = relationship()

    # what Flask-Login asks of a user, without importing Flask into the domain
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        """The id that sessions and remember cookies keep: the user's id and a mark of their
        password, so that a new password signs out every session made with the old one."""
        return f"{self.id}:{self.session_mark}"

    @property
    def session_mark(self) -> str:
        """A short digest of the password hash: it changes whenever the password does."""
        # a digest, not the hash: a session cookie is signed but anyone holding it can read it
        return hashlib.sha256((self.password_hash or "").encode()).hexdigest()[:16]

    def __repr__(self) -> str:
        return f"<User {self.id} {self.role}>"


class PasswordReset(Base):
    """A one-time link to set a password, shown on screen by a broker: no mail server needed."""

    __tablename__ = "password_resets"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    #: SHA-256 of the token; the token itself is shown once and never stored.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(foreign_keys=[user_id])


class ApiToken(Base):
    """A bearer token that acts as its user: the same role and banks, read afresh on every
    request, so taking a bank from a broker takes it from their tokens too."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    #: What the user called it ("church hall laptop"), to tell their tokens apart.
    name: Mapped[str] = mapped_column(String(100))
    #: The token's first characters: found by these, and shown so the user can recognise it.
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    #: SHA-256 of the whole token; the token itself is shown once and never stored.
    token_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: Updated at most every few minutes, so reads rarely write.
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    def __repr__(self) -> str:
        return f"<ApiToken {self.id} {self.prefix}>"
