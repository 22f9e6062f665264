"""The base of every page's form, and the one idempotency key every posting form carries.

Text arrives without characters no keyboard types: a NUL or another control character pasted
from a spreadsheet would be refused by PostgreSQL (a 500) and is never meant; tab, line feed
and carriage return stay. Direction controls (U+202A to U+202E, U+2066 to U+2069) go too: they
could turn the rest of a page backwards (see :mod:`timebank.text`).
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import Field, HiddenField, StringField
from wtforms.fields.core import UnboundField
from wtforms.utils import unset_value
from wtforms.validators import InputRequired, Optional, Regexp

from timebank.text import without_direction_controls

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def without_control_characters(value: Any) -> Any:
    """Typed text without control characters or direction controls; anything else as it is."""
    if not isinstance(value, str):
        return value
    return without_direction_controls(_CONTROL.sub("", value))


class Form(FlaskForm):
    class Meta:
        def bind_field(self, form: Any, unbound_field: UnboundField, options: dict) -> Field:
            # StringField covers text areas, passwords, emails and hidden fields too
            if issubclass(unbound_field.field_class, StringField):
                filters = options.get("filters", unbound_field.kwargs.get("filters", ()))
                options = {**options, "filters": [without_control_characters, *filters]}
            return super().bind_field(form, unbound_field, options)  # type: ignore[misc]


#: The shape of a key made by :func:`new_key`: anything else is refused before it reaches the
#: books.
KEY_SHAPE = r"^[0-9a-f]{32}$"
#: The words for a key that is missing or not of that shape.
EXPIRED = _l("This form has expired. Please try again.")


def new_key() -> str:
    """A fresh idempotency key, made once, when a form is shown."""
    return uuid.uuid4().hex


class IdempotencyKeyField(HiddenField):
    """Made when the form is shown, so a form sent twice (a double tap, a resent page) posts
    once. A key of another shape is refused as an expired form (:attr:`refused`), and a fresh
    key is put in its place so that the form can be sent again. ``required`` refuses a form
    sent without one; otherwise such a form posts without a key."""

    def __init__(self, *, required: bool = False, **kwargs: Any) -> None:
        # only a key left out is "no key": a key of spaces is a key of the wrong shape
        first = InputRequired(EXPIRED) if required else Optional(strip_whitespace=False)
        super().__init__(validators=[first, Regexp(KEY_SHAPE, message=EXPIRED)], **kwargs)

    def process(self, formdata: Any, data: Any = unset_value, extra_filters: Any = None) -> None:
        super().process(formdata, data, extra_filters)
        if formdata is None or not formdata:
            # the form is being shown, not sent: this is the one place a key is made
            self.data = new_key()

    def post_validate(self, form: Any, validation_stopped: bool) -> None:
        if self.errors:
            self.data = new_key()

    @property
    def refused(self) -> bool:
        """Whether the form came back with a key it was never given: the page answers 400."""
        return bool(self.errors)


def form_page(page: str, form: Form) -> str | tuple[str, int]:
    """A page showing a form, answered with 400 when the form came back with an idempotency key
    it was never given (a tampered or mangled page): nothing was posted."""
    if any(isinstance(field, IdempotencyKeyField) and field.refused for field in form):
        return page, 400
    return page
