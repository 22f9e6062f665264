"""Member cards for brokers: make a card, set its PIN with the member, print one or a sheet.

A card's link holds a random token of which only a hash is stored, so a card can be printed
only at the moment it is made: "Make a card" answers with the printable card itself. Nothing
more is stored. For the PDF of the same cards, that page carries the tokens in a form field
signed with the app's secret key (itsdangerous) that works for one hour; it is posted, never
put in an address, so the tokens stay out of browser history and server logs. The PDF is made
only while the cards are still the members' current ones. Printing again means making new
cards, and the old ones then stop working, which the pages say before anyone does it.

Because making a card stops the old one, each form says which card it was shown beside
(``replaces`` on one member's page, ``card-<member id>`` on the sheet). A form sent again, by a
refresh or a double tap, finds a newer card and makes nothing: the card just printed keeps
working.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

from flask import (
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import force_locale, format_time
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from markupsafe import Markup
from sqlalchemy import func, select
from werkzeug.wrappers import Response
from wtforms import StringField
from wtforms.validators import DataRequired, EqualTo, Length

from timebank import cards
from timebank.banks.models import Bank
from timebank.db import id_from_text, utcnow
from timebank.extensions import db
from timebank.i18n import available_locales
from timebank.members.models import Member, MemberCard, MemberStatus
from timebank.web.access import bank_or_404, broker_required, member_or_404, user
from timebank.web.asked import asked_page
from timebank.web.broker import bp
from timebank.web.forms import Form

#: How long the PDF of freshly made cards can be downloaded from their page.
PDF_LINK_LIFETIME = 3600
_PDF_SALT = "timebank.member-cards.pdf"

_PIN_FIELD: dict[str, Any] = {
    "inputmode": "numeric",
    "autocomplete": "off",
    "pattern": "[0-9]*",
    "maxlength": 4,
    "class": "short",
}


class CardPinForm(Form):
    pin = StringField(
        _l("New 4-digit PIN"),
        description=_l(
            "Choose it with the member. Not the same number four times, and not a run like 1234."
        ),
        validators=[DataRequired(_l("Type the new PIN")), Length(max=12)],
        render_kw=_PIN_FIELD,
    )
    confirm = StringField(
        _l("Type the PIN again"),
        validators=[
            DataRequired(_l("Type the PIN again")),
            EqualTo("pin", _l("The two PINs are different")),
        ],
        render_kw=_PIN_FIELD,
    )


def pin_message(code: str) -> str:
    return {
        "not_four_digits": _("The PIN must be exactly 4 numbers, such as 4071."),
        "too_easy": _(
            "That PIN is too easy to guess. Do not use the same number four times or a run "
            "like 1234 or 9876."
        ),
        "no_card": _("Make a card first, then set its PIN."),
    }.get(code, _("That PIN cannot be used."))


@bp.app_context_processor
def _card_helpers() -> dict[str, Any]:
    return {"member_card_of": _card_of}


def _card_of(member: Member) -> MemberCard | None:
    return cards.current_card(db.session, member)


def shown_card_id(card: MemberCard | None) -> int:
    """What a form says of the card it was shown beside: its id, or 0 for none."""
    return card.id if card is not None else 0


def _made_since_shown(member: Member, field: str) -> MemberCard | None:
    """The member's card, if it is newer than the one the form was shown beside.

    A form without the field was shown beside no card: a member who has none gets one, and a
    member who has one keeps it until a form that knew of it asks.
    """
    # under the lock issue_card takes: of two taps at once, the second waits for the first to
    # commit and then sees its card (PostgreSQL; SQLite writers already take turns)
    db.session.execute(select(Member.id).where(Member.id == member.id).with_for_update())
    card = _card_of(member)
    if str(shown_card_id(card)) == request.form.get(field, "0"):
        return None
    return card


# -- one member's card ------------------------------------------------------------------------


@bp.get("/banks/<int:bank_id>/members/<int:member_id>/card")
@broker_required
def member_card(bank_id: int, member_id: int) -> str:
    """Whether the member has a card and a PIN, with the buttons to make one and set it."""
    bank = bank_or_404(bank_id)
    member = member_or_404(bank, member_id)
    return _card_page(bank, member)


def _card_page(bank: Bank, member: Member, *, made_since: MemberCard | None = None) -> str:
    card = _card_of(member)
    return render_template(
        "broker/card.html",
        bank=bank,
        member=member,
        card=card,
        # when the lock ends, in the bank's time, or None when the card is not locked
        locked=format_time(card.locked_until, "short", rebase=True)
        if card is not None and card.locked_until and cards.is_locked(card, utcnow())
        else None,
        made_since=format_time(made_since.issued_at, "short", rebase=True)
        if made_since is not None
        else None,
    )


@bp.post("/banks/<int:bank_id>/members/<int:member_id>/card")
@broker_required
def issue_member_card(bank_id: int, member_id: int) -> str | tuple[str, int]:
    """Make a new card (the old one stops working) and show it, ready to print."""
    bank = bank_or_404(bank_id)
    member = member_or_404(bank, member_id)
    if member.status == MemberStatus.LEFT:
        abort(409, _("%(name)s has left the bank.", name=member.display_name))
    newer = _made_since_shown(member, "replaces")
    if newer is not None:
        return _card_page(bank, member, made_since=newer), 409
    made = _issue(bank, [member])
    flash(
        _(
            "A new card is made for %(name)s. Print it now: it cannot be shown again.",
            name=member.display_name,
        )
    )
    return _print_page(bank, made, single=member)


@bp.route("/banks/<int:bank_id>/members/<int:member_id>/card/pin", methods=["GET", "POST"])
@broker_required
def member_card_pin(bank_id: int, member_id: int) -> str | Response:
    """Set the card's PIN together with the member."""
    bank = bank_or_404(bank_id)
    member = member_or_404(bank, member_id)
    card = cards.current_card(db.session, member)
    form = CardPinForm()
    if card is not None and form.validate_on_submit():
        try:
            cards.set_pin(db.session, member, form.pin.data or "", by_user_id=user().id)
        except cards.PinRefused as refused:
            db.session.rollback()
            form.pin.errors = [pin_message(refused.code)]
        else:
            db.session.commit()
            flash(
                _(
                    "The PIN is set. %(name)s can sign in with their card now.",
                    name=member.display_name,
                )
            )
            return redirect(url_for("broker.member_card", bank_id=bank.id, member_id=member.id))
    return render_template("broker/card_pin.html", bank=bank, member=member, card=card, form=form)


