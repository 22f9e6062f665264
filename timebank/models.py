"""Every model, imported in one place so the metadata (and Alembic) sees them all."""

from timebank.banks.models import Bank, Programme
from timebank.ledger.models import Account, Entry, Transfer, TransferNote
from timebank.members.models import Member, Skill
from timebank.users.models import User

__all__ = [
    "Account",
    "Bank",
    "Entry",
    "Member",
    "Programme",
    "Skill",
    "Transfer",
    "TransferNote",
    "User",
]
