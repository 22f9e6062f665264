"""Signing in and out, and setting a password from a one-time link."""

from __future__ import annotations

import re

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user, logout_user
from werkzeug.wrappers import Response
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, EqualTo, Length

from timebank.extensions import db, limiter
from timebank.users import operations
from timebank.users.models import Role, User
from timebank.web.forms import Form

bp = Blueprint("auth", __name__)


class SignInForm(Form):
    email = EmailField(
        _l("Email address"), validators=[DataRequired(_l("Enter your email address"))]
    )
    password = PasswordField(_l("Password"), validators=[DataRequired(_l("Enter your password"))])


class NewPasswordForm(Form):
    password = PasswordField(
        _l("New password"),
        description=_l(
            "At least %(n)s characters. A short sentence is easy to remember.",
            n=operations.MIN_PASSWORD_LENGTH,
        ),
        validators=[
            DataRequired(_l("Enter a new password")),
            Length(
                min=operations.MIN_PASSWORD_LENGTH,
                message=_l("Use at least %(n)s characters", n=operations.MIN_PASSWORD_LENGTH),
            ),
        ],
    )
    confirm = PasswordField(
        _l("Type it again"),
        validators=[
            DataRequired(_l("Type the password again")),
            EqualTo("password", _l("The two passwords are different")),
        ],
    )


def home_for(person: User) -> str:
    if person.role == Role.ADMIN:
        return url_for("admin.home")
    if person.role == Role.COORDINATOR:
        return url_for("broker.home")
    if person.role == Role.MEMBER and person.member_id:
        return url_for("member.home")
    if person.role == Role.FUNDER:
        return url_for("funder.home")
    return url_for("public.index")


@bp.route("/sign-in", methods=["GET", "POST"])
@limiter.limit(
    lambda: current_app.config.get("SIGN_IN_RATE_LIMIT", "10/minute;50/hour"), methods=["POST"]
)
def sign_in() -> str | Response:
    """Sign in with email and password."""
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    form = SignInForm()
    if form.validate_on_submit():
        person = operations.sign_in(db.session, form.email.data or "", form.password.data or "")
        db.session.commit()
        if person is None:
            form.password.errors = [_l("The email address or password is not right")]
        else:
            # a new session on sign-in: nothing from before survives into the signed-in one
            language = session.get("lang")
            session.clear()
            if language:
                session["lang"] = language
            login_user(person)
            return redirect(_safe_next() or home_for(person))
    return render_template("auth/sign_in.html", form=form)


@bp.post("/sign-out")
def sign_out() -> Response:
    if current_user.is_authenticated:
        operations.record_sign_out(db.session, current_user)
        db.session.commit()
    logout_user()
    session.clear()
    flash(_l("You have signed out."))
    return redirect(url_for("auth.sign_in"))


@bp.route("/set-password/<token>", methods=["GET", "POST"])
@limiter.limit("20/hour", methods=["POST"])
def set_password(token: str) -> str | Response:
    """Choose a new password with a one-time link a broker or admin gave you."""
    reset = operations.find_reset(db.session, token)
    if reset is None:
        return render_template("auth/link_expired.html"), 404  # type: ignore[return-value]
    form = NewPasswordForm()
    if form.validate_on_submit():
        operations.use_reset(db.session, reset, form.password.data or "")
        db.session.commit()
        flash(_l("Your password is set. You can sign in now."))
        return redirect(url_for("auth.sign_in"))
    return render_template("auth/set_password.html", form=form, person=reset.user)


#: What an address to go on to after signing in may not hold: white space, control characters
#: and the backslash, which browsers read as a slash.
_UNSAFE_IN_NEXT = re.compile(r"[\x00-\x20\x7f\\]")


def _safe_next() -> str | None:
    target = request.args.get("next", "")
    # only paths on this site: never an open redirect. A browser drops tabs and line breaks
    # from an address, so "/<tab>/evil.example" would go to //evil.example: a path we made
    # ourselves is percent-encoded and never has white space or control characters
    if _UNSAFE_IN_NEXT.search(target):
        return None
    if target.startswith("/") and not target.startswith("//"):
        return target
    return None
