"""The member's own pages: My time, offers and requests, what the bank needs, recording help,
help and contact, and a supporter's read-only view.

Every page finds its member through :func:`current_member` (the card this phone signed in
with), never from an id in the address; the one exception, a supporter's view, checks the
supporter's row first and answers 404 for anyone else.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import (
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from timebank import exchanges, statements
from timebank.db import writing
from timebank.exchanges import HelpDetails, HelpRefused
from timebank.extensions import db
from timebank.ledger import ErrorCode, LedgerError, TransferKind
from timebank.members import member_view, skills
from timebank.members.models import Member, MemberSkillStatus, Skill, SkillDirection
from timebank.members.operations import member_account
from timebank.web.member import bp
from timebank.web.member.forms import AddSkillForm, RecordForm
from timebank.web.member_auth import current_member, member_required
from timebank.web.templating import skill_name


@bp.before_request
def _member_language() -> None:
    """Use the member's own language until they pick one with the switcher."""
    if session.get("lang") or request.args.get("lang"):
        return
    member = current_member()
    if member is None:
        return
    locales = current_app.config["LOCALES"]
    wanted = member.preferred_locale or ""
    for code in (wanted, wanted.split("_")[0]):
        if code in locales:
            session["lang"] = code
            return


@bp.context_processor
def _signed_in() -> dict[str, Any]:
    # the sign-out button shows only to a member signed in with a card on this phone
    return {"member_signed_in": current_member() is not None}


def _me() -> Member:
    member = current_member()
    if member is None:  # member_required has already sent anyone else away
        abort(404)
    return member


def _page(template: str, member: Member, **context: Any) -> str:
    return render_template(template, bank=member.bank, member=member, **context)


# -- My time ----------------------------------------------------------------------------------


def _time_context(member: Member) -> dict[str, Any]:
    """Everything "My time" shows. It only reads: help past its 30 days is shown as lapsed
    without being marked so (the daily ``timebank expire-pending`` does that)."""
    today = member.bank.today()
    to_answer, recorded = member_view.waiting_both_ways(db.session, member)
    return {
        "balance": member_account(db.session, member.id).balance,
        "totals": member_view.year_totals(db.session, member, today),
        "year": today.year,
        "recent": member_view.recent(db.session, member),
        "to_answer": to_answer,
        "recorded": recorded,
    }


@bp.get("")
@member_required
def home() -> str:
    """My time: the hours in the bank, this year's help, the last ten exchanges, and help
    waiting for the member to say it happened."""
    member = _me()
    supports = member_view.supported_members(db.session, supporter_member_id=member.id)
    return _page(
        "member/home.html", member, read_only=False, supports=supports, **_time_context(member)
    )


def _explain(error: LedgerError, member: Member, other: Member | None = None) -> str:
    """A refusal from the books, in plain words for the member."""
    at_fault = error.member if isinstance(error, HelpRefused) else None
    about_me = at_fault is not None and at_fault.id == member.id
    name = other.display_name if other is not None else _("the other member")
    if error.code == ErrorCode.PENDING_EXPIRED:
        return _("This was not answered within 30 days, so it has lapsed.")
    if error.code == ErrorCode.ALREADY_RESOLVED:
        return _("This has already been answered.")
    if error.code == ErrorCode.EXCEEDS_FLOOR:
        if about_me:
            return _(
                "This would take you past the most hours you may use for now. "
                "Please ring your broker."
            )
        return _(
            "%(name)s cannot receive this much help for now. Please ring your broker.", name=name
        )
    if error.code == ErrorCode.EXCEEDS_CEILING:
        return _("This would take you past the most hours you may hold. Please ring your broker.")
    if error.code == ErrorCode.ACCOUNT_CLOSED:
        return _("This cannot be recorded for %(name)s. Please ring your broker.", name=name)
    if error.code == ErrorCode.DATE_IN_FUTURE:
        return _("That day has not come yet. Choose a day that has passed.")
    if error.code == ErrorCode.AMOUNT_TOO_LARGE:
        return _("Help in one go can be at most 24 hours")
    if error.code == ErrorCode.IDEMPOTENCY_KEY_REUSED:
        return _("This form was already sent with other details. Please start again.")
    return _("Sorry, this could not be recorded. Please ring your broker.")


