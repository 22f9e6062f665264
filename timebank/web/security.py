"""Session cookies, the user loader, and the HTTP headers every page carries."""

from __future__ import annotations

from flask import Flask, Response, g, request
from flask.sessions import SecureCookieSessionInterface
from flask_babel import lazy_gettext as _l

from timebank.db import reading_only, refuse_writes_while_reading
from timebank.extensions import db, login_manager
from timebank.users.models import User


class SessionInterface(SecureCookieSessionInterface):
    """Secure cookies whenever the page came over https, as well as when configured."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"] or request.is_secure)


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    person = db.session.get(User, int(user_id)) if user_id.isdigit() else None
    return person if person is not None and person.is_active else None


def init_app(app: Flask) -> None:
    app.session_interface = SessionInterface()
    app.config.setdefault("REMEMBER_COOKIE_HTTPONLY", True)
    app.config.setdefault("REMEMBER_COOKIE_SAMESITE", "Lax")
    login_manager.login_view = "auth.sign_in"
    login_manager.login_message = _l("Please sign in to see that page.")
    # the cookie is tied to the browser it was made for
    login_manager.session_protection = "strong"

    # page views only read: on SQLite they then never queue behind a writer, and a view that
    # writes by mistake fails loudly instead of taking the write lock
    refuse_writes_while_reading(db.session)

    @app.before_request
    def _read_only_for_safe_methods() -> None:
        if request.method in ("GET", "HEAD", "OPTIONS"):
            g.reading_only = reading_only()
            g.reading_only.__enter__()

    @app.teardown_request
    def _end_read_only(error: BaseException | None) -> None:
        if "reading_only" in g:
            # the read transaction ends with the request, so its snapshot is not kept
            db.session.rollback()
            g.pop("reading_only").__exit__(None, None, None)

    @app.after_request
    def _headers(response: Response) -> Response:
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
            "frame-ancestors 'none'; form-action 'self'",
        )
        if response.mimetype == "text/html":
            response.headers.setdefault("Cache-Control", "no-store")
        return response
