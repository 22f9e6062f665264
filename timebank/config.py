"""Settings, read from ``TIMEBANK_*`` environment variables.

``TIMEBANK_DATABASE_URL`` picks the database (an SQLite file under ``instance/`` by default);
any other ``TIMEBANK_NAME`` sets the Flask setting ``NAME``. The ``config`` mapping given to
:func:`timebank.create_app` overrides both, which is how the tests configure the app.
"""

from __future__ import annotations

import os
import secrets
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

from timebank import cookies


def translated_locales(translations: Path) -> list[str]:
    """English (the source language) and every language with a catalogue in ``translations/``."""
    found = sorted(p.parent.parent.name for p in translations.glob("*/LC_MESSAGES/messages.po"))
    return ["en", *[code for code in found if code != "en"]]


DEFAULTS: dict[str, Any] = {
    "BABEL_DEFAULT_LOCALE": "en",
    "BABEL_DEFAULT_TIMEZONE": "Europe/London",
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
    "MAX_CONTENT_LENGTH": 5 * 1024 * 1024,
}


def load(app: Flask, config: Mapping[str, Any] | None) -> None:
    """Fill ``app.config`` from defaults, then the environment, then ``config``."""
    app.config.from_mapping(DEFAULTS)
    app.config["LOCALES"] = translated_locales(Path(app.root_path).parent / "translations")
    app.config.from_prefixed_env("TIMEBANK")
    if config:
        app.config.update(config)
    url = app.config.get("SQLALCHEMY_DATABASE_URI") or app.config.get("DATABASE_URL")
    if not url:
        url = f"sqlite:///{Path(app.instance_path) / 'timebank.db'}"
    app.config["SQLALCHEMY_DATABASE_URI"] = database_url(str(url))
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = instance_secret_key(Path(app.instance_path))
    secure_cookies(app, config)


def secure_cookies(app: Flask, config: Mapping[str, Any] | None) -> None:
    """Secure cookies unless the app runs in debug or testing mode, or a setting says otherwise.

    Left to this default, plain http straight to this machine (``make run``) is spared: see
    :mod:`timebank.cookies`."""
    given = "SESSION_COOKIE_SECURE" in (config or {}) or (
        "TIMEBANK_SESSION_COOKIE_SECURE" in os.environ
    )
    if not given:
        app.config["SESSION_COOKIE_SECURE"] = not (app.debug or app.testing)
        app.config[cookies.PLAIN_ON_LOOPBACK] = True
    # Flask-Login's remember cookie: never set by these pages, but flagged like the session's
    app.config.setdefault("REMEMBER_COOKIE_SECURE", app.config["SESSION_COOKIE_SECURE"])
    app.config.setdefault("REMEMBER_COOKIE_HTTPONLY", True)
    app.config.setdefault("REMEMBER_COOKIE_SAMESITE", app.config["SESSION_COOKIE_SAMESITE"])


def database_url(url: str) -> str:
    """Use psycopg 3 for PostgreSQL, however the URL was written."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def instance_secret_key(instance: Path) -> str:
    """The installation's secret key, generated into ``instance/secret_key`` on first run; the
    file appears whole or not at all, so workers starting together all read the same key."""
    path = instance / "secret_key"
    instance.mkdir(parents=True, exist_ok=True)
    if path.exists():
        return path.read_text().strip()
    # written aside (mkstemp makes it mode 600), then linked into place, which fails if another
    # process was first: nobody ever reads a file still being written
    descriptor, draft = tempfile.mkstemp(dir=instance, prefix=".secret_key-")
    try:
        with os.fdopen(descriptor, "w") as handle:
            handle.write(secrets.token_hex(32) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(draft, path)
        except FileExistsError:
            pass
    finally:
        os.unlink(draft)
    return path.read_text().strip()
