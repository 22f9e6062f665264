"""The OpenAPI document as JSON, and as a plain page for people: no JavaScript, no CDN."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify, render_template

from timebank.api.openapi import spec_of
from timebank.api.registry import bp


def _public(view: Any) -> Any:
    view.public = True  # read by the blueprint's token check
    return view


@bp.get("/openapi.json")
@_public
def openapi_json() -> Response:
    response = jsonify(spec_of())
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


@bp.get("/docs")
@_public
def docs_page() -> str:
    spec = spec_of()
    return render_template("api/docs.html", spec=spec, tags=_by_tag(spec), describe=describe)


METHODS = ("get", "post", "put", "patch", "delete")


def _by_tag(spec: dict[str, Any]) -> list[tuple[str, list[tuple[str, str, dict[str, Any]]]]]:
    tags: dict[str, list[tuple[str, str, dict[str, Any]]]] = {}
    for path, operations in spec["paths"].items():
        for method in METHODS:
            if method in operations:
                op = operations[method]
                tags.setdefault(op["tags"][0], []).append((method.upper(), path, op))
    return list(tags.items())


def describe(schema: dict[str, Any]) -> str:
    """A JSON schema in a few words: "integer, 1 to 1440", "array of ExchangeOut"."""
    if "$ref" in schema:
        return schema["$ref"].rsplit("/", 1)[-1]
    if "anyOf" in schema or "oneOf" in schema:
        return " or ".join(describe(s) for s in schema.get("anyOf", schema.get("oneOf", [])))
    kind = schema.get("type", "any")
    if isinstance(kind, list):
        words = " or ".join(k for k in kind)
    else:
        words = kind
    if schema.get("format"):
        words += f" ({schema['format']})"
    if kind == "array" and "items" in schema:
        words = f"array of {describe(schema['items'])}"
    if (
        kind == "object"
        and "additionalProperties" in schema
        and isinstance(schema["additionalProperties"], dict)
    ):
        words = f"object of {describe(schema['additionalProperties'])}"
    limits = []
    if "enum" in schema:
        limits.append("one of " + ", ".join(str(v) for v in schema["enum"]))
    if "minimum" in schema or "maximum" in schema:
        limits.append(f"{schema.get('minimum', '…')} to {schema.get('maximum', '…')}")
    if "minLength" in schema or "maxLength" in schema:
        limits.append(f"{schema.get('minLength', 0)} to {schema.get('maxLength', '…')} characters")
    if "maxItems" in schema:
        limits.append(f"at most {schema['maxItems']} items")
    if "pattern" in schema:
        limits.append(f"matching {schema['pattern']}")
    return ", ".join([words, *limits])
