"""Members sign in with their card: scan its QR code, type the 4-digit PIN.

A correct PIN signs the member in on that phone for 90 days: the card's id goes into a
permanent session cookie. Every request checks that the card still works, so reissuing a card
(or the member leaving) signs out every phone that used the old one, at its next request.

A broker or admin of the member's bank who opens a card's link goes to "Log an exchange" with
that member filled in: a broker can scan a member's card with the phone's own camera app.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import wraps
from typing import Any, TypeVar

from flask import Blueprint, g, redirect, render_template, session, url_for
from flask.blueprints import BlueprintSetupState
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy.orm import joinedload
from werkzeug.routing import BuildError
from werkzeug.wrappers import Response
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from timebank import cards
from timebank.db import utcnow
from timebank.extensions import db, limiter
from timebank.i18n import available_locales
from timebank.members.models import Member, MemberCard, MemberStatus
from timebank.users.models import Role
from timebank.web.forms import Form

bp = Blueprint("member_auth", __name__)

#: How long a phone stays signed in after the PIN, counted from the sign-in, not the last visit.
MEMBER_SESSION_LIFETIME = timedelta(days=90)
CARD_KEY = "member_card_id"
SIGNED_IN_KEY = "member_signed_in_at"

F = TypeVar("F", bound=Callable[..., Any])


@bp.record_once
def _session_lifetime(state: BlueprintSetupState) -> None:
    # Only member sessions are permanent (brokers' cookies end with the browser), so the
    # lifetime of permanent sessions is the members' 90 days. Flask's own default (31 days)
    # is replaced; a lifetime set on purpose in the configuration is kept.
    app = state.app
    if app.config.get("PERMANENT_SESSION_LIFETIME") == app.default_config.get(
        "PERMANENT_SESSION_LIFETIME"
    ):
        app.config["PERMANENT_SESSION_LIFETIME"] = MEMBER_SESSION_LIFETIME


class PinForm(Form):
    pin = StringField(
        _l("Your 4-digit PIN"),
        validators=[DataRequired(_l("Type your 4-digit PIN")), Length(max=12)],
        render_kw={
            "inputmode": "numeric",
            "autocomplete": "one-time-code",
            "pattern": "[0-9]*",
            "maxlength": 4,
            "class": "pin-input",
        },
    )


# -- who is signed in -------------------------------------------------------------------------


def current_card() -> MemberCard | None:
    """The card this phone signed in with, while it still works; else None (and the phone's
    member sign-in is forgotten)."""
    card_id = session.get(CARD_KEY)
    if card_id is None:
        return None
    # asked several times a page; kept in g so the card stays loaded for the whole request
    if g.get("member_card_id") == card_id:
        return g.member_card
    found = _checked_card(card_id)
    g.member_card_id, g.member_card = card_id, found
    return found


def _checked_card(card_id: object) -> MemberCard | None:
    # the member and their bank come with the card: every member page needs all three
    card = (
        db.session.get(
            MemberCard,
            card_id,
            options=[joinedload(MemberCard.member).joinedload(Member.bank)],
        )
        if isinstance(card_id, int)
        else None
    )
    signed_in_at = session.get(SIGNED_IN_KEY)
    still_good = (
        card is not None
        and card.revoked_at is None
        and card.member.status != MemberStatus.LEFT
        and isinstance(signed_in_at, int | float)
        and utcnow() - datetime.fromtimestamp(signed_in_at, tz=UTC) < MEMBER_SESSION_LIFETIME
    )
    if not still_good:
        _forget_member()
        return None
    return card


def current_member() -> Member | None:
    """The member signed in on this phone (with their card, or with the optional email and
    password some members choose), or None."""
    card = current_card()
    if card is not None:
        return card.member
    if (
        current_user.is_authenticated
        and current_user.role == Role.MEMBER
        and current_user.member_id
    ):
        member = db.session.get(Member, current_user.member_id)
        if member is not None and member.status != MemberStatus.LEFT:
            return member
    return None


def member_required(view: F) -> F:
    """Only for a signed-in member; anyone else is asked to scan their card."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if current_member() is None:
            return redirect(url_for("member_auth.signed_out"))
        return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def _forget_member() -> None:
    session.pop(CARD_KEY, None)
    session.pop(SIGNED_IN_KEY, None)
    session.permanent = False


