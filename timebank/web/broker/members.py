"""Registering, finding, editing, pausing and recording the leaving of members."""

from __future__ import annotations

import math

from babel import Locale
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.wrappers import Response

from timebank.banks.models import Bank
from timebank.db import id_from_text
from timebank.extensions import db
from timebank.ledger import Entry, Transfer
from timebank.members import operations
from timebank.members.models import (
    CheckStatus,
    ContactMethod,
    Member,
    MemberKind,
    MemberStatus,
    Skill,
)
from timebank.web.access import bank_or_404, broker_required, member_or_404, user
from timebank.web.asked import asked_page
from timebank.web.broker import bp
from timebank.web.broker.forms import (
    DEFAULT_CONSENT,
    ErasureForm,
    LeaveForm,
    MemberAccountForm,
    MemberForm,
    SearchForm,
)
from timebank.web.templating import skill_name

#: Languages a member may prefer: those with a translation, then others common in the UK.
MEMBER_LANGUAGES = [
    "en",
    "ga",
    "pl",
    "cy",
    "gd",
    "lt",
    "pt",
    "ro",
    "bg",
    "uk",
    "ar",
    "zh",
    "ur",
    "pa",
    "bn",
    "so",
    "tr",
]


def language_choices() -> list[tuple[str, str]]:
    here = get_locale() or Locale("en")
    return [
        (code, Locale.parse(code).get_display_name(here).capitalize()) for code in MEMBER_LANGUAGES
    ]


def skill_choices(bank_id: int, blank: str) -> list[tuple[str, str]]:
    skills = db.session.scalars(
        select(Skill).where((Skill.bank_id.is_(None)) | (Skill.bank_id == bank_id))
    )
    return [("", blank), *sorted(((str(s.id), skill_name(s)) for s in skills), key=lambda c: c[1])]


@bp.get("/banks/<int:bank_id>/members")
@broker_required
def members(bank_id: int) -> str:
    """Find members by name, number, skill offered or area."""
    bank = bank_or_404(bank_id)
    form = SearchForm(request.args)
    form.skill.choices = skill_choices(bank.id, _("Any"))
    page = asked_page()
    skill_id = id_from_text(form.skill.data)
    found, total = operations.search_members(
        db.session,
        bank.id,
        text=form.q.data or "",
        skill_id=skill_id,
        area=form.area.data or "",
        include_left=request.args.get("left") == "1",
        page=page,
    )
    pages = max(math.ceil(total / 25), 1)
    return render_template(
        "broker/members.html",
        bank=bank,
        form=form,
        members=found,
        total=total,
        page=page,
        pages=pages,
        balances=_balances([m.id for m in found]),
    )


def _balances(member_ids: list[int]) -> dict[int, int]:
    from timebank.ledger import Account

    if not member_ids:
        return {}
    rows = db.session.execute(
        select(Account.member_id, Account.balance).where(Account.member_id.in_(member_ids))
    )
    return {member_id: balance for member_id, balance in rows}


def _form_data(form: MemberForm) -> dict[str, object]:
    data = {
        name: getattr(form, name).data for name in operations.PROFILE_FIELDS if hasattr(form, name)
    }
    data["display_name"] = form.display_name.data or (form.full_name.data or "").split()[0]
    data["kind"] = MemberKind(form.kind.data)
    data["contact_method"] = ContactMethod(form.contact_method.data)
    data["reference_check"] = CheckStatus(form.reference_check.data)
    data["dbs_check"] = CheckStatus(form.dbs_check.data)
    data["area"] = form.area.data or ""
    for text in ("phone", "supporter_name", "supporter_phone", "supporter_relationship"):
        data[text] = data[text] or ""
    return data


@bp.route("/banks/<int:bank_id>/members/new", methods=["GET", "POST"])
@broker_required
def new_member(bank_id: int) -> str | Response:
    """Register a member, with their consent."""
    bank = bank_or_404(bank_id)
    form = MemberForm()
    form.preferred_locale.choices = language_choices()
    if request.method == "GET":
        form.consent_on.data = bank.today()
        form.consent_wording.data = _(DEFAULT_CONSENT)
        form.preferred_locale.data = bank.default_locale.split("_")[0]
    if form.validate_on_submit():
        data = _form_data(form)
        member = operations.register_member(
            db.session,
            bank,
            full_name=data.pop("full_name"),
            display_name=data.pop("display_name"),
            kind=data.pop("kind"),
            recorded_by_id=user().id,
            **data,
        )
        db.session.commit()
        flash(
            _(
                "%(name)s is member number %(number)s.",
                name=member.display_name,
                number=member.member_number,
            )
        )
        return redirect(url_for("broker.member", bank_id=bank.id, member_id=member.id))
    return render_template("broker/member_form.html", bank=bank, form=form, member=None)


@bp.get("/banks/<int:bank_id>/members/<int:member_id>")
@broker_required
def member(bank_id: int, member_id: int) -> str:
    """One member: balance, safeguarding, offers and requests, and recent help."""
    bank = bank_or_404(bank_id)
    return member_page(bank, member_or_404(bank, member_id))


