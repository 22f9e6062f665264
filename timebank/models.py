"""Every model, imported in one place so the metadata (and Alembic) sees them all."""

from timebank.audit import AuditDetail, AuditEvent
from timebank.banks.models import Bank, Programme
from timebank.grants.models import BudgetLine, Grant, ProgrammeSettings, Spend
from timebank.imports.models import ImportBatch
from timebank.ledger.models import (
    Account,
    Entry,
    PendingTransfer,
    Transfer,
    TransferAnswer,
    TransferNote,
    TransferOutcome,
)
from timebank.members.models import Member, MemberCard, MemberSkill, MemberSupporter, Skill
from timebank.members.monitoring import ErasedAnswers, Monitoring
from timebank.users.models import ApiToken, PasswordReset, User, user_banks

__all__ = [
    "Account",
    "ApiToken",
    "AuditDetail",
    "AuditEvent",
    "Bank",
    "BudgetLine",
    "Entry",
    "ErasedAnswers",
    "Grant",
    "ImportBatch",
    "Member",
    "MemberCard",
    "MemberSupporter",
    "MemberSkill",
    "Monitoring",
    "PasswordReset",
    "PendingTransfer",
    "Programme",
    "ProgrammeSettings",
    "Skill",
    "Spend",
    "Transfer",
    "TransferAnswer",
    "TransferNote",
    "TransferOutcome",
    "User",
    "user_banks",
]
