"""Posting many transfers at once: the ledger's bulk path, for imports and simulations.

Every request is checked exactly as :func:`timebank.ledger.post` checks it (shape, bank, date,
accounts, floors and ceilings, in order, as if they were posted one after another), and then the
transfers and their entries are written with ``executemany`` in batches instead of one ORM
flush each. Nothing goes around the database: its triggers still move the balances and refuse
closed accounts, its CHECKs still hold every balance within its limits, and on PostgreSQL the
deferred trigger still checks at commit that each transfer sums to zero. SQLite has no deferred
triggers, so each batch is checked here the way :func:`check_posted_transfers_balance` checks a
single posting.

A refusal (by the ledger or the database) raises :class:`LedgerError` and writes nothing: the
whole call runs in a savepoint.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import date, datetime

from sqlalchemy import func, insert, select, tuple_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from timebank.banks.models import Bank
from timebank.db import utcnow
from timebank.ledger.core import (
    TransferRequest,
    _check_shape,
    _explain_integrity_error,
    check_limits_in_order,
)
from timebank.ledger.errors import ErrorCode, LedgerError
from timebank.ledger.models import (
    Account,
    Entry,
    Transfer,
    TransferAnswer,
    TransferKind,
    TransferNote,
    TransferOutcome,
)

#: Transfers written per INSERT round trip; entries go in batches twice as long.
BATCH_SIZE = 2000
#: Ids per IN list: SQLite allows 32,766 bound parameters in one statement.
_CHUNK = 10_000


def post_many(
    session: Session,
    requests: Sequence[TransferRequest],
    *,
    recorded_by_id: int | None = None,
    now: datetime | None = None,
    linked: Sequence[str | None] | None = None,
    batch_size: int = BATCH_SIZE,
) -> list[int]:
    """Validate and write many transfers, all or nothing; return their ids in order.

    ``linked`` optionally names, for each request, the linked posting it belongs to (the legs
    of one group exchange share a name), as :func:`post_linked` would. A request whose
    idempotency key was posted before with the same request is not written again: its original
    id is returned. Reversals are not posted in bulk: use :func:`timebank.ledger.reverse`.
    """
    if not requests:
        return []
    if linked is not None and len(linked) != len(requests):
        raise ValueError("linked must name a batch (or None) for every request")
    now = now or utcnow()
    for index, request in enumerate(requests):
        _check_shape(request, index)
        if request.kind == TransferKind.REVERSAL:
            raise LedgerError(
                ErrorCode.CANNOT_REVERSE_REVERSAL,
                "reversals are posted one at a time, with their reason",
                index=index,
            )

    replayed = _replays(session, requests)

    banks = {bank_id: session.get(Bank, bank_id) for bank_id in {r.bank_id for r in requests}}
    todays: dict[int, date] = {}
    for index, request in enumerate(requests):
        bank = banks[request.bank_id]
        if bank is None:
            raise LedgerError(
                ErrorCode.NOT_FOUND, f"bank {request.bank_id} does not exist", index=index
            )
        if request.bank_id not in todays:
            todays[request.bank_id] = bank.today(now)
        if request.given_on is not None and request.given_on > todays[request.bank_id]:
            raise LedgerError(
                ErrorCode.DATE_IN_FUTURE,
                f"{request.given_on.isoformat()} has not happened yet at the bank",
                index=index,
            )

    fresh = [index for index in range(len(requests)) if index not in replayed]
    accounts = _lock_accounts(
        session,
        {requests[i].from_account_id for i in fresh} | {requests[i].to_account_id for i in fresh},
    )
    # the limits are checked in order, as if each transfer were posted after the one before
    check_limits_in_order(accounts, ((index, requests[index]) for index in fresh))

    ids: dict[int, int] = dict(replayed)
    postgresql = session.get_bind().dialect.name == "postgresql"
    try:
        # a savepoint, so a refusal by the database leaves the caller's transaction usable
        with session.begin_nested():
            for offset in range(0, len(fresh), batch_size):
                chunk = fresh[offset : offset + batch_size]
                written = _write_batch(
                    session,
                    [requests[i] for i in chunk],
                    [linked[i] if linked is not None else None for i in chunk],
                    todays,
                    recorded_by_id,
                    now,
                )
                if not postgresql:
                    _check_balanced(session, written)
                ids.update(zip(chunk, written, strict=True))
    except IntegrityError as error:
        _explain_integrity_error(session, [], error)
        raise  # pragma: no cover - _explain_integrity_error always raises without requests

    # the database trigger changed the balances: read them afresh when next used
    for account in accounts.values():
        session.expire(account, ["balance"])
    return [ids[index] for index in range(len(requests))]


def new_batch() -> str:
    """A name for one linked posting in ``post_many(..., linked=...)``."""
    return uuid.uuid4().hex


def _write_batch(
    session: Session,
    requests: Sequence[TransferRequest],
    linked: Sequence[str | None],
    todays: dict[int, date],
    recorded_by_id: int | None,
    now: datetime,
) -> list[int]:
    connection = session.connection()
    rows = [
        {
            "bank_id": request.bank_id,
            "unit": request.unit,
            "kind": request.kind,
            "amount": request.amount,
            "given_on": request.given_on or todays[request.bank_id],
            "recorded_at": now,
            "recorded_by_id": recorded_by_id,
            "skill_id": request.skill_id,
            "idempotency_key": request.idempotency_key,
            "fingerprint": request.fingerprint() if request.idempotency_key else None,
            "reverses_id": None,
            "batch": batch,
        }
        for request, batch in zip(requests, linked, strict=True)
    ]
    # one multi-row INSERT per page of rows, ids back in the order of the rows
    ids = list(
        connection.execute(
            insert(Transfer.__table__).returning(
                Transfer.__table__.c.id, sort_by_parameter_order=True
            ),
            rows,
        ).scalars()
    )
    entries = []
    notes = []
    outcomes = []
    answers = []
    for transfer_id, request in zip(ids, requests, strict=True):
        for account_id, amount in (
            (request.from_account_id, -request.amount),
            (request.to_account_id, request.amount),
        ):
            entries.append(
                {
                    "transfer_id": transfer_id,
                    "account_id": account_id,
                    "bank_id": request.bank_id,
                    "unit": request.unit,
                    "amount": amount,
                }
            )
        if request.note:
            notes.append({"transfer_id": transfer_id, "text": request.note, "redacted_at": None})
        outcomes.extend(
            {"transfer_id": transfer_id, "area": area}
            for area in sorted(set(request.outcome_areas))
        )
        if request.answers_request_id is not None:
            answers.append(
                {"transfer_id": transfer_id, "member_skill_id": request.answers_request_id}
            )
    connection.execute(insert(Entry.__table__), entries)
    for table, values in (
        (TransferNote.__table__, notes),
        (TransferOutcome.__table__, outcomes),
        (TransferAnswer.__table__, answers),
    ):
        if values:
            connection.execute(insert(table), values)
    return ids


def _replays(session: Session, requests: Sequence[TransferRequest]) -> dict[int, int]:
    """Indexes of requests posted before under the same key, with their transfer ids.

    Raises when a key was used for a different transfer, or twice in this call."""
    keyed: dict[tuple[int, str], int] = {}
    for index, request in enumerate(requests):
        if request.idempotency_key is None:
            continue
        key = (request.bank_id, request.idempotency_key)
        if key in keyed:
            raise LedgerError(
                ErrorCode.IDEMPOTENCY_KEY_REUSED,
                "this key appears twice in the same posting",
                index=index,
            )
        keyed[key] = index
    found: dict[int, int] = {}
    keys = list(keyed)
    for offset in range(0, len(keys), _CHUNK // 2):
        rows = session.execute(
            select(
                Transfer.bank_id, Transfer.idempotency_key, Transfer.id, Transfer.fingerprint
            ).where(
                tuple_(Transfer.bank_id, Transfer.idempotency_key).in_(
                    keys[offset : offset + _CHUNK // 2]
                )
            )
        )
        for bank_id, key, transfer_id, fingerprint in rows:
            index = keyed[(bank_id, key)]
            if fingerprint != requests[index].fingerprint():
                raise LedgerError(
                    ErrorCode.IDEMPOTENCY_KEY_REUSED,
                    "this key was used before for a different transfer",
                    index=index,
                )
            found[index] = transfer_id
    return found


def _lock_accounts(session: Session, account_ids: Iterable[int]) -> dict[int, Account]:
    """Load and lock the accounts in id order (chunks in order keep the order overall)."""
    wanted = sorted(set(account_ids))
    accounts: dict[int, Account] = {}
    for offset in range(0, len(wanted), _CHUNK):
        for account in session.scalars(
            select(Account)
            .where(Account.id.in_(wanted[offset : offset + _CHUNK]))
            .order_by(Account.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        ):
            accounts[account.id] = account
    return accounts


def _check_balanced(session: Session, transfer_ids: Sequence[int]) -> None:
    """SQLite's stand-in for PostgreSQL's deferred trigger, for the transfers just written."""
    for offset in range(0, len(transfer_ids), _CHUNK):
        chunk = transfer_ids[offset : offset + _CHUNK]
        rows = session.execute(
            select(Entry.transfer_id, func.sum(Entry.amount), func.count())
            .where(Entry.transfer_id.in_(chunk))
            .group_by(Entry.transfer_id)
        ).all()
        if len(rows) != len(chunk) or any(total != 0 or count < 2 for _, total, count in rows):
            raise RuntimeError("a transfer written in bulk does not balance; refusing to go on")


__all__ = ["BATCH_SIZE", "new_batch", "post_many"]
