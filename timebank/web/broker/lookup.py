"""Finding a member from what a broker typed: "Joan Murphy (#12)", "12", "#12" or "Joan Murphy"."""

from __future__ import annotations

import re

from flask_babel import gettext as _
from sqlalchemy import func, or_, select

from timebank.banks.models import Bank
from timebank.db import id_from_text
from timebank.extensions import db
from timebank.members.models import Member, MemberStatus

NUMBER = re.compile(r"(?:^|\(|#)\s*#?([0-9]+)\)?\s*$")


class NotFound(ValueError):
    """The text names no member, or several: the message says which, in plain words."""


def label(member: Member) -> str:
    """How a member appears in the type-ahead list and is read back: "Joan Murphy (#12)"."""
    return f"{member.full_name} (#{member.member_number})"


def find_member(bank: Bank, text: str) -> Member:
    text = (text or "").strip()
    if not text:
        raise NotFound(_("Enter a name or member number"))
    number = NUMBER.search(text)
    if number:
        wanted = id_from_text(number.group(1))
        member = (
            db.session.scalars(
                select(Member).where(Member.bank_id == bank.id, Member.member_number == wanted)
            ).one_or_none()
            if wanted
            else None
        )
        if member is None:
            raise NotFound(_("There is no member number %(n)s in this bank", n=number.group(1)))
    else:
        lowered = text.lower()
        matches = list(
            db.session.scalars(
                select(Member).where(
                    Member.bank_id == bank.id,
                    or_(
                        func.lower(Member.full_name) == lowered,
                        func.lower(Member.display_name) == lowered,
                    ),
                )
            )
        )
        if not matches:
            raise NotFound(_("No member is called “%(name)s”. Try their member number.", name=text))
        if len(matches) > 1:
            numbers = ", ".join(f"#{m.member_number}" for m in matches)
            raise NotFound(
                _(
                    "Several members are called “%(name)s” (%(numbers)s): use the member number.",
                    name=text,
                    numbers=numbers,
                )
            )
        member = matches[0]
    if member.status == MemberStatus.LEFT:
        raise NotFound(_("%(name)s has left the bank", name=member.display_name))
    return member


def datalist_members(bank: Bank) -> list[Member]:
    """Everyone who can give or receive: the native type-ahead needs no JavaScript."""
    return list(
        db.session.scalars(
            select(Member)
            .where(Member.bank_id == bank.id, Member.status != MemberStatus.LEFT)
            .order_by(Member.full_name)
        )
    )