# -- a sheet of eight ---------------------------------------------------------------------------


def _sheet_members(bank: Bank, ticked: Sequence[Member] = ()) -> tuple[list[Member], int, int]:
    """The members ticked on a sheet sent back, or those chosen in the address
    (``members=1,2,3``), else a page of 8 active ones."""
    if 0 < len(ticked) <= cards.CARDS_PER_PAGE:
        return list(ticked), 1, 1
    wanted = [n for n in map(id_from_text, request.args.get("members", "").split(",")) if n]
    if wanted:
        found = list(
            db.session.scalars(
                select(Member)
                .where(
                    Member.bank_id == bank.id,
                    Member.id.in_(wanted[: cards.CARDS_PER_PAGE * 4]),
                    Member.status != MemberStatus.LEFT,
                )
                .order_by(Member.member_number)
            )
        )
        return found[: cards.CARDS_PER_PAGE], 1, 1
    active = (Member.bank_id == bank.id) & (Member.status == MemberStatus.ACTIVE)
    total = db.session.scalar(select(func.count(Member.id)).where(active)) or 0
    pages = max(math.ceil(total / cards.CARDS_PER_PAGE), 1)
    page = min(asked_page(), pages)
    found = list(
        db.session.scalars(
            select(Member)
            .where(active)
            .order_by(Member.member_number)
            .offset((page - 1) * cards.CARDS_PER_PAGE)
            .limit(cards.CARDS_PER_PAGE)
        )
    )
    return found, page, pages


@bp.get("/banks/<int:bank_id>/cards/sheet")
@broker_required
def card_sheet(bank_id: int) -> str:
    """Choose up to eight members whose cards to make and print on one A4 sheet."""
    bank = bank_or_404(bank_id)
    members, page, pages = _sheet_members(bank)
    return render_template(
        "broker/cards_sheet.html",
        bank=bank,
        members=members,
        page=page,
        pages=pages,
        shown_cards={m.id: shown_card_id(_card_of(m)) for m in members},
        error=None,
    )


