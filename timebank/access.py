"""Who may see what: the rules alone, with no Flask in them.

The pages (:mod:`timebank.web.access`) and the API (:mod:`timebank.api.access`) adapt these
rules: a page answers "not allowed" with a 404, the API with its own 404 body. Either way a user
who may not see a bank learns nothing about it, not even that it exists.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select

from timebank.banks.models import Bank
from timebank.users.models import Role, User


def broker_bank_ids(person: User) -> set[int] | None:
    """The banks a user brokers for; None means every bank (an admin)."""
    if person.role == Role.ADMIN:
        return None
    if person.role == Role.COORDINATOR:
        return {bank.id for bank in person.banks}
    return set()


def brokers(person: User, bank_id: int | None) -> bool:
    """Whether ``person`` brokers for the bank (an admin brokers for every bank)."""
    if bank_id is None:
        return False
    allowed = broker_bank_ids(person)
    return allowed is None or bank_id in allowed


def scope_to_banks(statement: Select[Any], column: Any, person: User) -> Select[Any]:
    """Limit a query to the banks ``person`` brokers for."""
    allowed = broker_bank_ids(person)
    if allowed is None:
        return statement
    return statement.where(column.in_(allowed))


def reads_programme(person: User, programme_id: int | None) -> bool:
    """Whether ``person`` may read a programme's reports: a funder their own, an admin any."""
    if programme_id is None:
        return False
    if person.role == Role.ADMIN:
        return True
    return person.role == Role.FUNDER and person.programme_id == programme_id


def reads_bank_report(person: User, bank: Bank) -> bool:
    """Whether ``person`` may read a bank's report: its brokers, or a reader of its programme."""
    return brokers(person, bank.id) or (
        person.role == Role.FUNDER and reads_programme(person, bank.programme_id)
    )


def sees_exact_figures(person: User, bank: Bank | None) -> bool:
    """Exact figures of a bank go to whoever may already see its members: its coordinators and
    admins. Everyone else, and every programme report (``bank`` None), gets the suppressed view.

    A funder reading as a funder gets the suppressed view even where a role could see more, so
    the copy a funder reads is the copy a funder gets.
    """
    if bank is None or person.role == Role.FUNDER:
        return False
    return brokers(person, bank.id)
