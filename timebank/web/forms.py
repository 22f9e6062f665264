"""The base of every page's form: text arrives without characters no keyboard types.

A NUL or another control character pasted from a spreadsheet would be refused by PostgreSQL
(a 500) and is never meant; tab, line feed and carriage return stay.
"""

from __future__ import annotations

import re
from typing import Any

from flask_wtf import FlaskForm
from wtforms import Field, StringField
from wtforms.fields.core import UnboundField

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def without_control_characters(value: Any) -> Any:
    return _CONTROL.sub("", value) if isinstance(value, str) else value


class Form(FlaskForm):
    class Meta:
        def bind_field(self, form: Any, unbound_field: UnboundField, options: dict) -> Field:
            # StringField covers text areas, passwords, emails and hidden fields too
            if issubclass(unbound_field.field_class, StringField):
                filters = options.get("filters", unbound_field.kwargs.get("filters", ()))
                options = {**options, "filters": [without_control_characters, *filters]}
            return super().bind_field(form, unbound_field, options)  # type: ignore[misc]
