"""Recording help: the one path from a page, the API, an import or the demo to the books.

Each operation builds its :class:`~timebank.ledger.TransferRequest`, posts through the ledger,
writes its audit record exactly once (none when the ledger answers a replay of the same
idempotency key), flushes, and leaves the commit to the caller. A refusal by the books comes
back as :class:`HelpRefused`, naming the member at fault and their part in the help, so that a
form can put the message beside the right field without reading the message's words.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from timebank import audit, ledger
from timebank.banks.models import Bank
from timebank.banks.operations import pot_account
from timebank.ledger import (
    Account,
    ErrorCode,
    LedgerError,
    PendingStatus,
    PendingTransfer,
    Posted,
    Transfer,
    TransferKind,
    TransferRequest,
    Unit,
)
from timebank.members.models import Member
from timebank.members.operations import member_account


class HelpRefused(LedgerError):
    """The books refused a record of help; nothing was written.

    ``role`` is the part the member at fault plays ("provider", "receiver", "giver",
    "recipient", "members"), and ``member`` that member (None for the community pot); both are
    None when the refusal is about the help itself (its date, its length).
    """

    def __init__(self, error: LedgerError, role: str | None, member: Member | None) -> None:
        super().__init__(error.code, error.message, index=error.index, account_id=error.account_id)
        self.role = role
        self.member = member


@dataclass(frozen=True, kw_only=True)
class HelpDetails:
    """What every record of help says besides who: how long, when, what, and why it mattered."""

    minutes: int
    given_on: date | None = None
    skill_id: int | None = None
    note: str | None = None
    #: Codes of the Dorset outcome areas the help served, in any order.
    outcome_areas: Sequence[str] = ()
    #: Made when the form was shown (or sent by an API client): a retry records the help once.
    idempotency_key: str | None = None


#: An account's part in a posting: the role it plays and its member (None: the pot).
Sides = Mapping[int, tuple[str, Member | None]]


def record_exchange(
    session: Session,
    *,
    provider: Member,
    receiver: Member,
    help: HelpDetails,
    answers_request_id: int | None = None,
    by_user_id: int | None = None,
    via: str | None = None,
    now: datetime | None = None,
) -> Posted:
    """Record that ``provider`` gave ``receiver`` some help: the receiver's account pays and the
    provider's earns, one minute for one minute. ``via`` names the door it came in by ("api",
    "import"), for the audit trail."""
    paying = member_account(session, receiver.id)
    earning = member_account(session, provider.id)
    request = _request(
        provider.bank_id,
        TransferKind.EXCHANGE,
        paying,
        earning,
        help,
        help.idempotency_key,
        answers_request_id=answers_request_id,
    )
    sides = {paying.id: ("receiver", receiver), earning.id: ("provider", provider)}
    posted = _post(session, [request], sides, by_user_id, now)
    if not posted.replayed:
        audit.record(
            session,
            "exchange.posted",
            user_id=by_user_id,
            bank_id=provider.bank_id,
            subject=f"transfer:{posted.transfer.id}",
            details={"via": via} if via else None,
        )
    return posted


def record_group(
    session: Session,
    *,
    provider: Member,
    receivers: Sequence[Member],
    help: HelpDetails,
    by_user_id: int | None = None,
    now: datetime | None = None,
) -> Posted:
    """One member helped several at once (a talk at the lunch club): each receiver pays the
    same minutes to the provider, all or nothing."""
    earning = member_account(session, provider.id)
    paying = [member_account(session, receiver.id) for receiver in receivers]
    requests = [
        _request(provider.bank_id, TransferKind.GROUP_EXCHANGE, account, earning, help, part)
        for part, account in enumerate(paying)
    ]
    sides: dict[int, tuple[str, Member | None]] = {
        account.id: ("receivers", receiver)
        for account, receiver in zip(paying, receivers, strict=True)
    }
    sides[earning.id] = ("provider", provider)
    posted = _post(session, requests, sides, by_user_id, now)
    _record_batch(session, "group_exchange.posted", provider.bank_id, posted, by_user_id)
    return posted


def credit_from_pot(
    session: Session,
    *,
    bank: Bank,
    members: Sequence[Member],
    help: HelpDetails,
    by_user_id: int | None = None,
    now: datetime | None = None,
) -> Posted:
    """Members gave time to the bank itself (the lunch club, the phone): the community pot pays
    each of them the same minutes, all or nothing."""
    pot = pot_account(session, bank.id)
    earning = [member_account(session, member.id) for member in members]
    requests = [
        _request(bank.id, TransferKind.POT_CREDIT, pot, account, help, part)
        for part, account in enumerate(earning)
    ]
    sides: dict[int, tuple[str, Member | None]] = {
        account.id: ("members", member) for account, member in zip(earning, members, strict=True)
    }
    sides[pot.id] = ("pot", None)
    posted = _post(session, requests, sides, by_user_id, now)
    _record_batch(session, "pot_credit.posted", bank.id, posted, by_user_id)
    return posted


def give_gift(
    session: Session,
    *,
    bank: Bank,
    giver: Member | None,
    recipient: Member | None,
    minutes: int,
    note: str | None = None,
    idempotency_key: str | None = None,
    by_user_id: int | None = None,
    now: datetime | None = None,
) -> Posted:
    """Hours given without help in return: between members, to the pot or from it (a member
    of None is the community pot)."""
    source = member_account(session, giver.id) if giver else pot_account(session, bank.id)
    target = member_account(session, recipient.id) if recipient else pot_account(session, bank.id)
    request = TransferRequest(
        bank_id=bank.id,
        unit=Unit.HOURS,
        kind=TransferKind.GIFT,
        from_account_id=source.id,
        to_account_id=target.id,
        amount=minutes,
        note=note or None,
        idempotency_key=idempotency_key or None,
    )
    # the pot on both sides is refused as the same account; the giver's side speaks for it
    sides = {target.id: ("recipient", recipient), source.id: ("giver", giver)}
    posted = _post(session, [request], sides, by_user_id, now)
    if not posted.replayed:
        audit.record(
            session,
            "gift.posted",
            user_id=by_user_id,
            bank_id=bank.id,
            subject=f"transfer:{posted.transfer.id}",
        )
    return posted


def reverse_exchange(
    session: Session,
    transfer: Transfer,
    reason: str,
    *,
    by_user_id: int | None = None,
    via: str | None = None,
    now: datetime | None = None,
) -> Transfer:
    """Put a mistake right with the mirror transfer, saying why. Nothing is deleted; a transfer
    is reversed at most once and a reversal never (``already_reversed``, ``cannot_reverse_...``).
    """
    sides = _sides_of(session, transfer)
    try:
        reversal = ledger.reverse(session, transfer.id, reason, by=by_user_id, now=now)
    except LedgerError as error:
        raise _refused(error, sides) from error
    audit.record(
        session,
        "transfer.reversed",
        user_id=by_user_id,
        bank_id=transfer.bank_id,
        subject=f"transfer:{transfer.id}",
        details={"reversal": reversal.id, **({"via": via} if via else {})},
    )
    return reversal


@dataclass(frozen=True)
class Pending:
    """Help recorded as waiting, or found recorded before under the same key (``replayed``)."""

    pending: PendingTransfer
    replayed: bool


def record_pending(
    session: Session,
    *,
    provider: Member,
    receiver: Member,
    help: HelpDetails,
    now: datetime | None = None,
) -> Pending:
    """A member records help they gave on their own pages. It moves no hours until the member
    who received it (or a broker) says it happened; the limits are checked now, as a warning."""
    paying = member_account(session, receiver.id)
    earning = member_account(session, provider.id)
    request = _request(
        provider.bank_id, TransferKind.EXCHANGE, paying, earning, help, help.idempotency_key
    )
    before = _pending_with_key(session, provider.bank_id, help.idempotency_key)
    sides = {paying.id: ("receiver", receiver), earning.id: ("provider", provider)}
    try:
        pending = ledger.pend(session, request, by_member_id=provider.id, now=now)
    except LedgerError as error:
        raise _refused(error, sides) from error
    if before is not None:
        return Pending(pending, replayed=True)
    audit.record(
        session,
        "pending.recorded",
        user_id=None,
        bank_id=provider.bank_id,
        subject=f"pending:{pending.id}",
        details={"by_member": provider.id, "minutes": pending.amount},
    )
    return Pending(pending, replayed=False)


def confirm_pending(
    session: Session,
    pending: PendingTransfer,
    *,
    by_user_id: int | None = None,
    by_member_id: int | None = None,
    via: str | None = None,
    now: datetime | None = None,
) -> Posted:
    """Post help that was waiting: the receiver (``by_member_id``) or a broker says it happened.
    Confirming what was already confirmed answers the same exchange and writes nothing."""
    if pending.status == PendingStatus.POSTED and pending.transfer_id is not None:
        transfer = session.get(Transfer, pending.transfer_id)
        if transfer is not None:
            return Posted((transfer,), replayed=True)
    sides = _pending_sides(session, pending)
    try:
        transfer = ledger.confirm(
            session, pending.id, by_member_id=by_member_id, by_user_id=by_user_id, now=now
        )
    except LedgerError as error:
        raise _refused(error, sides) from error
    details: dict[str, Any] = {"transfer": transfer.id}
    if by_member_id is not None:
        details["by_member"] = by_member_id
    if via:
        details["via"] = via
    audit.record(
        session,
        "pending.confirmed",
        user_id=by_user_id,
        bank_id=pending.bank_id,
        subject=f"pending:{pending.id}",
        details=details,
    )
    return Posted((transfer,), replayed=False)


def decline_pending(
    session: Session,
    pending: PendingTransfer,
    reason: str = "",
    *,
    by_user_id: int | None = None,
    by_member_id: int | None = None,
    via: str | None = None,
    now: datetime | None = None,
) -> Pending:
    """The help did not happen: it will never move hours. Declining what was already declined
    answers the same and writes nothing."""
    if pending.status == PendingStatus.VOIDED:
        return Pending(pending, replayed=True)
    ledger.void(
        session,
        pending.id,
        reason,
        by_member_id=by_member_id,
        by_user_id=by_user_id,
        now=now,
    )
    details: dict[str, Any] = {}
    if by_member_id is not None:
        details["by_member"] = by_member_id
    if via:
        details["via"] = via
    audit.record(
        session,
        "pending.declined",
        user_id=by_user_id,
        bank_id=pending.bank_id,
        subject=f"pending:{pending.id}",
        details=details or None,
    )
    return Pending(pending, replayed=False)


# -- helpers ------------------------------------------------------------------------------------


def _request(
    bank_id: int,
    kind: TransferKind,
    paying: Account,
    earning: Account,
    help: HelpDetails,
    key: str | int | None,
    **extra: Any,
) -> TransferRequest:
    """The request for help described by ``help``. An int ``key`` numbers a leg of a linked
    posting, whose own key is derived from the form's, so each leg replays on its own."""
    if isinstance(key, int):
        key = f"{help.idempotency_key}:{key}" if help.idempotency_key else None
    return TransferRequest(
        bank_id=bank_id,
        unit=Unit.HOURS,
        kind=kind,
        from_account_id=paying.id,
        to_account_id=earning.id,
        amount=help.minutes,
        given_on=help.given_on,
        skill_id=help.skill_id,
        note=help.note or None,
        idempotency_key=key or None,
        # sorted, so the same areas in another order are the same request
        outcome_areas=tuple(sorted(set(help.outcome_areas))),
        **extra,
    )


