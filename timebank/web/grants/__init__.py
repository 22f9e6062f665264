"""Seed grant pages: admins award grants and set a programme's rules (:mod:`.admin`); brokers
record spending, returns and reversals (:mod:`.broker`). The forms, and pounds as people type
them, are in :mod:`.forms`.
"""

from flask import Blueprint

bp = Blueprint("grants", __name__)

from timebank.web.grants import admin, broker  # noqa: E402,F401  (the routes register on bp)
from timebank.web.grants.forms import (  # noqa: E402
    MoneyError,
    line_name,
    parse_pounds,
    pounds_text,
)

__all__ = ["MoneyError", "bp", "line_name", "parse_pounds", "pounds_text"]
