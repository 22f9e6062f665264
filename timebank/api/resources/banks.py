"""Programmes, banks and the kinds of help."""

from __future__ import annotations

from typing import Any

from flask import Response
from sqlalchemy import or_, select

from timebank.api.access import brokered_bank, readable_bank, readable_banks
from timebank.api.errors import invalid
from timebank.api.registry import operation
from timebank.api.respond import created, ok
from timebank.api.schemas import (
    BankIn,
    BankList,
    BankOut,
    ProgrammeIn,
    ProgrammeOut,
    SkillList,
    SkillQuery,
)
from timebank.banks.models import Bank, Programme
from timebank.banks.operations import create_bank, create_programme
from timebank.extensions import db
from timebank.members.models import Skill
from timebank.users.current import user
from timebank.users.models import Role

ADMIN = (Role.ADMIN,)


def bank_body(bank: Bank) -> dict[str, Any]:
    return {
        "id": bank.id,
        "name": bank.name,
        "programme_id": bank.programme_id,
        "floor_minutes": bank.floor_minutes,
        "welcome_minutes": bank.welcome_minutes,
        "timezone": bank.timezone,
        "focus": bank.focus or "",
        "help_phone": bank.help_phone or "",
        "today": bank.today(),
        "created_at": bank.created_at,
    }


@operation(
    "/programmes",
    "POST",
    summary="Add a funder's programme",
    tag="Programmes and banks",
    body=ProgrammeIn,
    roles=ADMIN,
    responses={201: ("The programme.", ProgrammeOut)},
)
def create_programme_(data: dict[str, Any]) -> Response:
    """Admins only."""
    programme = create_programme(db.session, by=user().id, **data)
    db.session.commit()
    return created(ProgrammeOut, programme)


@operation(
    "/banks",
    "POST",
    summary="Start a time bank",
    tag="Programmes and banks",
    body=BankIn,
    roles=ADMIN,
    responses={201: ("The bank, with its community pot open.", BankOut)},
)
def create_bank_(data: dict[str, Any]) -> Response:
    """Admins only. The bank opens with its community pot."""
    programme = None
    if data.get("programme_id") is not None:
        programme = db.session.get(Programme, data["programme_id"])
        if programme is None:
            raise invalid({"programme_id": ["There is no such programme."]})
    data.pop("programme_id", None)
    bank = create_bank(db.session, programme=programme, by=user().id, **data)
    db.session.commit()
    return created(BankOut, bank_body(bank))


@operation(
    "/banks",
    "GET",
    summary="The banks the token may read",
    tag="Programmes and banks",
    responses={200: ("Brokers: the banks they broker for; funders: their programme's.", BankList)},
)
def list_banks() -> Response:
    """An admin sees every bank."""
    return ok(BankList, {"items": [bank_body(b) for b in readable_banks()]})


@operation(
    "/banks/<id:bank_id>",
    "GET",
    summary="One bank",
    tag="Programmes and banks",
    responses={200: ("The bank.", BankOut)},
)
def get_bank(bank_id: int) -> Response:
    """Brokers of the bank, admins, and the funder of the bank's programme."""
    return ok(BankOut, bank_body(readable_bank(bank_id)))


@operation(
    "/skills",
    "GET",
    summary="The kinds of help",
    tag="Skills",
    query=SkillQuery,
    responses={200: ("The shared catalogue, and a bank's own if asked for.", SkillList)},
    errors={404: "The bank does not exist, or the token may not see it."},
)
def list_skills(args: dict[str, Any]) -> Response:
    """Codes name the kinds of help when recording an exchange (``skill``). With ``bank_id``,
    the bank's own kinds of help are listed too, and replace a shared one with the same code."""
    statement = select(Skill).where(Skill.bank_id.is_(None))
    if args.get("bank_id") is not None:
        bank = brokered_bank(args["bank_id"])
        statement = select(Skill).where(or_(Skill.bank_id.is_(None), Skill.bank_id == bank.id))
    found: dict[str, Skill] = {}
    for skill in db.session.scalars(statement.order_by(Skill.bank_id.is_(None), Skill.id)):
        found.setdefault(skill.code, skill)
    items = sorted(found.values(), key=lambda s: s.code)
    return ok(
        SkillList,
        {
            "items": [
                {"id": s.id, "code": s.code, "name": s.name, "bank_id": s.bank_id} for s in items
            ]
        },
    )
