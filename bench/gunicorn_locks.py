"""gunicorn settings for bench/page_bench.py: each worker counts the transactions it begins
with SQLite's write lock (BEGIN IMMEDIATE) and without (BEGIN DEFERRED), and writes the counts
to ``$TIMEBANK_BENCH_LOCKS/locks-<pid>.json`` when it exits (a HUP to the master restarts
the workers, so the bench reads the counts of one run at a time)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

_counts = {"immediate": 0, "deferred": 0}


def _count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
    if statement.startswith("BEGIN IMMEDIATE"):
        _counts["immediate"] += 1
    elif statement.startswith("BEGIN DEFERRED"):
        _counts["deferred"] += 1


def post_fork(server: Any, worker: Any) -> None:
    event.listen(Engine, "before_cursor_execute", _count)


def worker_exit(server: Any, worker: Any) -> None:
    folder = os.environ.get("TIMEBANK_BENCH_LOCKS")
    if folder:
        Path(folder, f"locks-{os.getpid()}.json").write_text(json.dumps(_counts))
