"""The broker's workspace: members, exchanges, statements, imports and the audit trail.

Every view is for admins and coordinators, and every bank-scoped view loads its bank through
:func:`timebank.web.access.bank_or_404`, so a coordinator of one bank never sees another's.
"""

from flask import Blueprint

bp = Blueprint("broker", __name__, url_prefix="/broker")

from timebank.web.broker import (  # noqa: E402,F401  (the routes register themselves on bp)
    cards,
    exchanges,
    home,
    imports,
    members,
    privacy,
    reports,
    skills,
    statements,
    supporters,
)
