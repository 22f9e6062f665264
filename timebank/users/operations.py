"""Creating users, signing in and out, and one-time links to set a password. No Flask here.

The operations a page calls (:func:`invite_user`, :func:`make_reset_link`, :func:`sign_in`,
:func:`record_sign_out`, :func:`use_reset`) each write their one audit record, flush, and leave
the commit to the caller. :func:`create_user` and :func:`create_reset` are their parts, and are
used alone only to set up (the CLI, the demo, tests)."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from timebank import audit
from timebank.banks.models import Bank, Programme
from timebank.db import utcnow
from timebank.users.models import PasswordReset, Role, User
from timebank.users.passwords import check_password

#: argon2id with the library's recommended (RFC 9106 low-memory) parameters.
hasher = PasswordHasher()
RESET_LIFETIME = timedelta(hours=24)
# verifying against this when the email is unknown takes as long as a real check
_DUMMY_HASH = hasher.hash("no such user: constant-time padding")


def hash_password(password: str, *, email: str | None) -> str:
    """The argon2id hash of a password the rules accept for ``email``; else
    :class:`~timebank.users.passwords.PasswordRefused`."""
    check_password(password, email=email)
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
        password_hash=hash_password(password, email=email) if password else None,
        banks=list(banks),
        programme=programme,
        is_active=True,
    )
    session.add(user)
    session.flush()
    return user


def invite_user(
    session: Session,
    *,
    by: User,
    email: str,
    display_name: str,
    role: Role,
    banks: Sequence[Bank] = (),
    programme: Programme | None = None,
) -> tuple[User, str]:
    """Add someone who signs in, with a one-time link token to choose their password."""
    user = create_user(
        session,
        email=email,
        display_name=display_name,
        role=role,
        banks=banks,
        programme=programme,
    )
    token = create_reset(session, user, by=by)
    audit.record(
        session,
        "user.created",
        user_id=by.id,
        subject=f"user:{user.id}",
        details={"role": role.value},
    )
    session.flush()
    return user, token


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


def sign_in(session: Session, email: str, password: str) -> User | None:
    """The active user with this email and password, or None. Either way the attempt goes on
    the audit trail; a failed one keeps the email typed, never the password."""
    user = authenticate(session, email, password)
    if user is None:
        audit.record(
            session, "user.sign_in_failed", user_id=None, details={"email": normalise_email(email)}
        )
    else:
        user.last_signed_in_at = utcnow()
        audit.record(session, "user.signed_in", user_id=user.id)
    session.flush()
    return user


def record_sign_out(session: Session, user: User) -> None:
    """Put the user's signing out on the audit trail."""
    audit.record(session, "user.signed_out", user_id=user.id)
    session.flush()


def set_password(user: User, password: str) -> None:
    """Give ``user`` a new password. Their session mark changes with it, so every session and
    remember cookie made with the old password stops working (see ``User.get_id``)."""
    user.password_hash = hash_password(password, email=user.email)


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


def make_reset_link(session: Session, user: User, *, by: User, bank: Bank | None = None) -> str:
    """A new one-time token for ``user``'s password, made by ``by``; a coordinator makes one
    for a broker of ``bank``, and the event goes on that bank's trail."""
    token = create_reset(session, user, by=by)
    audit.record(
        session,
        "user.reset_link",
        user_id=by.id,
        bank_id=bank.id if bank is not None else None,
        subject=f"user:{user.id}",
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
    """Set the password, spend the token, and put it on the audit trail. A password the rules
    refuse raises :class:`~timebank.users.passwords.PasswordRefused` and changes nothing."""
    user = reset.user
    set_password(user, password)
    reset.used_at = utcnow()
    audit.record(session, "user.password_set", user_id=user.id, subject=f"user:{user.id}")
    session.flush()
    return user
