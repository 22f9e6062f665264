"""Member cards: a printed card with a QR code that opens the member's pages, and a 4-digit PIN.

No Flask here. The QR holds a random token; only its SHA-256 is stored, so a card can be
printed only when it is made (the web layer makes and prints together). Reissuing a card
revokes every earlier one at once, and with it every phone signed in through them; the member
keeps their PIN. Five wrong PINs lock a card for 15 minutes.
"""

from __future__ import annotations

import enum
import hashlib
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import qrcode
import qrcode.image.svg
from argon2.exceptions import InvalidHashError, VerificationError
from fpdf import FPDF
from sqlalchemy import select
from sqlalchemy.orm import Session

from timebank import audit
from timebank.db import utcnow
from timebank.members.models import Member, MemberCard
from timebank.text import without_direction_controls
from timebank.users.operations import hasher

#: Wrong PINs in a row before a card locks.
MAX_PIN_ATTEMPTS = 5
#: How long a locked card refuses every PIN, even the right one.
LOCK_TIME = timedelta(minutes=15)
#: A token longer than this was never one of ours: refuse it before hashing.
MAX_TOKEN_LENGTH = 100


class PinRefused(ValueError):
    """A PIN that may not be used, or no card to set it on. ``code`` says which:
    ``not_four_digits``, ``too_easy`` or ``no_card``."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class PinCheck(enum.Enum):
    """What :func:`check_pin` found."""

    OK = "ok"
    WRONG = "wrong"
    #: Locked now or still: no PIN is tried until the lock ends.
    LOCKED = "locked"
    #: The broker has not set a PIN with the member yet.
    NO_PIN = "no_pin"


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def current_card(session: Session, member: Member) -> MemberCard | None:
    """The member's card that works now, if any."""
    return session.scalars(
        select(MemberCard)
        .where(MemberCard.member_id == member.id, MemberCard.revoked_at.is_(None))
        .order_by(MemberCard.id.desc())
        .limit(1)
    ).first()


def issue_card(
    session: Session, member: Member, *, by_user_id: int | None, now: datetime | None = None
) -> tuple[MemberCard, str]:
    """Make a new card and return it with its token, which is never seen again.

    Every earlier card of the member stops working at once; the PIN moves to the new card so
    the member need not learn a new one.
    """
    now = now or utcnow()
    # two brokers reissuing at once must not leave two working cards (PostgreSQL; SQLite
    # transactions here already hold the write lock)
    session.execute(select(Member.id).where(Member.id == member.id).with_for_update())
    earlier = list(
        session.scalars(
            select(MemberCard)
            .where(MemberCard.member_id == member.id, MemberCard.revoked_at.is_(None))
            .order_by(MemberCard.id)
        )
    )
    pin_hash = next((c.pin_hash for c in reversed(earlier) if c.pin_hash), None)
    for old in earlier:
        old.revoked_at = now
    token = secrets.token_urlsafe(32)
    card = MemberCard(
        member_id=member.id,
        token_hash=digest(token),
        pin_hash=pin_hash,
        issued_at=now,
        issued_by_id=by_user_id,
        failed_pin_attempts=0,
    )
    session.add(card)
    session.flush()
    audit.record(
        session,
        "card.issued",
        user_id=by_user_id,
        bank_id=member.bank_id,
        subject=f"member:{member.id}",
        details={"card": card.id, "revoked": [c.id for c in earlier], "pin_kept": bool(pin_hash)},
    )
    return card, token


_FOUR_DIGITS = re.compile(r"[0-9]{4}")


def pin_problem(pin: str) -> PinRefused | None:
    """Why a PIN may not be used, or None if it may."""
    if not _FOUR_DIGITS.fullmatch(pin or ""):
        return PinRefused("not_four_digits", "a PIN is exactly 4 digits")
    steps = {int(b) - int(a) for a, b in zip(pin, pin[1:], strict=False)}
    # 1111, 1234 and 9876 are the first a stranger would try
    if steps in ({0}, {1}, {-1}):
        return PinRefused("too_easy", "a PIN may not be one digit repeated or a run of digits")
    return None


def set_pin(
    session: Session,
    member: Member,
    pin: str,
    *,
    by_user_id: int | None,
) -> MemberCard:
    """Set the PIN on the member's current card; this also clears any lock on it."""
    problem = pin_problem(pin)
    if problem is not None:
        raise problem
    card = current_card(session, member)
    if card is None:
        raise PinRefused("no_card", "the member has no card to set a PIN on")
    card.pin_hash = hasher.hash(pin)
    # the broker sets it with the member in front of them: start again with five tries
    card.failed_pin_attempts = 0
    card.locked_until = None
    audit.record(
        session,
        "card.pin_set",
        user_id=by_user_id,
        bank_id=member.bank_id,
        subject=f"member:{member.id}",
        details={"card": card.id},
    )
    session.flush()
    return card


