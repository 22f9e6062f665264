"""The app factory, settings, secret key, health check and the ``timebank`` command."""

from __future__ import annotations

import os
import secrets
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from timebank import ROOT, create_app
from timebank.config import database_url, instance_secret_key


def test_settings_come_from_timebank_environment_variables(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("TIMEBANK_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("TIMEBANK_DATABASE_URL", f"sqlite:///{tmp_path}/elsewhere.db")
    monkeypatch.setenv("TIMEBANK_SECRET_KEY", "from-the-environment")
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path}/elsewhere.db"
    assert app.config["SECRET_KEY"] == "from-the-environment"


def test_the_default_database_is_sqlite_under_instance(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("TIMEBANK_INSTANCE_PATH", str(tmp_path))
    monkeypatch.delenv("TIMEBANK_DATABASE_URL", raising=False)
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path}/timebank.db"


def test_the_secret_key_is_generated_once_and_kept_private(tmp_path: Path) -> None:
    first = instance_secret_key(tmp_path)
    again = instance_secret_key(tmp_path)
    assert first == again and len(first) == 64
    mode = stat.S_IMODE(os.stat(tmp_path / "secret_key").st_mode)
    assert mode == 0o600


def test_workers_starting_together_read_the_same_whole_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_token_hex = secrets.token_hex
    others: list[str] = []
    started = []

    def another_worker_starts_meanwhile(length: int) -> str:
        if not started:  # once: the other worker's own key is made undisturbed
            started.append(True)
            others.append(instance_secret_key(tmp_path))
        return real_token_hex(length)

    monkeypatch.setattr(secrets, "token_hex", another_worker_starts_meanwhile)
    first = instance_secret_key(tmp_path)
    assert others == [first] and len(first) == 64
    assert [p.name for p in tmp_path.iterdir()] == ["secret_key"]


def test_no_secret_key_is_written_in_the_code() -> None:
    sources = "\n".join(p.read_text() for p in (ROOT / "timebank").rglob("*.py"))
    assert 'SECRET_KEY"] = "' not in sources and 'SECRET_KEY = "' not in sources


def test_postgresql_urls_use_psycopg_3() -> None:
    assert database_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert database_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    assert database_url("sqlite:///x.db") == "sqlite:///x.db"


def test_health_check_reports_the_database(client: FlaskClient, engine_name: str) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {
        "status": "ok",
        "database": {
            "dialect": engine_name,
            "status": "ok",
            "revision": response.json["database"]["revision"],
            "schema": "current",
        },
    }


def test_health_check_says_when_the_database_is_unreachable(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("TIMEBANK_INSTANCE_PATH", str(tmp_path))
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": "postgresql://nobody@127.0.0.1:1/none", "SECRET_KEY": "x"}
    )
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json["database"]["status"] == "unavailable"


def test_health_check_says_when_migrations_are_pending(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("TIMEBANK_INSTANCE_PATH", str(tmp_path))
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/empty.db", "SECRET_KEY": "x"}
    )
    response = app.test_client().get("/healthz")
    assert response.json["database"]["schema"] == "needs upgrade"
    assert response.json["status"] == "degraded"


def test_the_welcome_page_is_translatable(client: FlaskClient) -> None:
    response = client.get("/", headers={"Accept-Language": "en-GB"})
    assert response.status_code == 200
    assert "time is worth the same" in response.text
    assert '<html lang="en">' in response.text


def test_the_reader_can_choose_polish(client: FlaskClient) -> None:
    response = client.get("/?lang=pl")
    assert '<html lang="pl">' in response.text
    assert "Bank czasu" in response.text
    # the choice is remembered for the visit
    assert '<html lang="pl">' in client.get("/").text


def test_the_timebank_command_is_installed_and_runs_the_app(tmp_path: Path) -> None:
    command = Path(sys.executable).with_name("timebank")
    env = {**os.environ, "TIMEBANK_INSTANCE_PATH": str(tmp_path)}
    result = subprocess.run([str(command), "--help"], capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stderr
    for name in ("db", "verify", "demo", "run"):
        assert name in result.stdout


def test_flask_app_timebank_works_too(tmp_path: Path) -> None:
    env = {**os.environ, "TIMEBANK_INSTANCE_PATH": str(tmp_path)}
    flask = Path(sys.executable).with_name("flask")
    result = subprocess.run(
        [str(flask), "--app", "timebank", "verify", "--help"],
        capture_output=True,
        text=True,
        env=env,
    )
    assert result.returncode == 0, result.stderr


def test_create_app_takes_overrides(app: Flask) -> None:
    assert app.config["TESTING"] is True
