"""Wiring the API into the app: the blueprint, its checks before each view, and JSON errors."""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, current_app, request
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException, InternalServerError
from werkzeug.routing import BaseConverter

# docs and resources register their routes on the blueprint when imported
from timebank.api import auth, docs, resources  # noqa: F401
from timebank.api.errors import ApiError, from_http, from_ledger
from timebank.api.registry import MAX_BODY_BYTES, bp
from timebank.extensions import csrf, db
from timebank.ledger import LedgerError


class IdConverter(BaseConverter):
    """A database id in a path: digits, not starting with 0. An id above what the database
    holds is answered 404 by the view (refusing it here would make werkzeug answer 405)."""

    regex = r"[1-9][0-9]{0,18}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: Any) -> str:
        return str(int(value))


@bp.before_request
def _authenticate() -> None:
    # JSON bodies are small; the app's larger limit is for CSV uploads on the pages
    request.max_content_length = MAX_BODY_BYTES
    view = current_app.view_functions.get(request.endpoint or "")
    if getattr(view, "public", False):
        return
    token = auth.authenticate()
    auth.check_rate_limit(token)
    auth.note_use(token)


@bp.errorhandler(ApiError)
def _api_error(error: ApiError) -> Response:
    db.session.rollback()
    return error.response()


@bp.errorhandler(LedgerError)
def _ledger_error(error: LedgerError) -> Response:
    db.session.rollback()
    return from_ledger(error).response()


@bp.errorhandler(OperationalError)
def _database_busy(error: OperationalError) -> Response:
    # a writer held the database past the busy timeout: the client may retry
    db.session.rollback()
    current_app.logger.warning("API request found the database busy: %s", error)
    return ApiError(
        503, "unavailable", "The database is busy; try again.", headers={"Retry-After": "1"}
    ).response()


def _is_api() -> bool:
    return request.path.startswith("/api/")


def init_app(app: Flask) -> None:
    app.url_map.converters["id"] = IdConverter
    app.config.setdefault("API_RATE_LIMIT", auth.DEFAULT_RATE_LIMIT)
    csrf.exempt(bp)
    app.register_blueprint(bp)

    # the app's own handler draws error pages; anything under /api/ answers JSON instead,
    # including paths and methods that match no API route (they never reach the blueprint)
    pages_handler = app.error_handler_spec[None][None].get(HTTPException)

    def _http_error(error: HTTPException) -> Any:
        if _is_api():
            if isinstance(error, InternalServerError):
                app.logger.error("API error", exc_info=getattr(error, "original_exception", None))
                return ApiError(500, "internal_error", "Something went wrong.").response()
            return from_http(error).response()
        if pages_handler is not None:
            return pages_handler(error)
        return error

    app.register_error_handler(HTTPException, _http_error)
