"""Pages anyone may open: the welcome page and the health check."""

from __future__ import annotations

from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Blueprint, Response, current_app, jsonify, render_template
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from timebank.extensions import db

bp = Blueprint("public", __name__)


@bp.get("/")
def index() -> str:
    """What timebank is, in plain words."""
    return render_template("public/index.html")


@bp.get("/healthz")
def healthz() -> tuple[Response, int]:
    """Whether the database answers and its schema is up to date, as JSON for monitors."""
    database: dict[str, object] = {"dialect": db.engine.dialect.name}
    try:
        with db.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
            current = MigrationContext.configure(connection).get_current_revision()
    except SQLAlchemyError as error:
        database |= {"status": "unavailable", "error": type(error).__name__}
        return jsonify(status="error", database=database), 503
    migrations = current_app.extensions["migrate"].directory
    head = ScriptDirectory.from_config(_alembic_config(migrations)).get_current_head()
    database |= {
        "status": "ok",
        "revision": current,
        "schema": "current" if current == head else "needs upgrade",
    }
    return jsonify(status="ok" if current == head else "degraded", database=database), 200


def _alembic_config(directory: str):  # type: ignore[no-untyped-def]
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", directory)
    return config
