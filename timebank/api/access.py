"""Which bank, member or transfer the token's user may reach: the pages' rules, answered 404.

Built on :mod:`timebank.access`, as the pages are, so a coordinator reaches exactly the banks
they broker for on the pages, an admin every bank, and a funder only what belongs to their
programme.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Select, select

from timebank.access import (
    brokers,
    reads_bank_report,
    reads_programme,
    scope_to_banks,
)
from timebank.api.errors import ApiError, invalid
from timebank.banks.models import Bank, Programme
from timebank.extensions import db
from timebank.ledger import PendingTransfer, Transfer, Unit
from timebank.members.models import Member
from timebank.users.current import user
from timebank.users.models import Role


def not_found() -> ApiError:
    return ApiError(404, "not_found", "There is nothing here, or you may not see it.")


def brokered_bank(bank_id: int) -> Bank:
    """A bank the user brokers for (an admin: any bank)."""
    statement = scope_to_banks(select(Bank).where(Bank.id == bank_id), Bank.id, user())
    bank = db.session.scalars(statement).one_or_none()
    if bank is None:
        raise not_found()
    return bank


def readable_bank(bank_id: int) -> Bank:
    """A bank the user brokers for, or (a funder) one of their programme's banks."""
    bank = db.session.get(Bank, bank_id)
    if bank is None or not reads_bank_report(user(), bank):
        raise not_found()
    return bank


def readable_banks() -> list[Bank]:
    person = user()
    statement = select(Bank).order_by(Bank.name, Bank.id)
    if person.role == Role.FUNDER:
        if person.programme_id is None:
            # not a comparison with NULL: that would match every bank outside a programme
            return []
        statement = statement.where(Bank.programme_id == person.programme_id)
    else:
        statement = scope_to_banks(statement, Bank.id, person)
    return list(db.session.scalars(statement))


def readable_programme(programme_id: int) -> Programme:
    """A programme whose report the user may read: a funder their own, an admin any."""
    programme = db.session.get(Programme, programme_id)
    if programme is None or not reads_programme(user(), programme_id):
        raise not_found()
    return programme


def brokered_member(member_id: int) -> Member:
    member = db.session.get(Member, member_id)
    if member is None or not brokers(user(), member.bank_id):
        raise not_found()
    return member


def brokered_transfer(transfer_id: int) -> Transfer:
    """A transfer of hours in a bank the user brokers for (grant money has its own pages)."""
    transfer = db.session.get(Transfer, transfer_id)
    if transfer is None or transfer.unit != Unit.HOURS or not brokers(user(), transfer.bank_id):
        raise not_found()
    return transfer


def brokered_pending(pending_id: int) -> PendingTransfer:
    pending = db.session.get(PendingTransfer, pending_id)
    if pending is None or not brokers(user(), pending.bank_id):
        raise not_found()
    return pending


# -- cursors --------------------------------------------------------------------------------------


def encode_cursor(last_id: int) -> str:
    """An opaque cursor: clients pass it back and never build one."""
    return base64.urlsafe_b64encode(f"v1:{last_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int | None:
    if cursor is None:
        return None
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        text = ""
    version, _, number = text.partition(":")
    if version != "v1" or not re.fullmatch(r"[0-9]{1,10}", number):
        raise invalid({"cursor": ["Not a cursor from this API: pass next_cursor back as it is."]})
    return int(number)


def keyset_page(
    statement: Select[Any], key: Any, args: Mapping[str, Any], *, newest_first: bool = False
) -> tuple[list[Any], str | None]:
    """One page of ``statement`` ordered by ``key`` (a unique column), after ``args["cursor"]``,
    of at most ``args["limit"]`` rows, and the cursor of the next page (None on the last).

    One row more than the page is read, so the last page is known without a count."""
    cursor = decode_cursor(args.get("cursor"))
    if cursor is not None:
        statement = statement.where(key < cursor if newest_first else key > cursor)
    limit = args["limit"]
    order = key.desc() if newest_first else key
    rows = list(db.session.scalars(statement.order_by(order).limit(limit + 1)))
    page = rows[:limit]
    more = len(rows) > limit
    return page, encode_cursor(getattr(page[-1], key.key)) if more else None
