"""Pages anyone may open: the welcome page and the health check."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from flask import Blueprint, Response, current_app, jsonify, render_template
from sqlalchemy import Connection, text
from sqlalchemy.exc import OperationalError, ProgrammingError, SQLAlchemyError

from timebank import backups
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
    head = migration_head(Path(current_app.extensions["migrate"].directory))
    try:
        with db.engine.connect() as connection:
            current = _revision(connection)
    except SQLAlchemyError as error:
        database |= {"status": "unavailable", "error": type(error).__name__}
        return jsonify(status="error", database=database), 503
    database |= {
        "status": "ok",
        "revision": current,
        "schema": "current" if current == head else "needs upgrade",
    }
    return jsonify(status="ok" if current == head else "degraded", database=database), 200


#: The newest migration, read from the files once per process (it changes only with the code).
migration_head = cache(backups.migration_head)


def _revision(connection: Connection) -> str | None:
    """The database's schema revision in one query; None for a database never migrated."""
    try:
        return connection.scalar(text("SELECT version_num FROM alembic_version"))
    except (OperationalError, ProgrammingError):
        # no alembic_version table yet; a database that cannot answer at all fails again here
        connection.rollback()
        connection.execute(text("SELECT 1"))
        return None
