"""The API fuzzed by schemathesis from its own OpenAPI document, against a live server.

Every operation gets valid requests (positive) and invalid ones (negative), sent over HTTP to a
werkzeug server thread with an admin's token and a seeded bank. Each answer is checked: never a
server error, a status the document lists, a content type and a body that match the document,
and every invalid request refused. The path parameters are narrowed to the seeded ids (and an
id of nothing) so the fuzzing reaches real members and exchanges rather than 404 every time.
"""

from __future__ import annotations

import copy
import os
import time
from collections import Counter
from typing import Any

import requests
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy.orm import Session

from tests.api.conftest import World
from tests.api.test_resources import _pend
from timebank.api.openapi import spec_of
from timebank.exchanges import HelpDetails, record_exchange

#: Examples per operation and mode: 18 operations x 2 modes, 2,160 cases an engine.
#: TIMEBANK_FUZZ_EXAMPLES for more.
EXAMPLES = int(os.environ.get("TIMEBANK_FUZZ_EXAMPLES", "60"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]
NOTHING = 999_999


def _narrowed(spec: dict[str, Any], ids: dict[str, list[int]]) -> dict[str, Any]:
    spec = copy.deepcopy(spec)
    for operations in spec["paths"].values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "path":
                    parameter["schema"] = {"type": "integer", "enum": ids[parameter["name"]]}
    return spec


def _fuzz(
    operation: Any,
    mode: GenerationMode,
    base_url: str,
    http: requests.Session,
    cases: Counter[str],
    statuses: Counter[int],
) -> None:
    """Send one operation its generated cases and check each answer."""
    checks = CHECKS + ([negative_data_rejection] if mode == GenerationMode.NEGATIVE else [])

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.explicit, Phase.generate, Phase.shrink],
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case: schemathesis.Case) -> None:
        response = case.call_and_validate(base_url=base_url, session=http, checks=checks)
        cases[operation.label] += 1
        statuses[response.status_code] += 1

    run()


def test_the_api_holds_to_its_document(
    app: Flask, world: World, session: Session, live_url: str
) -> None:
    exchanges = [
        record_exchange(
            session, provider=world.seamus, receiver=world.joan, help=HelpDetails(minutes=m)
        ).transfer
        for m in (30, 45, 60)
    ]
    session.commit()
    pending = [_pend(session, world, minutes) for minutes in (15, 30, 45)]
    ids = {
        "bank_id": [world.bank.id, world.other_bank.id, NOTHING],
        "member_id": [world.joan.id, world.seamus.id, world.bertha.id, NOTHING],
        "transfer_id": [*(t.id for t in exchanges), NOTHING],
        "pending_id": [*pending, NOTHING],
        "programme_id": [world.programme.id, NOTHING],
    }
    token = world.tokens["admin"]
    # end this thread's transaction: on SQLite it would hold the lock the server needs
    session.rollback()
    # valid requests reach the seeded ids; invalid ones use the document as it is (a narrowed
    # id would make any other real id, such as a bank made while fuzzing, count as invalid)
    schemas = {
        GenerationMode.POSITIVE: schemathesis.openapi.from_dict(_narrowed(spec_of(app), ids)),
        GenerationMode.NEGATIVE: schemathesis.openapi.from_dict(spec_of(app)),
    }
    http = requests.Session()
    http.headers["Authorization"] = f"Bearer {token}"
    cases: Counter[str] = Counter()
    statuses: Counter[int] = Counter()
    started = time.monotonic()
    for mode, schema in schemas.items():
        for result in schema.get_all_operations():
            _fuzz(result.ok(), mode, live_url, http, cases, statuses)
    elapsed = time.monotonic() - started
    total = sum(cases.values())
    # shown with -s, and kept in the test's report: the number of cases is worth knowing
    print(
        f"\nschemathesis: {total} cases over {len(cases)} operations in {elapsed:.0f}s; "
        f"statuses {dict(sorted(statuses.items()))}"
    )
    assert len(cases) == len(list(schemas[GenerationMode.NEGATIVE].get_all_operations()))
    assert 200 in statuses and 201 in statuses and 422 in statuses
