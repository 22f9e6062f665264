"""Wrong passwords counted per account, from whatever address they come.

The sign-in page's limit per address (``TIMEBANK_SIGN_IN_RATE_LIMIT``) slows one machine trying
many accounts; this one slows many machines trying one account. Only a wrong password counts.
Once an account has had ``TIMEBANK_SIGN_IN_ACCOUNT_RATE_LIMIT`` of them, its password is not
even checked until the window lapses, or until a new password is set with a one-time link (an
admin, or a coordinator for a fellow broker, makes one), which starts the count again.

The counts are kept in Flask-Limiter's storage (``TIMEBANK_RATELIMIT_STORAGE_URI``), keyed by a
digest of the normalised email, so the storage holds no email addresses.
"""

from __future__ import annotations

import hashlib
import time
from datetime import timedelta

from flask import current_app
from limits import RateLimitItem, parse_many

from timebank.extensions import limiter
from timebank.users.operations import normalise_email

#: Wrong passwords an account may have, in Flask-Limiter's notation.
DEFAULT_LIMIT = "10/hour"


def wait(email: str) -> timedelta | None:
    """How long the account of ``email`` must wait before a password is checked, or None."""
    if not limiter.enabled:
        return None
    key = _key(email)
    waits = [
        limiter.limiter.get_window_stats(item, *key).reset_time - time.time()
        for item in _limits()
        if not limiter.limiter.test(item, *key)
    ]
    return timedelta(seconds=max(1.0, *waits)) if waits else None


def count_wrong_password(email: str) -> None:
    """Count a wrong password against the account of ``email`` (known or not: the same)."""
    if limiter.enabled:
        for item in _limits():
            limiter.limiter.hit(item, *_key(email))


def forget(email: str) -> None:
    """Start the account's count again: its password has just been set."""
    if limiter.enabled:
        for item in _limits():
            limiter.limiter.clear(item, *_key(email))


def _limits() -> list[RateLimitItem]:
    return parse_many(current_app.config.get("SIGN_IN_ACCOUNT_RATE_LIMIT", DEFAULT_LIMIT))


def _key(email: str) -> tuple[str, str]:
    return ("sign-in-account", hashlib.sha256(normalise_email(email).encode()).hexdigest())