@bp.post("/waiting/<int:pending_id>/yes")
@member_required
def confirm(pending_id: int) -> Response:
    """The member says the help happened: the hours move now."""
    member = _me()
    pending = member_view.pending_to_answer(db.session, member, pending_id) or abort(404)
    try:
        posted = exchanges.confirm_pending(db.session, pending, by_member_id=member.id)
    except LedgerError as error:
        db.session.rollback()
        flash(_explain(error, member))
        return redirect(url_for("member.home"))
    db.session.commit()
    if posted.replayed:  # a second tap: nothing more moved
        flash(_("This has already been answered."))
        return redirect(url_for("member.home"))
    flash(_("Thank you. The hours are now in the bank."))
    return redirect(url_for("member.home"))


@bp.post("/waiting/<int:pending_id>/no")
@member_required
def decline(pending_id: int) -> Response:
    """The member says the help did not happen: it will never move hours."""
    member = _me()
    pending = member_view.pending_to_answer(db.session, member, pending_id) or abort(404)
    try:
        declined = exchanges.decline_pending(
            db.session, pending, "the member said it did not happen", by_member_id=member.id
        )
    except LedgerError as error:
        db.session.rollback()
        flash(_explain(error, member))
        return redirect(url_for("member.home"))
    db.session.commit()
    if declined.replayed:
        flash(_("This has already been answered."))
        return redirect(url_for("member.home"))
    flash(_("Thank you. We will not count it. Your broker may ring to check."))
    return redirect(url_for("member.home"))


# -- My offers and requests -------------------------------------------------------------------


def _skill_choices(member: Member) -> list[tuple[int, str]]:
    kinds = sorted(
        ((s.id, skill_name(s)) for s in skills.bank_skills(db.session, member.bank_id)),
        key=lambda choice: choice[1].casefold(),
    )
    return [(0, _("Choose a kind of help")), *kinds]


def _offers_page(member: Member, form: AddSkillForm, status: int = 200) -> tuple[str, int]:
    return (
        _page(
            "member/offers.html",
            member,
            form=form,
            mine=member_view.own_skills(db.session, member),
        ),
        status,
    )


@bp.get("/offers")
@member_required
def offers() -> tuple[str, int]:
    """The member's offers and requests, with a form to add one."""
    member = _me()
    form = AddSkillForm(formdata=None)
    form.skill.choices = _skill_choices(member)
    return _offers_page(member, form)


@bp.post("/offers")
@member_required
def add_offer() -> Response | tuple[str, int]:
    """Add an offer or a request; a broker sees it on the member's record and the match page."""
    member = _me()
    form = AddSkillForm()
    form.skill.choices = _skill_choices(member)
    if not form.check():
        return _offers_page(member, form, 400)
    skill = db.session.get(Skill, form.skill.data)
    if skill is None:
        abort(404)
    try:
        skills.add_member_skill(
            db.session,
            member,
            skill,
            SkillDirection(form.direction.data),
            form.note.data or "",
            by=None,
            by_member=member.id,
        )
    except skills.SkillError as error:
        db.session.rollback()
        form.skill.errors = [
            _("You already have this on your list.")
            if error.code == "duplicate"
            else _("This cannot be added. Please ring your broker.")
        ]
        return _offers_page(member, form, 400)
    db.session.commit()
    flash(
        _("Added: %(what)s. Your broker can see it.", what=skill_name(skill))
        if form.direction.data == "offer"
        else _(
            "Added: %(what)s. Your broker will look for someone to help.", what=skill_name(skill)
        )
    )
    return redirect(url_for("member.offers"))


