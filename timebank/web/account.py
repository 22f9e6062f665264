"""A signed-in user's own API tokens: make one (shown once), see them, revoke them.

Brokers, admins and funders may hold tokens (a funder's programme may read its reports into
its own dashboard); members may not: their pages sign in with a card."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Response
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from timebank.db import id_from_text
from timebank.extensions import db
from timebank.users import tokens
from timebank.users.models import Role
from timebank.web.access import roles_required, user
from timebank.web.forms import Form

bp = Blueprint("account", __name__, url_prefix="/account")


#: Anyone who may hold an API token: everyone but members.
token_holder_required = roles_required(Role.ADMIN, Role.COORDINATOR, Role.FUNDER, own_account=True)


class TokenForm(Form):
    name = StringField(
        _l("What the token is for"),
        description=_l("For example: the church hall laptop, or the monthly spreadsheet."),
        validators=[
            DataRequired(_l("Say what the token is for")),
            Length(max=tokens.MAX_NAME_LENGTH, message=_l("Use 100 characters at most")),
        ],
    )


class RevokeForm(Form):
    pass


@bp.route("/tokens", methods=["GET", "POST"])
@token_holder_required
def api_tokens() -> str | Response:
    """The user's tokens, and a form to make one. A new token is shown on this answer only."""
    form = TokenForm()
    if form.validate_on_submit():
        try:
            row, token = tokens.create_token(db.session, user(), form.name.data or "")
        except tokens.TokenError:
            db.session.rollback()
            form.name.errors = [_("That token could not be made.")]
        else:
            db.session.commit()
            return render_template("account/token_created.html", row=row, token=token)
    return render_template(
        "account/tokens.html",
        form=form,
        revoke=RevokeForm(),
        rows=tokens.tokens_of(db.session, user()),
    )


@bp.post("/tokens/revoke")
@token_holder_required
def revoke_token() -> Response:
    """Revoke one of the user's own tokens: it stops working at once."""
    form = RevokeForm()
    token_id = request.form.get("token_id", type=id_from_text)
    if form.validate_on_submit() and token_id is not None:
        row = tokens.revoke_token(db.session, user(), token_id)
        if row is not None:
            db.session.commit()
            flash(
                _(
                    "The token “%(name)s” is revoked. Programs using it can no longer get in.",
                    name=row.name,
                )
            )
    return redirect(url_for(".api_tokens"))
