"""Fixtures for seed grants: a programme, a bank in it, and a grant awarded to the bank."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from timebank.banks.models import Bank, Programme
from timebank.banks.operations import create_programme
from timebank.grants.models import BudgetLine, Grant
from timebank.grants.operations import award_grant

#: The seed programme's budget for a £3,000 grant, in pence.
BUDGET = {
    "coordinator time": 120_000,
    "venue hire": 60_000,
    "volunteer expenses": 30_000,
    "publicity": 20_000,
    "reference and DBS checks": 15_000,
    "insurance": 25_000,
    "training": 20_000,
    "other": 10_000,
}


@pytest.fixture
def programme(session: Session) -> Programme:
    found = create_programme(
        session,
        name="Seed grants for older people's time banks",
        funder="The Test Fund",
        starts_on=date(2025, 4, 1),
        ends_on=date(2028, 3, 31),
    )
    session.commit()
    return found


@pytest.fixture
def bank(make_bank: Callable[..., Bank], programme: Programme) -> Bank:
    return make_bank(programme=programme)


@pytest.fixture
def a_month_ago(bank: Bank) -> date:
    return bank.today() - timedelta(days=30)


@pytest.fixture
def make_grant(
    session: Session, programme: Programme, bank: Bank, a_month_ago: date
) -> Callable[..., Grant]:
    def make(pence: int = 300_000, **options: Any) -> Grant:
        options.setdefault("lines", BUDGET)
        options.setdefault("by_user_id", None)
        grant = award_grant(
            session,
            options.pop("programme", programme),
            options.pop("bank", bank),
            pence,
            options.pop("awarded_on", a_month_ago),
            options.pop("conditions", "Report yearly"),
            **options,
        )
        session.commit()
        return grant

    return make


@pytest.fixture
def grant(make_grant: Callable[..., Grant]) -> Grant:
    return make_grant()


def line_named(session: Session, grant: Grant, name: str) -> BudgetLine:
    return session.scalars(
        select(BudgetLine).where(BudgetLine.grant_id == grant.id, BudgetLine.name == name)
    ).one()
