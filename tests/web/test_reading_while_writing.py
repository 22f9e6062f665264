"""Page views only read: they answer at once while someone else holds the write lock, and a
view that tries to write is stopped, on both engines."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from functools import partial

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from tests.web.test_member_pages import sign_in_member
from timebank import exchanges
from timebank.audit import AuditEvent
from timebank.banks.models import Bank
from timebank.db import WriteWhileReading, configure_engine, writing
from timebank.exchanges import HelpDetails, record_exchange
from timebank.extensions import db
from timebank.members import member_view
from timebank.members.models import Member

#: What "answers at once" means here: far below SQLite's 30-second busy timeout.
PROMPT_SECONDS = 1.0


@pytest.fixture
def bank(make_bank) -> Bank:  # type: ignore[no-untyped-def]
    return make_bank(name="Riverside Time Bank")


@pytest.fixture
def joan(make_member, bank: Bank) -> Member:  # type: ignore[no-untyped-def]
    return make_member(bank, "Joan Murphy", display_name="Joan")


@pytest.fixture
def seamus(make_member, bank: Bank) -> Member:  # type: ignore[no-untyped-def]
    return make_member(bank, "Seamus Kelly", display_name="Seamus")


@pytest.fixture
def pages(
    app: Flask,
    session: Session,
    make_user,  # type: ignore[no-untyped-def]
    sign_in,  # type: ignore[no-untyped-def]
    bank: Bank,
    joan: Member,
) -> list[tuple[FlaskClient, str, str]]:
    """A member's "My time", the broker's start page and a report, with who may see each."""
    as_joan = sign_in_member(app.test_client(), session, joan)
    as_broker = sign_in(make_user("coordinator", banks=[bank]))
    return [
        (as_joan, "/me", "Joan"),
        (as_broker, f"/broker/banks/{bank.id}", "Riverside Time Bank"),
        (as_broker, f"/broker/banks/{bank.id}/report", "Riverside Time Bank"),
    ]


@pytest.fixture
def held_write(
    database_url: str,
    session: Session,
    pages: list[tuple[FlaskClient, str, str]],
    joan: Member,
    seamus: Member,
) -> Iterator[int]:
    """Another process halfway through recording help: its transaction holds the write lock
    (SQLite) and the two members' account rows (PostgreSQL) until the test ends. Yields
    Joan's member id; the test's own session is closed, so it holds no lock of its own."""
    joan_id, seamus_id = joan.id, seamus.id
    session.close()
    engine = sa.create_engine(database_url)
    configure_engine(engine)
    writer = Session(engine)
    record_exchange(
        writer,
        provider=writer.get(Member, seamus_id),
        receiver=writer.get(Member, joan_id),
        help=HelpDetails(minutes=90),
    )
    writer.flush()  # written, not committed: the locks stay taken
    try:
        yield joan_id
    finally:
        writer.rollback()
        writer.close()
        engine.dispose()


def _timed(client: FlaskClient, url: str) -> tuple[float, str, int]:
    started = time.perf_counter()
    response = client.get(url)
    return time.perf_counter() - started, response.text, response.status_code


def test_the_writer_really_holds_its_locks(
    held_write: int, database_url: str, engine_name: str
) -> None:
    # without this the test below could pass for want of a lock
    if engine_name == "sqlite":
        other = sqlite3.connect(sa.make_url(database_url).database, timeout=0, isolation_level=None)
        try:
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("BEGIN IMMEDIATE")
        finally:
            other.close()
        return
    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as other:
            other.execute(sa.text("SET lock_timeout = '100ms'"))
            with pytest.raises(sa.exc.OperationalError, match="lock"):
                mine = sa.text("SELECT id FROM accounts WHERE member_id = :id FOR UPDATE")
                other.execute(mine, {"id": held_write})
    finally:
        engine.dispose()


def test_pages_answer_at_once_while_someone_is_writing(
    pages: list[tuple[FlaskClient, str, str]], held_write: int
) -> None:
    for client, url, shown in pages:
        seconds, text, status = _timed(client, url)
        assert status == 200, url
        assert shown in text, url
        assert seconds < PROMPT_SECONDS, f"{url} took {seconds:.2f} s behind a writer"
    # the help being written is not on Joan's page until it is committed
    as_joan = pages[0][0]
    assert "1 hour, 30 minutes" not in _timed(as_joan, "/me")[1]


@pytest.fixture
def writing_views(app: Flask, joan: Member) -> Flask:
    """Two pages that write when viewed: one by mistake, one the right way."""

    @app.get("/_test/writes-by-mistake")
    def writes_by_mistake() -> str:
        db.session.add(AuditEvent(action="test.viewed", bank_id=joan.bank_id))
        db.session.flush()
        return "wrote"

    @app.get("/_test/writes-raw-sql")
    def writes_raw_sql() -> str:
        db.session.execute(
            sa.text("UPDATE members SET display_name = 'X' WHERE id = :id"), {"id": joan.id}
        )
        return "wrote"

    @app.get("/_test/writes-on-purpose")
    def writes_on_purpose() -> str:
        with writing(db.session):
            db.session.add(AuditEvent(action="test.viewed", bank_id=joan.bank_id))
        return "wrote"

    return app


def test_a_page_view_that_writes_by_mistake_is_stopped(
    writing_views: Flask, session: Session, engine_name: str, joan: Member
) -> None:
    joan_id = joan.id
    writing_views.config["PROPAGATE_EXCEPTIONS"] = True
    client = writing_views.test_client()
    with pytest.raises(WriteWhileReading):
        client.get("/_test/writes-by-mistake")
    if engine_name == "sqlite":
        # SQLite itself refuses a write that goes round the session
        with pytest.raises(sa.exc.OperationalError, match="readonly"):
            client.get("/_test/writes-raw-sql")
    # asked on a connection of its own: the refused row still sits in the test's shared session
    with db.engine.connect() as connection:
        viewed = sa.select(sa.func.count()).where(AuditEvent.action == "test.viewed")
        assert connection.scalar(viewed) == 0
        names = sa.select(Member.display_name).where(Member.id == joan_id)
        assert connection.scalar(names) == "Joan"
    session.expunge_all()


def test_a_page_view_writes_in_a_short_transaction_of_its_own(
    writing_views: Flask, session: Session
) -> None:
    response = writing_views.test_client().get("/_test/writes-on-purpose")
    assert response.text == "wrote"
    events = session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "test.viewed")).all()
    assert len(events) == 1


def _note_statement(statements: list[str], *args: object, **kwargs: object) -> None:
    statements.append(str(args[2]))


def test_my_time_asks_the_database_the_same_few_times_whatever_the_history(
    app: Flask, session: Session, bank: Bank, joan: Member, seamus: Member
) -> None:
    """The card, member and bank come in one query, the account is looked up once, and both
    kinds of waiting help in one more: a long history costs no extra round trips."""
    as_joan = sign_in_member(app.test_client(), session, joan)
    counts = []
    for _ in range(2):
        session.commit()  # each page starts with no transaction open, as on a server
        statements: list[str] = []
        listen = partial(_note_statement, statements)
        sa.event.listen(db.engine, "before_cursor_execute", listen)
        try:
            page = as_joan.get("/me")
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", listen)
        assert page.status_code == 200
        counts.append(sum(1 for s in statements if s.lstrip().upper().startswith("SELECT")))
        if len(counts) == 2:
            break
        # more history for the second look: help both ways, and help waiting both ways
        for giver, taker in ((seamus, joan), (joan, seamus), (seamus, joan)):
            help = HelpDetails(minutes=30)
            record_exchange(session, provider=giver, receiver=taker, help=help)
        for giver, taker in ((seamus, joan), (joan, seamus)):
            help = HelpDetails(minutes=15)
            exchanges.record_pending(session, provider=giver, receiver=taker, help=help)
        session.commit()
    assert counts[0] == counts[1] <= 6, counts
    to_answer, recorded = member_view.waiting_both_ways(session, joan)
    assert [line.pending.id for line in to_answer] == [
        line.pending.id for line in member_view.waiting_for_me(session, joan)
    ]
    assert [line.pending.id for line in recorded] == [
        line.pending.id for line in member_view.waiting_for_others(session, joan)
    ]
    assert len(to_answer) == 1 and len(recorded) == 1
