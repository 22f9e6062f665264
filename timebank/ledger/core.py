"""Posting, linked posting and reversal: the only code that writes transfers and entries.

Functions take a SQLAlchemy session, flush, and leave the commit to the caller, so a page can
post and write its audit record in one transaction. A refused posting raises
:class:`LedgerError` and leaves nothing behind in the session.

Concurrency: the accounts a posting touches are locked before their balances are read
(``SELECT ... FOR UPDATE`` in id order on PostgreSQL, so two postings never deadlock; on SQLite
every transaction starts with ``BEGIN IMMEDIATE``, see :func:`timebank.db.configure_engine`).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import date, datetime

from sqlalchemy import event, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from timebank.banks.models import Bank
from timebank.db import utcnow
from timebank.ledger.errors import ErrorCode, LedgerError
from timebank.ledger.models import (
    HELP_KINDS,
    Account,
    AccountKind,
    AccountStatus,
    Entry,
    OutcomeArea,
    Transfer,
    TransferAnswer,
    TransferKind,
    TransferNote,
    TransferOutcome,
    Unit,
)

#: Help given in one go, on one day, cannot be more than a day.
MAX_HELP_MINUTES = 24 * 60
#: A cap per transfer that catches typing slips and keeps sums far from integer overflow.
MAX_AMOUNT = {Unit.HOURS: 10_000 * 60, Unit.GBP: 1_000_000 * 100}


@dataclass(frozen=True, kw_only=True)
class TransferRequest:
    """What a caller asks the ledger to post.

    Hours or money leave ``from_account_id`` and arrive in ``to_account_id``. For an exchange the
    member who received help pays, and the member who gave it earns.
    """

    bank_id: int
    unit: Unit
    kind: TransferKind
    from_account_id: int
    to_account_id: int
    amount: int
    given_on: date | None = None
    skill_id: int | None = None
    note: str | None = None
    idempotency_key: str | None = None
    #: Outcome areas (codes of :class:`OutcomeArea`) the help served.
    outcome_areas: tuple[str, ...] = ()
    #: The member's request (a ``member_skills`` row) this exchange answered.
    answers_request_id: int | None = None

    def fingerprint(self) -> str:
        """A stable hash of everything but the key, to tell a retry from a different request."""
        body = asdict(self)
        body.pop("idempotency_key")
        canonical = json.dumps(body, sort_keys=True, default=str, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True)
class Posted:
    """What a posting wrote, or found written before under the same idempotency keys."""

    transfers: tuple[Transfer, ...]
    #: True when nothing was written now: every transfer was posted before with its key.
    replayed: bool

    @property
    def transfer(self) -> Transfer:
        """The first (for a single posting, the only) transfer."""
        return self.transfers[0]


# -- accounts -----------------------------------------------------------------------------------


def open_account(
    session: Session,
    *,
    bank_id: int,
    unit: Unit,
    kind: AccountKind,
    member_id: int | None = None,
    label: str = "",
    floor: int | None = None,
    ceiling: int | None = None,
) -> Account:
    """Open an empty account in a bank."""
    if session.get(Bank, bank_id) is None:
        raise LedgerError(ErrorCode.NOT_FOUND, f"bank {bank_id} does not exist")
    _check_limits_shape(floor, ceiling)
    if floor is not None and floor > 0:
        raise LedgerError(ErrorCode.EXCEEDS_FLOOR, "a new account starts at zero, below that floor")
    if ceiling is not None and ceiling < 0:
        raise LedgerError(
            ErrorCode.EXCEEDS_CEILING, "a new account starts at zero, above that ceiling"
        )
    account = Account(
        bank_id=bank_id,
        unit=unit,
        kind=kind,
        member_id=member_id,
        label=label,
        balance=0,
        floor=floor,
        ceiling=ceiling,
        status=AccountStatus.OPEN,
    )
    session.add(account)
    session.flush()
    return account


def set_limits(
    session: Session, account_id: int, *, floor: int | None, ceiling: int | None
) -> Account:
    """Change an account's floor and ceiling. The current balance must lie within them."""
    _check_limits_shape(floor, ceiling)
    (account,) = _lock_accounts(session, [account_id])
    if floor is not None and account.balance < floor:
        raise LedgerError(
            ErrorCode.EXCEEDS_FLOOR, f"the balance {account.balance} is already below {floor}"
        )
    if ceiling is not None and account.balance > ceiling:
        raise LedgerError(
            ErrorCode.EXCEEDS_CEILING, f"the balance {account.balance} is already above {ceiling}"
        )
    account.floor = floor
    account.ceiling = ceiling
    session.flush()
    return account


