"""When the app's cookies are Secure, and Flask-Login clearing its cookie with the same flags.

Cookies are Secure over https always. Over plain http they follow ``SESSION_COOKIE_SECURE``,
which is true unless the app runs in debug or testing mode or the setting says otherwise
(``TIMEBANK_SESSION_COOKIE_SECURE``). Left at its default, it spares one case: plain http
straight to this machine, such as ``make run`` on http://127.0.0.1:5000, where some browsers
and HTTP clients would not send a Secure cookie back. A reverse proxy on the same machine gives
itself away with its ``X-Forwarded-*`` headers, so its visitors still get Secure cookies.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

import flask_login
from flask import Response, current_app, request

#: Set when ``SESSION_COOKIE_SECURE`` was left at its default, which spares plain http to this
#: machine.
PLAIN_ON_LOOPBACK = "COOKIES_PLAIN_ON_LOOPBACK"
#: Headers a reverse proxy adds: a request that has one did not come straight from a browser.
PROXY_HEADERS = ("Forwarded", "X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Host")


def secure() -> bool:
    """Whether the cookies of the current response are marked Secure."""
    config = current_app.config
    if request.is_secure:
        return True
    if not config["SESSION_COOKIE_SECURE"]:
        return False
    return not (config.get(PLAIN_ON_LOOPBACK) and straight_to_this_machine())


def straight_to_this_machine() -> bool:
    """Whether the request came from this machine to a loopback address, through no proxy."""
    if any(name in request.headers for name in PROXY_HEADERS):
        return False
    return is_loopback(urlsplit("//" + request.host).hostname) and is_loopback(request.remote_addr)


def is_loopback(host: str | None) -> bool:
    """Whether ``host`` (a name or an address, without a port) is this machine."""
    if not host:
        return False
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class LoginManager(flask_login.LoginManager):
    """Flask-Login, clearing its remember cookie with the flags the session cookie has.

    Flask-Login sets the remember cookie with the ``REMEMBER_COOKIE_*`` flags but clears it
    with none, so the clearing ``Set-Cookie`` would go out neither Secure nor HttpOnly."""

    def _clear_cookie(self, response: Response) -> None:
        config = current_app.config
        response.delete_cookie(
            config.get("REMEMBER_COOKIE_NAME", flask_login.COOKIE_NAME),
            domain=config.get("REMEMBER_COOKIE_DOMAIN"),
            path=config.get("REMEMBER_COOKIE_PATH", "/"),
            secure=secure(),
            httponly=bool(config.get("REMEMBER_COOKIE_HTTPONLY", True)),
            samesite=config.get("REMEMBER_COOKIE_SAMESITE", "Lax"),
        )
