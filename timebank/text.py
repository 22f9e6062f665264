"""Text as people typed it, without the invisible characters that could reorder what is around it.

Unicode's explicit direction controls (embeddings and overrides, U+202A to U+202E, and isolates,
U+2066 to U+2069) change the order in which the text after them is drawn. One pasted into a
member's name would turn the rest of a sentence, a table row or a spreadsheet cell backwards
("Trojan Source"), or make "nhoJ" read as "John". Our members write English, Polish and Irish,
and right-to-left names are drawn correctly without them (the marks U+200E and U+200F, which
open nothing, are kept), so they are never needed: they are removed where text comes in (the
forms, the CSV import) and again where it goes out (every page, CSV file and PDF), for text
stored before or by other ways in, such as the API.
"""

from __future__ import annotations

import re
from typing import TypeVar

#: The characters that open or close a run of text in another direction.
DIRECTION_CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"

_CONTROL = re.compile(f"[{DIRECTION_CONTROLS}]")

#: A str or a subclass of it (markupsafe.Markup): removing these characters keeps the type.
Text = TypeVar("Text", bound=str)


def without_direction_controls(text: Text) -> Text:
    """The text with every direction control removed; the same object when it has none."""
    # most text has none: one search, and the same object back
    if _CONTROL.search(text) is None:
        return text
    return type(text)(_CONTROL.sub("", text))