def close_account(session: Session, account_id: int) -> Account:
    """Close an empty account: it takes no more transfers."""
    (account,) = _lock_accounts(session, [account_id])
    if account.balance != 0:
        raise LedgerError(
            ErrorCode.BALANCE_NOT_ZERO, "move the balance elsewhere before closing the account"
        )
    account.status = AccountStatus.CLOSED
    session.flush()
    return account


def _check_limits_shape(floor: int | None, ceiling: int | None) -> None:
    if floor is not None and ceiling is not None and floor > ceiling:
        raise LedgerError(ErrorCode.INVALID_LIMITS, "the floor must not be above the ceiling")


# -- posting ------------------------------------------------------------------------------------


def post(
    session: Session,
    request: TransferRequest,
    *,
    recorded_by_id: int | None = None,
    now: datetime | None = None,
) -> Transfer:
    """Validate and write one transfer and its two entries.

    Posting again with the same idempotency key and the same request returns the original
    transfer and writes nothing.
    """
    return _post_batch(session, [request], [None], recorded_by_id, now).transfer


def post_linked(
    session: Session,
    requests: Sequence[TransferRequest],
    *,
    recorded_by_id: int | None = None,
    now: datetime | None = None,
) -> list[Transfer]:
    """Write several transfers all-or-nothing, such as the legs of a group exchange.

    If any is refused, none is written and the error's ``index`` names the refused one. A
    replay of the whole batch (every transfer carrying a key it was first posted with) returns
    the original transfers.
    """
    return list(post_all(session, requests, recorded_by_id=recorded_by_id, now=now).transfers)


def post_all(
    session: Session,
    requests: Sequence[TransferRequest],
    *,
    recorded_by_id: int | None = None,
    now: datetime | None = None,
) -> Posted:
    """Write one transfer, or several linked ones all or nothing, and say whether this was a
    replay (``Posted.replayed``: every transfer came back as first posted under its key).

    The callers that write an audit record use this, so that a retry is recorded once.
    """
    if not requests:
        raise LedgerError(ErrorCode.EMPTY_BATCH, "nothing to post")
    return _post_batch(session, requests, [None] * len(requests), recorded_by_id, now)


def _post_batch(
    session: Session,
    requests: Sequence[TransferRequest],
    reverses: Sequence[Transfer | None],
    recorded_by_id: int | None,
    now: datetime | None,
) -> Posted:
    now = now or utcnow()

    for index, request in enumerate(requests):
        _check_shape(request, index)

    replayed = _find_replays(session, requests)
    if replayed is not None:
        return Posted(tuple(replayed), replayed=True)

    banks = {request.bank_id: session.get(Bank, request.bank_id) for request in requests}
    for index, request in enumerate(requests):
        bank = banks[request.bank_id]
        if bank is None:
            raise LedgerError(
                ErrorCode.NOT_FOUND, f"bank {request.bank_id} does not exist", index=index
            )
        if request.given_on is not None and request.given_on > bank.today(now):
            raise LedgerError(
                ErrorCode.DATE_IN_FUTURE,
                f"{request.given_on.isoformat()} has not happened yet at the bank",
                index=index,
            )

    account_ids = {r.from_account_id for r in requests} | {r.to_account_id for r in requests}
    accounts = {a.id: a for a in _lock_accounts(session, account_ids)}
    check_limits_in_order(accounts, enumerate(requests))

    batch = uuid.uuid4().hex if len(requests) > 1 else None
    transfers: list[Transfer] = []
    try:
        # a savepoint, so a refusal by the database leaves the caller's transaction usable
        with session.begin_nested():
            for request, original in zip(requests, reverses, strict=True):
                transfers.append(
                    _write(
                        session,
                        request,
                        banks[request.bank_id],
                        recorded_by_id,
                        now,
                        batch,
                        original,
                    )
                )
    except IntegrityError as error:
        return Posted(tuple(_explain_integrity_error(session, requests, error)), replayed=True)

    # the database trigger changed the balances: read them afresh when next used
    for account in accounts.values():
        session.expire(account, ["balance"])
    _pending_transfer_ids(session).update(t.id for t in transfers)
    return Posted(tuple(transfers), replayed=False)


