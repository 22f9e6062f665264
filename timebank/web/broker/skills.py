"""Offers, requests, matching, a bank's own kinds of help, equality monitoring and target groups.

The views are thin: the rules live in :mod:`timebank.members.skills` and
:mod:`timebank.members.monitoring_operations`.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from timebank.banks.models import Bank
from timebank.extensions import db
from timebank.members import monitoring_operations, skills
from timebank.members.catalogue import ensure_catalogue
from timebank.members.models import (
    MemberSkill,
    MemberSkillStatus,
    MemberStatus,
    Skill,
    SkillDirection,
)
from timebank.members.monitoring import QUESTIONS, TARGET_GROUPS
from timebank.web.access import (
    bank_or_404,
    broker_required,
    member_or_404,
    special_category,
    user,
)
from timebank.web.broker import bp
from timebank.web.broker.skill_forms import (
    NOT_ASKED,
    BankSkillForm,
    MemberSkillForm,
    MonitoringForm,
    NoteForm,
    TargetGroupsForm,
)
from timebank.web.templating import skill_name


def member_skill_or_404(bank: Bank, member_skill_id: int) -> MemberSkill:
    """An offer or request of a member of this bank; anything else is not found."""
    member_skill = db.session.get(MemberSkill, member_skill_id)
    if member_skill is None or member_skill.member.bank_id != bank.id:
        abort(404)
    return member_skill


def _skill_choices(bank: Bank) -> list[tuple[str, str]]:
    ensure_catalogue(db.session)
    choices = [(str(s.id), skill_name(s)) for s in skills.bank_skills(db.session, bank.id)]
    return [("", _("Choose")), *sorted(choices, key=lambda c: c[1].casefold())]


def _back_to_member(bank: Bank, member_id: int) -> Response:
    return redirect(url_for("broker.member", bank_id=bank.id, member_id=member_id) + "#skills")


# -- offers and requests --------------------------------------------------------------------------


@bp.route("/banks/<int:bank_id>/members/<int:member_id>/skills/new", methods=["GET", "POST"])
@broker_required
def new_member_skill(bank_id: int, member_id: int) -> str | Response:
    """Add help a member can give, or would like."""
    bank = bank_or_404(bank_id)
    member = member_or_404(bank, member_id)
    if member.status == MemberStatus.LEFT:
        abort(409)
    form = MemberSkillForm()
    form.skill.choices = _skill_choices(bank)
    if request.method == "GET" and request.args.get("direction") in ("offer", "request"):
        form.direction.data = request.args["direction"]
    if form.validate_on_submit():
        skill = db.session.get(Skill, int(form.skill.data))
        try:
            if skill is None:
                raise skills.SkillError("not_found", "no such kind of help")
            added = skills.add_member_skill(
                db.session,
                member,
                skill,
                SkillDirection(form.direction.data),
                form.note.data or "",
                by=user().id,
            )
        except skills.SkillError as error:
            db.session.rollback()
            if error.code == "duplicate":
                message = _("%(name)s already has this on their list.", name=member.display_name)
            else:
                message = _("Choose the kind of help")
            form.skill.errors = [*form.skill.errors, message]
        else:
            db.session.commit()
            flash(
                _("Added help %(name)s can give.", name=member.display_name)
                if added.direction == SkillDirection.OFFER
                else _("Added help %(name)s would like.", name=member.display_name)
            )
            return _back_to_member(bank, member.id)
    return render_template("broker/skills_new.html", bank=bank, member=member, form=form)


@bp.route("/banks/<int:bank_id>/skills/<int:member_skill_id>/edit", methods=["GET", "POST"])
@broker_required
def edit_member_skill(bank_id: int, member_skill_id: int) -> str | Response:
    """Change the member's own words about an offer or request."""
    bank = bank_or_404(bank_id)
    member_skill = member_skill_or_404(bank, member_skill_id)
    form = NoteForm(obj=member_skill) if request.method == "GET" else NoteForm()
    if form.validate_on_submit():
        changed = skills.update_note(db.session, member_skill, form.note.data or "", by=user().id)
        db.session.commit()
        flash(_("Saved.") if changed else _("Nothing was changed."))
        return _back_to_member(bank, member_skill.member_id)
    return render_template(
        "broker/skills_edit.html", bank=bank, member_skill=member_skill, form=form
    )


@bp.post("/banks/<int:bank_id>/skills/<int:member_skill_id>/status")
@broker_required
def member_skill_status(bank_id: int, member_skill_id: int) -> Response:
    """Pause, resume, or mark a request as met."""
    bank = bank_or_404(bank_id)
    member_skill = member_skill_or_404(bank, member_skill_id)
    try:
        wanted = MemberSkillStatus(request.form.get("status", ""))
        skills.set_status(db.session, member_skill, wanted, by=user().id)
    except ValueError:  # an unknown status, or an offer marked as done
        db.session.rollback()
        abort(400)
    db.session.commit()
    flash(
        {
            MemberSkillStatus.OPEN: _("It is open again."),
            MemberSkillStatus.PAUSED: _("It is paused."),
            MemberSkillStatus.DONE: _("The request is marked as met."),
        }[wanted]
    )
    back = request.form.get("next", "")
    if back == "requests":
        return redirect(url_for("broker.open_requests", bank_id=bank.id))
    return _back_to_member(bank, member_skill.member_id)


