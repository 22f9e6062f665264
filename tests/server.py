"""gunicorn serving timebank with the production settings (``gunicorn.conf.py``), for tests.

It listens on a free loopback port, in a process group of its own, so that :meth:`Server.kill`
ends the master and every worker at once, as a power cut would, and nothing else (a test's
PostgreSQL cluster lives on). Use it as a context manager: the group is killed on the way out,
whether the test passed or not.
"""

from __future__ import annotations

import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType
from typing import Any

import requests

ROOT = Path(__file__).resolve().parents[1]
GUNICORN = Path(sys.executable).with_name("gunicorn")
CONFIG = ROOT / "gunicorn.conf.py"
APP = "timebank:create_app()"


#: prctl's option to have the kernel signal a process when the one that started it ends.
PR_SET_PDEATHSIG = 1


class ServerError(RuntimeError):
    pass


def _end_with_the_test() -> None:
    """Run in gunicorn's master before it starts: SIGKILL it if the test process dies."""
    # a test killed outright runs no finally; its workers follow the master when it goes
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def group_members(group: int) -> list[int]:
    """The live processes (zombies aside) in process group ``group``, read from /proc."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue  # it ended while we looked
        # "pid (command) state ppid pgrp ...": the command may hold spaces and brackets
        state, _ppid, pgrp = text[text.rindex(")") + 2 :].split()[:3]
        if int(pgrp) == group and state != "Z":
            found.append(int(stat.parent.name))
    return found


class Server:
    """gunicorn from :meth:`start` until :meth:`stop` (TERM) or :meth:`kill` (KILL, group)."""

    def __init__(self, database_url: str, folder: Path, workers: int = 2, **env: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        folder.mkdir(parents=True, exist_ok=True)
        #: gunicorn's stdout, the access log, kept over restarts
        self.access_log = folder / "access.log"
        #: gunicorn's stderr, its own messages and any traceback, kept over restarts
        self.error_log = folder / "error.log"
        self.env = {
            name: value
            for name, value in os.environ.items()
            if name not in ("GUNICORN_CMD_ARGS", "WEB_CONCURRENCY")
        } | {
            "PYTHONPATH": str(ROOT),
            "TIMEBANK_DATABASE_URL": database_url,
            "TIMEBANK_INSTANCE_PATH": str(folder / "instance"),
            "TIMEBANK_SECRET_KEY": "tests-only",
            "TIMEBANK_BIND": f"127.0.0.1:{self.port}",
            "TIMEBANK_WORKERS": str(workers),
            **env,
        }
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start the master; it binds the port and boots its workers (see :meth:`wait_healthy`)."""
        if self.process is not None and self.process.poll() is None:
            raise ServerError("gunicorn is already running")
        with self.access_log.open("ab") as out, self.error_log.open("ab") as err:
            self.process = subprocess.Popen(
                [str(GUNICORN), "-c", str(CONFIG), APP],
                cwd=ROOT,
                env=self.env,
                stdout=out,
                stderr=err,
                start_new_session=True,
                preexec_fn=_end_with_the_test,
            )

    def wait_healthy(self, within: float = 60) -> dict[str, Any]:
        """The first 200 answer of /healthz, as JSON; fails if gunicorn exits or takes too long."""
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            if self.process is None or self.process.poll() is not None:
                raise ServerError(f"gunicorn exited:\n{self.tail()}")
            try:
                answer = requests.get(f"{self.url}/healthz", timeout=5)
                if answer.status_code == 200:
                    return answer.json()
            except requests.RequestException:
                pass
            time.sleep(0.1)
        raise ServerError(f"gunicorn was not healthy within {within} s:\n{self.tail()}")

    def kill(self) -> None:
        """SIGKILL the master and its workers together, and wait until all are gone."""
        if self.process is None:
            return
        group = self.process.pid
        try:
            os.killpg(group, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait(timeout=10)
        self.process = None
        # the workers are not our children; they hold the listening socket until they are gone
        deadline = time.monotonic() + 10
        while group_members(group):
            if time.monotonic() > deadline:
                raise ServerError(f"gunicorn's processes outlived SIGKILL: {group_members(group)}")
            time.sleep(0.02)

    def stop(self, within: float = 45) -> int:
        """SIGTERM the master, as a service manager would, and return its exit status."""
        if self.process is None:
            raise ServerError("gunicorn is not running")
        self.process.send_signal(signal.SIGTERM)
        try:
            status = self.process.wait(timeout=within)
        except subprocess.TimeoutExpired:
            self.kill()
            raise ServerError(f"gunicorn did not stop within {within} s:\n{self.tail()}") from None
        self.process = None
        return status

    def tail(self, lines: int = 40) -> str:
        """The end of gunicorn's own log, for failure messages."""
        if not self.error_log.exists():
            return ""
        return "\n".join(self.error_log.read_text(errors="replace").splitlines()[-lines:])

    def __enter__(self) -> Server:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.kill()
