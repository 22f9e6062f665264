"""Statements, the day book and the audit trail: pages that read the books and the trail.

The figures come from :mod:`timebank.statements`; these views parse the period, look up the
names to show beside the numbers (a page's worth at a time) and put it into words.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from flask import render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import select

from timebank import statements
from timebank.audit import AuditEvent
from timebank.banks.models import Bank
from timebank.extensions import db
from timebank.ledger import TransferKind
from timebank.members.catalogue import N_
from timebank.members.models import Member, Skill
from timebank.users.models import User
from timebank.web.access import admin_required, bank_or_404, broker_required, member_or_404
from timebank.web.asked import asked_page
from timebank.web.broker import bp
from timebank.web.broker.lookup import label

#: Statement lines on one printed A4 page.
PRINT_ROWS = 30
#: In large print (24px type) a line takes up to three lines of text: fewer fit a page, and
#: fewer still on the first, under the heading.
LARGE_PRINT_ROWS = 8
LARGE_PRINT_FIRST_ROWS = 6

#: Kinds of transfer in plain words.
KIND_WORDS = {
    TransferKind.EXCHANGE: N_("Exchange"),
    TransferKind.GROUP_EXCHANGE: N_("Group help"),
    TransferKind.POT_CREDIT: N_("Time given to the bank"),
    TransferKind.GIFT: N_("Gift"),
    TransferKind.WELCOME_CREDIT: N_("Welcome hours"),
    TransferKind.OPENING_BALANCE: N_("Hours brought over"),
    TransferKind.REVERSAL: N_("Correction"),
    TransferKind.GRANT_AWARD: N_("Grant awarded"),
    TransferKind.GRANT_SPEND: N_("Grant spent"),
    TransferKind.GRANT_RETURN: N_("Grant returned"),
}

#: What the audit trail's action codes mean; an unknown code is shown as it is.
ACTION_WORDS = {
    "member.registered": N_("Added a member"),
    "member.updated": N_("Changed a member's details"),
    "member.status": N_("Paused a member, or made them active again"),
    "member.left": N_("Recorded that a member left"),
    "member.erased": N_("Erased a member's details"),
    "exchange.posted": N_("Logged help between two members"),
    "group_exchange.posted": N_("Logged help for a group"),
    "pot_credit.posted": N_("Logged time given to the bank"),
    "gift.posted": N_("Logged a gift of hours"),
    "transfer.reversed": N_("Corrected a mistake"),
    "user.signed_in": N_("Signed in"),
    "user.sign_in_failed": N_("Tried to sign in, with a wrong email or password"),
    "user.signed_out": N_("Signed out"),
    "user.password_set": N_("Set their password"),
    "programme.created": N_("Added a programme"),
    "programme.settings_changed": N_("Changed a programme's grant settings"),
    "grant.awarded": N_("Awarded a seed grant"),
    "grant.line_budget_changed": N_("Changed a budget line"),
    "grant.spent": N_("Recorded spending from the grant"),
    "grant.spend_reversed": N_("Corrected spending from the grant"),
    "grant.spend_redacted": N_("Removed a payee's details from a spend"),
    "grant.returned": N_("Returned grant money to the programme"),
    "grant.closed": N_("Closed a grant"),
    "bank.created": N_("Started a time bank"),
    "bank.updated": N_("Changed a time bank's details"),
    "bank.target_groups": N_("Changed the groups the bank was funded to reach"),
    "user.created": N_("Added a user"),
    "user.reset_link": N_("Made a link to set a password"),
    "api_token.created": N_("Made an API token"),
    "api_token.revoked": N_("Stopped an API token"),
    "member.account_created": N_("Gave a member an email and password"),
    "member.signed_in": N_("Signed in with their card"),
    "member.signed_out": N_("Signed out on their phone"),
    "card.issued": N_("Made a member card"),
    "card.pin_set": N_("Set a card's PIN"),
    "card.locked": N_("Locked a card after five wrong PINs"),
    "monitoring.updated": N_("Changed a member's equality monitoring answers"),
    "monitoring.withdrawn": N_("Removed a member's equality monitoring answers"),
    "skill.added": N_("Added a kind of help to the bank's list"),
    "offer.added": N_("Added help a member offers"),
    "offer.status": N_("Paused an offer, or started it again"),
    "offer.updated": N_("Changed the note on an offer"),
    "request.added": N_("Added help a member would like"),
    "request.status": N_("Paused, restarted or closed a request"),
    "request.updated": N_("Changed the note on a request"),
    "pending.recorded": N_("Recorded help they gave, to be confirmed"),
    "pending.confirmed": N_("Confirmed help a member recorded"),
    "pending.declined": N_("Declined help a member recorded"),
    "supporter.added": N_("Named a supporter for a member"),
    "supporter.ended": N_("Stopped a supporter"),
    "supporter.viewed": N_("Looked at a member's time, as their supporter"),
    "import.done": N_("Imported a spreadsheet"),
    "import.failed": N_("Tried to import a spreadsheet: nothing was written"),
    "export.members": N_("Downloaded the members as a spreadsheet"),
    "export.exchanges": N_("Downloaded the exchanges as a spreadsheet"),
}

#: Member profile fields, as the edit form names them.
FIELD_WORDS = {
    "full_name": N_("Full name"),
    "display_name": N_("Preferred name"),
    "kind": N_("Kind of member"),
    "phone": N_("Phone"),
    "area": N_("Area"),
    "birth_year": N_("Year of birth"),
    "preferred_locale": N_("Language"),
    "contact_method": N_("Best way to contact"),
    "needs_large_print": N_("Needs large print"),
    "needs_interpreter": N_("Needs an interpreter"),
    "needs_hearing_support": N_("Needs hearing support"),
    "supporter_name": N_("Supporter"),
    "supporter_phone": N_("Supporter's phone"),
    "supporter_relationship": N_("Supporter is their"),
    "consent_on": N_("Consent given on"),
    "consent_wording": N_("Consent wording"),
    "visits_homes": N_("Visits people's homes"),
    "reference_check": N_("References"),
    "dbs_check": N_("DBS check"),
    "dbs_expires_on": N_("DBS check runs out on"),
    "status": N_("Status"),
}


# -- helpers ----------------------------------------------------------------------------------


def _period(default: tuple[date, date]) -> tuple[date, date, dict[str, str], dict[str, str]]:
    """The period asked for in ``?from=&to=``, the text typed, and a message per bad field."""
    typed = {name: (request.args.get(name) or "").strip() for name in ("from", "to")}
    found = dict(zip(("from", "to"), default, strict=True))
    errors: dict[str, str] = {}
    for name, text in typed.items():
        if not text:
            continue
        try:
            found[name] = date.fromisoformat(text)
        except ValueError:
            errors[name] = (
                _("Enter the start date as a real date, such as 2025-01-31")
                if name == "from"
                else _("Enter the end date as a real date, such as 2025-01-31")
            )
    if not errors and found["from"] > found["to"]:
        errors["to"] = _("The end date must be the same as or after the start date")
    return found["from"], found["to"], typed, errors


def _members(ids: Iterable[int | None]) -> dict[int, Member]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return {m.id: m for m in db.session.scalars(select(Member).where(Member.id.in_(wanted)))}


def _skills(ids: Iterable[int | None]) -> dict[int, str]:
    """Skill names in the reader's language."""
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = db.session.execute(select(Skill.id, Skill.name).where(Skill.id.in_(wanted)))
    return {skill_id: _(name) for skill_id, name in rows}


