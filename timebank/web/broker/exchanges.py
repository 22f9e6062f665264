"""Logging help: exchanges, group exchanges, time given to the bank, gifts and reversals.

Each form carries an idempotency key made when the form is shown, so a double tap or a
resubmitted page posts once. Ledger refusals come back in plain words beside the field.
"""

from __future__ import annotations

from datetime import timedelta

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from werkzeug.wrappers import Response

from timebank import exchanges, ledger
from timebank.banks.models import Bank
from timebank.db import id_from_text, utcnow
from timebank.exchanges import HelpDetails, HelpRefused
from timebank.extensions import db
from timebank.grants.operations import grant_of_transfer
from timebank.i18n import format_minutes
from timebank.ledger import (
    Account,
    ErrorCode,
    LedgerError,
    PendingStatus,
    PendingTransfer,
    Transfer,
    TransferKind,
    Unit,
)
from timebank.members.models import Member, MemberSkill, MemberSkillStatus, SkillDirection
from timebank.web.access import bank_or_404, broker_required, member_or_404, transfer_or_404, user
from timebank.web.broker import bp
from timebank.web.broker.forms import (
    POT,
    ExchangeForm,
    GiftForm,
    GroupExchangeForm,
    PotCreditForm,
    ReversalForm,
)
from timebank.web.broker.lookup import NotFound, datalist_members, find_member, label
from timebank.web.broker.members import skill_choices
from timebank.web.forms import form_page, without_control_characters
from timebank.web.templating import skill_name

#: Help logged longer ago than this asks the broker to confirm the date.
OLD_DATE = timedelta(days=90)


def _prepare(form, bank: Bank) -> None:  # type: ignore[no-untyped-def]
    form.skill.choices = skill_choices(bank.id, _("Choose"))
    if request.method == "GET" and hasattr(form, "given_on"):
        form.given_on.data = bank.today()


def _check_date(form, bank: Bank) -> bool:  # type: ignore[no-untyped-def]
    """No future dates; a date over 90 days ago needs the broker to say it is right."""
    given_on = form.given_on.data
    if given_on > bank.today():
        form.given_on.errors = [_("The date cannot be in the future")]
        return False
    if given_on < bank.today() - OLD_DATE and not form.confirm_old_date.data:
        form.given_on.errors = [
            _("That is more than 90 days ago. Check the date, then tick the box to confirm it.")
        ]
        form.show_confirm_old_date = True
        return False
    return True


def _member_field(form, name: str, bank: Bank) -> Member | None:  # type: ignore[no-untyped-def]
    field = getattr(form, name)
    try:
        return find_member(bank, field.data)
    except NotFound as problem:
        field.errors = [*field.errors, str(problem)]
        return None


def _members_list(form, name: str, bank: Bank) -> list[Member]:  # type: ignore[no-untyped-def]
    field = getattr(form, name)
    members, problems = [], []
    for line in (field.data or "").splitlines():
        if not line.strip():
            continue
        try:
            member = find_member(bank, line)
        except NotFound as problem:
            problems.append(f"{line.strip()}: {problem}")
            continue
        if member in members:
            problems.append(_("%(name)s is listed twice", name=member.display_name))
        members.append(member)
    if not members and not problems:
        problems.append(_("Enter at least one member"))
    field.errors = [*field.errors, *problems]
    return members if not problems else []


