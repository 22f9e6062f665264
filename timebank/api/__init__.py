"""The JSON API under ``/api/v1``: the ledger for other programs.

The same ledger functions and the same tenancy rules as the pages; marshmallow schemas read and
write every body; an OpenAPI 3.1 document is generated from them (``/api/v1/openapi.json``),
with a page for people at ``/api/v1/docs``. See ``docs/api.md``.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the blueprint. Call after the app's own error handlers, which it wraps."""
    from timebank.api import setup

    setup.init_app(app)