@bp.post("/banks/<int:bank_id>/cards/sheet")
@broker_required
def make_card_sheet(bank_id: int) -> str | tuple[str, int]:
    """Make new cards for the members ticked, and show them on a sheet ready to print."""
    bank = bank_or_404(bank_id)
    ids = {n for n in map(id_from_text, request.form.getlist("member")) if n}
    members = list(
        db.session.scalars(
            select(Member)
            .where(
                Member.bank_id == bank.id,
                Member.id.in_(ids),
                Member.status != MemberStatus.LEFT,
            )
            .order_by(Member.member_number)
        )
    )
    error, status = None, 400
    if not members:
        error = _("Tick at least one member.")
    elif len(members) > cards.CARDS_PER_PAGE:
        error = _("A sheet holds %(n)s cards: tick %(n)s or fewer.", n=cards.CARDS_PER_PAGE)
    else:
        newer = [m for m in members if _made_since_shown(m, f"card-{m.id}") is not None]
        if newer:
            error = _(
                "New cards were made for %(names)s after this page was shown, perhaps because "
                "it was sent twice. Those cards work. Tick them again only if they were not "
                "printed.",
                names=", ".join(m.full_name for m in newer),
            )
            status = 409
    if error is not None:
        shown, page, pages = _sheet_members(bank, members)
        page_html = render_template(
            "broker/cards_sheet.html",
            bank=bank,
            members=shown,
            page=page,
            pages=pages,
            shown_cards={m.id: shown_card_id(_card_of(m)) for m in shown},
            error=error,
        )
        return page_html, status
    made = _issue(bank, members)
    flash(
        _(
            "New cards are made for %(n)s members. Print them now: they cannot be shown again.",
            n=len(made),
        )
    )
    return _print_page(bank, made)


# -- printing -----------------------------------------------------------------------------------


def _issue(bank: Bank, members: Iterable[Member]) -> list[tuple[Member, str]]:
    made = []
    for member in members:
        _card, token = cards.issue_card(db.session, member, by_user_id=user().id)
        made.append((member, token))
    db.session.commit()
    return made


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_PDF_SALT)


def _card_locale(member: Member) -> str:
    # each card speaks its member's language, where we have it
    return member.preferred_locale if member.preferred_locale in available_locales() else "en"


def _words(bank: Bank, member: Member, token: str) -> cards.PrintedCard:
    with force_locale(_card_locale(member)):
        return cards.PrintedCard(
            name=member.full_name,
            number_line=_("Member number %(number)s", number=member.member_number),
            bank_name=bank.name,
            phone_line=_("Your broker: %(phone)s", phone=bank.help_phone)
            if bank.help_phone
            else "",
            scan_line=_("Scan the square with your phone's camera to see your time."),
            url=url_for("member_auth.card", token=token, _external=True),
        )


def _print_page(bank: Bank, made: list[tuple[Member, str]], single: Member | None = None) -> str:
    printed = [
        {
            "words": _words(bank, member, token),
            "lang": _card_locale(member),
            "svg": Markup(  # nosec B704 # the qrcode library's drawing of our own link
                cards.qr_svg(url_for("member_auth.card", token=token, _external=True))
            ),
        }
        for member, token in made
    ]
    sheets = [
        printed[i : i + cards.CARDS_PER_PAGE] for i in range(0, len(printed), cards.CARDS_PER_PAGE)
    ]
    signed = _serializer().dumps([[member.id, token] for member, token in made])
    return render_template(
        "broker/cards_print.html",
        bank=bank,
        sheets=sheets,
        single=single,
        signed=signed,
        minutes=PDF_LINK_LIFETIME // 60,
    )


@bp.post("/banks/<int:bank_id>/cards/pdf")
@broker_required
def cards_pdf(bank_id: int) -> Response:
    """The cards just made, as a PDF: 8 to an A4 page."""
    bank = bank_or_404(bank_id)
    try:
        pairs = _serializer().loads(request.form.get("cards", ""), max_age=PDF_LINK_LIFETIME)
    except SignatureExpired:
        abort(400, _("This PDF can be made for an hour after the cards. Make the cards again."))
    except BadSignature:
        abort(400)
    made = []
    for member_id, token in pairs:
        card = cards.find_card(db.session, str(token))
        if card is None or card.member_id != member_id or card.member.bank_id != bank.id:
            abort(409, _("A card on this sheet has been replaced since. Make the cards again."))
        made.append(_words(bank, card.member, str(token)))
    response = make_response(cards.cards_pdf(made))
    response.mimetype = "application/pdf"
    name = "member-card.pdf" if len(made) == 1 else "member-cards.pdf"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    # the tokens are in it: keep it out of every cache
    response.headers["Cache-Control"] = "no-store"
    return response
