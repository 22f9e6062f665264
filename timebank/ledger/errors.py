"""The one exception the ledger raises, with a code for every rule.

Modelled on TigerBeetle's create_transfer results: a caller (a page, the API, an import) can
map each code to plain words for the person at the keyboard.
"""

from __future__ import annotations

import enum


class ErrorCode(enum.StrEnum):
    #: The same account was named on both sides.
    SAME_ACCOUNT = "same_account"
    #: Amounts are whole minutes or pence above zero.
    AMOUNT_MUST_BE_POSITIVE = "amount_must_be_positive"
    #: More than one transfer may carry (24 hours for help given, or the unit's cap).
    AMOUNT_TOO_LARGE = "amount_too_large"
    #: An account keeps hours or pounds, never both.
    UNIT_MISMATCH = "unit_mismatch"
    #: Both accounts and the transfer must belong to the same bank.
    BANK_MISMATCH = "bank_mismatch"
    #: The account was closed.
    ACCOUNT_CLOSED = "account_closed"
    #: The account would go below its floor (the most it may owe).
    EXCEEDS_FLOOR = "exceeds_floor"
    #: The account would go above its ceiling.
    EXCEEDS_CEILING = "exceeds_ceiling"
    #: Help cannot be recorded for a day that has not happened yet at the bank.
    DATE_IN_FUTURE = "date_in_future"
    #: The idempotency key was used before for a different transfer.
    IDEMPOTENCY_KEY_REUSED = "idempotency_key_reused"
    #: The transfer has already been reversed.
    ALREADY_REVERSED = "already_reversed"
    #: A reversal is a correction; correct it with a new transfer, not another reversal.
    CANNOT_REVERSE_REVERSAL = "cannot_reverse_reversal"
    #: The bank, account or transfer does not exist.
    NOT_FOUND = "not_found"
    #: A reversal must say why.
    REASON_REQUIRED = "reason_required"
    #: An account can be closed only when its balance is zero.
    BALANCE_NOT_ZERO = "balance_not_zero"
    #: A floor must not be above the ceiling.
    INVALID_LIMITS = "invalid_limits"
    #: Outcome areas are the eight of the Dorset Age Partnership.
    INVALID_OUTCOME_AREA = "invalid_outcome_area"
    #: A pending transfer was already posted or declined.
    ALREADY_RESOLVED = "already_resolved"
    #: A pending transfer was not confirmed within its time.
    PENDING_EXPIRED = "pending_expired"
    #: A linked posting needs at least one transfer.
    EMPTY_BATCH = "empty_batch"


class LedgerError(Exception):
    """A posting was refused. Nothing was written.

    ``index`` is the position of the refused transfer in a linked posting; ``account_id`` the
    account at fault, where one is (a limit, a closed account, another bank's account). Callers
    route the refusal by these facts, never by the words of ``message``, which are for logs.
    """

    def __init__(
        self,
        code: ErrorCode,
        message: str = "",
        *,
        index: int | None = None,
        account_id: int | None = None,
    ) -> None:
        self.code = code
        self.message = message or code.value.replace("_", " ")
        self.index = index
        self.account_id = account_id
        super().__init__(f"{code.value}: {self.message}")
