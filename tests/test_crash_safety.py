"""Killing the server loses nothing it acknowledged and posts nothing twice.

Four client processes post exchanges through the API, each with a fresh Idempotency-Key,
while gunicorn (master and both workers at once) is killed with SIGKILL twenty times, at
random moments, and started again. A client that gets no answer, or a 5xx, sends the same key
again until it is acknowledged. Afterwards the books hold exactly the acknowledged postings,
each once, under its key and with the id first answered; each has one audit record; the
balances are what the acknowledged postings add up to; and ``timebank verify`` finds the
books whole. Only gunicorn is killed: the tests' PostgreSQL cluster carries on.
"""

from __future__ import annotations

import json
import multiprocessing
import random
import statistics
import time
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask.testing import FlaskCliRunner
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests import crash_clients
from tests.conftest import PASSWORD
from tests.server import Server
from timebank.audit import AuditEvent
from timebank.banks.operations import create_bank
from timebank.ledger import Account, Entry, Transfer
from timebank.members.operations import member_account, register_member
from timebank.users.models import Role
from timebank.users.operations import create_user
from timebank.users.tokens import create_token

KILLS = 20
CLIENTS = 4
MEMBERS = 8
#: The pause between the server answering its health check and the kill, in seconds.
KILL_AFTER = (0.2, 1.5)
#: Seconds a key may go unacknowledged before its client reports it lost.
KEY_DEADLINE = 60.0
#: The audit action of an exchange posted, as timebank/exchanges/operations.py writes it.
EXCHANGE_POSTED = "exchange.posted"


def read_log(path: Path) -> tuple[list[dict[str, Any]], dict[str, int], list[str]]:
    """A client's acknowledged postings, its figures and its problems, from its file."""
    postings, tally, problems = [], {}, []
    for line in path.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        if "summary" in record:
            tally, problems = record["summary"], record["problems"]
        else:
            postings.append(record)
    return postings, tally, problems


