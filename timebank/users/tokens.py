"""Creating, finding and revoking personal API tokens, each audited once. No Flask here.

A token is ``tbk_`` and 43 characters of base64url from 32 random bytes. Its first 12
characters are its prefix, stored to find it by and to show the user; the database keeps only
the SHA-256 of the whole token, compared in constant time, so a copy of the database lets no
one in. The token is shown once, when it is made.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from timebank import audit
from timebank.db import utcnow
from timebank.users.models import ApiToken, Role, User

TOKEN_START = "tbk_"  # nosec B105 # the public start of every token
PREFIX_LENGTH = 12
MAX_NAME_LENGTH = 100
#: A token's last use is written at most this often, so that reading rarely writes.
TOUCH_EVERY = timedelta(minutes=5)
#: Roles that may hold tokens: members use their own pages, never the API.
TOKEN_ROLES = frozenset({Role.ADMIN, Role.COORDINATOR, Role.FUNDER})


class TokenError(ValueError):
    """A token that cannot be made, with the reason."""


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(session: Session, user: User, name: str) -> tuple[ApiToken, str]:
    """Make a token for ``user``; returns the row and the token, which is never seen again."""
    name = name.strip()
    if not name:
        raise TokenError("give the token a name, to tell it apart later")
    if len(name) > MAX_NAME_LENGTH:
        raise TokenError(f"a token's name is at most {MAX_NAME_LENGTH} characters")
    if user.role not in TOKEN_ROLES:
        raise TokenError(f"a {user.role.value} cannot hold API tokens")
    if not user.is_active:
        raise TokenError("the account is not active")
    token = TOKEN_START + secrets.token_urlsafe(32)
    row = ApiToken(
        user_id=user.id, name=name, prefix=token[:PREFIX_LENGTH], token_hash=_digest(token)
    )
    session.add(row)
    session.flush()
    audit.record(session, "api_token.created", user_id=user.id, subject=f"api_token:{row.id}")
    return row, token


def find_token(session: Session, token: str) -> ApiToken | None:
    """The live token, of an active user, that ``token`` is; None for anything else."""
    if not token.startswith(TOKEN_START) or len(token) < PREFIX_LENGTH + 8 or len(token) > 200:
        return None
    row = session.scalars(
        select(ApiToken).where(ApiToken.prefix == token[:PREFIX_LENGTH])
    ).one_or_none()
    if row is None or not hmac.compare_digest(row.token_hash, _digest(token)):
        return None
    if row.revoked_at is not None or not row.user.is_active or row.user.role not in TOKEN_ROLES:
        return None
    return row


def needs_touch(row: ApiToken, now: datetime | None = None) -> bool:
    now = now or utcnow()
    return row.last_used_at is None or now - row.last_used_at >= TOUCH_EVERY


def touch(session: Session, token_id: int, now: datetime | None = None) -> None:
    """Note that a token was used just now."""
    session.execute(
        update(ApiToken)
        .where(ApiToken.id == token_id)
        .values(last_used_at=now or utcnow())
        .execution_options(synchronize_session=False)
    )


def tokens_of(session: Session, user: User) -> list[ApiToken]:
    """A user's tokens, live ones first, newest first."""
    return list(
        session.scalars(
            select(ApiToken)
            .where(ApiToken.user_id == user.id)
            .order_by(ApiToken.revoked_at.is_not(None), ApiToken.id.desc())
        )
    )


def revoke_token(session: Session, user: User, token_id: int) -> ApiToken | None:
    """Revoke one of ``user``'s own tokens. None if it is not theirs (or does not exist).
    Revoking a revoked token changes nothing and records nothing."""
    row = session.get(ApiToken, token_id)
    if row is None or row.user_id != user.id:
        return None
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        session.flush()
        audit.record(session, "api_token.revoked", user_id=user.id, subject=f"api_token:{row.id}")
    return row
