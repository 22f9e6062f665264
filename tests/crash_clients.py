"""A client process of the crash-safety test: it posts exchanges through the API while the
server is killed under it, retrying each with the same Idempotency-Key until it is answered.

Kept apart from the test module, with nothing heavier than ``requests`` to import, so that the
client processes start quickly. Every acknowledged posting is appended to the client's own
file and synced to disk before the next is sent: the file is what the client knows for sure.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import random
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from multiprocessing.synchronize import Event
from typing import IO, Any

import requests

#: Seconds to wait to connect, and then for the answer.
TIMEOUTS = (3, 30)
#: Seconds between two tries of the same key: the server is down or starting up.
RETRY_PAUSE = 0.1
#: Seconds between two postings: enough clients to keep both workers busy, not the CPU.
POSTING_PAUSE = 0.03
#: How often an acknowledged key is sent again at random, as by a client unsure it was heard.
RESEND_CHANCE = 0.03


@dataclass(frozen=True)
class Plan:
    """What one client does: where it posts, as whom, between which members, and when."""

    number: int
    api_url: str
    bank_id: int
    token: str
    member_ids: tuple[int, ...]
    #: The day of every posting, sent so that a retry after midnight is the same request.
    date: str
    #: The file where acknowledged postings (and the client's summary) are written.
    log_path: str
    #: Seconds a key may go unanswered before the client gives up and reports it lost.
    key_deadline: float
    seed: int


class Unanswered(Exception):
    """A key got no acknowledgement within its deadline."""


class Refused(Exception):
    """The server answered with a refusal that retrying cannot cure."""


def run(plan: Plan, stop: Event) -> None:
    """Post exchanges until ``stop`` is set, then finish the one in hand and write a summary."""
    client = Client(plan)
    test = multiprocessing.parent_process()
    with open(plan.log_path, "a", encoding="utf-8") as log:
        try:
            # a test killed outright never sets ``stop``: end with it
            while not stop.is_set() and (test is None or test.is_alive()):
                client.post_next(log)
                time.sleep(POSTING_PAUSE)
        except Exception as problem:  # the test reads it from the file, and fails with it
            client.problems.append(f"{type(problem).__name__}: {problem}")
        finally:
            write(log, {"summary": dict(client.tally), "problems": client.problems})


def write(log: IO[str], record: dict[str, Any]) -> None:
    """Append one JSON line and sync it to disk before going on."""
    log.write(json.dumps(record) + "\n")
    log.flush()
    os.fsync(log.fileno())


class Client:
    """One client's session, its postings still to be mirrored and its figures."""

    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        self.rng = random.Random(plan.seed)
        self.url = f"{plan.api_url}/banks/{plan.bank_id}/exchanges"
        self.http = requests.Session()
        self.http.headers["Authorization"] = f"Bearer {plan.token}"
        self.tally: Counter[str] = Counter()
        self.problems: list[str] = []
        #: key -> (transfer id, body) of every posting acknowledged so far
        self.acknowledged: dict[str, tuple[int, dict[str, Any]]] = {}
        # a pair's next posting mirrors its last, so no balance strays far from zero
        self.to_mirror: dict[tuple[int, int], dict[str, Any]] = {}
        self.postings = 0

    def next_body(self) -> dict[str, Any]:
        """A new exchange between two members, or the mirror of the pair's last one."""
        first, second = sorted(self.rng.sample(self.plan.member_ids, 2))
        last = self.to_mirror.pop((first, second), None)
        if last is None:
            provider, receiver = self.rng.sample((first, second), 2)
            minutes = self.rng.choice((15, 30, 45))
            body = {"provider_id": provider, "receiver_id": receiver, "minutes": minutes}
            self.to_mirror[(first, second)] = body
        else:
            body = {
                "provider_id": last["receiver_id"],
                "receiver_id": last["provider_id"],
                "minutes": last["minutes"],
            }
        return body | {"date": self.plan.date}

    def post_next(self, log: IO[str]) -> None:
        """Post one new exchange until it is acknowledged, log it, and maybe send an old key."""
        self.postings += 1
        key = f"crash-{self.plan.number}-{self.postings}-{uuid.uuid4().hex[:12]}"
        body = self.next_body()
        previous = next(reversed(self.acknowledged), None)
        answer, attempts = self.send(key, body)
        replayed = answer.status_code == 200
        if replayed and attempts == 1:
            raise Refused(f"{key} was new but came back as a replay")
        if replayed:
            # committed by a server killed before it could answer, then found by the retry
            self.tally["answers_lost_then_replayed"] += 1
        transfer_id = answer.json()["id"]
        self.acknowledged[key] = (transfer_id, body)
        self.tally["acknowledged"] += 1
        write(
            log,
            {"key": key, "transfer_id": transfer_id, "attempts": attempts, **body},
        )
        # after a kill, the key acknowledged before it must still come back as it was
        if previous is not None and (attempts > 1 or self.rng.random() < RESEND_CHANCE):
            self.resend(previous)

    def resend(self, key: str) -> None:
        """Send an acknowledged key again: it must be a replay of the same transfer."""
        transfer_id, body = self.acknowledged[key]
        answer, _attempts = self.send(key, body)
        self.tally["acknowledged_keys_resent"] += 1
        if answer.status_code != 200 or answer.json()["id"] != transfer_id:
            raise Refused(
                f"{key} (transfer {transfer_id}) sent again answered "
                f"{answer.status_code} {answer.text[:200]}"
            )

    def send(self, key: str, body: dict[str, Any]) -> tuple[requests.Response, int]:
        """The first 200 or 201 answer to ``key``, and how many tries it took."""
        give_up = time.monotonic() + self.plan.key_deadline
        attempts = 0
        while True:
            attempts += 1
            try:
                answer = self.http.post(
                    self.url, json=body, headers={"Idempotency-Key": key}, timeout=TIMEOUTS
                )
            except requests.RequestException:
                # refused while the server is down, reset when it is killed, or no answer
                self.tally["no_answer"] += 1
            else:
                if answer.status_code in (200, 201):
                    if answer.status_code == 200:
                        self.tally["replays"] += 1
                        if answer.headers.get("Idempotent-Replayed") != "true":
                            raise Refused(f"{key}: a 200 without Idempotent-Replayed")
                    return answer, attempts
                if answer.status_code < 500:
                    raise Refused(f"{key}: {answer.status_code} {answer.text[:300]}")
                self.tally["server_errors"] += 1
            if time.monotonic() > give_up:
                raise Unanswered(f"{key}: no acknowledgement in {self.plan.key_deadline} s")
            self.tally["retries"] += 1
            time.sleep(RETRY_PAUSE)
