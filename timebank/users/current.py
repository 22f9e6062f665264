"""The user signed in for this request, for the pages and the API alike."""

from __future__ import annotations

from flask_login import current_user

from timebank.users.models import User


def user() -> User:
    """The signed-in user's own row (not Flask-Login's proxy). Only call behind a sign-in check."""
    return current_user._get_current_object()  # type: ignore[no-any-return,attr-defined]
