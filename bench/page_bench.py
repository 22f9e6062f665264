"""How many page views a second timebank serves under gunicorn, against a bare Flask page.

Run on demand (``make bench-pages``), not as a test. Builds a throwaway SQLite database with
the demo in a temporary folder, signs in a member (by card and PIN), a coordinator and the
funder through the real pages, starts gunicorn on a free loopback port (2 workers by default)
and runs wrk against each page in interleaved rounds; prints the median of the rounds.

It also counts, in every worker, the transactions that began with ``BEGIN IMMEDIATE`` (SQLite's
write lock) while the member pages were being viewed: a page view should take none.

    .venv/bin/python bench/page_bench.py --seconds 20 --rounds 3 --connections 8
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
HERE = Path(__file__).resolve().parent
PIN = "2468"

#: wrk prints one JSON line with what the summary lacks (p95) and what we parse.
WRK_REPORT = """
local threads = {}
setup = function(thread)
  table.insert(threads, thread)
end
init = function(args)
  not_ok = 0
end
response = function(status, headers, body)
  if status ~= 200 then not_ok = not_ok + 1 end
end
done = function(summary, latency, requests)
  local wrong = 0
  for _, thread in ipairs(threads) do wrong = wrong + thread:get("not_ok") end
  io.write(string.format(
    '{"requests": %d, "seconds": %f, "errors": %d, "p50": %f, "p95": %f, "p99": %f}\\n',
    summary.requests, summary.duration / 1e6,
    wrong + summary.errors.connect + summary.errors.read + summary.errors.write
      + summary.errors.timeout,
    latency:percentile(50) / 1e3, latency:percentile(95) / 1e3, latency:percentile(99) / 1e3))
end
"""

#: Flask-Login ties a signed-in session to the browser it was made in: wrk must look the same.
USER_AGENT = requests.utils.default_user_agent()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def prepare(folder: Path) -> dict[str, str]:
    """A migrated SQLite database with the demo in it, and a member's card token with a PIN."""
    env = os.environ | {
        "PYTHONPATH": str(ROOT),
        "TIMEBANK_INSTANCE_PATH": str(folder),
        "TIMEBANK_DATABASE_URL": f"sqlite:///{folder}/timebank.db",
        "TIMEBANK_SECRET_KEY": "bench-only",
    }
    subprocess.run([BIN / "timebank", "db", "upgrade"], env=env, check=True, capture_output=True)
    subprocess.run([BIN / "timebank", "demo"], env=env, check=True, capture_output=True)
    made = subprocess.run(
        [sys.executable, "-c", _CARD_SCRIPT, PIN],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return env | json.loads(made.stdout)


_CARD_SCRIPT = """
import json, sys
from sqlalchemy import select
from timebank import create_app, cards
from timebank.extensions import db
from timebank.members.models import Member

app = create_app()
with app.app_context():
    member = db.session.scalars(select(Member).order_by(Member.id)).first()
    card, token = cards.issue_card(db.session, member, by_user_id=None)
    cards.set_pin(db.session, member, sys.argv[1], by_user_id=None)
    db.session.commit()
    print(json.dumps({"CARD_TOKEN": token, "BANK_ID": str(member.bank_id)}))
"""


def sign_in(base: str, env: dict[str, str]) -> dict[str, str]:
    """Session cookies for a member, a coordinator and the funder, through the real forms."""
    cookies = {}
    member = requests.Session()
    page = member.get(f"{base}/c/{env['CARD_TOKEN']}").text
    member.post(f"{base}/c/{env['CARD_TOKEN']}", data={"pin": PIN, **_csrf(page)})
    cookies["member"] = member.cookies["session"]
    for who, email in (("broker", "broker1@demo.timebank"), ("funder", "funder@demo.timebank")):
        person = requests.Session()
        page = person.get(f"{base}/sign-in").text
        form = {"email": email, "password": "demo-password", **_csrf(page)}
        person.post(f"{base}/sign-in", data=form)
        cookies[who] = person.cookies["session"]
    return cookies


def _csrf(page: str) -> dict[str, str]:
    found = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    return {"csrf_token": found.group(1)} if found else {}


def gunicorn(app: str, port: int, workers: int, env: dict[str, str], log: Path) -> subprocess.Popen:
    command = [
        BIN / "gunicorn",
        "--workers",
        str(workers),
        "--bind",
        f"127.0.0.1:{port}",
        "--config",
        str(HERE / "gunicorn_locks.py"),
        app,
    ]
    server = subprocess.Popen(command, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT)
    for _ in range(300):
        try:
            requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
            return server
        except requests.RequestException:
            time.sleep(0.2)
    server.terminate()
    raise SystemExit(f"gunicorn did not start: see {log}")


def wrk(url: str, cookie: str | None, seconds: int, connections: int, script: Path) -> dict:
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "-s", str(script), url]
    command[1:1] = ["-H", f"User-Agent: {USER_AGENT}"]
    if cookie:
        command[1:1] = ["-H", f"Cookie: session={cookie}"]
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    found = json.loads(out.strip().splitlines()[-1])
    found["rate"] = found["requests"] / found["seconds"]
    return found


