"""The OpenAPI 3.1 document, generated from the operations and their marshmallow schemas."""

from __future__ import annotations

import re
from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Flask, current_app

from timebank.api.registry import MAX_BODY_BYTES, OPERATIONS, Operation
from timebank.api.schemas import ErrorSchema
from timebank.db import MAX_ID

TITLE = "timebank API"
VERSION = "1.0.0"
DESCRIPTION = """\
The books of a time bank for other programs: members, exchanges of help in whole minutes,
reversals, help waiting to be confirmed, and the reports funders read.

Every request except this document and its page needs a personal API token:
`Authorization: Bearer <token>`. Make one on the "API tokens" page, or with
`timebank create-token EMAIL --name NAME`. The token acts as its user: a coordinator reaches
the banks they broker for (any other bank answers 404, as if it did not exist), an admin every
bank, and a funder their programme's reports.

Errors are JSON: `{"code", "message"}`, with `"errors": {"field": ["message"]}` when fields are
invalid (422). A rule of the books keeps the ledger's code, such as `exceeds_floor`. Bodies are
JSON of at most 1 MB; unknown fields are refused. Send an `Idempotency-Key` with each new
exchange so that a retry posts once.
"""

#: Flask's ``<id:name>`` in a rule, for OpenAPI's ``{name}``.
_PARAMETER = re.compile(r"<(?:(\w+):)?(\w+)>")
PREFIX = "/api/v1"


def _path(rule: str) -> str:
    return PREFIX + _PARAMETER.sub(r"{\2}", rule)


def _path_parameters(rule: str) -> list[dict[str, Any]]:
    return [
        {
            "in": "path",
            "name": name,
            "required": True,
            "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
        }
        for _converter, name in _PARAMETER.findall(rule)
    ]


def _json(schema: Any) -> dict[str, Any]:
    return {"application/json": {"schema": schema}}


def _operation(op: Operation) -> dict[str, Any]:
    parameters = _path_parameters(op.rule)
    if op.query is not None:
        parameters.append({"in": "query", "schema": op.query})
    for header in op.headers:
        parameters.append(
            {
                "in": "header",
                "name": header.name,
                "required": header.required,
                "description": header.description,
                "schema": dict(header.schema),
            }
        )
    responses: dict[str, Any] = {}
    for status, (description, schema) in sorted(op.responses.items()):
        response: dict[str, Any] = {"description": description}
        if schema is not None:
            response["content"] = _json(schema)
        if status == 200 and any(h.name == "Idempotency-Key" for h in op.headers):
            response["headers"] = {
                "Idempotent-Replayed": {
                    "description": "true: this answers an earlier request with the same key.",
                    "schema": {"type": "string", "enum": ["true"]},
                }
            }
        responses[str(status)] = response
    for status, description in op.error_statuses().items():
        response = {"description": description, "content": _json("Error")}
        if status in (429, 503):
            response["headers"] = {
                "Retry-After": {
                    "description": "Seconds to wait before trying again.",
                    "required": True,
                    "schema": {"type": "string", "pattern": "^[0-9]+$"},
                }
            }
        if status == 401:
            response["headers"] = {"WWW-Authenticate": {"schema": {"type": "string"}}}
        responses[str(status)] = response
    found: dict[str, Any] = {
        "operationId": op.endpoint,
        "summary": op.summary,
        "tags": [op.tag],
        "parameters": parameters,
        "responses": responses,
    }
    if op.description:
        found["description"] = op.description
    if op.body is not None:
        found["requestBody"] = {
            "required": True,
            "description": f"JSON, at most {MAX_BODY_BYTES // 1024} KB.",
            "content": _json(op.body),
        }
    if op.public:
        found["security"] = []
    return found


def build_spec() -> dict[str, Any]:
    spec = APISpec(
        title=TITLE,
        version=VERSION,
        openapi_version="3.1.0",
        plugins=[MarshmallowPlugin()],
        info={"description": DESCRIPTION},
        security=[{"bearer": []}],
    )
    spec.components.security_scheme(
        "bearer",
        {
            "type": "http",
            "scheme": "bearer",
            "description": "A personal API token: tbk_ and 43 more characters.",
        },
    )
    spec.components.schema("Error", schema=ErrorSchema)
    paths: dict[str, dict[str, Any]] = {}
    for op in OPERATIONS:
        paths.setdefault(_path(op.rule), {})[op.method] = op
    for path, operations in paths.items():
        spec.path(path=path, operations={m: _operation(o) for m, o in operations.items()})
    return spec.to_dict()


def spec_of(app: Flask | None = None) -> dict[str, Any]:
    """The document, built once per app."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    cached = app.extensions.get("timebank_openapi")
    if cached is None:
        cached = app.extensions["timebank_openapi"] = build_spec()
    return cached