def reverse(
    session: Session,
    transfer_id: int,
    reason: str,
    by: int | None = None,
    *,
    now: datetime | None = None,
) -> Transfer:
    """Post the mirror of a transfer, correcting it. A transfer is reversed at most once, and a
    reversal is never itself reversed."""
    if not reason or not reason.strip():
        raise LedgerError(ErrorCode.REASON_REQUIRED, "say why the transfer is being reversed")
    original = session.get(Transfer, transfer_id)
    if original is None:
        raise LedgerError(ErrorCode.NOT_FOUND, f"transfer {transfer_id} does not exist")
    if original.kind == TransferKind.REVERSAL:
        raise LedgerError(ErrorCode.CANNOT_REVERSE_REVERSAL, "a reversal cannot be reversed")
    if _reversal_of(session, transfer_id) is not None:
        raise LedgerError(ErrorCode.ALREADY_REVERSED, f"transfer {transfer_id} is already reversed")
    source = next(e for e in original.entries if e.amount < 0)
    target = next(e for e in original.entries if e.amount > 0)
    request = TransferRequest(
        bank_id=original.bank_id,
        unit=original.unit,
        kind=TransferKind.REVERSAL,
        from_account_id=target.account_id,
        to_account_id=source.account_id,
        amount=original.amount,
        skill_id=original.skill_id,
        note=reason.strip(),
    )
    return _post_batch(session, [request], [original], by, now).transfer


def reversal_of(session: Session, transfer_id: int) -> Transfer | None:
    """The transfer that reversed this one, if any."""
    return _reversal_of(session, transfer_id)


# -- helpers ------------------------------------------------------------------------------------


def _check_shape(request: TransferRequest, index: int) -> None:
    if request.amount <= 0:
        raise LedgerError(
            ErrorCode.AMOUNT_MUST_BE_POSITIVE, "the amount must be more than zero", index=index
        )
    cap = MAX_AMOUNT[request.unit]
    if request.unit == Unit.HOURS and request.kind in HELP_KINDS:
        cap = MAX_HELP_MINUTES
    if request.amount > cap:
        raise LedgerError(
            ErrorCode.AMOUNT_TOO_LARGE, f"the amount is above the limit of {cap}", index=index
        )
    if request.from_account_id == request.to_account_id:
        raise LedgerError(
            ErrorCode.SAME_ACCOUNT, "the two sides must be different accounts", index=index
        )
    unknown = set(request.outcome_areas) - {area.value for area in OutcomeArea}
    if unknown:
        raise LedgerError(
            ErrorCode.INVALID_OUTCOME_AREA,
            f"no such outcome area: {sorted(unknown)[0]}",
            index=index,
        )


