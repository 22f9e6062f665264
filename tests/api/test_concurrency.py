"""2,000 exchanges posted through the API by 8 threads at once, with retries: each key posts
once, every replay gets the first transfer back, the balances match a tally kept by the
clients, and ``timebank verify`` finds the books whole."""

from __future__ import annotations

import random
import threading
import uuid
from collections import Counter
from typing import Any

import pytest
import requests
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.conftest import PASSWORD
from timebank.banks.operations import create_bank
from timebank.ledger import Transfer
from timebank.members.operations import register_member
from timebank.users.models import Role
from timebank.users.operations import create_user
from timebank.users.tokens import create_token

THREADS = 8
EXCHANGES = 2_000
MEMBERS = 12
#: How often a client sends a request again, as after a lost answer.
REPLAY_CHANCE = 0.2


@pytest.mark.slow
def test_many_clients_posting_at_once_keep_the_books(
    app: Flask, session: Session, live_url: str, runner
) -> None:
    bank = create_bank(session, name="Busy bank", floor_minutes=-50 * 60)
    members = [register_member(session, bank, full_name=f"Member {n}").id for n in range(MEMBERS)]
    broker = create_user(
        session,
        email="broker@example.org",
        display_name="Broker",
        role=Role.COORDINATOR,
        password=PASSWORD,
        banks=[bank],
    )
    token = create_token(session, broker, "load")[1]
    bank_id = bank.id
    session.commit()
    session.rollback()  # hold no SQLite lock while the server writes

    url = f"{live_url}/api/v1/banks/{bank_id}/exchanges"
    lock = threading.Lock()
    #: key -> (body, transfer id) for every key the server accepted
    accepted: dict[str, tuple[dict[str, Any], int]] = {}
    refused: Counter[str] = Counter()
    replays = Counter[str]()
    problems: list[str] = []
    # a few keys every thread sends, as when two devices retry the same queued exchange
    shared = [
        (f"shared-{n}", {"provider_id": members[0], "receiver_id": members[1], "minutes": 15})
        for n in range(10)
    ]
    start = threading.Barrier(THREADS)

    def post(http: requests.Session, key: str, body: dict[str, Any]) -> None:
        response = http.post(url, json=body, headers={"Idempotency-Key": key}, timeout=60)
        with lock:
            if response.status_code in (200, 201):
                transfer_id = response.json()["id"]
                first = accepted.setdefault(key, (body, transfer_id))
                if first[1] != transfer_id:
                    problems.append(f"{key} gave {first[1]} then {transfer_id}")
                if response.status_code == 200:
                    replays["replayed"] += 1
            elif response.status_code == 422 and response.json()["code"] == "exceeds_floor":
                refused["exceeds_floor"] += 1
            else:
                problems.append(f"{key}: {response.status_code} {response.text[:200]}")

    def client(seed: int) -> None:
        rng = random.Random(seed)
        sent: list[tuple[str, dict[str, Any]]] = []
        with requests.Session() as http:
            http.headers["Authorization"] = f"Bearer {token}"
            start.wait()
            for n in range(EXCHANGES // THREADS):
                provider, receiver = rng.sample(members, 2)
                body = {
                    "provider_id": provider,
                    "receiver_id": receiver,
                    "minutes": rng.choice([15, 30, 45, 60, 90]),
                }
                key = uuid.uuid4().hex
                post(http, key, body)
                sent.append((key, body))
                if rng.random() < REPLAY_CHANCE:
                    post(http, *rng.choice(sent))
                if n % 25 == 0:
                    post(http, *rng.choice(shared))

    threads = [threading.Thread(target=client, args=(seed,)) for seed in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert problems == []
    assert replays["replayed"] > 100

    # the tally the clients kept, from the answers alone
    expected = Counter[int]()
    for body, _transfer_id in accepted.values():
        expected[body["provider_id"]] += body["minutes"]
        expected[body["receiver_id"]] -= body["minutes"]
    assert len(accepted) + refused["exceeds_floor"] >= EXCHANGES * 0.9

    session.expire_all()
    posted = session.scalar(
        select(func.count())
        .select_from(Transfer)
        .where(Transfer.bank_id == bank_id, Transfer.idempotency_key.is_not(None))
    )
    assert posted == len(accepted) == len({t for _b, t in accepted.values()})
    with requests.Session() as http:
        http.headers["Authorization"] = f"Bearer {token}"
        for member_id in members:
            balance = http.get(f"{live_url}/api/v1/members/{member_id}").json()["balance_minutes"]
            assert balance == expected[member_id], member_id
    session.rollback()

    result = runner.invoke(args=["verify"])
    assert result.exit_code == 0, result.output
