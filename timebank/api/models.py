"""Personal API tokens: a user's key to the JSON API, stored only as a hash."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from timebank.db import Base, UTCDateTime, utcnow
from timebank.users.models import User


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
