"""Who may see what, for the pages: :mod:`timebank.access`'s rules, answered with a 404.

A user who may not see a bank gets 404 for anything in it, exactly as if it did not exist, so
nothing about another bank leaks, not even that it exists.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import abort
from flask_login import login_required
from sqlalchemy import select

from timebank.access import broker_bank_ids, reads_programme, scope_to_banks
from timebank.banks.models import Bank, Programme
from timebank.extensions import db
from timebank.ledger import Transfer
from timebank.members.models import Member
from timebank.users.current import user
from timebank.users.models import Role

F = TypeVar("F", bound=Callable[..., Any])


def roles_required(*roles: Role, **marks: bool) -> Callable[[F], F]:
    """Signed in with one of ``roles``; anyone else signed in gets 403. ``marks`` are set on
    the view for the tenancy tests to read (``admin_only``, ``funder_view``, ...)."""

    def decorate(view: F) -> F:
        @wraps(view)
        @login_required
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if user().role not in roles:
                abort(403)
            return view(*args, **kwargs)

        for name, value in marks.items():
            setattr(wrapper, name, value)
        return wrapper  # type: ignore[return-value]

    return decorate


#: Admins and coordinators: the broker's workspace.
broker_required = roles_required(Role.ADMIN, Role.COORDINATOR)
#: Admins only.
admin_required = roles_required(Role.ADMIN, admin_only=True)


def special_category(view: F) -> F:
    """Pages that show a member's monitoring answers (special-category data): only coordinators
    see them, and :func:`bank_or_404` keeps those to their own banks. Anyone else signed in,
    admins included, gets 404, as if the page did not exist."""

    @wraps(view)
    @login_required
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if user().role != Role.COORDINATOR:
            abort(404)
        return view(*args, **kwargs)

    wrapper.special_category = True  # type: ignore[attr-defined]
    return wrapper  # type: ignore[return-value]


def bank_or_404(bank_id: int) -> Bank:
    statement = scope_to_banks(select(Bank).where(Bank.id == bank_id), Bank.id, user())
    return db.session.scalars(statement).one_or_none() or abort(404)


def member_or_404(bank: Bank, member_id: int) -> Member:
    member = db.session.get(Member, member_id)
    if member is None or member.bank_id != bank.id:
        abort(404)
    return member


def transfer_or_404(bank: Bank, transfer_id: int) -> Transfer:
    transfer = db.session.get(Transfer, transfer_id)
    if transfer is None or transfer.bank_id != bank.id:
        abort(404)
    return transfer


def brokered_banks() -> list[Bank]:
    statement = scope_to_banks(select(Bank).order_by(Bank.name), Bank.id, user())
    return list(db.session.scalars(statement))


def programme_or_404(programme_id: int) -> Programme:
    """A programme whose reports the user may read: a funder their own, an admin any."""
    if not reads_programme(user(), programme_id):
        abort(404)
    return db.session.get(Programme, programme_id) or abort(404)


def funded_bank_or_404(bank_id: int) -> Bank:
    """A bank of a programme the user reads, for the funder's pages."""
    bank = db.session.get(Bank, bank_id)
    if bank is None or not reads_programme(user(), bank.programme_id):
        abort(404)
    return bank


__all__ = ["broker_bank_ids", "scope_to_banks", "user"]