def _explain(error: LedgerError, gift: bool = False) -> str:
    """A refusal by the books in the words a broker would use, naming the member at fault."""
    member = error.member if isinstance(error, HelpRefused) else None
    name = member.display_name if member else _("the community pot")
    if error.code == ErrorCode.EXCEEDS_FLOOR and gift:
        return _(
            "%(name)s cannot give this many hours: it would take them past the most they may owe.",
            name=name,
        )
    if error.code == ErrorCode.EXCEEDS_FLOOR:
        return _(
            "%(name)s cannot receive this much: it would take them past the most they may owe.",
            name=name,
        )
    if error.code == ErrorCode.EXCEEDS_CEILING:
        return _(
            "%(name)s cannot earn this much: it would take them past the most they may hold.",
            name=name,
        )
    if error.code == ErrorCode.ACCOUNT_CLOSED:
        return _("%(name)s's account is closed.", name=name)
    if error.code == ErrorCode.SAME_ACCOUNT:
        return _("Choose two different members.")
    if error.code == ErrorCode.DATE_IN_FUTURE:
        return _("The date cannot be in the future")
    if error.code == ErrorCode.AMOUNT_TOO_LARGE:
        return _("Help given in one go can be at most 24 hours")
    if error.code == ErrorCode.IDEMPOTENCY_KEY_REUSED:
        return _("This form was already sent with other details. Please start again.")
    return _("This could not be recorded (%(code)s).", code=error.code.value)


def _show_refusal(  # type: ignore[no-untyped-def]
    form, error: HelpRefused, fields: tuple[str, ...], gift: bool = False
) -> None:
    """Put a refusal beside the field of the member at fault (the refusal names their part),
    or beside the date or the hours when it is about those; ``fields[0]`` otherwise."""
    if error.code == ErrorCode.DATE_IN_FUTURE and hasattr(form, "given_on"):
        name = "given_on"
    elif error.code == ErrorCode.AMOUNT_TOO_LARGE:
        name = "hours"
    elif error.role in fields:
        name = error.role
    else:
        name = fields[0]
    field = getattr(form, name)
    field.errors = [*field.errors, _explain(error, gift)]


def _details(form) -> HelpDetails:  # type: ignore[no-untyped-def]
    """The help a form describes: how long, when, what, why it mattered, and the form's key."""
    return HelpDetails(
        minutes=form.total_minutes,
        given_on=form.given_on.data,
        skill_id=int(form.skill.data),
        note=form.note.data or None,
        outcome_areas=tuple(form.outcome_areas.data or ()),
        idempotency_key=form.idempotency_key.data or None,
    )


@bp.route("/banks/<int:bank_id>/exchanges/new", methods=["GET", "POST"])
@broker_required
def log_exchange(bank_id: int) -> str | Response | tuple[str, int]:
    """The broker's main task: record that one member helped another."""
    bank = bank_or_404(bank_id)
    form = ExchangeForm()
    form.show_confirm_old_date = False
    _prepare(form, bank)
    answered: MemberSkill | None = None
    if request.method == "GET":
        for role in ("provider", "receiver"):
            if request.args.get(role, type=id_from_text):
                getattr(form, role).data = label(
                    member_or_404(bank, request.args.get(role, type=id_from_text))
                )
        if request.args.get("request", type=id_from_text):
            answered = _request_or_404(bank, request.args.get("request", type=id_from_text))
            form.answers_request.data = str(answered.id)
            form.receiver.data = label(answered.member)
            form.skill.data = str(answered.skill_id)
    elif form.answers_request.data:
        answered = _request_or_404(bank, id_from_text(form.answers_request.data))
    if form.validate_on_submit():
        provider = _member_field(form, "provider", bank)
        receiver = _member_field(form, "receiver", bank)
        ok = form.check_duration() & _check_date(form, bank)
        if provider and receiver and provider.id == receiver.id:
            form.receiver.errors = [*form.receiver.errors, _("Choose two different members.")]
            ok = False
        if provider and receiver and ok:
            try:
                posted = exchanges.record_exchange(
                    db.session,
                    provider=provider,
                    receiver=receiver,
                    help=_details(form),
                    answers_request_id=answered.id if answered else None,
                    by_user_id=user().id,
                )
            except HelpRefused as error:
                db.session.rollback()
                _show_refusal(form, error, ("receiver", "provider"))
            else:
                db.session.commit()
                return _recorded(bank, posted.transfer)
    page = render_template(
        "broker/log_exchange.html",
        bank=bank,
        form=form,
        answered=answered,
        people=datalist_members(bank),
        label=label,
    )
    return form_page(page, form)


