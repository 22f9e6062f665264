"""Eight writers post at once on a few accounts with tight floors: no lost update, no limit
breached, exactly one transfer per idempotency key, and the books verify afterwards."""

from __future__ import annotations

import random
import threading
from collections import Counter

from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from timebank import ledger
from timebank.banks.operations import create_bank
from timebank.extensions import db
from timebank.ledger import Account, LedgerError, Transfer, TransferKind, TransferRequest, Unit
from timebank.members.operations import member_account, register_member

WORKERS = 8
POSTINGS = 300
SHARED_KEYS = 20


def test_concurrent_writers_keep_the_books(app: Flask) -> None:
    with app.app_context():
        setup = Session(db.engine)
        bank = create_bank(setup, name="Busy bank")
        accounts = []
        for n in range(4):
            member = register_member(setup, bank, full_name=f"Member {n}")
            account = member_account(setup, member.id)
            ledger.set_limits(setup, account.id, floor=-60, ceiling=120)
            accounts.append(account.id)
        bank_id = bank.id
        setup.commit()
        setup.close()

        sessions = sessionmaker(bind=db.engine)
        accepted: list[tuple[int, int, int]] = []
        refusals: Counter[str] = Counter()
        keyed: list[int] = []
        failures: list[BaseException] = []
        lock = threading.Lock()
        start = threading.Barrier(WORKERS)

        def worker(seed: int) -> None:
            rng = random.Random(seed)
            try:
                start.wait()
                for n in range(POSTINGS):
                    source, target = rng.sample(accounts, 2)
                    amount = rng.choice([15, 30, 45])
                    # every worker also replays the same keyed postings: one of each may land
                    key = f"shared-{n}" if n < SHARED_KEYS else None
                    if key:
                        source, target, amount = accounts[0], accounts[1], 15
                    request = TransferRequest(
                        bank_id=bank_id,
                        unit=Unit.HOURS,
                        kind=TransferKind.EXCHANGE,
                        from_account_id=source,
                        to_account_id=target,
                        amount=amount,
                        idempotency_key=key,
                    )
                    with sessions() as session:
                        try:
                            transfer = ledger.post(session, request)
                            session.commit()
                        except LedgerError as error:
                            session.rollback()
                            with lock:
                                refusals[error.code] += 1
                            continue
                        with lock:
                            if key:
                                keyed.append(transfer.id)
                            else:
                                accepted.append((source, target, amount))
            except BaseException as error:  # noqa: BLE001 - reported below, in the test's thread
                failures.append(error)

        threads = [threading.Thread(target=worker, args=(seed,)) for seed in range(WORKERS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert not failures, failures

        with sessions() as check:
            keyed_transfers = set(keyed)
            # racing workers replaying one key all got the one transfer that landed
            assert 0 < len(keyed_transfers) <= SHARED_KEYS
            assert len(keyed) > len(keyed_transfers)
            stored_keyed = check.scalar(
                select(func.count(Transfer.id)).where(Transfer.idempotency_key.is_not(None))
            )
            assert stored_keyed == len(keyed_transfers)

            expected = dict.fromkeys(accounts, 0)
            for source, target, amount in accepted:
                expected[source] -= amount
                expected[target] += amount
            for _ in keyed_transfers:
                expected[accounts[0]] -= 15
                expected[accounts[1]] += 15
            for account in check.scalars(select(Account).where(Account.id.in_(accounts))):
                assert account.balance == expected[account.id], "an update was lost"
                assert -60 <= account.balance <= 120, "a limit was breached"

            total = check.scalar(select(func.count(Transfer.id)).where(Transfer.bank_id == bank_id))
            assert total == len(accepted) + len(keyed_transfers)
            assert set(refusals) <= {"exceeds_floor", "exceeds_ceiling"}
            assert refusals, "the floors were never reached: the test is not tight enough"
            assert len(accepted) > WORKERS * POSTINGS // 10, "too few postings landed to mean much"

            report = ledger.verify(check)
            assert report.ok, report.summary()
