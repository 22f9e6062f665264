"""Error pages in plain words; JSON for clients that asked for JSON."""

from __future__ import annotations

from babel.units import format_unit
from flask import Flask, Response, current_app, jsonify, render_template, request
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DataError
from werkzeug.exceptions import BadRequest, HTTPException

from timebank.extensions import db


def _too_big() -> str:
    """What a 413 page asks for: a smaller file, and the largest the site takes
    (``MAX_CONTENT_LENGTH``) as the reader writes it, "5 MB"."""
    limit = current_app.config.get("MAX_CONTENT_LENGTH")
    if not limit:  # no limit set: werkzeug's own limit on form fields refused it
        return _("Please send a smaller file.")
    megabytes = limit / (1024 * 1024)
    shown = int(megabytes) if megabytes == int(megabytes) else round(megabytes, 1)
    size = format_unit(shown, "digital-megabyte", length="short", locale=get_locale() or "en")
    return _("Please send a smaller file. The largest file this site takes is %(size)s.", size=size)


def init_app(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException):  # type: ignore[no-untyped-def]
        titles = {
            400: _("Something in what was sent was not right"),
            403: _("You cannot see this page"),
            404: _("Page not found"),
            405: _("That cannot be done here"),
            409: _("That has already been done"),
            413: _("That file is too big"),
            429: _("Too many tries"),
        }
        messages = {
            403: _("Your account does not give you access to this page."),
            404: _("If you typed the address, check it is right."),
            429: _("Please wait a few minutes, then try again."),
        }
        code = error.code or 500
        if code == 413:
            messages[413] = _too_big()
        if isinstance(error, CSRFError):
            messages[400] = _("The form had expired. Go back, refresh the page and try again.")
        if request.accept_mimetypes.best == "application/json" or request.path.startswith("/api/"):
            return jsonify(code=code, message=error.description), code
        return (
            render_template(
                "errors/error.html",
                title=titles.get(code, error.name),
                message=messages.get(code, error.description),
            ),
            code,
        )

    @app.errorhandler(DataError)
    def _unstorable(error: DataError) -> Response:
        # the forms and schemas keep out what the database refuses; this is the net under them
        db.session.rollback()
        app.logger.warning("Refused a value the database cannot store: %s", error.orig)
        refused = BadRequest(
            _(
                "Something that was sent has a character or a number that cannot be stored. "
                "Check what was typed and try again."
            )
        )
        return app.handle_http_exception(refused)  # type: ignore[return-value]