@bp.post("/offers/<int:member_skill_id>/<any(pause, resume):change>")
@member_required
def change_offer(member_skill_id: int, change: str) -> Response:
    """Pause an offer or request, or start it again."""
    member = _me()
    mine = member_view.own_skill(db.session, member, member_skill_id) or abort(404)
    status = MemberSkillStatus.PAUSED if change == "pause" else MemberSkillStatus.OPEN
    if mine.status != MemberSkillStatus.DONE:
        skills.set_status(db.session, mine, status, by=None, by_member=member.id)
        db.session.commit()
    flash(
        _("Paused: %(what)s.", what=skill_name(mine.skill))
        if change == "pause"
        else _("Started again: %(what)s.", what=skill_name(mine.skill))
    )
    return redirect(url_for("member.offers"))


# -- What the bank needs now ------------------------------------------------------------------


@bp.get("/needs")
@member_required
def needs() -> str:
    """Other members' requests for help this member offers, and the number to ring."""
    member = _me()
    offering = [
        s
        for s in member_view.own_skills(db.session, member)
        if s.direction == "offer" and s.status == MemberSkillStatus.OPEN
    ]
    return _page(
        "member/needs.html",
        member,
        needs=member_view.needs_for(db.session, member),
        offering=offering,
        first_name=member_view.first_name,
    )


# -- Record help I gave -----------------------------------------------------------------------


def _record_form(member: Member, formdata: Any = None) -> RecordForm:
    form = RecordForm(formdata=formdata) if formdata is not None else RecordForm(formdata=None)
    people = member_view.fellow_members(db.session, member)
    form.receiver.choices = [
        (0, _("Choose a member")),
        *(
            (m.id, _("%(name)s, member %(number)s", name=m.display_name, number=m.member_number))
            for m in people
        ),
    ]
    form.skill.choices = _skill_choices(member)
    return form


def _record_page(
    member: Member, form: RecordForm, status: int = 200, **extra: Any
) -> tuple[str, int]:
    today = member.bank.today()
    return (
        _page(
            "member/record.html",
            member,
            form=form,
            today=today,
            max_days_back=90,
            extra_errors=extra.get("extra_errors", []),
        ),
        status,
    )


@bp.get("/record")
@member_required
def record() -> tuple[str, int]:
    """Step 1 of 2: who, what, how long and when."""
    member = _me()
    form = _record_form(member)
    return _record_page(member, form)


@bp.post("/record")
@member_required
def record_check() -> tuple[str, int]:
    """Step 2 of 2: check and send; or back to step 1 to change something."""
    member = _me()
    form = _record_form(member, request.form)
    if request.form.get("change"):
        form.validate()
        for f in form:
            f.errors = []
        return _record_page(member, form)
    today = member.bank.today()
    if not form.check(today):
        return _record_page(member, form, 400)
    return _check_page(member, form, today), 200


def _check_page(member: Member, form: RecordForm, today: date, error: str = "") -> str:
    return _page(
        "member/record_check.html",
        member,
        form=form,
        receiver=db.session.get(Member, form.receiver.data),
        skill=db.session.get(Skill, form.skill.data),
        minutes=form.total_minutes,
        given_on=form.given_on(today),
        today=today,
        error=error,
    )


@bp.post("/record/send")
@member_required
def record_send() -> Response | tuple[str, int]:
    """Record the help as waiting: it moves no hours until the other member (or a broker)
    says it happened."""
    member = _me()
    form = _record_form(member, request.form)
    today = member.bank.today()
    if not form.check(today):
        return _record_page(member, form, 400)
    receiver = db.session.get(Member, form.receiver.data)
    if receiver is None or receiver.bank_id != member.bank_id:
        abort(404)
    help_given = HelpDetails(
        minutes=form.total_minutes,
        given_on=form.given_on(today),
        skill_id=form.skill.data,
        # the member's own keys, apart from the brokers' and the API's
        idempotency_key=f"member:{member.id}:{form.key.data}",
    )
    try:
        recorded = exchanges.record_pending(
            db.session, provider=member, receiver=receiver, help=help_given
        )
    except LedgerError as error:
        db.session.rollback()
        return _check_page(member, form, today, _explain(error, member, receiver)), 400
    db.session.commit()
    return redirect(url_for("member.record_sent", pending_id=recorded.pending.id))


