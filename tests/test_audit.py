"""The audit trail: events are kept for good; their details apart, redactable and nothing else."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session

from timebank import audit
from timebank.audit import AuditDetail, AuditEvent


def refused_by_database(session: Session, statement: str, **params: object) -> str:
    with pytest.raises((IntegrityError, DBAPIError)) as raised:
        session.execute(sa.text(statement), params)
        session.commit()
    session.rollback()
    return str(raised.value.orig)


@pytest.fixture
def edited(session: Session, make_bank) -> AuditEvent:
    """An event whose details hold a member's name before and after an edit."""
    bank = make_bank()
    event = audit.record(
        session,
        "member.updated",
        user_id=None,
        bank_id=bank.id,
        subject="member:1",
        details={"full_name": ["Joan Murphy", "Joan Kelly"]},
    )
    session.commit()
    return event


def test_an_event_keeps_its_facts_and_its_details_apart(session: Session, edited) -> None:
    columns = {c["name"] for c in sa.inspect(session.connection()).get_columns("audit_events")}
    assert columns == {"id", "at", "user_id", "bank_id", "action", "subject"}
    stored = session.execute(
        select(AuditDetail.details, AuditDetail.redacted_at).where(
            AuditDetail.event_id == edited.id
        )
    ).one()
    assert stored == ({"full_name": ["Joan Murphy", "Joan Kelly"]}, None)
    assert edited.details == {"full_name": ["Joan Murphy", "Joan Kelly"]}


def test_an_event_without_details_has_no_details_row(session: Session) -> None:
    event = audit.record(session, "user.signed_out", user_id=None)
    session.commit()
    assert session.get(AuditDetail, event.id) is None
    assert (event.details, event.redacted) == ({}, False)


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_events SET action = 'member.viewed'",
        "UPDATE audit_events SET subject = subject",
        "DELETE FROM audit_events",
    ],
)
def test_the_database_refuses_to_change_or_delete_an_event(
    session: Session, edited, statement: str
) -> None:
    assert "ledger_immutable" in refused_by_database(session, statement)
    assert session.get_one(AuditEvent, edited.id).action == "member.updated"


def test_truncating_the_trail_is_refused_on_postgresql(
    session: Session, edited, engine_name: str
) -> None:
    if engine_name != "postgresql":
        pytest.skip("SQLite has no TRUNCATE")
    for table in ("audit_events", "audit_details"):
        message = refused_by_database(session, f"TRUNCATE {table} CASCADE")
        assert "ledger_immutable" in message
    assert session.get(AuditEvent, edited.id) is not None


@pytest.mark.parametrize(
    "statement",
    [
        # rewriting the details, even to nothing, is not redacting them
        "UPDATE audit_details SET details = NULL",
        "UPDATE audit_details SET redacted_at = CURRENT_TIMESTAMP",
        "UPDATE audit_details SET event_id = event_id + 1000, details = NULL,"
        " redacted_at = CURRENT_TIMESTAMP",
        "DELETE FROM audit_details",
    ],
)
def test_the_database_refuses_anything_but_a_redaction_of_details(
    session: Session, edited, statement: str
) -> None:
    assert "ledger_immutable" in refused_by_database(session, statement)


def test_details_are_redacted_once_and_the_event_stays(session: Session, edited) -> None:
    assert audit.redact_details(session, [edited.id]) == 1
    session.commit()
    session.expire_all()
    event = session.get_one(AuditEvent, edited.id)
    assert (event.action, event.subject, event.details, event.redacted) == (
        "member.updated",
        "member:1",
        {},
        True,
    )
    stored = session.get_one(AuditDetail, edited.id)
    assert stored.details is None and stored.redacted_at is not None
    # redacted already: asking again changes nothing, and the database refuses undoing it
    assert audit.redact_details(session, [edited.id]) == 0
    assert "ledger_immutable" in refused_by_database(
        session, "UPDATE audit_details SET redacted_at = NULL"
    )
    assert "ledger_immutable" in refused_by_database(
        session, """UPDATE audit_details SET details = '{"full_name": "Joan"}'"""
    )