def member_page(bank: Bank, member: Member, erase_form: ErasureForm | None = None) -> str:
    """The member's page; with the erasure form as it was sent, when it needs putting right."""
    account = operations.member_account(db.session, member.id)
    recent = db.session.execute(
        select(Transfer, Entry.amount)
        .join(Entry, Entry.transfer_id == Transfer.id)
        .where(Entry.account_id == account.id)
        .order_by(Transfer.given_on.desc(), Transfer.id.desc())
        .limit(10)
    ).all()
    return render_template(
        "broker/member.html",
        bank=bank,
        member=member,
        account=account,
        recent=recent,
        problems=member.safeguarding_problems(bank.today()),
        erase_form=erase_form or ErasureForm(),
        erase_open=erase_form is not None,
    )


@bp.route("/banks/<int:bank_id>/members/<int:member_id>/edit", methods=["GET", "POST"])
@broker_required
def edit_member(bank_id: int, member_id: int) -> str | Response:
    bank = bank_or_404(bank_id)
    member = member_or_404(bank, member_id)
    if member.erased_at is not None:
        # erasure cannot be undone: nothing offers to write their details back
        flash(_("This member's details were erased. They cannot be written again."))
        return redirect(url_for("broker.member", bank_id=bank.id, member_id=member.id))
    form = MemberForm(obj=member) if request.method == "GET" else MemberForm()
    form.preferred_locale.choices = language_choices()
    if request.method == "GET":
        form.kind.data = member.kind.value
        form.contact_method.data = member.contact_method.value
        form.reference_check.data = member.reference_check.value
        form.dbs_check.data = member.dbs_check.value
    if form.validate_on_submit():
        changed = operations.update_member(db.session, member, _form_data(form), by=user().id)
        db.session.commit()
        flash(_("Saved.") if changed else _("Nothing was changed."))
        return redirect(url_for("broker.member", bank_id=bank.id, member_id=member.id))
    return render_template("broker/member_form.html", bank=bank, form=form, member=member)


@bp.post("/banks/<int:bank_id>/members/<int:member_id>/pause")
@broker_required
def pause_member(bank_id: int, member_id: int) -> Response:
    bank = bank_or_404(bank_id)
    member = member_or_404(bank, member_id)
    if member.status == MemberStatus.LEFT:
        abort(409)
    wanted = MemberStatus.ACTIVE if member.status == MemberStatus.PAUSED else MemberStatus.PAUSED
    operations.set_status(db.session, member, wanted, by=user().id)
    db.session.commit()
    flash(
        _("%(name)s is paused.", name=member.display_name)
        if wanted == MemberStatus.PAUSED
        else _("%(name)s is active again.", name=member.display_name)
    )
    return redirect(url_for("broker.member", bank_id=bank.id, member_id=member.id))


@bp.route("/banks/<int:bank_id>/members/<int:member_id>/leave", methods=["GET", "POST"])
@broker_required
def leave_member(bank_id: int, member_id: int) -> str | Response:
    """Record that a member left, and what happens to their hours."""
    bank = bank_or_404(bank_id)
    member = member_or_404(bank, member_id)
    if member.status == MemberStatus.LEFT:
        flash(_("%(name)s has already left.", name=member.display_name))
        return redirect(url_for("broker.member", bank_id=bank.id, member_id=member.id))
    account = operations.member_account(db.session, member.id)
    form = LeaveForm()
    if request.method == "GET":
        form.left_on.data = bank.today()
    if form.validate_on_submit():
        if form.left_on.data > bank.today():
            form.left_on.errors = [_("The date they left cannot be in the future")]
        else:
            operations.record_leaving(
                db.session,
                member,
                on=form.left_on.data,
                gift_to_pot=form.gift_to_pot.data,
                by=user().id,
            )
            db.session.commit()
            flash(_("%(name)s has left the bank.", name=member.display_name))
            return redirect(url_for("broker.member", bank_id=bank.id, member_id=member.id))
    return render_template(
        "broker/leave.html", bank=bank, member=member, account=account, form=form
    )


@bp.route("/banks/<int:bank_id>/members/<int:member_id>/account", methods=["GET", "POST"])
@broker_required
def member_account_sign_in(bank_id: int, member_id: int) -> str | Response | tuple[str, int]:
    """Optional: an email and password for a member who wants them, besides their card."""
    from timebank.users import operations as users
    from timebank.users.models import User

    bank = bank_or_404(bank_id)
    member = member_or_404(bank, member_id)
    existing = db.session.scalars(select(User).where(User.member_id == member.id)).first()
    form = MemberAccountForm()
    if existing is None and form.validate_on_submit():
        if users.find_by_email(db.session, form.email.data or ""):
            form.email.errors = [_("Someone already has an account with that email address")]
        else:
            person, token = operations.create_member_account(
                db.session, member, email=form.email.data or "", by=user()
            )
            db.session.commit()
            return render_template(
                "admin/reset_link.html",
                bank=bank,
                person=person,
                link=url_for("auth.set_password", token=token, _external=True),
            )
    status = 400 if form.errors else 200
    return render_template(
        "broker/member_account.html", bank=bank, member=member, form=form, existing=existing
    ), status