def _find_replays(session: Session, requests: Sequence[TransferRequest]) -> list[Transfer] | None:
    """The original transfers if this is a replay, None if it is new; raises on a reused key."""
    found: list[Transfer | None] = []
    for index, request in enumerate(requests):
        if request.idempotency_key is None:
            found.append(None)
            continue
        existing = session.scalars(
            select(Transfer).where(
                Transfer.bank_id == request.bank_id,
                Transfer.idempotency_key == request.idempotency_key,
            )
        ).one_or_none()
        if existing is not None and existing.fingerprint != request.fingerprint():
            raise LedgerError(
                ErrorCode.IDEMPOTENCY_KEY_REUSED,
                "this key was used before for a different transfer",
                index=index,
            )
        found.append(existing)
    if all(t is None for t in found):
        return None
    if all(t is not None for t in found):
        return [t for t in found if t is not None]
    index = next(i for i, t in enumerate(found) if t is None)
    raise LedgerError(
        ErrorCode.IDEMPOTENCY_KEY_REUSED,
        "part of this batch was posted before with other transfers",
        index=index,
    )


def _lock_accounts(session: Session, account_ids: Iterable[int]) -> list[Account]:
    """Load accounts, locking their rows in id order so that concurrent postings queue."""
    wanted = sorted(set(account_ids))
    accounts = list(
        session.scalars(
            select(Account)
            .where(Account.id.in_(wanted))
            .order_by(Account.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    )
    if len(accounts) != len(wanted):
        missing = sorted(set(wanted) - {a.id for a in accounts})
        raise LedgerError(
            ErrorCode.NOT_FOUND, f"account {missing[0]} does not exist", account_id=missing[0]
        )
    return accounts


def check_limits_in_order(
    accounts: dict[int, Account], indexed: Iterable[tuple[int, TransferRequest]]
) -> None:
    """Refuse the first request that would take an account past its floor or ceiling, with
    the balances as they will be after each request before it (a batch posts in order)."""
    balances = {account_id: account.balance for account_id, account in accounts.items()}
    for index, request in indexed:
        source = _usable_account(accounts, request.from_account_id, request, index)
        target = _usable_account(accounts, request.to_account_id, request, index)
        after_source = balances[source.id] - request.amount
        after_target = balances[target.id] + request.amount
        if source.floor is not None and after_source < source.floor:
            raise LedgerError(
                ErrorCode.EXCEEDS_FLOOR,
                f"account {source.id} would go to {after_source}, "
                f"below its floor of {source.floor}",
                index=index,
                account_id=source.id,
            )
        if target.ceiling is not None and after_target > target.ceiling:
            raise LedgerError(
                ErrorCode.EXCEEDS_CEILING,
                f"account {target.id} would go to {after_target}, "
                f"above its ceiling of {target.ceiling}",
                index=index,
                account_id=target.id,
            )
        balances[source.id] = after_source
        balances[target.id] = after_target


def _usable_account(
    accounts: dict[int, Account], account_id: int, request: TransferRequest, index: int
) -> Account:
    account = accounts.get(account_id)
    if account is None:
        raise LedgerError(
            ErrorCode.NOT_FOUND,
            f"account {account_id} does not exist",
            index=index,
            account_id=account_id,
        )
    if account.bank_id != request.bank_id:
        raise LedgerError(
            ErrorCode.BANK_MISMATCH,
            f"account {account_id} belongs to another bank",
            index=index,
            account_id=account_id,
        )
    if account.unit != request.unit:
        raise LedgerError(
            ErrorCode.UNIT_MISMATCH,
            f"account {account_id} keeps {account.unit}, not {request.unit}",
            index=index,
            account_id=account_id,
        )
    if account.status == AccountStatus.CLOSED:
        raise LedgerError(
            ErrorCode.ACCOUNT_CLOSED,
            f"account {account_id} is closed",
            index=index,
            account_id=account_id,
        )
    return account


def _write(
    session: Session,
    request: TransferRequest,
    bank: Bank,
    recorded_by_id: int | None,
    now: datetime,
    batch: str | None,
    reverses: Transfer | None,
) -> Transfer:
    transfer = Transfer(
        bank_id=request.bank_id,
        unit=request.unit,
        kind=request.kind,
        amount=request.amount,
        given_on=request.given_on or bank.today(now),
        recorded_at=now,
        recorded_by_id=recorded_by_id,
        skill_id=request.skill_id,
        idempotency_key=request.idempotency_key,
        fingerprint=request.fingerprint() if request.idempotency_key else None,
        reverses_id=reverses.id if reverses is not None else None,
        batch=batch,
    )
    transfer.entries = [
        Entry(account_id=request.from_account_id, amount=-request.amount),
        Entry(account_id=request.to_account_id, amount=request.amount),
    ]
    if request.note:
        transfer.note = TransferNote(text=request.note)
    transfer.outcomes = [
        TransferOutcome(area=OutcomeArea(a)) for a in sorted(set(request.outcome_areas))
    ]
    session.add(transfer)
    session.flush()
    if request.answers_request_id is not None:
        session.add(
            TransferAnswer(transfer_id=transfer.id, member_skill_id=request.answers_request_id)
        )
    session.add(transfer)
    session.flush()
    return transfer


def _explain_integrity_error(
    session: Session, requests: Sequence[TransferRequest], error: IntegrityError
) -> list[Transfer]:
    """Turn a race lost to another writer into the right answer or the right error code."""
    replayed = _find_replays(session, requests)
    if replayed is not None:
        return replayed
    text = str(error.orig)
    if "reverses_id" in text or "cannot_reverse_reversal" in text:
        code = (
            ErrorCode.CANNOT_REVERSE_REVERSAL
            if "cannot_reverse_reversal" in text
            else ErrorCode.ALREADY_REVERSED
        )
        raise LedgerError(code, "the transfer was reversed by someone else") from error
    if "within_floor" in text:
        raise LedgerError(ErrorCode.EXCEEDS_FLOOR, "an account would go below its floor") from error
    if "within_ceiling" in text:
        raise LedgerError(
            ErrorCode.EXCEEDS_CEILING, "an account would go above its ceiling"
        ) from error
    if "account_closed" in text:
        raise LedgerError(ErrorCode.ACCOUNT_CLOSED, "an account is closed") from error
    raise error


def _reversal_of(session: Session, transfer_id: int) -> Transfer | None:
    return session.scalars(
        select(Transfer).where(Transfer.reverses_id == transfer_id)
    ).one_or_none()


# -- the check before commit ----------------------------------------------------------------------

_PENDING_KEY = "timebank.ledger.posted_transfer_ids"


def _pending_transfer_ids(session: Session) -> set[int]:
    return session.info.setdefault(_PENDING_KEY, set())


def check_posted_transfers_balance(session: Session) -> None:
    """Refuse to commit if a transfer posted in this transaction does not sum to zero.

    The database refuses the same at commit (PostgreSQL's deferred trigger; SQLite's deferred
    foreign key, migration 0008); this check comes first and says which transfer it is.
    """
    ids = session.info.pop(_PENDING_KEY, set())
    if not ids:
        return
    rows = session.execute(
        select(Entry.transfer_id, func.sum(Entry.amount), func.count())
        .where(Entry.transfer_id.in_(ids))
        .group_by(Entry.transfer_id)
    ).all()
    seen = {transfer_id for transfer_id, _, _ in rows}
    for transfer_id, total, count in rows:
        if total != 0 or count < 2:
            raise RuntimeError(f"transfer {transfer_id} does not balance; refusing to commit")
    if seen != ids:
        raise RuntimeError(f"transfers {sorted(ids - seen)} have no entries; refusing to commit")


@event.listens_for(Session, "before_commit")
def _before_commit(session: Session) -> None:
    check_posted_transfers_balance(session)


@event.listens_for(Session, "after_transaction_end")
def _after_transaction_end(session: Session, transaction: object) -> None:
    if getattr(transaction, "parent", None) is None:
        session.info.pop(_PENDING_KEY, None)


__all__ = [
    "Posted",
    "TransferRequest",
    "close_account",
    "open_account",
    "post",
    "post_all",
    "post_linked",
    "reverse",
    "reversal_of",
    "set_limits",
]
