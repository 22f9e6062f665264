"""Numbers asked for in paths, forms and query strings: only what the database can hold.

Anything else is answered as a page or a row that is not there, never passed to a query that
the database would refuse with an error.
"""

from __future__ import annotations

from typing import Any

from flask import abort, request

from timebank.db import MAX_ID, id_from_text

#: A page number past this is past the end of any list (and of SQLite's OFFSET).
MAX_PAGE = 1_000_000


def no_id_past_the_database(endpoint: str | None, values: dict[str, Any] | None) -> None:
    """Before any page's view: an ``<int:...>`` in the path beyond what the database holds is
    a page that is not there (404). (Refusing it in the converter would make werkzeug answer
    405 where the same path takes another method.) The API does the same after its token
    check, so that an unauthenticated call is 401 first."""
    if (endpoint or "").startswith("api."):
        return
    if values and any(isinstance(v, int) and v > MAX_ID for v in values.values()):
        abort(404)


def asked_page() -> int:
    """``?page=``: 1 unless a sensible page number was asked for."""
    return min(request.args.get("page", 1, type=id_from_text) or 1, MAX_PAGE)
