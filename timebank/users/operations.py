"""Creating users, checking passwords, and one-time reset links. No Flask here."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from timebank.banks.models import Bank, Programme
from timebank.db import utcnow
from timebank.users.models import PasswordReset, Role, User

#: argon2id with the library's recommended (RFC 9106 low-memory) parameters.
hasher = PasswordHasher()
MIN_PASSWORD_LENGTH = 10
RESET_LIFETIME = timedelta(hours=24)
# verifying against this when the email is unknown takes as long as a real check
_DUMMY_HASH = hasher.hash("no such user: constant-time padding")


class PasswordTooShort(ValueError):
    pass


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise PasswordTooShort(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")
    return hasher.hash(password)


def normalise_email(email: str) -> str:
    return email.strip().lower()


def create_user(
    session: Session,
    *,
    email: str,
    display_name: str,
    role: Role,
    password: str | None = None,
    banks: Sequence[Bank] = (),
    programme: Programme | None = None,
) -> User:
    """Add a user. Coordinators broker for ``banks``; a funder reads ``programme``."""
    user = User(
        email=normalise_email(email),
        display_name=display_name.strip(),
        role=role,
        password_hash=hash_password(password) if password else None,
        banks=list(banks),
        programme=programme,
        is_active=True,
    )
    session.add(user)
    session.flush()
    return user


def find_by_email(session: Session, email: str) -> User | None:
    return session.scalars(
        select(User).where(func.lower(User.email) == normalise_email(email))
    ).one_or_none()


def authenticate(session: Session, email: str, password: str) -> User | None:
    """The active user with this email and password, or None. Takes as long either way."""
    user = find_by_email(session, email)
    stored = user.password_hash if user is not None and user.password_hash else _DUMMY_HASH
    try:
        hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return None
    if user is None or not user.is_active or not user.password_hash:
        return None
    if hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hasher.hash(password)
    return user


def set_password(user: User, password: str) -> None:
    user.password_hash = hash_password(password)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_reset(
    session: Session, user: User, *, by: User | None, now: datetime | None = None
) -> str:
    """A one-time token to set ``user``'s password, valid for 24 hours. Only its hash is kept."""
    now = now or utcnow()
    token = secrets.token_urlsafe(32)
    session.add(
        PasswordReset(
            user_id=user.id,
            token_hash=_digest(token),
            created_by_id=by.id if by is not None else None,
            created_at=now,
            expires_at=now + RESET_LIFETIME,
        )
    )
    session.flush()
    return token


def find_reset(session: Session, token: str, now: datetime | None = None) -> PasswordReset | None:
    """The unused, unexpired reset for this token, or None."""
    reset = session.scalars(
        select(PasswordReset).where(PasswordReset.token_hash == _digest(token))
    ).one_or_none()
    if reset is None or reset.used_at is not None or reset.expires_at <= (now or utcnow()):
        return None
    return reset


def use_reset(session: Session, reset: PasswordReset, password: str) -> User:
    """Set the password and spend the token."""
    set_password(reset.user, password)
    reset.used_at = utcnow()
    session.flush()
    return reset.user
