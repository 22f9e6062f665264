"""The broker's start: choose a bank, then the day's tasks."""

from __future__ import annotations

from flask import redirect, render_template, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response

from timebank.extensions import db
from timebank.ledger import Transfer, Unit
from timebank.members.models import Member, MemberStatus
from timebank.web.access import bank_or_404, broker_required, brokered_banks
from timebank.web.broker import bp


@bp.get("/")
@broker_required
def home() -> str | Response:
    """The banks this broker looks after; straight to the bank when there is only one."""
    banks = brokered_banks()
    if len(banks) == 1:
        return redirect(url_for("broker.bank", bank_id=banks[0].id))
    return render_template("broker/home.html", banks=banks)


@bp.get("/banks/<int:bank_id>")
@broker_required
def bank(bank_id: int) -> str:
    """Today's tasks for one bank, and who needs a safeguarding check."""
    bank = bank_or_404(bank_id)
    today = bank.today()
    visitors = db.session.scalars(
        select(Member).where(
            Member.bank_id == bank.id,
            Member.visits_homes.is_(True),
            Member.status != MemberStatus.LEFT,
        )
    )
    warnings = [(m, m.safeguarding_problems(today)) for m in visitors]
    recent = db.session.scalars(
        # hours only: a seed grant's money has its own pages
        select(Transfer)
        .where(Transfer.bank_id == bank.id, Transfer.unit == Unit.HOURS)
        .order_by(Transfer.id.desc())
        .limit(5)
    )
    return render_template(
        "broker/bank.html",
        bank=bank,
        warnings=[(m, p) for m, p in warnings if p],
        recent=list(recent),
    )