@bp.get("/record/sent/<int:pending_id>")
@member_required
def record_sent(pending_id: int) -> str:
    """Thank you: the other member has been asked to say it happened."""
    member = _me()
    line = member_view.pending_recorded_by(db.session, member, pending_id) or abort(404)
    return _page("member/record_sent.html", member, line=line)


# -- Help and contact -------------------------------------------------------------------------


@bp.get("/help")
@member_required
def help_page() -> str:
    """Who to ring, and what a time bank is, in easy read."""
    member = _me()
    return _page(
        "member/help.html", member, brokers=member_view.brokers(db.session, member.bank_id)
    )


@bp.get("/statement")
@member_required
def statement() -> str:
    """This year's hours in large print, ready to print."""
    member = _me()
    today = member.bank.today()
    start, end = statements.default_statement_period(today)
    found = statements.member_statement(db.session, member.id, start, end)
    others = {
        m.id: m
        for m in db.session.query(Member).filter(
            Member.id.in_({line.counterparty_member_id for line in found.lines} - {None})
        )
    }
    names = {s.id: skill_name(s) for s in skills.bank_skills(db.session, member.bank_id)}
    return _page(
        "member/statement.html",
        member,
        statement=found,
        others=others,
        skill_names=names,
        today=today,
        exchange_kinds=(TransferKind.EXCHANGE, TransferKind.GROUP_EXCHANGE),
    )


# -- Supporters -------------------------------------------------------------------------------


def _supporter_ids() -> tuple[int | None, int | None] | None:
    """Who is asking: the member signed in with a card, or a signed-in user; None if nobody."""
    member = current_member()
    user_id = current_user.id if current_user.is_authenticated else None
    if member is None and user_id is None:
        return None
    return (member.id if member else None, user_id)


def _supported(ids: tuple[int | None, int | None]) -> list[Member]:
    member_id, user_id = ids
    found = {
        m.id: m
        for m in member_view.supported_members(db.session, supporter_member_id=member_id)
        + member_view.supported_members(db.session, supporter_user_id=user_id)
    }
    return sorted(found.values(), key=lambda m: (m.display_name.casefold(), m.id))


@bp.get("/supporting")
def supporting() -> Response | str:
    """The members this person supports."""
    ids = _supporter_ids()
    if ids is None:
        return redirect(url_for("member_auth.signed_out"))
    me = current_member()
    people = _supported(ids)
    return render_template(
        "member/supporting.html",
        bank=me.bank if me else (people[0].bank if people else None),
        member=me,
        people=people,
    )


@bp.get("/supporting/<int:member_id>")
def supported_time(member_id: int) -> Response | str:
    """A supported member's time, read-only, with a banner saying whose it is. Audited."""
    ids = _supporter_ids()
    if ids is None:
        return redirect(url_for("member_auth.signed_out"))
    supported = next((m for m in _supported(ids) if m.id == member_id), None)
    if supported is None:
        abort(404)
    viewer_member_id, viewer_user_id = ids
    # the view is audited in a short write of its own, before the page is rendered
    with writing(db.session):
        member_view.record_supporter_view(
            db.session,
            supported,
            supporter_member_id=viewer_member_id,
            supporter_user_id=viewer_user_id,
        )
    return render_template(
        "member/home.html",
        bank=supported.bank,
        member=supported,
        viewer=current_member(),
        read_only=True,
        **_time_context(supported),
    )
