"""The API's blueprint, and the one decorator every operation is declared with.

:func:`operation` adds the route, checks the caller's role, reads and validates the JSON body
and the query string with marshmallow, and records everything the OpenAPI document says about
the operation (its schemas, parameters, and each status it can answer with). The document is
generated from these records, so it cannot drift from what the views do.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import wraps
from typing import Any, TypeVar

from flask import Blueprint, request
from marshmallow import Schema, ValidationError

from timebank.api.errors import ApiError, invalid
from timebank.db import MAX_ID
from timebank.users.current import user
from timebank.users.models import Role
from timebank.users.tokens import TOKEN_ROLES

F = TypeVar("F", bound=Callable[..., Any])

bp = Blueprint("api", __name__, url_prefix="/api/v1")

#: Bodies larger than this are refused with 413, whatever the app allows for file uploads.
MAX_BODY_BYTES = 1024 * 1024


@dataclass(frozen=True)
class Header:
    name: str
    description: str
    schema: Mapping[str, Any]
    required: bool = False


@dataclass
class Operation:
    rule: str
    method: str
    endpoint: str
    summary: str
    description: str
    tag: str
    #: status -> (description, response schema or None for no body)
    responses: Mapping[int, tuple[str, type[Schema] | Schema | None]]
    body: type[Schema] | None = None
    query: type[Schema] | None = None
    headers: tuple[Header, ...] = ()
    roles: frozenset[Role] = TOKEN_ROLES
    #: Statuses besides the ones every operation of its shape can give.
    errors: Mapping[int, str] = field(default_factory=dict)
    public: bool = False

    def error_statuses(self) -> dict[int, str]:
        """Every error status this operation can answer with, and when."""
        found: dict[int, str] = {}
        if not self.public:
            found[401] = "No valid API token was sent."
            found[429] = "Too many requests with this token; wait for Retry-After seconds."
        if self.roles != TOKEN_ROLES:
            found[403] = "The token's user may not do this."
        if "<" in self.rule:
            found[404] = "Not found, or in a bank the token's user may not see."
        if self.body is not None:
            found[400] = "The body is not valid JSON."
            found[413] = "The body is over 1 MB."
            found[415] = "The body is not sent as application/json."
            found[422] = "A field is missing or invalid; see errors."
        if self.query is not None or self.headers:
            found[422] = found.get(422, "A parameter is invalid; see errors.")
        # every operation reads the database, which a long write can hold past its timeout
        found[503] = "The database is busy; try again after Retry-After seconds."
        found.update(self.errors)
        return dict(sorted(found.items()))


OPERATIONS: list[Operation] = []


def operation(
    rule: str,
    method: str,
    *,
    summary: str,
    tag: str,
    responses: Mapping[int, tuple[str, type[Schema] | Schema | None]],
    body: type[Schema] | None = None,
    query: type[Schema] | None = None,
    headers: Iterable[Header] = (),
    roles: Iterable[Role] = TOKEN_ROLES,
    errors: Mapping[int, str] | None = None,
    public: bool = False,
) -> Callable[[F], F]:
    """Declare an API operation. The view gets ``data=`` (the loaded body) and ``args=`` (the
    loaded query) when the operation has them, besides its path's values."""
    allowed = frozenset(roles)

    def decorate(view: F) -> F:
        # a trailing _ keeps a view apart from the function it calls; it is no part of the name
        name = view.__name__.rstrip("_")

        @wraps(view)
        def wrapper(**kwargs: Any) -> Any:
            # beyond the database's integers: nothing there (PostgreSQL would refuse the query)
            if any(isinstance(v, int) and v > MAX_ID for v in kwargs.values()):
                raise ApiError(404, "not_found", "There is nothing here, or you may not see it.")
            if not public and user().role not in allowed:
                raise ApiError(403, "forbidden", "The token's user may not do this.")
            if query is not None:
                kwargs["args"] = load(query(), _query_args())
            if body is not None:
                kwargs["data"] = load(body(), read_json())
            return view(**kwargs)

        wrapper.public = public  # type: ignore[attr-defined]  # read by the token check
        bp.add_url_rule(rule, endpoint=name, view_func=wrapper, methods=[method])
        OPERATIONS.append(
            Operation(
                rule=rule,
                method=method.lower(),
                endpoint=name,
                summary=summary,
                description=_dedent(view.__doc__ or ""),
                tag=tag,
                responses=responses,
                body=body,
                query=query,
                headers=tuple(headers),
                roles=allowed,
                errors=dict(errors or {}),
                public=public,
            )
        )
        return wrapper  # type: ignore[return-value]

    return decorate


def load(schema: Schema, data: Any) -> Any:
    try:
        return schema.load(data)
    except ValidationError as error:
        messages = (
            error.messages if isinstance(error.messages, dict) else {"_schema": error.messages}
        )
        raise invalid(messages) from None


def read_json() -> Any:
    """The body as JSON: 415 if it is not sent as JSON, 400 if it is not JSON, 413 if over
    1 MB (read with the limit, so a body without a Content-Length is cut off too)."""
    if not request.is_json:
        raise ApiError(
            415, "unsupported_media_type", "Send JSON, with Content-Type: application/json."
        )
    raw = request.get_data(cache=True)
    try:
        return json.loads(raw)
    # RecursionError: deeply nested arrays are not worth a server error
    except (ValueError, RecursionError):
        raise ApiError(400, "malformed_json", "The body is not valid JSON.") from None


def _query_args() -> dict[str, Any]:
    """The query string; a name given twice is passed as a list, which the schema refuses."""
    found: dict[str, Any] = {}
    for name in request.args:
        values = request.args.getlist(name)
        found[name] = values[0] if len(values) == 1 else values
    return found


def _dedent(text: str) -> str:
    import inspect

    return inspect.cleandoc(text)