def _request_or_404(bank: Bank, request_id: int | None) -> MemberSkill:
    wanted = db.session.get(MemberSkill, request_id) if request_id else None
    if (
        wanted is None
        or wanted.member.bank_id != bank.id
        or wanted.direction != SkillDirection.REQUEST
    ):
        abort(404)
    if wanted.status != MemberSkillStatus.OPEN:
        abort(409, _("That request is no longer open."))
    return wanted


def _recorded(bank: Bank, transfer: Transfer) -> Response:
    return redirect(url_for("broker.exchange", bank_id=bank.id, transfer_id=transfer.id, done=1))


@bp.route("/banks/<int:bank_id>/exchanges/group", methods=["GET", "POST"])
@broker_required
def log_group_exchange(bank_id: int) -> str | Response | tuple[str, int]:
    """One member helped several at once, such as a talk at the lunch club."""
    bank = bank_or_404(bank_id)
    form = GroupExchangeForm()
    form.show_confirm_old_date = False
    _prepare(form, bank)
    if form.validate_on_submit():
        provider = _member_field(form, "provider", bank)
        receivers = _members_list(form, "receivers", bank)
        ok = form.check_duration() & _check_date(form, bank)
        if provider and provider in receivers:
            form.receivers.errors = [
                *form.receivers.errors,
                _("The member who gave the help cannot also receive it."),
            ]
            ok = False
        if provider and receivers and ok:
            try:
                posted = exchanges.record_group(
                    db.session,
                    provider=provider,
                    receivers=receivers,
                    help=_details(form),
                    by_user_id=user().id,
                )
            except HelpRefused as error:
                db.session.rollback()
                _show_refusal(form, error, ("receivers", "provider"))
            else:
                db.session.commit()
                return _recorded(bank, posted.transfer)
    page = render_template(
        "broker/log_group.html", bank=bank, form=form, people=datalist_members(bank), label=label
    )
    return form_page(page, form)


@bp.route("/banks/<int:bank_id>/pot/credit", methods=["GET", "POST"])
@broker_required
def pot_credit(bank_id: int) -> str | Response | tuple[str, int]:
    """Members gave time to the bank itself (the lunch club, the phone): the pot pays them."""
    bank = bank_or_404(bank_id)
    form = PotCreditForm()
    form.show_confirm_old_date = False
    _prepare(form, bank)
    if form.validate_on_submit():
        members = _members_list(form, "members", bank)
        ok = form.check_duration() & _check_date(form, bank)
        if members and ok:
            try:
                posted = exchanges.credit_from_pot(
                    db.session,
                    bank=bank,
                    members=members,
                    help=_details(form),
                    by_user_id=user().id,
                )
            except HelpRefused as error:
                db.session.rollback()
                _show_refusal(form, error, ("members",))
            else:
                db.session.commit()
                return _recorded(bank, posted.transfer)
    page = render_template(
        "broker/pot_credit.html", bank=bank, form=form, people=datalist_members(bank), label=label
    )
    return form_page(page, form)


@bp.route("/banks/<int:bank_id>/gifts/new", methods=["GET", "POST"])
@broker_required
def gift(bank_id: int) -> str | Response | tuple[str, int]:
    """Hours given without help in return: between members, to the pot, or from it."""
    bank = bank_or_404(bank_id)
    form = GiftForm()
    if form.validate_on_submit():
        ends: dict[str, Member | None] = {}
        found_all = True
        for name in ("giver", "recipient"):
            field = getattr(form, name)
            if (field.data or "").strip().lower() in (POT, _("pot").lower()):
                ends[name] = None
            else:
                ends[name] = _member_field(form, name, bank)
                found_all = found_all and ends[name] is not None
        if form.total_minutes <= 0:
            form.hours.errors = [*form.hours.errors, _("Enter how many hours to give")]
        elif found_all:
            try:
                posted = exchanges.give_gift(
                    db.session,
                    bank=bank,
                    giver=ends["giver"],
                    recipient=ends["recipient"],
                    minutes=form.total_minutes,
                    note=form.note.data or None,
                    idempotency_key=form.idempotency_key.data or None,
                    by_user_id=user().id,
                )
            except HelpRefused as error:
                db.session.rollback()
                _show_refusal(form, error, ("giver", "recipient"), gift=True)
            else:
                db.session.commit()
                return _recorded(bank, posted.transfer)
    page = render_template(
        "broker/gift.html", bank=bank, form=form, people=datalist_members(bank), label=label
    )
    return form_page(page, form)


