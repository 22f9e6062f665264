"""Writing responses through the output schemas, so what is sent is what the spec says."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify
from marshmallow import Schema


def ok(schema: type[Schema], body: Any, status: int = 200, **headers: str) -> Response:
    response = jsonify(schema().dump(body))
    response.status_code = status
    response.headers.update(headers)
    return response


def created(schema: type[Schema], body: Any, **headers: str) -> Response:
    return ok(schema, body, 201, **headers)