@pytest.mark.slow
def test_killing_the_server_loses_no_acknowledged_posting(
    session: Session, runner: FlaskCliRunner, database_url: str, engine_name: str, tmp_path: Path
) -> None:
    started = time.monotonic()
    # a floor far below what the mirrored postings can reach: no posting is ever refused
    bank = create_bank(session, name="Crash bank", floor_minutes=-50 * 60)
    members = [register_member(session, bank, full_name=f"Member {n}") for n in range(MEMBERS)]
    broker = create_user(
        session,
        email="broker@example.org",
        display_name="Broker",
        role=Role.COORDINATOR,
        password=PASSWORD,
        banks=[bank],
    )
    token = create_token(session, broker, "crash")[1]
    session.commit()
    bank_id, member_ids = bank.id, tuple(m.id for m in members)
    transfers_before = set(session.scalars(select(Transfer.id).where(Transfer.bank_id == bank_id)))
    balances_before = {m: member_account(session, m).balance for m in member_ids}
    session.rollback()  # hold no SQLite lock while the server writes

    seed = random.randrange(2**32)
    rng = random.Random(seed)
    # yesterday at the bank: never in the future, and the same day for every retry
    day = (datetime.now(ZoneInfo("Europe/London")).date() - timedelta(days=1)).isoformat()
    server = Server(
        database_url, tmp_path / "server", workers=2, TIMEBANK_API_RATE_LIMIT="1000000/minute"
    )
    plans = [
        crash_clients.Plan(
            number=n,
            api_url=f"{server.url}/api/v1",
            bank_id=bank_id,
            token=token,
            member_ids=member_ids,
            date=day,
            log_path=str(tmp_path / f"client-{n}.jsonl"),
            key_deadline=KEY_DEADLINE,
            seed=rng.randrange(2**32),
        )
        for n in range(CLIENTS)
    ]
    # spawned, not forked: a child must not inherit this process's database connections
    context = multiprocessing.get_context("spawn")
    stop = context.Event()
    clients = [
        context.Process(target=crash_clients.run, args=(plan, stop), daemon=True) for plan in plans
    ]
    kills = 0
    #: seconds from each restart to the first healthy answer
    restarts: list[float] = []
    with server:
        try:
            server.start()
            server.wait_healthy()
            for client in clients:
                client.start()
            for _ in range(KILLS):
                time.sleep(rng.uniform(*KILL_AFTER))
                server.kill()
                kills += 1
                restarted = time.monotonic()
                server.start()
                server.wait_healthy()
                restarts.append(time.monotonic() - restarted)
            time.sleep(1)  # the clients post to the last server for a while
            stop.set()
            for client in clients:
                client.join(timeout=KEY_DEADLINE + 30)
            assert [c.exitcode for c in clients] == [0] * CLIENTS, server.tail()
            assert server.stop() == 0, server.tail()
        finally:
            stop.set()
            for client in clients:
                if client.is_alive():
                    client.kill()
                    client.join(timeout=10)

    acknowledged: dict[str, dict[str, Any]] = {}
    tally: Counter[str] = Counter()
    problems: list[str] = []
    for plan in plans:
        postings, figures, troubles = read_log(Path(plan.log_path))
        acknowledged |= {p["key"]: p for p in postings}
        tally.update(figures)
        problems += troubles
    print(
        f"\n[{engine_name}] seed {seed}: {kills} kills survived in "
        f"{time.monotonic() - started:.0f} s (a restart took {statistics.mean(restarts):.1f} s "
        f"on average); {len(acknowledged)} postings acknowledged; "
        f"{tally['no_answer']} tries unanswered and {tally['server_errors']} answered 5xx, "
        f"{tally['retries']} retries; {tally['replays']} replays, of which "
        f"{tally['answers_lost_then_replayed']} recovered a lost answer and "
        f"{tally['acknowledged_keys_resent']} re-sent an acknowledged key"
    )
    assert problems == []
    assert kills == KILLS
    assert tally["retries"] > 0, "no client ever retried: the kills missed every request"
    assert len(acknowledged) == tally["acknowledged"]

    # every acknowledged posting is in the books once, under its key, with the id answered
    session.expire_all()
    found = session.execute(
        select(Transfer.id, Transfer.idempotency_key, Transfer.amount).where(
            Transfer.bank_id == bank_id, Transfer.id.not_in(transfers_before)
        )
    ).all()
    by_key = Counter(key for _id, key, _amount in found)
    assert [key for key, times in by_key.items() if times > 1] == []
    posted = {key: (transfer_id, amount) for transfer_id, key, amount in found}
    lost = [k for k in acknowledged if f"api:{k}" not in posted]
    assert lost == [], f"{len(lost)} acknowledged postings lost"
    for key, posting in acknowledged.items():
        assert posted[f"api:{key}"] == (posting["transfer_id"], posting["minutes"]), key
    # and nothing else: no transfer that no client was told of
    assert len(found) == len(acknowledged)

    # each transfer moved the minutes from the receiver to the provider it was asked to
    sides = {
        (transfer_id, member_id): amount
        for transfer_id, amount, member_id in session.execute(
            select(Entry.transfer_id, Entry.amount, Account.member_id)
            .join(Account, Account.id == Entry.account_id)
            .where(Entry.transfer_id.in_([t for t, _k, _a in found]))
        )
    }
    expected = Counter(balances_before)
    for posting in acknowledged.values():
        transfer_id, minutes = posting["transfer_id"], posting["minutes"]
        assert sides[(transfer_id, posting["provider_id"])] == minutes
        assert sides[(transfer_id, posting["receiver_id"])] == -minutes
        expected[posting["provider_id"]] += minutes
        expected[posting["receiver_id"]] -= minutes
    assert len(sides) == 2 * len(acknowledged)
    balances = {m: member_account(session, m).balance for m in member_ids}
    assert balances == dict(expected)

    # one audit record of each posting: a replay wrote none, a killed request left none behind
    audited = Counter(
        session.scalars(
            select(AuditEvent.subject).where(
                AuditEvent.bank_id == bank_id, AuditEvent.action == EXCHANGE_POSTED
            )
        )
    )
    assert audited == Counter(f"transfer:{p['transfer_id']}" for p in acknowledged.values())
    session.rollback()

    result = runner.invoke(args=["verify"])
    assert result.exit_code == 0, result.output
