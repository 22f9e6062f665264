"""Sign-in accounts. Roles and permissions grow with the broker workspace."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, String
from sqlalchemy.orm import Mapped, mapped_column

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


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str | None] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    role: Mapped[Role] = mapped_column(
        str_enum(Role, "role"),
    )
    password_hash: Mapped[str | None] = mapped_column(String(200))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def __repr__(self) -> str:
        return f"<User {self.id} {self.role}>"
