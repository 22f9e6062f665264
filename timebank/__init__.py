"""timebank: a double-entry ledger of hours for older people's time banks."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

#: The checkout: templates, translations, migrations and static files live at its top level.
ROOT = Path(__file__).resolve().parent.parent


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the application. ``config`` overrides settings from the environment."""
    from timebank import config as settings
    from timebank import i18n
    from timebank.db import configure_engine
    from timebank.extensions import babel, csrf, db, limiter, login_manager, migrate

    app = Flask(
        __name__,
        instance_path=os.environ.get("TIMEBANK_INSTANCE_PATH", str(ROOT / "instance")),
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    # settings: defaults, then TIMEBANK_* variables, then the caller's
    settings.load(app, config)

    # the database, with the engine made safe for the ledger
    import timebank.models  # noqa: F401  (registers every table on the metadata)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    with app.app_context():
        configure_engine(db.engine)

    # languages, and dates, numbers and hours in the reader's locale
    babel.init_app(
        app,
        locale_selector=i18n.select_locale,
        default_translation_directories=str(ROOT / "translations"),
    )
    i18n.init_app(app)

    # sign-in, CSRF on every form, and rate limits
    from timebank.web import security

    csrf.init_app(app)
    login_manager.init_app(app)
    limiter.init_app(app)
    security.init_app(app)

    # pages, one blueprint per audience; every <int:id> in a path fits the database
    from timebank.web import (
        admin,
        asked,
        auth,
        errors,
        funder,
        member_auth,
        public,
        report_pages,
        templating,
    )
    from timebank.web.broker import bp as broker
    from timebank.web.grants import bp as grants
    from timebank.web.member import bp as member

    app.url_value_preprocessor(asked.no_id_past_the_database)
    app.register_blueprint(public.bp)
    app.register_blueprint(auth.bp)
    app.register_blueprint(broker)
    app.register_blueprint(grants)
    app.register_blueprint(admin.bp)
    app.register_blueprint(member_auth.bp)
    app.register_blueprint(member)
    app.register_blueprint(funder.bp)
    errors.init_app(app)
    templating.init_app(app)
    # the JSON API and its tokens page; after errors.init_app, whose handler the API wraps
    from timebank import api
    from timebank.web import account

    app.register_blueprint(account.bp)
    api.init_app(app)
    report_pages.init_app(app)

    # behind a reverse proxy, trust one hop's X-Forwarded-For and -Proto (https, client address)
    if app.config.get("PROXY_FIX"):
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1)  # type: ignore[method-assign]

    # commands
    from timebank import cli

    cli.init_app(app)
    return app
