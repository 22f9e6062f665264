"""Fixtures for the API: two banks in and out of a programme, a user of each role, a token each."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session
from werkzeug.serving import make_server
from werkzeug.test import TestResponse

from timebank.banks.models import Bank, Programme
from timebank.banks.operations import create_programme
from timebank.members.models import Member
from timebank.users.models import User
from timebank.users.tokens import create_token


@pytest.fixture(autouse=True)
def _generous_rate_limit(app: Flask) -> None:
    # one test checks the limit with its own; the rest must never meet it
    app.config["API_RATE_LIMIT"] = "100000/minute"


@dataclass
class World:
    programme: Programme
    bank: Bank
    other_bank: Bank
    joan: Member
    seamus: Member
    bertha: Member
    users: dict[str, User]
    tokens: dict[str, str]


class Api:
    """The test client, speaking JSON with a bearer token."""

    def __init__(self, client: FlaskClient, tokens: dict[str, str]) -> None:
        self.client = client
        self.tokens = tokens

    def __call__(
        self,
        method: str,
        path: str,
        as_: str | None = "coordinator",
        json: Any = None,
        headers: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> TestResponse:
        sent = dict(headers or {})
        if as_ is not None:
            sent.setdefault("Authorization", f"Bearer {self.tokens[as_]}")
        return self.client.open("/api/v1" + path, method=method, json=json, headers=sent, **kwargs)


@pytest.fixture
def world(session: Session, make_bank, make_member, make_user) -> World:
    programme = create_programme(session, name="Seed Grants", funder="The Fund")
    bank = make_bank(name="Alpha Time Bank", programme=programme)
    other = make_bank(name="Beta Time Bank")
    joan = make_member(bank, "Joan Murphy")
    seamus = make_member(bank, "Seamus Kelly")
    bertha = make_member(other, "Bertha Other")
    users = {
        "coordinator": make_user("coordinator", banks=[bank]),
        "other_coordinator": make_user("coordinator", banks=[other]),
        "admin": make_user("admin"),
        "funder": make_user("funder", programme=programme),
        "other_funder": make_user("funder"),
    }
    tokens = {role: create_token(session, person, "tests")[1] for role, person in users.items()}
    session.commit()
    return World(programme, bank, other, joan, seamus, bertha, users, tokens)


@pytest.fixture
def api(client: FlaskClient, world: World) -> Api:
    return Api(client, world.tokens)


@pytest.fixture
def exchange(api: Api, world: World) -> Callable[..., TestResponse]:
    """Post an exchange in the world's bank: Seamus helps Joan for an hour unless told else."""

    def post(key: str | None = None, as_: str = "coordinator", **body: Any) -> TestResponse:
        body = {"provider_id": world.seamus.id, "receiver_id": world.joan.id, "minutes": 60, **body}
        headers = {"Idempotency-Key": key} if key else {}
        return api("POST", f"/banks/{world.bank.id}/exchanges", as_, json=body, headers=headers)

    return post


@pytest.fixture
def live_url(app: Flask) -> Iterator[str]:
    """The app served over HTTP by a werkzeug thread on loopback."""
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)