def _sides(transfers: list[Transfer]) -> list[list[tuple[Account, Member | None, int]]]:
    """Each side of each transfer: the account, its member if any, and the amount. Two queries
    for the whole batch, however large the group."""
    entries = [entry for transfer in transfers for entry in transfer.entries]
    accounts = {
        a.id: a
        for a in db.session.scalars(
            select(Account).where(Account.id.in_({e.account_id for e in entries}))
        )
    }
    member_ids = {a.member_id for a in accounts.values() if a.member_id is not None}
    members = {m.id: m for m in db.session.scalars(select(Member).where(Member.id.in_(member_ids)))}
    return [
        [
            (
                accounts[e.account_id],
                members.get(accounts[e.account_id].member_id or 0),
                e.amount,
            )
            for e in transfer.entries
        ]
        for transfer in transfers
    ]


@bp.get("/banks/<int:bank_id>/exchanges/<int:transfer_id>")
@broker_required
def exchange(bank_id: int, transfer_id: int) -> str | Response:
    """One transfer, with the new balances of everyone it touched (and its batch, if any)."""
    bank = bank_or_404(bank_id)
    transfer = transfer_or_404(bank, transfer_id)
    if transfer.unit == Unit.GBP:
        return _to_grant(bank, transfer)
    batch = [transfer]
    if transfer.batch:
        batch = list(
            db.session.scalars(
                select(Transfer)
                .where(Transfer.batch == transfer.batch)
                .order_by(Transfer.id)
                .options(selectinload(Transfer.entries))
            )
        )
    reversal = ledger.reversal_of(db.session, transfer.id)
    return render_template(
        "broker/exchange.html",
        bank=bank,
        transfer=transfer,
        batch=list(zip(batch, _sides(batch), strict=True)),
        reversal=reversal,
        done=request.args.get("done") == "1",
        format_minutes=format_minutes,
        skill_name=_skill_name,
    )


def _skill_name(skill_id: int | None) -> str:
    from timebank.members.models import Skill

    skill = db.session.get(Skill, skill_id) if skill_id else None
    return skill_name(skill) if skill else ""


def _to_grant(bank: Bank, transfer: Transfer) -> Response:
    """Money is not hours: a grant's transfers are shown, and corrected, on the grant's page."""
    grant = grant_of_transfer(db.session, transfer)
    if grant is None:
        abort(404)
    return redirect(url_for("grants.grant", bank_id=bank.id, grant_id=grant.id))