def _post(
    session: Session,
    requests: Sequence[TransferRequest],
    sides: Sides,
    by_user_id: int | None,
    now: datetime | None,
) -> Posted:
    try:
        return ledger.post_all(session, requests, recorded_by_id=by_user_id, now=now)
    except LedgerError as error:
        raise _refused(error, sides) from error


def _refused(error: LedgerError, sides: Sides) -> HelpRefused:
    """The refusal, with the part and the member of the account it names (if any)."""
    if error.account_id is not None and error.account_id in sides:
        role, member = sides[error.account_id]
        return HelpRefused(error, role, member)
    if error.code == ErrorCode.SAME_ACCOUNT and sides:
        role, member = next(iter(sides.values()))
        return HelpRefused(error, role, member)
    return HelpRefused(error, None, None)


def _record_batch(
    session: Session, action: str, bank_id: int, posted: Posted, by_user_id: int | None
) -> None:
    if posted.replayed:
        return
    batch = posted.transfer.batch
    audit.record(
        session,
        action,
        user_id=by_user_id,
        bank_id=bank_id,
        subject=f"batch:{batch}" if batch else f"transfer:{posted.transfer.id}",
        details={"transfers": [t.id for t in posted.transfers]},
    )


def _owners(session: Session, account_ids: set[int]) -> dict[int, Member | None]:
    accounts = session.scalars(select(Account).where(Account.id.in_(account_ids)))
    return {a.id: session.get(Member, a.member_id) if a.member_id else None for a in accounts}


def _sides_of(session: Session, transfer: Transfer) -> Sides:
    """A posted transfer's accounts as the reversal sees them: who earned now pays back."""
    owners = _owners(session, {entry.account_id for entry in transfer.entries})
    return {
        entry.account_id: ("provider" if entry.amount > 0 else "receiver", owners[entry.account_id])
        for entry in transfer.entries
    }


def _pending_sides(session: Session, pending: PendingTransfer) -> Sides:
    owners = _owners(session, {pending.from_account_id, pending.to_account_id})
    return {
        pending.from_account_id: ("receiver", owners.get(pending.from_account_id)),
        pending.to_account_id: ("provider", owners.get(pending.to_account_id)),
    }


def _pending_with_key(session: Session, bank_id: int, key: str | None) -> PendingTransfer | None:
    if key is None:
        return None
    return session.scalars(
        select(PendingTransfer).where(
            PendingTransfer.bank_id == bank_id, PendingTransfer.idempotency_key == key
        )
    ).one_or_none()
