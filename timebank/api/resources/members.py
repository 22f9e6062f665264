"""Members of a bank: register, list, read and change them, with their balances."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask import Response
from sqlalchemy import select

from timebank.api.access import brokered_bank, brokered_member, keyset_page
from timebank.api.errors import ApiError, invalid
from timebank.api.registry import operation
from timebank.api.respond import created, ok
from timebank.api.schemas import MemberIn, MemberOut, MemberPage, MemberPatch, PageQuery
from timebank.extensions import db
from timebank.ledger import Account, Unit
from timebank.members.models import Member, MemberStatus
from timebank.members.operations import (
    PROFILE_FIELDS,
    register_member,
    set_status,
    update_member,
)
from timebank.users.current import user
from timebank.users.models import Role

BROKERS = (Role.ADMIN, Role.COORDINATOR)


def member_bodies(members: Sequence[Member]) -> list[dict[str, Any]]:
    """Members with their balances, in one query for all their accounts."""
    accounts = {
        a.member_id: a
        for a in db.session.scalars(
            select(Account).where(
                Account.member_id.in_([m.id for m in members]), Account.unit == Unit.HOURS
            )
        )
    }
    bodies = []
    for member in members:
        account = accounts.get(member.id)
        body: dict[str, Any] = {name: getattr(member, name) for name in PROFILE_FIELDS}
        body.update(
            id=member.id,
            bank_id=member.bank_id,
            member_number=member.member_number,
            status=member.status,
            joined_on=member.joined_on,
            left_on=member.left_on,
            created_at=member.created_at,
            balance_minutes=account.balance if account else 0,
            floor_minutes=account.floor if account else None,
        )
        bodies.append(body)
    return bodies


def member_body(member: Member) -> dict[str, Any]:
    return member_bodies([member])[0]


@operation(
    "/banks/<id:bank_id>/members",
    "POST",
    summary="Register a member",
    tag="Members",
    body=MemberIn,
    roles=BROKERS,
    responses={201: ("The member, with their number and balance.", MemberOut)},
)
def create_member(bank_id: int, data: dict[str, Any]) -> Response:
    """The member gets the bank's next member number and an account of hours with the bank's
    floor, and the bank's welcome minutes from the pot if it gives any."""
    bank = brokered_bank(bank_id)
    for name in ("joined_on", "consent_on"):
        if data.get(name) is not None and data[name] > bank.today():
            raise invalid({name: ["This cannot be in the future."]})
    if "full_name" not in data:
        data["full_name"] = data["display_name"]
    member = register_member(db.session, bank, recorded_by_id=user().id, **data)
    db.session.commit()
    return created(MemberOut, member_body(member))


@operation(
    "/banks/<id:bank_id>/members",
    "GET",
    summary="The members of a bank",
    tag="Members",
    query=PageQuery,
    roles=BROKERS,
    responses={200: ("A page of members, by member number.", MemberPage)},
)
def list_members(bank_id: int, args: dict[str, Any]) -> Response:
    """Every member, including those who left. Pass ``next_cursor`` back as ``cursor`` for the
    next page; it is null on the last."""
    bank = brokered_bank(bank_id)
    statement = select(Member).where(Member.bank_id == bank.id)
    members, next_cursor = keyset_page(statement, Member.member_number, args)
    return ok(MemberPage, {"items": member_bodies(members), "next_cursor": next_cursor})


@operation(
    "/members/<id:member_id>",
    "GET",
    summary="One member, with their balance",
    tag="Members",
    roles=BROKERS,
    responses={200: ("The member.", MemberOut)},
)
def get_member(member_id: int) -> Response:
    """Every detail a broker may see, with the member's balance and how far they may owe."""
    return ok(MemberOut, member_body(brokered_member(member_id)))


@operation(
    "/members/<id:member_id>",
    "PATCH",
    summary="Change a member's details",
    tag="Members",
    body=MemberPatch,
    roles=BROKERS,
    responses={200: ("The member as changed.", MemberOut)},
    errors={409: "The member has left the bank (code member_left): they can't be paused."},
)
def patch_member(member_id: int, data: dict[str, Any]) -> Response:
    """Only the fields sent change; each change goes into the bank's audit trail."""
    member = brokered_member(member_id)
    if data.get("consent_on") is not None and data["consent_on"] > member.bank.today():
        raise invalid({"consent_on": ["This cannot be in the future."]})
    status = data.pop("status", None)
    if status is not None and MemberStatus(status) != member.status:
        if member.status == MemberStatus.LEFT:
            raise ApiError(409, "member_left", "A member who left cannot be paused or resumed.")
        set_status(db.session, member, MemberStatus(status), by=user().id)
    if data:
        update_member(db.session, member, data, by=user().id)
    db.session.commit()
    return ok(MemberOut, member_body(member))
