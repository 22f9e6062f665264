"""The one check for a redirect target that came with a request: a path on this site, or nothing.

A browser reads a ``Location`` more loosely than it looks: it drops tabs and line breaks, turns
``\\`` into ``/`` and treats ``//host`` as another site, and a server or proxy along the way may
decode percent-escapes once more. So the target is checked as sent and after every round of
decoding, and refused if any form of it could leave the site.
"""

from __future__ import annotations

import unicodedata
from urllib.parse import unquote, urlsplit

#: Longer than any path of this site with its query; a longer target is not one of ours.
MAX_LENGTH = 2000
#: Percent-decoding rounds before a target that keeps changing is refused as too clever.
MAX_DECODING = 5


def safe_target(target: str | None) -> str | None:
    """``target`` if it is a relative path on this site in every decoded form, else None."""
    if not target or len(target) > MAX_LENGTH:
        return None
    form = target
    for _round in range(MAX_DECODING):
        if not _is_local_path(form):
            return None
        try:
            decoded = unquote(form, errors="strict")
        except UnicodeDecodeError:
            return None  # escapes that are not UTF-8 mean nothing on this site
        if decoded == form:
            return target
        form = decoded
    return None


def _is_local_path(form: str) -> bool:
    if not form.startswith("/") or form.startswith("//"):
        return False
    if "\\" in form or any(_is_control(character) for character in form):
        return False
    parts = urlsplit(form)
    return not parts.scheme and not parts.netloc


def _is_control(character: str) -> bool:
    # C0, DEL and C1 controls, and the invisible format and separator characters
    return unicodedata.category(character) in ("Cc", "Cf", "Zl", "Zp")