def restart_workers(server: subprocess.Popen, base: str, folder: Path) -> None:
    """Restart gunicorn's workers (each writes its counts as it exits) and wait for new ones."""
    server.send_signal(signal.SIGHUP)
    time.sleep(3)
    requests.get(f"{base}/healthz", timeout=10)


def lock_counts(folder: Path) -> dict[str, int]:
    """BEGIN IMMEDIATE and BEGIN DEFERRED counts summed over every worker's file."""
    total = {"immediate": 0, "deferred": 0}
    for path in folder.glob("locks-*.json"):
        for key, value in json.loads(path.read_text()).items():
            total[key] = total.get(key, 0) + value
        path.unlink()
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is needed: apt-get install wrk")

    folder = Path(tempfile.mkdtemp(prefix="timebank-pages-"))
    env = prepare(folder) | {"TIMEBANK_BENCH_LOCKS": str(folder)}
    script = folder / "report.lua"
    script.write_text(WRK_REPORT)
    app_port, hello_port = free_port(), free_port()
    servers = [
        gunicorn("timebank:create_app()", app_port, args.workers, env, folder / "app.log"),
        gunicorn("bench.hello_app:app", hello_port, args.workers, env, folder / "hello.log"),
    ]
    try:
        base = f"http://127.0.0.1:{app_port}"
        cookies = sign_in(base, env)
        bank = env["BANK_ID"]
        pages = {
            "hello (bare Flask)": (f"http://127.0.0.1:{hello_port}/", None),
            'member\'s "My time" (/me)': (f"{base}/me", cookies["member"]),
            "broker's bank start page": (f"{base}/broker/banks/{bank}", cookies["broker"]),
            'broker\'s "Log help" form': (
                f"{base}/broker/banks/{bank}/exchanges/new",
                cookies["broker"],
            ),
            "funder's bank report": (f"{base}/funder/banks/{bank}", cookies["funder"]),
            "/healthz": (f"{base}/healthz", None),
        }
        for name, (url, cookie) in pages.items():
            status = requests.get(url, cookies={"session": cookie} if cookie else None).status_code
            if status != 200:
                raise SystemExit(f"{name}: {url} answered {status}")
        results: dict[str, list[dict]] = {name: [] for name in pages}
        locks = {"immediate": 0, "deferred": 0}
        for _ in range(args.rounds):
            for name, (url, cookie) in pages.items():
                counting = name.startswith("member")
                if counting:
                    restart_workers(servers[0], base, folder)
                    lock_counts(folder)  # forget what came before this run
                results[name].append(wrk(url, cookie, args.seconds, args.connections, script))
                if counting:
                    restart_workers(servers[0], base, folder)
                    for key, value in lock_counts(folder).items():
                        locks[key] += value
        hello = statistics.median(r["rate"] for r in results["hello (bare Flask)"])
        print(
            f"\n{args.workers} gunicorn workers, {args.connections} connections, "
            f"{args.seconds} s x {args.rounds} interleaved rounds; medians\n"
        )
        print("| page | requests/s | p50 / p95 / p99 ms | share of hello | not 200 or failed |")
        print("|---|---|---|---|---|")
        for name, runs in results.items():
            rate = statistics.median(r["rate"] for r in runs)
            p = [statistics.median(r[k] for r in runs) for k in ("p50", "p95", "p99")]
            errors = sum(r["errors"] for r in runs)
            print(
                f"| {name} | {rate:,.0f} | {p[0]:,.0f} / {p[1]:,.0f} / {p[2]:,.0f} "
                f"| {rate / hello:.1%} | {errors} |"
            )
        print(
            f"\nTransactions begun while members viewed /me: {locks['immediate']} with the "
            f"write lock (BEGIN IMMEDIATE), {locks['deferred']} reading (BEGIN DEFERRED)."
        )
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=30)
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
