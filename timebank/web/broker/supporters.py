"""A member's supporters, named by a broker: a family carer or friend who may look at the
member's own pages (read-only), signing in with their own member card or their own account.

The list and the form sit on the member's record (``broker/_member_supporters.html``); these
views only change it and go back there. Every change is audited in :mod:`member_view`.
"""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from werkzeug.wrappers import Response
from wtforms import EmailField, IntegerField
from wtforms.validators import Length, NumberRange, Optional

from timebank.db import id_from_text
from timebank.extensions import db
from timebank.members import member_view
from timebank.members.models import Member, MemberSupporter
from timebank.users.models import User
from timebank.web.access import bank_or_404, broker_required, member_or_404, user
from timebank.web.broker import bp
from timebank.web.forms import Form


class SupporterForm(Form):
    """Who the supporter is: a member of the same bank, or someone with an account."""

    member_number = IntegerField(
        _l("Their member number, if they are a member here"),
        validators=[Optional(), NumberRange(min=1)],
    )
    email = EmailField(
        _l("Or the email address of their account"), validators=[Optional(), Length(max=254)]
    )


@bp.app_context_processor
def _supporter_helpers() -> dict[str, Any]:
    return {"supporters_of": lambda member: member_view.supporters_of(db.session, member)}


def _back(bank_id: int, member_id: int) -> Response:
    return redirect(
        url_for("broker.member", bank_id=bank_id, member_id=member_id, _anchor="supporters")
    )


_PROBLEMS = {
    "self": _l("A member cannot be their own supporter."),
    "other_bank": _l("That member is in another time bank."),
    "member_left": _l("That member has left the time bank."),
    "already": _l("They are already a supporter."),
}


@bp.get("/banks/<int:bank_id>/members/<int:member_id>/supporters")
@broker_required
def member_supporters(bank_id: int, member_id: int) -> Response:
    """The supporters are listed on the member's record."""
    bank = bank_or_404(bank_id)
    member = member_or_404(bank, member_id)
    return _back(bank.id, member.id)


@bp.post("/banks/<int:bank_id>/members/<int:member_id>/supporters")
@broker_required
def add_member_supporter(bank_id: int, member_id: int) -> Response:
    """Name a supporter, who may then view the member's pages."""
    bank = bank_or_404(bank_id)
    member = member_or_404(bank, member_id)
    form = SupporterForm()
    if not form.validate() or bool(form.member_number.data) == bool(form.email.data):
        flash(_("Give the supporter's member number or the email of their account, not both."))
        return _back(bank.id, member.id)
    supporter_member = supporter_user = None
    if form.member_number.data:
        supporter_member = db.session.scalars(
            select(Member).where(
                Member.bank_id == bank.id, Member.member_number == form.member_number.data
            )
        ).one_or_none()
        if supporter_member is None:
            flash(_("No member of this time bank has that number."))
            return _back(bank.id, member.id)
    else:
        email = (form.email.data or "").strip().lower()
        supporter_user = db.session.scalars(
            select(User).where(func.lower(User.email) == email, User.is_active.is_(True))
        ).one_or_none()
        if supporter_user is None:
            flash(_("Nobody has an account with that email. An administrator can make one."))
            return _back(bank.id, member.id)
    try:
        member_view.add_supporter(
            db.session,
            member,
            supporter_member=supporter_member,
            supporter_user=supporter_user,
            by=user().id,
        )
    except member_view.SupporterError as error:
        db.session.rollback()
        flash(str(_PROBLEMS.get(error.code, _("This supporter cannot be added."))))
        return _back(bank.id, member.id)
    db.session.commit()
    flash(_("The supporter can now look at %(name)s's time.", name=member.display_name))
    return _back(bank.id, member.id)


# the supporter to stop is in the form, so every route of the workspace takes only the ids the
# tenancy tests know
@bp.post("/banks/<int:bank_id>/members/<int:member_id>/supporters/end")
@broker_required
def end_member_supporter(bank_id: int, member_id: int) -> Response:
    """Stop a supporter looking at the member's pages, at once."""
    bank = bank_or_404(bank_id)
    member = member_or_404(bank, member_id)
    link_id = request.form.get("link", type=id_from_text)
    link = db.session.get(MemberSupporter, link_id) if link_id else None
    if link is None or link.member_id != member.id or link.ended_at is not None:
        abort(404)
    member_view.end_supporter(db.session, link, by=user().id)
    db.session.commit()
    flash(_("That supporter can no longer look at %(name)s's time.", name=member.display_name))
    return _back(bank.id, member.id)
