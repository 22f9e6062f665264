"""The installation's administration: programmes, banks, and who may sign in."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from werkzeug.wrappers import Response
from wtforms import (
    EmailField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, Length, NumberRange, Optional, ValidationError

from timebank.banks.models import Bank, Programme
from timebank.banks.operations import (
    MAX_RETENTION_MONTHS,
    create_bank,
    create_programme,
    update_bank,
)
from timebank.extensions import db
from timebank.users import operations
from timebank.users.models import Role, User
from timebank.web.access import admin_required, bank_or_404, broker_required, user
from timebank.web.forms import Form

bp = Blueprint("admin", __name__, url_prefix="/admin")


class ProgrammeForm(Form):
    name = StringField(
        _l("Programme name"), validators=[DataRequired(_l("Enter a name")), Length(max=200)]
    )
    funder = StringField(
        _l("Funder"), validators=[DataRequired(_l("Enter the funder's name")), Length(max=200)]
    )


class BankForm(Form):
    name = StringField(
        _l("Time bank name"), validators=[DataRequired(_l("Enter a name")), Length(max=200)]
    )
    programme = SelectField(_l("Programme"), coerce=str, validators=[Optional()])
    focus = TextAreaField(
        _l("What the bank was funded to do"), validators=[Optional(), Length(max=2000)]
    )
    help_phone = StringField(_l("Help phone number"), validators=[Optional(), Length(max=40)])
    floor_hours = IntegerField(
        _l("The most hours a member may owe"),
        default=10,
        validators=[NumberRange(0, 100, _l("Enter a number of hours from 0 to 100"))],
    )
    welcome_minutes = SelectField(
        _l("Hours given to each new member"),
        default="0",
        choices=[("0", _l("None")), ("30", "½"), ("60", "1"), ("120", "2"), ("180", "3")],
    )
    retention_months = IntegerField(
        _l("Months to keep a member's details after they leave"),
        description=_l(
            "Then their details are erased and their hours stay in the books. Leave it empty to"
            " keep them until a broker erases them."
        ),
        validators=[
            Optional(),
            NumberRange(1, MAX_RETENTION_MONTHS, _l("Enter a number of months from 1 to 1200")),
        ],
    )


class UserForm(Form):
    email = EmailField(
        _l("Email address"),
        validators=[
            DataRequired(_l("Enter an email address")),
            Email(_l("Enter a real email address")),
            Length(max=254),
        ],
    )
    display_name = StringField(
        _l("Name"), validators=[DataRequired(_l("Enter their name")), Length(max=100)]
    )
    role = SelectField(
        _l("Role"),
        choices=[
            (Role.COORDINATOR.value, _l("Broker (coordinator) of time banks")),
            (Role.FUNDER.value, _l("Funder: reads a programme's reports")),
            (Role.ADMIN.value, _l("Administrator")),
        ],
    )
    banks = SelectMultipleField(
        _l("Time banks they broker for"), coerce=int, validators=[Optional()]
    )
    programme = SelectField(
        _l("Programme whose reports they read"), coerce=str, validators=[Optional()]
    )

    def validate_email(self, field: EmailField) -> None:
        if operations.find_by_email(db.session, field.data or ""):
            raise ValidationError(_l("Someone already has an account with that email address"))

    def validate_banks(self, field: SelectMultipleField) -> None:
        if self.role.data == Role.COORDINATOR.value and not field.data:
            raise ValidationError(_l("Choose at least one time bank"))

    def validate_programme(self, field: SelectField) -> None:
        if self.role.data == Role.FUNDER.value and not field.data:
            raise ValidationError(_l("Choose the programme"))


def _programme_choices() -> list[tuple[str, str]]:
    return [("", _("None"))] + [
        (str(p.id), p.name) for p in db.session.scalars(select(Programme).order_by(Programme.name))
    ]


@bp.get("/")
@admin_required
def home() -> str:
    programmes = db.session.scalars(select(Programme).order_by(Programme.name)).all()
    banks = db.session.scalars(select(Bank).order_by(Bank.name)).all()
    users = db.session.scalars(
        select(User).where(User.role != Role.MEMBER).order_by(User.display_name)
    ).all()
    return render_template("admin/home.html", programmes=programmes, banks=banks, users=users)


@bp.route("/programmes/new", methods=["GET", "POST"])
@admin_required
def new_programme() -> str | Response:
    form = ProgrammeForm()
    if form.validate_on_submit():
        create_programme(
            db.session, name=form.name.data or "", funder=form.funder.data or "", by=user().id
        )
        db.session.commit()
        flash(_("The programme is added."))
        return redirect(url_for("admin.home"))
    return render_template("admin/form.html", form=form, title=_("Add a programme"))


def _bank_settings(form: BankForm) -> dict[str, object]:
    programme = db.session.get(Programme, int(form.programme.data)) if form.programme.data else None
    return {
        "name": form.name.data or "",
        "programme": programme,
        "focus": form.focus.data or "",
        "help_phone": form.help_phone.data or "",
        "floor_minutes": -60 * (form.floor_hours.data or 0),
        "welcome_minutes": int(form.welcome_minutes.data or 0),
        "retention_months": form.retention_months.data,
    }


@bp.route("/banks/new", methods=["GET", "POST"])
@admin_required
def new_bank() -> str | Response:
    form = BankForm()
    form.programme.choices = _programme_choices()
    if form.validate_on_submit():
        bank = create_bank(db.session, by=user().id, **_bank_settings(form))  # type: ignore[arg-type]
        db.session.commit()
        flash(_("%(name)s is set up, with its community pot.", name=bank.name))
        return redirect(url_for("admin.home"))
    return render_template("admin/form.html", form=form, title=_("Start a time bank"))


@bp.route("/banks/<int:bank_id>/edit", methods=["GET", "POST"])
@admin_required
def edit_bank(bank_id: int) -> Response | tuple[str, int]:
    bank = db.session.get(Bank, bank_id) or abort(404)
    form = BankForm(obj=bank) if request.method == "GET" else BankForm()
    form.programme.choices = _programme_choices()
    if request.method == "GET":
        form.programme.data = str(bank.programme_id or "")
        form.floor_hours.data = -bank.floor_minutes // 60
        form.welcome_minutes.data = str(bank.welcome_minutes)
    if form.validate_on_submit():
        update_bank(db.session, bank, by=user().id, **_bank_settings(form))
        db.session.commit()
        flash(_("Saved."))
        return redirect(url_for("admin.home"))
    return render_template(
        "admin/form.html", form=form, title=_("Settings for %(name)s", name=bank.name)
    ), (400 if form.errors else 200)


@bp.route("/users/new", methods=["GET", "POST"])
@admin_required
def new_user() -> str | Response:
    """Add someone who signs in; they choose their password through a one-time link."""
    form = UserForm()
    form.banks.choices = [
        (b.id, b.name) for b in db.session.scalars(select(Bank).order_by(Bank.name))
    ]
    form.programme.choices = _programme_choices()
    if form.validate_on_submit():
        role = Role(form.role.data)
        person, token = operations.invite_user(
            db.session,
            by=user(),
            email=form.email.data or "",
            display_name=form.display_name.data or "",
            role=role,
            banks=[db.session.get(Bank, i) for i in form.banks.data or []]
            if role == Role.COORDINATOR
            else [],
            programme=db.session.get(Programme, int(form.programme.data))
            if role == Role.FUNDER and form.programme.data
            else None,
        )
        db.session.commit()
        return render_template(
            "admin/reset_link.html",
            person=person,
            link=url_for("auth.set_password", token=token, _external=True),
        )
    return render_template("admin/form.html", form=form, title=_("Add someone who signs in"))


@bp.post("/users/<int:user_id>/reset")
@admin_required
def reset_user(user_id: int) -> str:
    person = db.session.get(User, user_id) or abort(404)
    return _reset(person, bank=None)


@bp.post("/banks/<int:bank_id>/users/<int:user_id>/reset")
@broker_required
def broker_reset_user(bank_id: int, user_id: int) -> str:
    """A coordinator makes a new password link for another broker of the same bank."""
    bank = bank_or_404(bank_id)
    person = db.session.get(User, user_id)
    if person is None or person.role != Role.COORDINATOR or bank not in person.banks:
        abort(404)
    return _reset(person, bank=bank)


def _reset(person: User, bank: Bank | None) -> str:
    token = operations.make_reset_link(db.session, person, by=user(), bank=bank)
    db.session.commit()
    return render_template(
        "admin/reset_link.html",
        person=person,
        bank=bank,
        link=url_for("auth.set_password", token=token, _external=True),
    )


@bp.get("/banks/<int:bank_id>/brokers")
@broker_required
def bank_brokers(bank_id: int) -> str:
    """The bank's brokers, each with a button to make a new password link."""
    bank = bank_or_404(bank_id)
    brokers = [
        u
        for u in db.session.scalars(select(User).where(User.role == Role.COORDINATOR))
        if bank in u.banks
    ]
    return render_template("admin/brokers.html", bank=bank, brokers=brokers)
