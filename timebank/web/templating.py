"""Helpers the templates call."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask_babel import gettext
from wtforms import Field

from timebank.members.models import Skill
from timebank.text import without_direction_controls


def field_attributes(field: Field, hint: str | None = None, **extra: Any) -> dict[str, Any]:
    """The HTML attributes of a form control: what describes it, whether it is in error, and
    any extra ones that have a value (WTForms would print None as "None")."""
    described_by = []
    if hint or field.description:
        described_by.append(f"{field.id}-hint")
    if field.errors:
        described_by.append(f"{field.id}-error")
    attributes = {name: value for name, value in extra.items() if value}
    if described_by:
        attributes["aria_describedby"] = " ".join(described_by)
    if field.errors:
        attributes["aria_invalid"] = "true"
    return attributes


def skill_name(skill: Skill) -> str:
    """A kind of help as the reader calls it: a shared kind in the reader's language, a bank's own
    kind as the bank named it.

    Plain text, escaped like any other: a template's own ``_()`` marks what it returns as safe
    markup and formats it with ``%``, so it must only ever be given our own words."""
    return gettext(skill.name) if skill.bank_id is None else skill.name


def shown(value: Any) -> Any:
    """Every value a template writes out, without direction controls (:mod:`timebank.text`),
    however it was stored: the one place every page, and the PDF drawn from a page, passes."""
    return without_direction_controls(value) if isinstance(value, str) else value


def init_app(app: Flask) -> None:
    app.jinja_env.globals["field_attributes"] = field_attributes
    app.jinja_env.globals["skill_name"] = skill_name
    # for words kept as data (an import's problems): translated, then escaped like any text
    app.jinja_env.globals["translated"] = gettext
    # read when a template is compiled: set before the first page is drawn
    app.jinja_env.finalize = shown