def _users(ids: Iterable[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = db.session.execute(select(User.id, User.display_name).where(User.id.in_(wanted)))
    return {user_id: name for user_id, name in rows}


def _page() -> int:
    return asked_page()


def _pager(endpoint: str, page: int, pages: int, **values: Any) -> dict[str, str | None]:
    """Links to the previous and next pages, keeping the rest of the query."""
    # the rest of the query is added as it came, never given to url_for: a name such as
    # "_scheme" or "endpoint" would be taken as url_for's own argument (a javascript: link, a 500)
    kept = urlencode([(k, v) for k, v in request.args.items(multi=True) if k != "page"])

    def link(n: int) -> str:
        return url_for(endpoint, **values, page=n) + (f"&{kept}" if kept else "")

    return {
        "prev": link(page - 1) if page > 1 else None,
        "next": link(page + 1) if page < pages else None,
    }


def kind_words(kind: TransferKind | str) -> str:
    """A kind of transfer in the reader's language."""
    return _(KIND_WORDS.get(TransferKind(kind), str(kind)))


# -- the member statement ---------------------------------------------------------------------


@bp.get("/banks/<int:bank_id>/members/<int:member_id>/statement")
@broker_required
def statement(bank_id: int, member_id: int) -> tuple[str, int]:
    """A member's hours for a period, ready to print (in large print if they need it)."""
    bank = bank_or_404(bank_id)
    member = member_or_404(bank, member_id)
    start, end, typed, errors = _period(statements.default_statement_period(bank.today()))
    large_asked = request.args.get("large") == "1"
    large = large_asked or member.needs_large_print
    found = None if errors else statements.member_statement(db.session, member.id, start, end)
    lines = found.lines if found else []
    rows_per_page = LARGE_PRINT_ROWS if large else PRINT_ROWS
    return render_template(
        "broker/statement.html",
        bank=bank,
        member=member,
        statement=found,
        pages=statements.chunks(
            lines, rows_per_page, first=LARGE_PRINT_FIRST_ROWS if large else rows_per_page
        ),
        rows_per_page=rows_per_page,
        typed=typed,
        start=start,
        end=end,
        errors=errors,
        large=large,
        large_asked=large_asked,
        today=bank.today(),
        members=_members(line.counterparty_member_id for line in lines),
        skills=_skills(line.skill_id for line in lines),
        kind_words=kind_words,
    ), (400 if errors else 200)


# -- the day book -----------------------------------------------------------------------------


@bp.get("/banks/<int:bank_id>/day-book")
@broker_required
def day_book(bank_id: int) -> tuple[str, int]:
    """Every transfer of hours in the bank for a period, 50 to a page."""
    bank = bank_or_404(bank_id)
    start, end, typed, errors = _period(statements.default_day_book_period(bank.today()))
    oldest_first = request.args.get("order") == "oldest"
    book = None
    pager: dict[str, str | None] = {"prev": None, "next": None}
    if not errors:
        book = statements.day_book(
            db.session, bank.id, start, end, page=_page(), newest_first=not oldest_first
        )
        pager = _pager("broker.day_book", book.page, book.pages, bank_id=bank.id)
    lines = book.lines if book else []
    return render_template(
        "broker/day_book.html",
        bank=bank,
        book=book,
        typed=typed,
        start=start,
        end=end,
        errors=errors,
        oldest_first=oldest_first,
        pager=pager,
        members=_members(
            [line.giver_member_id for line in lines] + [line.receiver_member_id for line in lines]
        ),
        skills=_skills(line.skill_id for line in lines),
        users=_users(line.recorded_by_id for line in lines),
        kind_words=kind_words,
        label=label,
    ), (400 if errors else 200)


# -- the audit trail --------------------------------------------------------------------------


def _value(value: Any) -> str:
    """A value from the trail in words: yes/no, or "(empty)"."""
    if value is True:
        return _("yes")
    if value is False:
        return _("no")
    if value is None or value == "":
        return _("(empty)")
    return str(value)


#: Events a member does themselves on their own pages, about themselves.
_MEMBERS_OWN = frozenset({"member.signed_in", "member.signed_out"})
#: Where an event done on a member's pages names who did it, in its details.
_ACTING_MEMBER = ("by_member", "supporter_member")


def _acting_member_ids(event: AuditEvent) -> list[int]:
    """The members an event may name as having done it."""
    found = [event.details.get(key) for key in _ACTING_MEMBER]
    kind, _sep, ident = event.subject.partition(":")
    if event.action in _MEMBERS_OWN and kind == "member" and ident.isdigit():
        found.append(int(ident))
    return [i for i in found if isinstance(i, int)]


def _who(event: AuditEvent, users: dict[int, str], members: dict[int, Member]) -> str:
    """Who did it: a user, or a member on their own pages (they have no user), in words."""
    if event.user_id in users:
        return users[event.user_id]
    supporter_user = event.details.get("supporter_user")
    if isinstance(supporter_user, int) and supporter_user in users:
        return users[supporter_user]
    for member_id in _acting_member_ids(event):
        if member_id in members:
            return _("%(member)s, on their own pages", member=label(members[member_id]))
    if event.action == "user.sign_in_failed":
        return _("Someone not signed in")
    return _("Not recorded")


def _describe(
    event: AuditEvent,
    banks: dict[int, Bank],
    members: dict[int, Member],
    users: dict[int, str],
) -> dict[str, Any]:
    """An event as the page shows it: when, who, what, about what, and any changes."""
    bank = banks.get(event.bank_id) if event.bank_id else None
    zone = bank.zone if bank else ZoneInfo("Europe/London")
    kind, _sep, ident = event.subject.partition(":")
    subject, link = event.subject, None
    if kind == "member" and ident.isdigit() and int(ident) in members:
        member = members[int(ident)]
        subject = label(member)
        link = url_for("broker.member", bank_id=member.bank_id, member_id=member.id)
    elif kind == "transfer" and ident.isdigit() and event.bank_id:
        subject = _("Record %(number)s", number=ident)
        grant_id = event.details.get("grant_id") if event.action.startswith("grant.") else None
        if isinstance(grant_id, int):
            # money: the grant's page shows it in pounds
            link = url_for("grants.grant", bank_id=event.bank_id, grant_id=grant_id)
        else:
            link = url_for("broker.exchange", bank_id=event.bank_id, transfer_id=int(ident))
    elif kind == "grant" and ident.isdigit() and event.bank_id:
        subject = _("Seed grant %(number)s", number=ident)
        link = url_for("grants.grant", bank_id=event.bank_id, grant_id=int(ident))
    elif kind == "pending" and ident.isdigit() and event.bank_id:
        subject = _("Help a member recorded (%(number)s)", number=ident)
        posted = event.details.get("transfer")
        link = (
            url_for("broker.exchange", bank_id=event.bank_id, transfer_id=posted)
            if isinstance(posted, int)
            else url_for("broker.pending_exchanges", bank_id=event.bank_id)
        )
    elif kind == "import" and ident.isdigit() and event.bank_id:
        subject = _("Spreadsheet import %(number)s", number=ident)
        link = url_for("broker.import_batch", bank_id=event.bank_id, batch_id=int(ident))
    elif kind == "bank" and bank is not None:
        subject = bank.name
    elif kind == "batch" and event.bank_id:
        subject = _("Help for a group")
        first = (event.details.get("transfers") or [None])[0]
        if isinstance(first, int):
            # the page of any transfer of a group shows the whole group
            link = url_for("broker.exchange", bank_id=event.bank_id, transfer_id=first)
    elif kind == "user" and ident.isdigit() and int(ident) in users:
        subject = users[int(ident)]
    elif kind == "programme" and ident.isdigit():
        subject = _("Programme %(number)s", number=ident)
        # a programme's events belong to no bank, so only the whole trail shows them, and only
        # admins read that; they may follow the link
        if event.bank_id is None:
            link = url_for("grants.programme", programme_id=int(ident))
    elif kind == "api_token" and ident.isdigit():
        subject = _("API token %(number)s", number=ident)
    elif kind == "skill" and ident.isdigit():
        subject = _("Kind of help %(number)s", number=ident)
    elif event.action == "user.sign_in_failed":
        subject = str(event.details.get("email", ""))
    changes = []
    if event.action in ("member.updated", "member.status"):
        for name, pair in sorted(event.details.items()):
            if isinstance(pair, list) and len(pair) == 2:
                changes.append(
                    (_(FIELD_WORDS[name]) if name in FIELD_WORDS else name, *map(_value, pair))
                )
    return {
        "event": event,
        "redacted": event.redacted,
        "who": _who(event, users, members),
        "when": format_datetime(event.at, "medium", tzinfo=zone, locale=get_locale() or "en"),
        "action": _(ACTION_WORDS[event.action]) if event.action in ACTION_WORDS else event.action,
        "subject": subject,
        "link": link,
        "changes": changes,
        "bank": bank,
    }


def _render_audit(
    bank: Bank | None, found: statements.AuditPage, pager: dict[str, str | None]
) -> str:
    events = found.events
    # each event's time is shown in its own bank's time zone
    wanted = {e.bank_id for e in events if e.bank_id is not None}
    banks = {b.id: b for b in db.session.scalars(select(Bank).where(Bank.id.in_(wanted)))}
    subjects = [e.subject.partition(":") for e in events]
    members = _members(
        [int(i) for k, _s, i in subjects if k == "member" and i.isdigit()]
        + [i for e in events for i in _acting_member_ids(e)]
    )
    supporters = (e.details.get("supporter_user") for e in events)
    named = [int(i) for k, _s, i in subjects if k == "user" and i.isdigit()]
    users = _users(
        [e.user_id for e in events] + named + [i for i in supporters if isinstance(i, int)]
    )
    return render_template(
        "broker/audit.html",
        bank=bank,
        found=found,
        rows=[_describe(e, banks, members, users) for e in events],
        pager=pager,
    )


@bp.get("/banks/<int:bank_id>/audit")
@broker_required
def audit(bank_id: int) -> str:
    """Who did what in one bank, newest first."""
    bank = bank_or_404(bank_id)
    found = statements.audit_page(db.session, bank_id=bank.id, page=_page())
    return _render_audit(
        bank, found, _pager("broker.audit", found.page, found.pages, bank_id=bank.id)
    )


@bp.get("/audit")
@admin_required
def audit_all() -> str:
    """Every bank's trail and the installation's own (sign-ins, new banks): admins only."""
    found = statements.audit_page(db.session, bank_id=None, everything=True, page=_page())
    return _render_audit(None, found, _pager("broker.audit_all", found.page, found.pages))
