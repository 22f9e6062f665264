"""Exchanges (every transfer of hours in a bank), reversals, and help waiting to be confirmed.

Recording goes through :mod:`timebank.exchanges.operations`, as the pages' logging form does.
The client's ``Idempotency-Key`` becomes the ledger's key (as ``api:<key>``, apart from the
pages' keys), so the ledger itself tells a retry (the original transfer comes back, nothing is
written, not even to the audit trail) from a different request under the same key
(``idempotency_key_reused``).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from flask import Response, request
from sqlalchemy import select

from timebank import exchanges
from timebank.api.access import (
    brokered_bank,
    brokered_pending,
    brokered_transfer,
    keyset_page,
)
from timebank.api.errors import invalid
from timebank.api.registry import Header, operation
from timebank.api.respond import created, ok
from timebank.api.schemas import (
    ExchangeIn,
    ExchangeOut,
    ExchangePage,
    ExchangeQuery,
    PageQuery,
    PendingOut,
    PendingPage,
    ReversalIn,
    VoidIn,
)
from timebank.banks.models import Bank
from timebank.db import utcnow
from timebank.exchanges import HelpDetails
from timebank.extensions import db
from timebank.ledger import (
    Account,
    Entry,
    PendingStatus,
    PendingTransfer,
    Transfer,
    TransferNote,
    TransferOutcome,
    Unit,
)
from timebank.members.models import Member, Skill
from timebank.users.current import user
from timebank.users.models import Role

BROKERS = (Role.ADMIN, Role.COORDINATOR)
KEY_PATTERN = re.compile(r"^[\x21-\x7e]{1,80}$")
IDEMPOTENCY_KEY = Header(
    "Idempotency-Key",
    "Makes a retry safe: the same key with the same body returns the first transfer (200) and "
    "writes nothing; the same key with another body is refused (409 idempotency_key_reused). "
    "1 to 80 printable ASCII characters; a UUID is ideal.",
    {"type": "string", "minLength": 1, "maxLength": 80, "pattern": KEY_PATTERN.pattern},
)
REPLAYED = Header(
    "Idempotent-Replayed",
    "true when this is the answer to an earlier request with the same key.",
    {"type": "string", "enum": ["true"]},
)


# -- describing transfers -------------------------------------------------------------------------


def exchange_bodies(transfers: Sequence[Transfer]) -> list[dict[str, Any]]:
    """Transfers as the API shows them, with a handful of queries for any number of them."""
    ids = [t.id for t in transfers]
    if not ids:
        return []
    sides: dict[int, dict[str, int | None]] = defaultdict(dict)
    for transfer_id, amount, member_id in db.session.execute(
        select(Entry.transfer_id, Entry.amount, Account.member_id)
        .join(Account, Account.id == Entry.account_id)
        .where(Entry.transfer_id.in_(ids))
    ):
        sides[transfer_id]["provider_id" if amount > 0 else "receiver_id"] = member_id
    notes = {
        transfer_id: text if redacted_at is None else None
        for transfer_id, text, redacted_at in db.session.execute(
            select(TransferNote.transfer_id, TransferNote.text, TransferNote.redacted_at).where(
                TransferNote.transfer_id.in_(ids)
            )
        )
    }
    outcomes: dict[int, list[str]] = defaultdict(list)
    for transfer_id, area in db.session.execute(
        select(TransferOutcome.transfer_id, TransferOutcome.area).where(
            TransferOutcome.transfer_id.in_(ids)
        )
    ):
        outcomes[transfer_id].append(str(area))
    reversed_by = dict(
        db.session.execute(
            select(Transfer.reverses_id, Transfer.id).where(Transfer.reverses_id.in_(ids))
        ).all()
    )
    skills = _skill_codes({t.skill_id for t in transfers})
    return [
        {
            "id": t.id,
            "bank_id": t.bank_id,
            "kind": t.kind,
            "minutes": t.amount,
            "date": t.given_on,
            "provider_id": sides[t.id].get("provider_id"),
            "receiver_id": sides[t.id].get("receiver_id"),
            "skill": skills.get(t.skill_id) if t.skill_id else None,
            "note": notes.get(t.id),
            "outcome_areas": sorted(outcomes[t.id]),
            "recorded_at": t.recorded_at,
            "reverses_id": t.reverses_id,
            "reversed_by_id": reversed_by.get(t.id),
        }
        for t in transfers
    ]


def _skill_codes(skill_ids: set[int | None]) -> dict[int, str]:
    wanted = {s for s in skill_ids if s is not None}
    if not wanted:
        return {}
    return dict(db.session.execute(select(Skill.id, Skill.code).where(Skill.id.in_(wanted))).all())


def pending_bodies(waiting: Sequence[PendingTransfer]) -> list[dict[str, Any]]:
    account_ids = {p.from_account_id for p in waiting} | {p.to_account_id for p in waiting}
    owners = dict(
        db.session.execute(
            select(Account.id, Account.member_id).where(Account.id.in_(account_ids))
        ).all()
    )
    skills = _skill_codes({p.skill_id for p in waiting})
    return [
        {
            "id": p.id,
            "bank_id": p.bank_id,
            "status": p.status,
            "minutes": p.amount,
            "date": p.given_on,
            "provider_id": owners.get(p.to_account_id),
            "receiver_id": owners.get(p.from_account_id),
            "skill": skills.get(p.skill_id) if p.skill_id else None,
            "note": p.note or "",
            "outcome_areas": list(p.outcome_areas or []),
            "created_at": p.created_at,
            "expires_at": p.expires_at,
            "transfer_id": p.transfer_id,
        }
        for p in waiting
    ]


# -- posting --------------------------------------------------------------------------------------


def _idempotency_key() -> str | None:
    key = request.headers.get("Idempotency-Key")
    if key is None:
        return None
    if not KEY_PATTERN.match(key):
        raise invalid(
            {"Idempotency-Key": ["1 to 80 printable ASCII characters without spaces."]},
            "The Idempotency-Key header is invalid.",
        )
    return key


def _member_in(bank: Bank, member_id: int, field: str) -> Member:
    member = db.session.get(Member, member_id)
    if member is None or member.bank_id != bank.id:
        raise invalid({field: ["There is no such member in this bank."]})
    return member


def _skill_in(bank: Bank, code: str | None) -> int | None:
    if code is None:
        return None
    skill_id = db.session.scalars(
        select(Skill.id)
        .where(Skill.code == code, (Skill.bank_id.is_(None)) | (Skill.bank_id == bank.id))
        .order_by(Skill.bank_id.is_(None))
        .limit(1)
    ).first()
    if skill_id is None:
        raise invalid({"skill": ["Not a kind of help of this bank: see GET /skills."]})
    return skill_id


@operation(
    "/banks/<id:bank_id>/exchanges",
    "POST",
    summary="Record help given",
    tag="Exchanges",
    body=ExchangeIn,
    headers=[IDEMPOTENCY_KEY],
    roles=BROKERS,
    responses={
        201: ("The transfer, recorded now.", ExchangeOut),
        200: (
            "The transfer first recorded with this Idempotency-Key: nothing was written.",
            ExchangeOut,
        ),
    },
    errors={
        409: "idempotency_key_reused: the key was used for a different exchange; "
        "account_closed: a member has left.",
        422: "Invalid fields (validation_failed), or a rule of the books: exceeds_floor (the "
        "receiver would owe more than they may), exceeds_ceiling, same_account, date_in_future.",
    },
)
def create_exchange(bank_id: int, data: dict[str, Any]) -> Response:
    """The provider gave the receiver ``minutes`` of help: the receiver's account pays, the
    provider's earns, one minute for one minute. Send an ``Idempotency-Key`` so that a retry
    after a lost answer posts once."""
    bank = brokered_bank(bank_id)
    key = _idempotency_key()
    provider = _member_in(bank, data["provider_id"], "provider_id")
    receiver = _member_in(bank, data["receiver_id"], "receiver_id")
    posted = exchanges.record_exchange(
        db.session,
        provider=provider,
        receiver=receiver,
        help=HelpDetails(
            minutes=data["minutes"],
            given_on=data.get("date"),
            skill_id=_skill_in(bank, data.get("skill")),
            note=data.get("note") or None,
            outcome_areas=tuple(data.get("outcome_areas") or ()),
            idempotency_key=f"api:{key}" if key else None,
        ),
        by_user_id=user().id,
        via="api",
    )
    body = exchange_bodies([posted.transfer])[0]
    db.session.commit()
    if posted.replayed:
        return ok(ExchangeOut, body, **{"Idempotent-Replayed": "true"})
    return created(ExchangeOut, body)


@operation(
    "/banks/<id:bank_id>/exchanges",
    "GET",
    summary="The exchanges of a bank",
    tag="Exchanges",
    query=ExchangeQuery,
    roles=BROKERS,
    responses={200: ("A page of transfers of hours, newest first.", ExchangePage)},
)
def list_exchanges(bank_id: int, args: dict[str, Any]) -> Response:
    """Every transfer of hours: help, group help, time given to the bank, gifts, welcome hours,
    balances brought over, and reversals (see ``kind``). Filter by ``member`` and by the day
    the help was given (``from``, ``to``). Pass ``next_cursor`` back as ``cursor`` for the
    next page; it is null on the last."""
    bank = brokered_bank(bank_id)
    if args.get("from_") and args.get("to") and args["from_"] > args["to"]:
        raise invalid({"to": ["The end comes before the start."]})
    statement = select(Transfer).where(Transfer.bank_id == bank.id, Transfer.unit == Unit.HOURS)
    if args.get("member") is not None:
        statement = statement.where(
            Transfer.id.in_(
                select(Entry.transfer_id)
                .join(Account, Account.id == Entry.account_id)
                .where(Account.member_id == args["member"], Account.bank_id == bank.id)
            )
        )
    if args.get("from_"):
        statement = statement.where(Transfer.given_on >= args["from_"])
    if args.get("to"):
        statement = statement.where(Transfer.given_on <= args["to"])
    transfers, next_cursor = keyset_page(statement, Transfer.id, args, newest_first=True)
    return ok(ExchangePage, {"items": exchange_bodies(transfers), "next_cursor": next_cursor})


@operation(
    "/exchanges/<id:transfer_id>",
    "GET",
    summary="One exchange",
    tag="Exchanges",
    roles=BROKERS,
    responses={200: ("The transfer.", ExchangeOut)},
)
def get_exchange(transfer_id: int) -> Response:
    """Any kind of transfer of hours (see ``kind``), with ``reversed_by_id`` once reversed."""
    return ok(ExchangeOut, exchange_bodies([brokered_transfer(transfer_id)])[0])


@operation(
    "/exchanges/<id:transfer_id>/reversal",
    "POST",
    summary="Put a mistake right",
    tag="Exchanges",
    body=ReversalIn,
    roles=BROKERS,
    responses={201: ("The reversal: the mirror of the exchange.", ExchangeOut)},
    errors={
        409: "already_reversed, or cannot_reverse_reversal (record the right exchange instead).",
        422: "Invalid fields, reason_required, or exceeds_floor (lower the member's floor "
        "first, on the pages).",
    },
)
def reverse_exchange(transfer_id: int, data: dict[str, Any]) -> Response:
    """Brokers of the bank (and admins). Nothing is deleted: a new transfer mirrors the old
    one, with the reason. A transfer is reversed at most once, so a retry answers 409."""
    transfer = brokered_transfer(transfer_id)
    reversal = exchanges.reverse_exchange(
        db.session, transfer, data["reason"], by_user_id=user().id, via="api"
    )
    body = exchange_bodies([reversal])[0]
    db.session.commit()
    return created(ExchangeOut, body)


# -- help recorded by members, waiting for the other side -----------------------------------------


@operation(
    "/banks/<id:bank_id>/pending",
    "GET",
    summary="Help waiting to be confirmed",
    tag="Pending exchanges",
    query=PageQuery,
    roles=BROKERS,
    responses={200: ("A page of pending exchanges, oldest first.", PendingPage)},
)
def list_pending(bank_id: int, args: dict[str, Any]) -> Response:
    """Help members recorded on their own pages that nobody has confirmed or declined yet. It
    moves no hours until confirmed."""
    bank = brokered_bank(bank_id)
    statement = select(PendingTransfer).where(
        PendingTransfer.bank_id == bank.id,
        PendingTransfer.status == PendingStatus.PENDING,
        PendingTransfer.expires_at > utcnow(),
    )
    waiting, next_cursor = keyset_page(statement, PendingTransfer.id, args)
    return ok(PendingPage, {"items": pending_bodies(waiting), "next_cursor": next_cursor})


@operation(
    "/pending/<id:pending_id>/confirm",
    "POST",
    summary="Confirm help a member recorded",
    tag="Pending exchanges",
    roles=BROKERS,
    responses={
        201: ("The exchange, posted now.", ExchangeOut),
        200: ("It was confirmed before: the exchange posted then.", ExchangeOut),
    },
    errors={
        409: "already_resolved (it was declined) or pending_expired (30 days passed).",
        422: "exceeds_floor or exceeds_ceiling: the limits are checked now.",
    },
)
def confirm_pending(pending_id: int) -> Response:
    """Posts the exchange. Confirming again returns the same exchange, so a retry is safe."""
    pending = brokered_pending(pending_id)
    posted = exchanges.confirm_pending(db.session, pending, by_user_id=user().id, via="api")
    body = exchange_bodies([posted.transfer])[0]
    db.session.commit()
    if posted.replayed:
        return ok(ExchangeOut, body, **{"Idempotent-Replayed": "true"})
    return created(ExchangeOut, body)


@operation(
    "/pending/<id:pending_id>/void",
    "POST",
    summary="Decline help a member recorded",
    tag="Pending exchanges",
    body=VoidIn,
    roles=BROKERS,
    responses={200: ("The pending exchange, now voided: no hours moved.", PendingOut)},
    errors={409: "already_resolved (it was confirmed) or pending_expired."},
)
def void_pending(pending_id: int, data: dict[str, Any]) -> Response:
    """Declining again answers the same, so a retry is safe."""
    pending = brokered_pending(pending_id)
    exchanges.decline_pending(
        db.session, pending, data.get("reason", ""), by_user_id=user().id, via="api"
    )
    body = pending_bodies([pending])[0]
    db.session.commit()
    return ok(PendingOut, body)
