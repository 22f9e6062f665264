"""A member's data protection rights: erasing a member who left, and subject access.

The work is done by :mod:`timebank.members.erasure` and :mod:`timebank.members.subject_access`;
these views check who asks, put it into words and hand it over.
"""

from __future__ import annotations

from flask import Response, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response as BaseResponse

from timebank.db import utcnow
from timebank.extensions import db
from timebank.members import erasure
from timebank.members.monitoring import LABELS, QUESTIONS
from timebank.members.subject_access import subject_access as gather
from timebank.web.access import (
    bank_or_404,
    broker_required,
    member_or_404,
    special_category,
    user,
)
from timebank.web.broker import bp
from timebank.web.broker.forms import ErasureForm
from timebank.web.broker.members import member_page
from timebank.web.broker.statements import ACTION_WORDS, FIELD_WORDS, kind_words


@bp.post("/banks/<int:bank_id>/members/<int:member_id>/erase")
@broker_required
def erase_member(bank_id: int, member_id: int) -> BaseResponse | tuple[str, int]:
    """Erase a member who left: their details go for good; their hours stay in the books."""
    bank = bank_or_404(bank_id)
    member = member_or_404(bank, member_id)
    form = ErasureForm()
    if not form.validate_on_submit():
        return member_page(bank, member, erase_form=form), 400
    try:
        done = erasure.erase_member(
            db.session, member, reason=form.reason.data or "", by_user_id=user().id
        )
    except erasure.ErasureError as error:
        db.session.rollback()
        if error.code == "already_erased":
            form.reason.errors = [_("This member's details were erased already.")]
        elif error.code == "not_left":
            form.reason.errors = [_("Record that the member left before erasing their details.")]
        else:
            form.reason.errors = [_("Say why their details are being erased")]
        return member_page(bank, member, erase_form=form), 409
    db.session.commit()
    flash(
        _(
            "The details of member %(number)s are erased. Their hours stay in the books.",
            number=done.member_number,
        )
    )
    return redirect(url_for("broker.member", bank_id=bank.id, member_id=member.id))


@bp.get("/banks/<int:bank_id>/members/<int:member_id>/subject-access")
@special_category
def subject_access(bank_id: int, member_id: int) -> Response:
    """Everything the bank holds about a member, to read or print and hand to them."""
    bank = bank_or_404(bank_id)
    member = member_or_404(bank, member_id)
    found = gather(db.session, member, now=utcnow())
    response = Response(
        render_template(
            "broker/subject_access.html",
            bank=bank,
            member=member,
            found=found,
            questions=[(q, label) for q, (label, _choices) in QUESTIONS.items()],
            answer_words=LABELS,
            field_words=FIELD_WORDS,
            action_words=ACTION_WORDS,
            kind_words=kind_words,
        ),
        mimetype="text/html",
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/banks/<int:bank_id>/members/<int:member_id>/subject-access.json")
@special_category
def subject_access_json(bank_id: int, member_id: int) -> Response:
    """The same as a JSON file, for a member who wants it to take elsewhere."""
    bank = bank_or_404(bank_id)
    member = member_or_404(bank, member_id)
    found = gather(db.session, member, now=utcnow())
    response = Response(found.as_json(), mimetype="application/json")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="member-{member.member_number}-subject-access.json"'
    )
    response.headers["Cache-Control"] = "no-store"
    return response
