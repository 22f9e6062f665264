"""The declarative base shared by every model, with no Flask in sight.

The ledger and the other domain modules import from here, so they can be used (and tested)
with a plain SQLAlchemy session. Flask-SQLAlchemy is handed this base in ``extensions.py``.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime

from sqlalchemy import DateTime, Engine, Enum, MetaData, event
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Session
from sqlalchemy.types import TypeDecorator

#: Stable constraint names, so migrations can refer to them on both engines.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored as naive UTC and always returned aware, in UTC.

    SQLite has no time zones, so storing naive UTC on both engines keeps them identical.
    """

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("timestamps must be timezone-aware")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


def utcnow() -> datetime:
    """The current time, aware, in UTC."""
    return datetime.now(UTC)


def str_enum(enum_class: type[enum.StrEnum], name: str) -> Enum:
    """A portable enum column: a short string with a CHECK constraint listing the values."""
    return Enum(
        enum_class,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=max(24, *(len(m.value) for m in enum_class)),
        validate_strings=True,
        values_callable=lambda members: [m.value for m in members],
    )


#: The largest id an INTEGER column holds (PostgreSQL's bound; SQLite's is wider). Ids from
#: outside (paths, forms, JSON) above it are answered "not found", never sent to the database.
MAX_ID = 2**31 - 1


#: Tables that only the migrations know, with no model: SQLite's guard that every transfer
#: balances at COMMIT (migration 0008).
GUARD_TABLES = frozenset({"transfers_unbalanced"})


def described_by_models(name: str | None, type_: str, parent_names: object) -> bool:
    """Alembic's ``include_name``: compare the schema with the models, less the guard tables."""
    return not (type_ == "table" and name in GUARD_TABLES)


def id_from_text(text: str | None) -> int | None:
    """An id or a member number typed, posted or read from a file; None when it cannot be one.
    Only ASCII digits count (``str.isdigit`` also takes "²", which ``int`` then refuses), and
    only what an INTEGER column holds (a larger number would be refused by the database)."""
    text = (text or "").strip()
    if not (text.isascii() and text.isdigit()) or len(text) > len(str(MAX_ID)):
        return None
    number = int(text)
    return number if 0 < number <= MAX_ID else None


#: How long a SQLite writer waits for another to finish before giving up, in milliseconds.
SQLITE_BUSY_TIMEOUT_MS = 30_000


def configure_engine(engine: Engine) -> None:
    """Make an engine safe for the ledger.

    SQLite: foreign keys on, WAL so readers never block the writer, a busy timeout, and every
    transaction opened with ``BEGIN IMMEDIATE`` so it holds the write lock before it reads a
    balance (a deferred transaction would fail, not wait, when it later tried to write); code
    that only reads says so with :func:`reading_only`.
    """
    if engine.dialect.name != "sqlite" or event.contains(engine, "begin", _sqlite_begin):
        return
    event.listen(engine, "connect", _sqlite_connect)
    event.listen(engine, "begin", _sqlite_begin)


def _sqlite_connect(dbapi_connection, connection_record):  # type: ignore[no-untyped-def]
    # the driver's own transaction handling would issue a plain BEGIN; we issue ours
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA journal_mode = WAL")  # an in-memory database answers "memory"
    cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.close()


#: How SQLite transactions begin in this context: IMMEDIATE (take the write lock first) unless
#: the code knows it only reads.
_begin_mode: ContextVar[str] = ContextVar("timebank_sqlite_begin", default="IMMEDIATE")


@contextmanager
def reading_only() -> Iterator[None]:
    """Transactions begun inside read without taking SQLite's write lock, so a page view never
    waits behind a long write such as an import (WAL lets readers and a writer work at once)."""
    token = _begin_mode.set("DEFERRED")
    try:
        yield
    finally:
        _begin_mode.reset(token)


@contextmanager
def writing(session: Session) -> Iterator[None]:
    """A short write inside a request that otherwise only reads (a page view that is audited):
    the reads so far end, the write takes SQLite's write lock from its first statement and
    commits on leaving, and reading goes on without the lock. Never wrap a page's rendering."""
    session.commit()  # ends the read transaction: nothing in it to write
    token = _begin_mode.set("IMMEDIATE")
    try:
        yield
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        _begin_mode.reset(token)


class WriteWhileReading(RuntimeError):
    """Code that said it only reads (a page view) tried to write."""


def refuse_writes_while_reading(session: object) -> None:
    """Make a flush that would write inside :func:`reading_only` an error, on every engine.

    ``session`` is a session, a sessionmaker or a scoped session (any event target). SQLite
    also refuses at the database: its read transactions run with ``PRAGMA query_only``.
    """
    if not event.contains(session, "before_flush", _refuse_write):
        event.listen(session, "before_flush", _refuse_write)


def _refuse_write(session: Session, flush_context: object, instances: object) -> None:
    if _begin_mode.get() != "DEFERRED":
        return
    changed = session.new or session.deleted or any(session.is_modified(o) for o in session.dirty)
    if changed:
        raise WriteWhileReading("a page view tried to write; wrap the write in db.writing()")


def _sqlite_begin(connection):  # type: ignore[no-untyped-def]
    mode = _begin_mode.get()
    # a read transaction cannot write by mistake: SQLite refuses it with "readonly database"
    connection.exec_driver_sql(f"PRAGMA query_only = {int(mode == 'DEFERRED')}")
    connection.exec_driver_sql(f"BEGIN {mode}")
