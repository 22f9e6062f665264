"""Help between members: exchanges, group help, time given to the bank, gifts, corrections and
help waiting to be confirmed. :mod:`timebank.exchanges.operations` is the only code that records
them; the pages, the API, the importer and the demo call it."""

from timebank.exchanges.operations import (
    HelpDetails,
    HelpRefused,
    Pending,
    confirm_pending,
    credit_from_pot,
    decline_pending,
    give_gift,
    record_exchange,
    record_group,
    record_pending,
    reverse_exchange,
)

__all__ = [
    "HelpDetails",
    "HelpRefused",
    "Pending",
    "confirm_pending",
    "credit_from_pot",
    "decline_pending",
    "give_gift",
    "record_exchange",
    "record_group",
    "record_pending",
    "reverse_exchange",
]
