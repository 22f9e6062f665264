"""Session cookies, the user loader, and the HTTP headers every answer carries."""

from __future__ import annotations

import hmac

from flask import Flask, Response, g, request
from flask.sessions import SecureCookieSessionInterface
from flask_babel import lazy_gettext as _l

from timebank import cookies
from timebank.db import reading_only, refuse_writes_while_reading
from timebank.extensions import db, login_manager
from timebank.users.models import User

#: No scripts, frames, plugins or inline styles; styles and images from this site only.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'none'",
        "style-src 'self'",
        "img-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "object-src 'none'",
    ]
)
#: Browser features no page of this app uses, switched off for it and anything it might embed.
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "hid",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "serial",
        "usb",
        "xr-spatial-tracking",
    )
)
#: A year, for this host and every host under it.
STRICT_TRANSPORT_SECURITY = "max-age=31536000; includeSubDomains"
#: Public answers that say so themselves (the static files, the API's description) may be
#: cached; every other answer may hold names or exact figures, and is never stored.
NO_STORE = "no-store"


class SessionInterface(SecureCookieSessionInterface):
    """The session cookie, Secure by the rule in :mod:`timebank.cookies`."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return cookies.secure()


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """The active user whose id and password mark (``User.get_id``) are ``user_id``."""
    number, _, _mark = user_id.partition(":")
    person = db.session.get(User, int(number)) if number.isdigit() else None
    if person is None or not person.is_active:
        return None
    # a session or remember cookie made before the password last changed is no longer good
    return person if hmac.compare_digest(person.get_id(), user_id) else None


def init_app(app: Flask) -> None:
    app.session_interface = SessionInterface()
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

    app.after_request(security_headers)


def security_headers(response: Response) -> Response:
    """The headers every answer carries, pages, files and the API alike."""
    headers = response.headers
    headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    headers["X-Content-Type-Options"] = "nosniff"
    headers["X-Frame-Options"] = "DENY"
    # the origin's own pages still send a Referer: Flask-WTF checks it on every form over https
    headers["Referrer-Policy"] = "same-origin"
    headers["Permissions-Policy"] = PERMISSIONS_POLICY
    headers["Cross-Origin-Opener-Policy"] = "same-origin"
    headers["Cross-Origin-Resource-Policy"] = "same-origin"
    if request.is_secure:
        headers["Strict-Transport-Security"] = STRICT_TRANSPORT_SECURITY
    if not (request.endpoint == "static" or response.cache_control.public):
        headers["Cache-Control"] = NO_STORE
    return response
