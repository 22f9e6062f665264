"""What makes a password acceptable, after the NCSC's advice. No Flask here.

Length is what makes a password hard to guess, so there is a minimum length and no rules about
kinds of characters (rules like "a digit and a capital" make people write ``Password1``). A
password that is on a list of the most common ones, or that is the person's own email address,
is refused however long it is. Every place a password is set (the one-time link page, the
``create-admin`` and ``create-user`` commands) goes through :func:`check_password`.
"""

from __future__ import annotations

import enum
import gzip
from functools import cache
from importlib.resources import files

#: The shortest password accepted, in characters.
MIN_LENGTH = 10
#: 19,640 common passwords, lowercased; where it comes from is in ``data/README.md``.
COMMON_PASSWORDS = "data/common-passwords.txt.gz"


class Refusal(enum.StrEnum):
    #: Shorter than :data:`MIN_LENGTH` characters.
    TOO_SHORT = "too_short"
    #: On the list of common passwords.
    COMMON = "common"
    #: The person's email address, or the part of it before the ``@``.
    EMAIL = "email"


class PasswordRefused(ValueError):
    """A password the rules refuse; ``refusal`` says which rule."""

    def __init__(self, refusal: Refusal) -> None:
        super().__init__(_REASONS[refusal])
        self.refusal = refusal


_REASONS = {
    Refusal.TOO_SHORT: f"a password needs at least {MIN_LENGTH} characters",
    Refusal.COMMON: "that password is one of the most common ones: choose another",
    Refusal.EMAIL: "a password must not be the email address",
}


def check_password(password: str, *, email: str | None) -> None:
    """Raise :class:`PasswordRefused` unless ``password`` may be the password of ``email``."""
    if len(password) < MIN_LENGTH:
        raise PasswordRefused(Refusal.TOO_SHORT)
    # the list is lowercased, and a space typed before or after is not a different password
    plain = password.strip().casefold()
    if plain in common_passwords():
        raise PasswordRefused(Refusal.COMMON)
    if email:
        address = email.strip().casefold()
        if plain in (address, address.partition("@")[0]):
            raise PasswordRefused(Refusal.EMAIL)


@cache
def common_passwords() -> frozenset[str]:
    """The list of common passwords, read once."""
    data = files("timebank.users").joinpath(COMMON_PASSWORDS).read_bytes()
    lines = gzip.decompress(data).decode("utf-8").splitlines()
    return frozenset(line.strip() for line in lines if line.strip())
