"""The books of a time bank: a double-entry ledger of hours (minutes) and money (pence).

No Flask here: the ledger is plain SQLAlchemy, and the only code that writes transfers and
entries. Callers pass a session and commit.
"""

from timebank.ledger.bulk import post_many
from timebank.ledger.core import (
    MAX_AMOUNT,
    MAX_HELP_MINUTES,
    Posted,
    TransferRequest,
    close_account,
    open_account,
    post,
    post_all,
    post_linked,
    reversal_of,
    reverse,
    set_limits,
)
from timebank.ledger.errors import ErrorCode, LedgerError
from timebank.ledger.models import (
    Account,
    AccountKind,
    AccountStatus,
    Entry,
    OutcomeArea,
    PendingStatus,
    PendingTransfer,
    Transfer,
    TransferAnswer,
    TransferKind,
    TransferNote,
    TransferOutcome,
    Unit,
)
from timebank.ledger.pending import PENDING_LIFETIME, confirm, expire, pend, void
from timebank.ledger.rollups import AccountMonth, OutcomeMonth
from timebank.ledger.verify import Breach, Report, verify

__all__ = [
    "AccountMonth",
    "OutcomeMonth",
    "MAX_AMOUNT",
    "MAX_HELP_MINUTES",
    "PENDING_LIFETIME",
    "PendingStatus",
    "PendingTransfer",
    "Posted",
    "Account",
    "AccountKind",
    "AccountStatus",
    "Breach",
    "Entry",
    "ErrorCode",
    "OutcomeArea",
    "TransferAnswer",
    "TransferOutcome",
    "LedgerError",
    "Report",
    "Transfer",
    "TransferKind",
    "TransferNote",
    "TransferRequest",
    "Unit",
    "close_account",
    "confirm",
    "expire",
    "pend",
    "void",
    "open_account",
    "post",
    "post_all",
    "post_linked",
    "post_many",
    "reversal_of",
    "reverse",
    "set_limits",
    "verify",
]
