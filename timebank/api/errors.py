"""Every API error is JSON: ``{"code", "message"}``, and ``"errors"`` for invalid fields.

The codes are stable; the messages are English for developers. A ledger refusal keeps the
ledger's own code (``exceeds_floor``, ``idempotency_key_reused``, ...).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Response, jsonify
from werkzeug.exceptions import HTTPException

from timebank.ledger import ErrorCode, LedgerError

#: The code of each HTTP error status the API answers with.
HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "validation_failed",
    429: "rate_limited",
    503: "unavailable",
}

#: Ledger refusals that depend on what happened before (409); every other rule is 422.
CONFLICTS = frozenset(
    {
        ErrorCode.IDEMPOTENCY_KEY_REUSED,
        ErrorCode.ALREADY_REVERSED,
        ErrorCode.CANNOT_REVERSE_REVERSAL,
        ErrorCode.ALREADY_RESOLVED,
        ErrorCode.PENDING_EXPIRED,
        ErrorCode.ACCOUNT_CLOSED,
    }
)


class ApiError(Exception):
    """An error answer with a stable code, raised anywhere in a view."""

    def __init__(
        self,
        status: int,
        code: str | None = None,
        message: str = "",
        *,
        errors: Mapping[str, list[str]] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.status = status
        self.code = code or HTTP_CODES.get(status, "error")
        self.message = message or self.code.replace("_", " ")
        self.errors = dict(errors) if errors is not None else None
        self.headers = dict(headers or {})
        super().__init__(f"{status} {self.code}: {self.message}")

    def response(self) -> Response:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.errors is not None:
            body["errors"] = self.errors
        response = jsonify(body)
        response.status_code = self.status
        response.headers.update(self.headers)
        return response


def invalid(
    errors: Mapping[str, Any], message: str = "The request has invalid fields."
) -> ApiError:
    """422 with marshmallow's messages flattened to ``{"field": ["message", ...]}``."""
    return ApiError(422, "validation_failed", message, errors=flatten(errors))


def flatten(errors: Mapping[Any, Any], prefix: str = "") -> dict[str, list[str]]:
    """``{"outcome_areas": {0: ["..."]}}`` becomes ``{"outcome_areas.0": ["..."]}``."""
    flat: dict[str, list[str]] = {}
    for key, value in errors.items():
        name = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, Mapping):
            flat.update(flatten(value, name))
        elif isinstance(value, list | tuple):
            messages = [str(v) for v in value if not isinstance(v, Mapping)]
            for nested in (v for v in value if isinstance(v, Mapping)):
                flat.update(flatten(nested, name))
            if messages:
                flat.setdefault(name, []).extend(messages)
        else:
            flat.setdefault(name, []).append(str(value))
    return flat


def from_ledger(error: LedgerError) -> ApiError:
    if error.code == ErrorCode.NOT_FOUND:
        return ApiError(404, "not_found", error.message)
    status = 409 if error.code in CONFLICTS else 422
    return ApiError(status, error.code.value, error.message)


def from_http(error: HTTPException) -> ApiError:
    status = error.code or 500
    headers = {}
    if status == 405 and error.valid_methods:  # type: ignore[attr-defined]
        headers["Allow"] = ", ".join(error.valid_methods)  # type: ignore[attr-defined]
    # werkzeug's descriptions are written for HTML pages; give short plain ones instead
    messages = {
        400: "The request could not be read.",
        401: "Send a valid API token: Authorization: Bearer <token>.",
        403: "Your account may not do this.",
        404: "There is nothing here, or you may not see it.",
        405: "This path does not take that method.",
        413: "The body is too large: 1 MB at most.",
        415: "Send JSON, with Content-Type: application/json.",
    }
    return ApiError(status, None, messages.get(status, error.name), headers=headers)
