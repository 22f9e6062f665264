"""Helpers the templates call."""

from __future__ import annotations

from typing import Any

from flask import Flask
from wtforms import Field


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


def init_app(app: Flask) -> None:
    app.jinja_env.globals["field_attributes"] = field_attributes
