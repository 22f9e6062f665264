"""Signing in and out, and setting a password from a one-time link."""

from __future__ import annotations

import math
from datetime import timedelta

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
from flask_babel import format_timedelta
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user, logout_user
from werkzeug.wrappers import Response
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, EqualTo

from timebank.extensions import db, limiter
from timebank.users import operations
from timebank.users.models import Role, User
from timebank.users.passwords import MIN_LENGTH, PasswordRefused, Refusal
from timebank.web import sign_in_limits
from timebank.web.forms import Form
from timebank.web.redirects import safe_target

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
            n=MIN_LENGTH,
        ),
        # the rules themselves are checked where the password is set: see PASSWORD_REFUSALS
        validators=[DataRequired(_l("Enter a new password"))],
    )
    confirm = PasswordField(
        _l("Type it again"),
        validators=[
            DataRequired(_l("Type the password again")),
            EqualTo("password", _l("The two passwords are different")),
        ],
    )


#: What the person is told when the rules refuse the password they chose.
PASSWORD_REFUSALS = {
    Refusal.TOO_SHORT: _l("Use at least %(n)s characters", n=MIN_LENGTH),
    Refusal.COMMON: _l(
        "This is one of the most common passwords, so it is easy to guess. Choose another: "
        "a short sentence is easy to remember."
    ),
    Refusal.EMAIL: _l("Do not use your email address as your password."),
}


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
def sign_in() -> str | Response | tuple[str, int, dict[str, str]]:
    """Sign in with email and password."""
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    form = SignInForm()
    if form.validate_on_submit():
        email = form.email.data or ""
        waiting = sign_in_limits.wait(email)
        if waiting is not None:
            return _account_throttled(form, waiting)
        person = operations.sign_in(db.session, email, form.password.data or "")
        db.session.commit()
        if person is None:
            sign_in_limits.count_wrong_password(email)
            form.password.errors = [_l("The email address or password is not right")]
        else:
            # a new session on sign-in: nothing from before survives into the signed-in one
            language = session.get("lang")
            session.clear()
            if language:
                session["lang"] = language
            login_user(person)
            return redirect(safe_target(request.args.get("next")) or home_for(person))
    return render_template("auth/sign_in.html", form=form)


def _account_throttled(form: SignInForm, waiting: timedelta) -> tuple[str, int, dict[str, str]]:
    """The sign-in page, saying the account has had too many wrong passwords and what to do."""
    minutes = math.ceil(waiting.total_seconds() / 60)
    form.email.errors = [
        _(
            "Too many tries for this account. Wait %(wait)s, or ask your time bank's "
            "coordinator or the administrator for a new link to set your password.",
            wait=format_timedelta(
                timedelta(minutes=minutes), granularity="minute", threshold=1, add_direction=False
            ),
        )
    ]
    page = render_template("auth/sign_in.html", form=form)
    return page, 429, {"Retry-After": str(minutes * 60)}


@bp.post("/sign-out")
def sign_out() -> Response:
    if current_user.is_authenticated:
        operations.record_sign_out(db.session, current_user)
        db.session.commit()
    session.clear()
    # after clearing: Flask-Login notes here that a remember cookie sent with this request
    # is to be cleared from the browser too
    logout_user()
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
        try:
            person = operations.use_reset(db.session, reset, form.password.data or "")
        except PasswordRefused as refused:
            db.session.rollback()
            form.password.errors = [PASSWORD_REFUSALS[refused.refusal]]
        else:
            email = person.email
            db.session.commit()
            # a new password unlocks an account that had too many wrong ones
            if email:
                sign_in_limits.forget(email)
            flash(_l("Your password is set. You can sign in now."))
            return redirect(url_for("auth.sign_in"))
    return render_template("auth/set_password.html", form=form, person=reset.user)
