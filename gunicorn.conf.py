"""gunicorn's settings for timebank in production, and for the demo of `make run`.

    .venv/bin/gunicorn -c gunicorn.conf.py 'timebank:create_app()'

Read from the environment: ``TIMEBANK_BIND`` (default ``127.0.0.1:5000``), ``TIMEBANK_WORKERS``
(or ``WEB_CONCURRENCY``; default two per usable core, plus one) and ``TIMEBANK_THREADS``
(default 2). Flags on the command line, or in ``GUNICORN_CMD_ARGS``, win over this file.

A HUP to the master restarts gracefully: it starts new workers, which load the code afresh,
and lets the old ones finish their requests (up to ``graceful_timeout``). TERM stops the same
way; QUIT and INT stop at once.
"""

from __future__ import annotations

import os


def _number(*names: str, default: int) -> int:
    """The first of the environment variables ``names`` that is set, as a positive number."""
    for name in names:
        value = os.environ.get(name, "").strip()
        if value:
            number = int(value)
            if number < 1:
                raise ValueError(f"{name} must be at least 1, not {value}")
            return number
    return default


def _usable_cores() -> int:
    """The cores this process may run on (a container or taskset may allow fewer than exist)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


# where to listen: loopback unless told, since a reverse proxy usually stands in front
bind = [os.environ.get("TIMEBANK_BIND", "").strip() or "127.0.0.1:5000"]

# gunicorn's own advice: while one worker waits on the database another uses the core
workers = _number("TIMEBANK_WORKERS", "WEB_CONCURRENCY", default=2 * _usable_cores() + 1)
# with more than one thread gunicorn runs the gthread worker: a request waiting for SQLite's
# write lock, or for PostgreSQL, does not hold up the next one in the same worker
threads = _number("TIMEBANK_THREADS", default=2)

# longer than SQLite's busy timeout (30 s, timebank.db), so a writer waiting for the lock is
# answered with an error rather than killed mid-request
timeout = 60
# how long, after HUP or TERM, a worker may spend finishing the requests it has
graceful_timeout = 30
# a reverse proxy reuses its connections; this outlasts the gap between its requests
keepalive = 5

# every worker builds its own app after the fork: an SQLite connection (or a PostgreSQL one)
# must never be shared by two processes, and a HUP then reloads the code as well
preload_app = False

# the access log to stdout in the "combined" format, followed by the request time in seconds;
# gunicorn's own messages go to stderr
accesslog = "-"
errorlog = "-"
loglevel = "info"
access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %(L)s'

proc_name = "timebank"

# no control socket (gunicorn 25.1+): its default path, $HOME/.gunicorn/gunicorn.ctl, is shared
# by every gunicorn the user runs, so a second one takes it over; signals to the master suffice
control_socket_disable = True
