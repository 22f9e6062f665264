"""The OpenAPI 3.1 document, generated from the operations and their marshmallow schemas.

``python -m timebank.api.openapi PATH`` writes it to a file, for ``make lint``.
"""

from __future__ import annotations

import json
import re
import sys
from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Flask, current_app

from timebank.api.registry import MAX_BODY_BYTES, OPERATIONS, Operation
from timebank.api.schemas import SUPPRESSED_SCHEMA, ErrorSchema
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

#: Every tag an operation may use, in the order the docs page lists them.
TAGS = [
    {
        "name": "Programmes and banks",
        "description": "Funders' programmes and the time banks in them; admins start both.",
    },
    {
        "name": "Members",
        "description": "A bank's members: register them, read them with their balances, change "
        "their details, pause them.",
    },
    {
        "name": "Exchanges",
        "description": "Help given, recorded in whole minutes (with an Idempotency-Key, so a "
        "retry posts once), and reversals that put a mistake right.",
    },
    {
        "name": "Pending exchanges",
        "description": "Help a member recorded on their own pages, waiting for the other side or "
        "a broker to confirm it; it lapses after 30 days.",
    },
    {
        "name": "Skills",
        "description": "The kinds of help, whose codes name the help in an exchange.",
    },
    {
        "name": "Reports",
        "description": "A bank's or a programme's figures, as on the report pages: exact for a "
        "bank's coordinators and admins, with small numbers hidden for funders.",
    },
]
SERVERS = [
    {
        "url": "/",
        "description": "The installation that serves this document (every path starts /api/v1).",
    }
]
LICENSE = {"name": "AGPL-3.0-or-later", "identifier": "AGPL-3.0-or-later"}

#: What each path parameter names.
_PARAMETER_NAMES = {
    "bank_id": "The bank's id.",
    "member_id": "The member's id.",
    "pending_id": "The pending exchange's id.",
    "programme_id": "The programme's id.",
    "transfer_id": "The exchange's (transfer's) id.",
}

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
            "description": _PARAMETER_NAMES[name],
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
        info={"description": DESCRIPTION, "license": LICENSE},
        servers=SERVERS,
        tags=TAGS,
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
    spec.components.schema("Suppressed", SUPPRESSED_SCHEMA)
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


def main(argv: list[str]) -> None:
    """Write the document to the file named, as ``/api/v1/openapi.json`` serves it."""
    from timebank.api import setup  # noqa: F401  (registers every operation)

    with open(argv[0], "w", encoding="utf-8") as out:
        json.dump(build_spec(), out, indent=2, ensure_ascii=False)
        out.write("\n")


if __name__ == "__main__":
    main(sys.argv[1:])