@bp.get("/banks/<int:bank_id>/requests")
@broker_required
def open_requests(bank_id: int) -> str:
    """Help members would like, longest waiting first."""
    bank = bank_or_404(bank_id)
    return render_template(
        "broker/requests.html", bank=bank, requests=skills.open_requests(db.session, bank.id)
    )


@bp.get("/banks/<int:bank_id>/requests/<int:member_skill_id>/matches")
@broker_required
def matches(bank_id: int, member_skill_id: int) -> str:
    """Who could meet a request: nearby first, and those owed some help back before others."""
    bank = bank_or_404(bank_id)
    wanted = member_skill_or_404(bank, member_skill_id)
    if wanted.direction != SkillDirection.REQUEST:
        abort(404)
    today = bank.today()
    return render_template(
        "broker/matches.html",
        bank=bank,
        wanted=wanted,
        found=skills.matches(db.session, wanted, today),
        today=today,
    )


# -- the bank's own kinds of help -----------------------------------------------------------------


@bp.route("/banks/<int:bank_id>/skills", methods=["GET", "POST"])
@broker_required
def bank_skills(bank_id: int) -> str | Response:
    """The kinds of help this bank added to the shared list, and a form to add another."""
    bank = bank_or_404(bank_id)
    form = BankSkillForm()
    if form.validate_on_submit():
        try:
            skill = skills.add_bank_skill(db.session, bank, form.name.data or "", by=user().id)
        except skills.SkillError:
            db.session.rollback()
            form.name.errors = [*form.name.errors, _("That kind of help is already on the list.")]
        else:
            db.session.commit()
            flash(_("Added “%(name)s”.", name=skill.name))
            return redirect(url_for("broker.bank_skills", bank_id=bank.id))
    ensure_catalogue(db.session)
    shared = [s for s in skills.bank_skills(db.session, bank.id) if s.bank_id is None]
    return render_template(
        "broker/skills_bank.html",
        bank=bank,
        form=form,
        own=skills.own_skills(db.session, bank.id),
        shared=sorted((_(s.name) for s in shared), key=str.casefold),
    )


# -- equality monitoring --------------------------------------------------------------------------


@bp.route("/banks/<int:bank_id>/members/<int:member_id>/monitoring", methods=["GET", "POST"])
@special_category
def monitoring(bank_id: int, member_id: int) -> str | Response:
    """A member's equality-monitoring answers: only their own bank's coordinators see them."""
    # administrators run the installation but are not trusted with these answers (404)
    bank = bank_or_404(bank_id)
    member = member_or_404(bank, member_id)
    record = monitoring_operations.answers_of(db.session, member)
    form = MonitoringForm()
    if request.method == "GET" and record is not None:
        form.consent_on.data = record.consent_on
        for question in QUESTIONS:
            value = getattr(record, question)
            getattr(form, question).data = value.value if value is not None else NOT_ASKED
    if request.method == "POST" and request.form.get("withdraw"):
        if monitoring_operations.withdraw(db.session, member, by=user().id):
            db.session.commit()
        flash(_("All of %(name)s's answers are removed.", name=member.display_name))
        return redirect(url_for("broker.member", bank_id=bank.id, member_id=member.id))
    if form.validate_on_submit():
        if form.consent_on.data and form.consent_on.data > bank.today():
            form.consent_on.errors = [_("The date they agreed cannot be in the future")]
        else:
            changed = monitoring_operations.save_answers(
                db.session,
                member,
                form.answers(),
                consent_on=form.consent_on.data,
                by=user().id,
            )
            db.session.commit()
            flash(_("Saved.") if changed else _("Nothing was changed."))
            return redirect(url_for("broker.member", bank_id=bank.id, member_id=member.id))
    return render_template(
        "broker/monitoring.html",
        bank=bank,
        member=member,
        form=form,
        record=record,
        questions=list(QUESTIONS),
    )


# -- target groups --------------------------------------------------------------------------------


@bp.route("/banks/<int:bank_id>/target-groups", methods=["GET", "POST"])
@broker_required
def target_groups(bank_id: int) -> str | Response:
    """Choose the groups the bank was funded to reach, so reports can show whether it did."""
    bank = bank_or_404(bank_id)
    form = TargetGroupsForm()
    if request.method == "GET":
        form.target_groups.data = list(bank.target_groups or [])
    if form.validate_on_submit():
        changed = monitoring_operations.set_target_groups(
            db.session, bank, list(form.target_groups.data or []), by=user().id
        )
        db.session.commit()
        flash(_("Saved.") if changed else _("Nothing was changed."))
        return redirect(url_for("broker.bank", bank_id=bank.id))
    return render_template("broker/target_groups.html", bank=bank, form=form, groups=TARGET_GROUPS)