@bp.route("/banks/<int:bank_id>/exchanges/<int:transfer_id>/reverse", methods=["GET", "POST"])
@broker_required
def reverse_exchange(bank_id: int, transfer_id: int) -> str | Response:
    """Put a mistake right with a mirror transfer, and say why. Nothing is deleted."""
    bank = bank_or_404(bank_id)
    transfer = transfer_or_404(bank, transfer_id)
    if transfer.unit == Unit.GBP:
        return _to_grant(bank, transfer)
    form = ReversalForm()
    problem = None
    if transfer.kind == TransferKind.REVERSAL:
        problem = _("This is already a correction. Log the right exchange instead.")
    elif ledger.reversal_of(db.session, transfer.id) is not None:
        problem = _("This has already been reversed.")
    if problem is None and form.validate_on_submit():
        try:
            reversal = exchanges.reverse_exchange(
                db.session, transfer, form.reason.data or "", by_user_id=user().id
            )
        except HelpRefused as error:
            db.session.rollback()
            form.reason.errors = [*form.reason.errors, _explain(error)]
        else:
            db.session.commit()
            flash(_("The exchange is reversed. Both members' statements show the correction."))
            return redirect(url_for("broker.exchange", bank_id=bank.id, transfer_id=reversal.id))
    return render_template(
        "broker/reverse.html",
        bank=bank,
        transfer=transfer,
        form=form,
        problem=problem,
        sides=_sides([transfer])[0],
        format_minutes=format_minutes,
    ), (409 if problem and request.method == "POST" else 200)


# -- help that members recorded themselves, waiting to be confirmed ------------------------------


def _pending_or_404(bank: Bank, pending_id: int) -> PendingTransfer:
    pending = db.session.get(PendingTransfer, pending_id)
    if pending is None or pending.bank_id != bank.id:
        abort(404)
    return pending


@bp.get("/banks/<int:bank_id>/pending")
@broker_required
def pending_exchanges(bank_id: int) -> str:
    """Help members recorded on their own pages that the other side has not yet confirmed."""
    bank = bank_or_404(bank_id)
    waiting = list(
        db.session.scalars(
            select(PendingTransfer)
            .where(
                PendingTransfer.bank_id == bank.id,
                PendingTransfer.status == PendingStatus.PENDING,
                PendingTransfer.expires_at > utcnow(),
            )
            .order_by(PendingTransfer.created_at)
        )
    )
    owners = {
        account.id: db.session.get(Member, account.member_id)
        for account in db.session.scalars(
            select(Account).where(
                Account.id.in_(
                    {p.from_account_id for p in waiting} | {p.to_account_id for p in waiting}
                )
            )
        )
    }
    return render_template(
        "broker/pending.html", bank=bank, waiting=waiting, owners=owners, skill_name=_skill_name
    )


@bp.post("/banks/<int:bank_id>/pending/<int:pending_id>/confirm")
@broker_required
def confirm_pending(bank_id: int, pending_id: int) -> Response:
    """A broker confirms help a member recorded, for a receiver who doesn't use the pages."""
    bank = bank_or_404(bank_id)
    pending = _pending_or_404(bank, pending_id)
    try:
        posted = exchanges.confirm_pending(db.session, pending, by_user_id=user().id)
    except HelpRefused as error:
        db.session.rollback()
        flash(
            _explain(error)
            if error.code != ErrorCode.PENDING_EXPIRED
            else _("That was not confirmed within 30 days, so it has lapsed.")
        )
        return redirect(url_for("broker.pending_exchanges", bank_id=bank.id))
    db.session.commit()
    if posted.replayed:  # confirmed before (a second tap, or another broker): nothing moved now
        flash(_("That has already been dealt with."))
        return redirect(url_for("broker.exchange", bank_id=bank.id, transfer_id=posted.transfer.id))
    return _recorded(bank, posted.transfer)


@bp.post("/banks/<int:bank_id>/pending/<int:pending_id>/decline")
@broker_required
def decline_pending(bank_id: int, pending_id: int) -> Response:
    """A broker declines help a member recorded, with the reason: it will never move hours."""
    bank = bank_or_404(bank_id)
    pending = _pending_or_404(bank, pending_id)
    try:
        exchanges.decline_pending(
            db.session,
            pending,
            without_control_characters(request.form.get("reason", ""))[:500],
            by_user_id=user().id,
        )
    except LedgerError:
        db.session.rollback()
        flash(_("That has already been dealt with."))
    else:
        db.session.commit()
        flash(_("Declined. No hours were moved."))
    return redirect(url_for("broker.pending_exchanges", bank_id=bank.id))
