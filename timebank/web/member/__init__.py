"""The member's own phone pages, under ``/me``: large type, plain words, no JavaScript."""

from flask import Blueprint

bp = Blueprint("member", __name__, url_prefix="/me")

from timebank.web.member import routes  # noqa: E402,F401  (the routes register themselves on bp)
