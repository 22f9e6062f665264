"""How fast the ledger posts and verifies, on SQLite and on a throwaway PostgreSQL.

Run on demand (``make bench``), not as a timed test. Prints postings per second for a single
writer and for eight concurrent writers, and how long ``verify`` takes over the result.
"""

from __future__ import annotations

import random
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from flask_migrate import upgrade  # noqa: E402
from sqlalchemy.orm import Session, sessionmaker  # noqa: E402

from tests.conftest import make_app  # noqa: E402
from tests.postgres import Cluster  # noqa: E402
from timebank import ledger  # noqa: E402
from timebank.banks.operations import create_bank  # noqa: E402
from timebank.extensions import db  # noqa: E402
from timebank.ledger import LedgerError, TransferKind, TransferRequest, Unit  # noqa: E402
from timebank.members.operations import member_account, register_member  # noqa: E402

POSTINGS = 2000
WORKERS = 8


def bench(url: str, folder: Path) -> None:
    app = make_app(url, folder)
    with app.app_context():
        upgrade()
        setup = Session(db.engine)
        bank = create_bank(setup, name="Bench")
        accounts = [
            member_account(setup, register_member(setup, bank, full_name=f"M {n}").id).id
            for n in range(40)
        ]
        bank_id = bank.id
        setup.commit()
        sessions = sessionmaker(bind=db.engine)

        def run(count: int, seed: int) -> int:
            rng = random.Random(seed)
            posted = 0
            for _ in range(count):
                source, target = rng.sample(accounts, 2)
                request = TransferRequest(
                    bank_id=bank_id,
                    unit=Unit.HOURS,
                    kind=TransferKind.EXCHANGE,
                    from_account_id=source,
                    to_account_id=target,
                    amount=rng.choice([30, 60, 90]),
                )
                with sessions() as session:
                    try:
                        ledger.post(session, request)
                        session.commit()
                        posted += 1
                    except LedgerError:
                        session.rollback()
            return posted

        started = time.perf_counter()
        posted = run(POSTINGS, 1)
        single = time.perf_counter() - started
        print(f"  one writer:    {posted} postings in {single:.2f}s = {posted / single:.0f}/s")

        results: list[int] = []
        threads = [
            threading.Thread(target=lambda s=s: results.append(run(POSTINGS // WORKERS, s)))
            for s in range(WORKERS)
        ]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        many = time.perf_counter() - started
        print(
            f"  {WORKERS} writers:     {sum(results)} postings in {many:.2f}s"
            f" = {sum(results) / many:.0f}/s"
        )

        with sessions() as session:
            started = time.perf_counter()
            report = ledger.verify(session)
            took = time.perf_counter() - started
        print(f"  verify:        {report.transfers} transfers in {took:.2f}s, ok={report.ok}")
        db.engine.dispose()


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        print("SQLite (WAL)")
        bench(f"sqlite:///{folder}/bench.db", Path(folder))
    cluster = Cluster()
    cluster.start()
    try:
        print("PostgreSQL (throwaway cluster, fsync off)")
        with tempfile.TemporaryDirectory() as folder:
            bench(cluster.url, Path(folder))
    finally:
        cluster.stop()


if __name__ == "__main__":
    main()
