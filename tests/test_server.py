"""The production server: gunicorn with ``gunicorn.conf.py`` serves the app, logs each request
in the combined format, restarts its workers on HUP and stops cleanly on TERM."""

from __future__ import annotations

import os
import re
import runpy
import signal
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import requests

from tests.server import CONFIG, Server, ServerError, group_members

#: Sent with the health checks, to find their lines in the access log.
USER_AGENT = "timebank-server-test"

#: The combined format, then the request time in seconds.
ACCESS_LINE = re.compile(
    r'^127\.0\.0\.1 - - \[[^\]]+\] "GET /healthz HTTP/1\.1" 200 \d+ "-" '
    rf'"{USER_AGENT}" \d+\.\d{{6}}$',
    re.MULTILINE,
)
BOOTED = re.compile(r"Booting worker with pid: (\d+)")


def settings(monkeypatch: pytest.MonkeyPatch, **env: str) -> dict[str, object]:
    """gunicorn.conf.py's settings as gunicorn reads them, under the environment ``env``."""
    for name in ("TIMEBANK_BIND", "TIMEBANK_WORKERS", "WEB_CONCURRENCY", "TIMEBANK_THREADS"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(CONFIG))


def test_the_settings_default_to_loopback_and_the_cores(monkeypatch: pytest.MonkeyPatch) -> None:
    found = settings(monkeypatch)
    assert found["bind"] == ["127.0.0.1:5000"]
    assert found["workers"] == 2 * len(os.sched_getaffinity(0)) + 1
    assert found["threads"] == 2
    # each worker builds its own app, so no database connection crosses the fork
    assert found["preload_app"] is False
    assert found["accesslog"] == "-"
    assert found["timeout"] > 30  # SQLite's busy timeout: a waiting writer is not killed
    assert found["control_socket_disable"] is True


def test_the_environment_sets_the_address_workers_and_threads(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    found = settings(
        monkeypatch, TIMEBANK_BIND="127.0.0.1:8123", TIMEBANK_WORKERS="3", TIMEBANK_THREADS="4"
    )
    assert (found["bind"], found["workers"], found["threads"]) == (["127.0.0.1:8123"], 3, 4)
    assert settings(monkeypatch, WEB_CONCURRENCY="6")["workers"] == 6
    assert settings(monkeypatch, WEB_CONCURRENCY="6", TIMEBANK_WORKERS="2")["workers"] == 2
    with pytest.raises(ValueError, match="TIMEBANK_WORKERS must be at least 1"):
        settings(monkeypatch, TIMEBANK_WORKERS="0")


def booted_workers(server: Server) -> list[int]:
    return [int(pid) for pid in BOOTED.findall(server.error_log.read_text())]


def alive(server: Server) -> list[int]:
    """The worker processes running now (the master aside)."""
    assert server.process is not None
    return [pid for pid in group_members(server.process.pid) if pid != server.process.pid]


def wait_for(condition: Callable[[], bool], within: float, server: Server, what: str) -> None:
    deadline = time.monotonic() + within
    while not condition():
        if time.monotonic() > deadline:
            raise ServerError(f"{what} within {within} s:\n{server.tail()}")
        time.sleep(0.1)


def test_gunicorn_serves_logs_restarts_on_hup_and_stops_on_term(
    database_url: str, tmp_path: Path
) -> None:
    with Server(database_url, tmp_path / "server", workers=1) as server:
        server.start()
        server.wait_healthy()
        health = requests.get(f"{server.url}/healthz", headers={"User-Agent": USER_AGENT})
        assert health.status_code == 200
        assert health.json()["status"] == "ok"
        assert health.json()["database"]["schema"] == "current"

        # the worker writes the line once the answer is sent, so it may come a moment later
        def logged() -> bool:
            return ACCESS_LINE.search(server.access_log.read_text()) is not None

        wait_for(logged, 10, server, "no access log line for the health check")

        # HUP: a fresh worker replaces the first one, and the app answers afterwards
        assert server.process is not None
        first = booted_workers(server)
        assert len(first) == 1  # TIMEBANK_WORKERS, not two per core
        server.process.send_signal(signal.SIGHUP)
        wait_for(lambda: len(booted_workers(server)) >= 2, 60, server, "no new worker")
        wait_for(lambda: not set(first) & set(alive(server)), 40, server, "the old worker lived on")
        assert requests.get(f"{server.url}/healthz", timeout=10).status_code == 200
        assert "Handling signal: hup" in server.error_log.read_text()
        assert "Control socket" not in server.error_log.read_text()

        group = server.process.pid
        assert server.stop() == 0
        assert group_members(group) == []
        assert "Shutting down: Master" in server.error_log.read_text()
        with pytest.raises(requests.ConnectionError):
            requests.get(f"{server.url}/healthz", timeout=5)