def member_home() -> str:
    """The member's first page; ``/me`` until the member pages are registered."""
    try:
        return url_for("member.home")
    except BuildError:
        return "/me"


# -- the card's link --------------------------------------------------------------------------


def _usable_card(token: str) -> MemberCard | None:
    card = cards.find_card(db.session, token)
    if card is None or card.member.status == MemberStatus.LEFT:
        return None
    return card


def _brokers_for(member: Member) -> bool:
    if not current_user.is_authenticated:
        return False
    if current_user.role == Role.ADMIN:
        return True
    return current_user.role == Role.COORDINATOR and any(
        bank.id == member.bank_id for bank in current_user.banks
    )


def _card_gone() -> tuple[str, int]:
    return render_template("member_auth/card_gone.html"), 404


@bp.get("/c/<token>")
def card(token: str) -> str | Response | tuple[str, int]:
    """A card's QR code opens here: the PIN form, or for the member's broker, "Log help"."""
    found = _usable_card(token)
    if found is None:
        return _card_gone()
    member = found.member
    if _brokers_for(member):
        return redirect(url_for("broker.log_exchange", bank_id=member.bank_id, provider=member.id))
    return _pin_page(found, PinForm())


@bp.post("/c/<token>")
@limiter.limit("30/hour")
def card_pin(token: str) -> str | Response | tuple[str, int]:
    """Check the PIN; a right one signs the member in on this phone."""
    found = _usable_card(token)
    if found is None:
        return _card_gone()
    form = PinForm()
    if not form.validate_on_submit():
        return _pin_page(found, form)
    now = utcnow()
    result = cards.sign_in(db.session, found, (form.pin.data or "").strip(), now)
    db.session.commit()  # wrong tries and locks count whatever happens next
    if result == cards.PinCheck.OK:
        _sign_in(found, now)
        return redirect(member_home())
    # a wrong PIN is never typed back into the page
    form.pin.data = ""
    if result == cards.PinCheck.WRONG:
        left = cards.tries_left(found)
        form.pin.errors = [
            ngettext(
                "That PIN is not right. You have %(num)d try left.",
                "That PIN is not right. You have %(num)d tries left.",
                left,
            )
        ]
    return _pin_page(found, form)


def _pin_page(found: MemberCard, form: PinForm) -> str:
    now = utcnow()
    return render_template(
        "member_auth/pin.html",
        form=form,
        bank=found.member.bank,
        locked=cards.is_locked(found, now),
        no_pin=found.pin_hash is None,
    )


def _sign_in(found: MemberCard, now: datetime) -> None:
    # a new session on sign-in: nothing from before survives into the signed-in one
    language = session.get("lang")
    session.clear()
    if language in available_locales():
        session["lang"] = language
    elif found.member.preferred_locale in available_locales():
        session["lang"] = found.member.preferred_locale
    session[CARD_KEY] = found.id
    session[SIGNED_IN_KEY] = int(now.timestamp())
    session.permanent = True


# -- signing out ------------------------------------------------------------------------------


@bp.post("/me/sign-out")
def sign_out() -> Response:
    """Sign out on this phone."""
    card = current_card()
    if card is not None:
        cards.record_sign_out(db.session, card)
        db.session.commit()
    language = session.get("lang")
    session.clear()
    if language:
        session["lang"] = language
    return redirect(url_for("member_auth.signed_out"))


@bp.get("/me/signed-out")
def signed_out() -> str:
    """Nobody is signed in on this phone: how to sign in with the card."""
    return render_template(
        "member_auth/signed_out.html", signed_in=current_member() is not None, home=member_home()
    )