def find_card(session: Session, token: str) -> MemberCard | None:
    """The current (not revoked) card for a token, else None."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    return session.scalars(
        select(MemberCard).where(
            MemberCard.token_hash == digest(token), MemberCard.revoked_at.is_(None)
        )
    ).one_or_none()


def is_locked(card: MemberCard, now: datetime) -> bool:
    return card.locked_until is not None and now < card.locked_until


def tries_left(card: MemberCard) -> int:
    return max(MAX_PIN_ATTEMPTS - card.failed_pin_attempts, 0)


def check_pin(session: Session, card: MemberCard, pin: str, now: datetime) -> PinCheck:
    """Try a PIN on a card, counting wrong ones. The caller commits, whatever the answer."""
    # read the count under a row lock so tries made at the same moment all count (PostgreSQL)
    session.refresh(card, with_for_update=True)
    if is_locked(card, now):
        return PinCheck.LOCKED
    if card.pin_hash is None:
        return PinCheck.NO_PIN
    if card.locked_until is not None:
        # the lock has run out: five fresh tries
        card.locked_until = None
        card.failed_pin_attempts = 0
    try:
        hasher.verify(card.pin_hash, pin)
    except (VerificationError, InvalidHashError):
        card.failed_pin_attempts += 1
        if card.failed_pin_attempts < MAX_PIN_ATTEMPTS:
            session.flush()
            return PinCheck.WRONG
        card.locked_until = now + LOCK_TIME
        audit.record(
            session,
            "card.locked",
            user_id=None,
            bank_id=card.member.bank_id,
            subject=f"member:{card.member_id}",
            details={"card": card.id, "until": card.locked_until},
        )
        session.flush()
        return PinCheck.LOCKED
    card.failed_pin_attempts = 0
    if hasher.check_needs_rehash(card.pin_hash):
        card.pin_hash = hasher.hash(pin)
    session.flush()
    return PinCheck.OK


def sign_in(session: Session, card: MemberCard, pin: str, now: datetime) -> PinCheck:
    """Try a PIN on a card, as :func:`check_pin`; a right one signs the member in, and goes on
    the bank's audit trail. The caller commits, whatever the answer."""
    result = check_pin(session, card, pin, now)
    if result == PinCheck.OK:
        _record(session, card, "member.signed_in")
    return result


def record_sign_out(session: Session, card: MemberCard) -> None:
    """Put a member's signing out, on the phone that used ``card``, on the bank's audit trail."""
    _record(session, card, "member.signed_out")


def _record(session: Session, card: MemberCard, action: str) -> None:
    audit.record(
        session,
        action,
        user_id=None,
        bank_id=card.member.bank_id,
        subject=f"member:{card.member_id}",
        details={"card": card.id},
    )
    session.flush()


# -- the QR code -----------------------------------------------------------------------------


def _qr(url: str, **options: object) -> qrcode.QRCode:  # type: ignore[type-arg]
    # level M survives a scuffed or folded card; a quiet zone of four modules, as the standard asks
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=4, **options)
    qr.add_data(url)
    qr.make(fit=True)
    return qr


def qr_matrix(url: str) -> list[list[bool]]:
    """The QR code's modules, quiet zone included: True is dark."""
    return [list(row) for row in _qr(url).get_matrix()]


def qr_svg(url: str) -> str:
    """The QR code as an inline ``<svg>``, sized by the page's CSS and hidden from screen
    readers (the card says in words what it is for)."""
    image = _qr(url, image_factory=qrcode.image.svg.SvgPathImage).make_image()
    svg = image.to_string(encoding="unicode")
    svg = re.sub(r"^<\?xml[^>]*>\s*", "", svg)
    # the page decides the size; width and height in mm would fight it
    svg = re.sub(r'^<svg width="[^"]*" height="[^"]*"', "<svg", svg)
    # eight cards on a sheet would repeat the path's id, which a page may hold only once
    svg = svg.replace(' id="qr-path"', "")
    return svg.replace("<svg ", '<svg class="qr" aria-hidden="true" focusable="false" ', 1)


# -- printing on A4 ----------------------------------------------------------------------------


@dataclass(frozen=True)
class PrintedCard:
    """What one card says, already in the member's words and language."""

    name: str
    number_line: str
    bank_name: str
    phone_line: str
    scan_line: str
    url: str


