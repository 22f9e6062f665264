"""Bearer tokens and per-token rate limits, checked before every API view.

The token stands in for a signed-in user: it is put where Flask-Login looks for the current
user, so the API goes through the same tenancy helpers as the pages. Session cookies are never
read here: the API is exempt from CSRF, so it must not trust a browser's cookie.
"""

from __future__ import annotations

import math
import time

from flask import current_app, g, request
from limits import parse

from timebank.api.errors import ApiError
from timebank.db import writing
from timebank.extensions import db, limiter
from timebank.users import tokens
from timebank.users.models import ApiToken

#: Requests a token may make, in Flask-Limiter's notation (``TIMEBANK_API_RATE_LIMIT``).
DEFAULT_RATE_LIMIT = "300/minute"


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


def authenticate() -> ApiToken:
    """The request's token, or 401. Also makes its user the current user."""
    presented = bearer_token()
    found = tokens.find_token(db.session, presented) if presented else None
    if found is None:
        raise ApiError(
            401,
            "unauthorized",
            "Send a valid API token: Authorization: Bearer <token>.",
            headers={"WWW-Authenticate": 'Bearer realm="timebank"'},
        )
    g.api_token = found
    g._login_user = found.user  # where Flask-Login's current_user looks first
    return found


def check_rate_limit(token: ApiToken) -> None:
    """Count the request against its token's limit; 429 with Retry-After when it is spent."""
    item = parse(current_app.config.get("API_RATE_LIMIT", DEFAULT_RATE_LIMIT))
    # the prefix as well as the id: ids repeat between databases, prefixes do not
    key = ("api-token", str(token.id), token.prefix)
    strategy = limiter.limiter
    if strategy.hit(item, *key):
        return
    reset_at, _remaining = strategy.get_window_stats(item, *key)
    wait = max(1, math.ceil(reset_at - time.time()))
    raise ApiError(
        429,
        "rate_limited",
        f"Too many requests with this token: {item}. Try again in {wait} seconds.",
        headers={"Retry-After": str(wait)},
    )


def note_use(token: ApiToken) -> None:
    """Write the token's last use every few minutes, in its own short transaction first, so a
    read that follows never has to turn into a write (SQLite would refuse that midway)."""
    if not tokens.needs_touch(token):
        return
    token_id = token.id
    with writing(db.session):
        tokens.touch(db.session, token_id)
