"""The OpenAPI document and its page: generated from the schemas, public, and complete."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from flask.testing import FlaskClient
from marshmallow import Schema
from openapi_spec_validator import validate

from timebank.api import schemas
from timebank.api.registry import OPERATIONS


def test_the_document_lists_every_operation_with_its_errors(client: FlaskClient) -> None:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    spec = response.json
    assert spec["openapi"] == "3.1.0"
    listed = {(path, method) for path, ops in spec["paths"].items() for method in ops}
    assert len(listed) == len(OPERATIONS) >= 18
    error = {"$ref": "#/components/schemas/Error"}
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            assert responses["401"]["content"]["application/json"]["schema"] == error, path
            assert "Retry-After" in responses["429"]["headers"]
            assert "Retry-After" in responses["503"]["headers"], (method, path)
            if "{" in path:
                assert "404" in responses, (method, path)
            if "requestBody" in operation:
                assert {"400", "413", "415", "422"} <= set(responses), (method, path)
                body = operation["requestBody"]["content"]["application/json"]["schema"]
                name = body["$ref"].rsplit("/", 1)[-1]
                assert spec["components"]["schemas"][name]["additionalProperties"] is False
    assert spec["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"


def test_the_docs_page_needs_no_token_and_no_javascript(client: FlaskClient) -> None:
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    page = response.text
    assert "<script" not in page
    assert "POST /api/v1/banks/{bank_id}/exchanges" in page
    assert "Idempotency-Key" in page and 'id="schema-ExchangeIn"' in page
    assert "http://" not in page and "https://" not in page  # nothing from elsewhere


SUPPRESSED = {"$ref": "#/components/schemas/Suppressed"}
#: The report's fractions (percentages, means, a median, pence per hour): every other number in
#: the document is a whole one.
FRACTIONS = {
    "both_share",
    "within_ten_hours_share",
    "share_of_membership",
    "share_active",
    "reciprocity_share",
    "minutes_per_active",
    "exchanges_per_active",
    "median_minutes_per_active",
    "cost_per_hour",
    "cost_per_active_member",
}


def _properties(spec: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for name, schema in spec["components"]["schemas"].items():
        for field, prop in schema.get("properties", {}).items():
            yield name, field, prop


def test_the_document_suits_a_generated_client(client: FlaskClient) -> None:
    spec = client.get("/api/v1/openapi.json").json
    validate(spec)
    assert spec["servers"] and spec["info"]["license"]
    tags = {tag["name"]: tag for tag in spec["tags"]}
    assert all(tag["description"] for tag in tags.values())
    ids = []
    for path, operations in spec["paths"].items():
        for method, op in operations.items():
            assert op["tags"] and set(op["tags"]) <= set(tags), (method, path)
            assert op["description"] and op["summary"], (method, path)
            assert all(p.get("description") for p in op["parameters"]), (method, path)
            ids.append(op["operationId"])
    # operationIds name a client's functions: snake_case, no trailing _, each once
    assert all(re.fullmatch(r"[a-z][a-z0-9]*(_[a-z0-9]+)*", i) for i in ids), ids
    assert len(set(ids)) == len(ids)

    # "*" is one schema, referred to by every figure that may be hidden, and written nowhere else
    assert spec["components"]["schemas"]["Suppressed"]["enum"] == ["*"]
    others = {k: v for k, v in spec["components"]["schemas"].items() if k != "Suppressed"}
    assert '"*"' not in json.dumps(others)
    hideable = {(n, f) for n, f, p in _properties(spec) if SUPPRESSED in p.get("oneOf", [])}
    figures = {
        (name, field)
        for name, schema in vars(schemas).items()
        if isinstance(schema, type) and issubclass(schema, Schema)
        for field, kind in schema._declared_fields.items()
        if isinstance(kind, schemas.Figure)
    }
    assert hideable == figures and len(figures) > 40
    # counts of people, minutes and exchanges are integers; only fractions are numbers
    for name, field, prop in _properties(spec):
        types = [s.get("type") for s in prop.get("oneOf", [prop])]
        types = [t for ts in types for t in (ts if isinstance(ts, list) else [ts])]
        assert ("number" in types) == (field in FRACTIONS), (name, field, prop)
    counts = spec["components"]["schemas"]["MemberFiguresOut"]["properties"]
    assert counts["registered"] == {"oneOf": [{"type": "integer"}, SUPPRESSED]}
