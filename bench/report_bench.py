"""How long reports take at scale, on a throwaway PostgreSQL filled by ``timebank simulate``.

Run on demand (``make bench-reports``), not as a test. Starts a cluster (or uses ``--url``),
migrates, simulates ``--banks`` x ``--members`` x ``--months`` through the ledger's bulk path,
then times the programme report and one bank's report, cold (just after the server restarted,
so nothing is in its buffers) and warm, over the whole simulated period and over whole months.

    .venv/bin/python bench/report_bench.py --banks 1000 --members 100 --months 24
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import psycopg  # noqa: E402
import sqlalchemy as sa  # noqa: E402
from flask_migrate import upgrade  # noqa: E402

from tests.conftest import make_app  # noqa: E402
from tests.postgres import Cluster  # noqa: E402
from timebank.extensions import db  # noqa: E402
from timebank.reports import bank_report, programme_report  # noqa: E402
from timebank.simulate import months_back, simulate  # noqa: E402

WARM_RUNS = 3


def timed(what: Callable[[], object]) -> float:
    started = time.perf_counter()
    what()
    return time.perf_counter() - started


def sizes(url: str) -> dict[str, int]:
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        found = {
            table: connection.scalar(sa.text(f"SELECT count(*) FROM {table}"))
            for table in (
                "banks",
                "members",
                "transfers",
                "entries",
                "report_account_months",
                "report_outcome_months",
                "report_member_months",
                "report_account_days",
            )
        }
        found["database MB"] = (
            connection.scalar(sa.text("SELECT pg_database_size(current_database())")) // 2**20
        )
    engine.dispose()
    return found


def time_reports(url: str, folder: Path, today: date, months: int, label: str) -> None:
    app = make_app(url, folder)
    with app.app_context():
        programme_id = db.session.scalar(sa.text("SELECT max(id) FROM programmes"))
        bank_id = db.session.scalar(
            sa.text("SELECT min(id) FROM banks WHERE programme_id = :p"), {"p": programme_id}
        )
        first = months_back(today, months)
        periods = {
            f"{first} to {today} (part months at both ends)": (first, today),
            "whole months": (
                (first.replace(day=1) + timedelta(days=31)).replace(day=1),
                today.replace(day=1) - timedelta(days=1),
            ),
        }
        for name, (start, end) in periods.items():
            for what, run in (
                (
                    "programme_report",
                    lambda s=start, e=end: programme_report(db.session, programme_id, s, e),
                ),
                ("bank_report", lambda s=start, e=end: bank_report(db.session, bank_id, s, e)),
            ):
                took = timed(run)
                db.session.rollback()
                warm = []
                for _ in range(WARM_RUNS):
                    warm.append(timed(run))
                    db.session.rollback()
                print(
                    f"  {what:17} {name}: {label} {took:.2f}s,"
                    f" warm {statistics.median(warm):.2f}s (median of {WARM_RUNS})"
                )
                label = "first run"
        db.session.remove()
        db.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--banks", type=int, default=1000)
    parser.add_argument("--members", type=int, default=100)
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--url", help="an existing, migrated and filled database: only time")
    args = parser.parse_args()
    today = date.today()

    with tempfile.TemporaryDirectory() as folder:
        if args.url:
            time_reports(args.url, Path(folder), today, args.months, "first run")
            return
        cluster = Cluster()
        cluster.start()
        try:
            plain = sa.make_url(cluster.url).set(drivername="postgresql")
            with psycopg.connect(
                plain.render_as_string(hide_password=False), autocommit=True
            ) as admin:
                admin.execute('CREATE DATABASE "bench"')
            url = sa.make_url(cluster.url).set(database="bench").render_as_string(False)
            app = make_app(url, Path(folder))
            with app.app_context():
                upgrade()
                print(
                    f"Simulating {args.banks} banks x {args.members} members x {args.months}"
                    f" months (seed {args.seed})"
                )
                summary = simulate(
                    db.session,
                    banks=args.banks,
                    members=args.members,
                    months=args.months,
                    seed=args.seed,
                    today=today,
                    progress=lambda line: print(line, flush=True),
                )
                print(summary)
                db.session.remove()
                # what autovacuum would have done by the time anyone asks for a report
                with db.engine.connect() as connection:
                    vacuum = connection.execution_options(isolation_level="AUTOCOMMIT")
                    took = timed(lambda: vacuum.exec_driver_sql("VACUUM ANALYZE"))
                print(f"  VACUUM ANALYZE: {took:.1f}s")
                db.engine.dispose()
            print("Sizes:", ", ".join(f"{k} {v:,}" for k, v in sizes(url).items()))
            # cold: the server restarted, so its buffers are empty (the OS cache is not)
            cluster._run(
                "pg_ctl",
                "-D",
                str(cluster.data),
                "-l",
                str(cluster.log),
                "-m",
                "fast",
                "-w",
                "restart",
            )
            print("Reports (PostgreSQL, server just restarted):")
            time_reports(url, Path(folder), today, args.months, "cold")
        finally:
            cluster.stop()


if __name__ == "__main__":
    main()
