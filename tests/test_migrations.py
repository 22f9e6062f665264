"""The schema exists only through the migrations, and they agree with the models."""

from __future__ import annotations

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