#: A credit-card-sized card (ISO/IEC 7810 ID-1, near enough), 2 across and 4 down an A4 page.
CARD_WIDTH, CARD_HEIGHT = 85.0, 54.0
COLUMNS, ROWS = 2, 4
CARDS_PER_PAGE = COLUMNS * ROWS
PAGE_WIDTH, PAGE_HEIGHT = 210.0, 297.0
GAP_X, GAP_Y = 10.0, 8.0
LEFT = (PAGE_WIDTH - COLUMNS * CARD_WIDTH - (COLUMNS - 1) * GAP_X) / 2
TOP = (PAGE_HEIGHT - ROWS * CARD_HEIGHT - (ROWS - 1) * GAP_Y) / 2
QR_SIZE = 40.0

_FONTS = Path("/usr/share/fonts/truetype/dejavu")


def card_position(index: int) -> tuple[int, float, float]:
    """Page (from 0) and top-left corner in mm of the card at ``index``."""
    page, place = divmod(index, CARDS_PER_PAGE)
    row, column = divmod(place, COLUMNS)
    return page, LEFT + column * (CARD_WIDTH + GAP_X), TOP + row * (CARD_HEIGHT + GAP_Y)


def cards_pdf(cards: Sequence[PrintedCard]) -> bytes:
    """The cards on A4, 8 to a page, with light cutting lines. The QR codes are drawn as
    rectangles, so no image library is needed and they stay sharp at any size."""
    pdf = FPDF(orientation="P", unit="mm", format="A4")
    pdf.set_auto_page_break(False)
    pdf.set_margins(0, 0, 0)
    pdf.set_title("Member cards")
    family, plain = _font(pdf)
    for index, card in enumerate(cards):
        page, x, y = card_position(index)
        if page == pdf.page:  # fpdf numbers pages from 1; a new page every eight cards
            pdf.add_page()
        _draw_card(pdf, card, x, y, family, plain)
    return bytes(pdf.output())


def _font(pdf: FPDF) -> tuple[str, bool]:
    """DejaVu Sans (every European name) when installed, else Helvetica (Latin-1 only)."""
    regular, bold = _FONTS / "DejaVuSans.ttf", _FONTS / "DejaVuSans-Bold.ttf"
    if regular.exists() and bold.exists():
        pdf.add_font("DejaVu", "", str(regular))
        pdf.add_font("DejaVu", "B", str(bold))
        return "DejaVu", False
    return "Helvetica", True


def _draw_card(pdf: FPDF, card: PrintedCard, x: float, y: float, family: str, plain: bool) -> None:
    def text(value: str) -> str:
        value = without_direction_controls(value)
        # Helvetica knows only Latin-1: better a "?" than no card at all
        return value.encode("latin-1", "replace").decode("latin-1") if plain else value

    # a light cutting line round the card
    pdf.set_draw_color(150, 150, 150)
    pdf.set_line_width(0.2)
    pdf.rect(x, y, CARD_WIDTH, CARD_HEIGHT)

    # the QR on the right, as dark rectangles, one per run of dark modules in a row
    matrix = qr_matrix(card.url)
    module = QR_SIZE / len(matrix)
    qx, qy = x + CARD_WIDTH - QR_SIZE - 2, y + (CARD_HEIGHT - QR_SIZE) / 2
    pdf.set_fill_color(0, 0, 0)
    for r, row in enumerate(matrix):
        c = 0
        while c < len(row):
            if not row[c]:
                c += 1
                continue
            start = c
            while c < len(row) and row[c]:
                c += 1
            pdf.rect(qx + start * module, qy + r * module, (c - start) * module, module, style="F")
    # scanning the printed QR in the PDF viewer opens the same link, for a broker to try it
    pdf.link(qx, qy, QR_SIZE, QR_SIZE, card.url)

    # the words on the left
    width = CARD_WIDTH - QR_SIZE - 7
    pdf.set_text_color(0, 0, 0)
    pdf.set_xy(x + 4, y + 5)
    pdf.set_font(family, "B", 13)
    pdf.multi_cell(width, 5.5, text(card.name), new_x="LEFT", new_y="NEXT", max_line_height=5.5)
    pdf.set_font(family, "", 10)
    pdf.set_xy(x + 4, pdf.get_y() + 1)
    for line in (card.number_line, card.bank_name):
        pdf.multi_cell(width, 4.5, text(line), new_x="LEFT", new_y="NEXT")
    pdf.set_xy(x + 4, pdf.get_y() + 1)
    pdf.set_font(family, "B", 10)
    pdf.multi_cell(width, 4.5, text(card.phone_line), new_x="LEFT", new_y="NEXT")
    pdf.set_font(family, "", 8)
    pdf.set_xy(x + 4, y + CARD_HEIGHT - 9)
    pdf.multi_cell(width, 3.5, text(card.scan_line), new_x="LEFT", new_y="NEXT")
