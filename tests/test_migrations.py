"""The schema exists only through the migrations, and they agree with the models."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask
from flask_migrate import downgrade, upgrade

from tests.conftest import make_app
from timebank.db import described_by_models
from timebank.extensions import db

LEDGER_TRIGGERS = {"entries_move_balance", "transfers_reversal_not_reversed"}


def test_the_models_and_the_migrations_agree(app: Flask) -> None:
    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "include_name": described_by_models}
        )
        differences = compare_metadata(context, db.metadata)
    assert differences == []


def test_migrations_run_from_empty_to_head_and_back(database_url: str, tmp_path: Path) -> None:
    app = make_app(database_url, tmp_path)
    with app.app_context():
        downgrade(revision="base")
        remaining = set(sa.inspect(db.engine).get_table_names()) - {"alembic_version"}
        assert remaining == set()
        upgrade()
        tables = set(sa.inspect(db.engine).get_table_names())
        assert {"transfers", "entries", "accounts", "members", "banks"} <= tables
        db.engine.dispose()


def test_the_guards_are_installed(app: Flask, engine_name: str) -> None:
    query = (
        "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal"
        if engine_name == "postgresql"
        else "SELECT name FROM sqlite_master WHERE type = 'trigger'"
    )
    with app.app_context():
        names = set(db.session.scalars(sa.text(query)))
    assert LEDGER_TRIGGERS <= names
    assert any("never" in name for name in names)
    if engine_name == "postgresql":
        assert {"entries_balance", "transfers_balance"} <= names
    else:
        assert {"entries_must_balance", "transfers_must_balance"} <= names


def test_commands_on_an_empty_database_say_what_to_do(tmp_path: Path) -> None:
    app = make_app(f"sqlite:///{tmp_path}/empty.db", tmp_path)
    for command in (["verify"], ["demo"]):
        result = app.test_cli_runner().invoke(args=command)
        assert result.exit_code != 0
        assert "run `timebank db upgrade` first" in result.output


# -- 0009: the audit trail's details leave the rows that never change ----------------------------

#: audit_events as it stood at 0008, with its details column.
EVENTS_AT_0008 = sa.table(
    "audit_events",
    sa.column("id", sa.Integer),
    sa.column("at", sa.DateTime),
    sa.column("user_id", sa.Integer),
    sa.column("bank_id", sa.Integer),
    sa.column("action", sa.String),
    sa.column("subject", sa.String),
    sa.column("details", sa.JSON),
)
DETAILS = sa.table(
    "audit_details",
    sa.column("event_id", sa.Integer),
    sa.column("details", sa.JSON(none_as_null=True)),
    sa.column("redacted_at", sa.DateTime),
)


def _refused(connection: sa.Connection, statement: str) -> bool:
    """Whether the database refuses the statement (rolled back either way)."""
    try:
        with connection.begin_nested():
            connection.execute(sa.text(statement))
    except sa.exc.DBAPIError as error:
        return "ledger_immutable" in str(error.orig)
    return False


def test_0009_moves_existing_details_out_of_the_guarded_events(
    database_url: str, tmp_path: Path
) -> None:
    app = make_app(database_url, tmp_path)
    at = datetime(2026, 11, 30, 9, 0)
    events = [
        (1, "user.sign_in_failed", "", {"email": "joan@example.org"}),
        (2, "member.updated", "member:7", {"phone": ["028 1", "028 2"], "area": ["", "BT9"]}),
        (3, "user.signed_out", "", {}),
    ]
    with app.app_context():
        downgrade(revision="0008")
        with db.engine.begin() as connection:
            connection.execute(
                EVENTS_AT_0008.insert(),
                [
                    {"id": i, "at": at, "action": a, "subject": s, "details": d}
                    for i, a, s, d in events
                ],
            )
        upgrade()
        with db.engine.begin() as connection:
            columns = {c["name"] for c in sa.inspect(connection).get_columns("audit_events")}
            assert "details" not in columns
            moved = connection.execute(
                sa.select(DETAILS.c.event_id, DETAILS.c.details, DETAILS.c.redacted_at).order_by(
                    DETAILS.c.event_id
                )
            ).all()
            # an event with no details gets no row
            assert moved == [(1, events[0][3], None), (2, events[1][3], None)]
            kept = connection.execute(
                sa.text("SELECT id, action, subject FROM audit_events ORDER BY id")
            ).all()
            assert kept == [(i, a, s) for i, a, s, _d in events]
            # the guards still hold, and hold the new table too
            assert _refused(connection, "UPDATE audit_events SET subject = ''")
            assert _refused(connection, "DELETE FROM audit_events")
            assert _refused(connection, "DELETE FROM audit_details")
        db.engine.dispose()


def test_0009_downgrade_puts_back_every_detail_not_redacted(
    database_url: str, tmp_path: Path
) -> None:
    app = make_app(database_url, tmp_path)
    at = datetime(2026, 11, 30, 9, 0)
    with app.app_context():
        with db.engine.begin() as connection:
            connection.execute(
                sa.text(
                    "INSERT INTO audit_events (id, at, action, subject)"
                    " VALUES (1, :at, 'member.updated', 'member:7'),"
                    " (2, :at, 'user.sign_in_failed', '')"
                ),
                {"at": at},
            )
            connection.execute(
                DETAILS.insert(),
                [
                    {"event_id": 1, "details": {"phone": ["1", "2"]}, "redacted_at": None},
                    {"event_id": 2, "details": None, "redacted_at": at},
                ],
            )
        downgrade(revision="0008")
        with db.engine.begin() as connection:
            back = connection.execute(
                sa.select(EVENTS_AT_0008.c.id, EVENTS_AT_0008.c.details).order_by(
                    EVENTS_AT_0008.c.id
                )
            ).all()
            assert back == [(1, {"phone": ["1", "2"]}), (2, {})]
            # 0001's guard is back as it was
            assert _refused(connection, "UPDATE audit_events SET subject = ''")
        upgrade()
        db.engine.dispose()
