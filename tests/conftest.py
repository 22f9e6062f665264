"""Fixtures: every database test runs on SQLite and on PostgreSQL.

Each engine's schema is built once per session by the migrations (never by ``create_all``),
into a template; each test then gets a fresh copy of it. PostgreSQL is a throwaway cluster that
the tests start themselves, or ``TIMEBANK_TEST_PG_URL``. ``TIMEBANK_TEST_ENGINES=sqlite``
runs one engine locally; CI runs both and fails if PostgreSQL can't start, never skips it.

After each test the books are verified: a test leaves them balanced or says why not with
``@pytest.mark.books_broken``.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
import sqlalchemy as sa
from flask import Flask, g
from flask.testing import FlaskClient, FlaskCliRunner
from flask_migrate import upgrade
from sqlalchemy.orm import Session

from tests.postgres import Cluster
from timebank import create_app
from timebank.banks.models import Bank
from timebank.banks.operations import create_bank
from timebank.extensions import db
from timebank.ledger import Account, verify
from timebank.members.models import Member
from timebank.members.operations import member_account, register_member
from timebank.users.models import Role, User
from timebank.users.operations import create_user

#: The password every test user has.
PASSWORD = "correct horse battery"

ENGINES = [e for e in os.environ.get("TIMEBANK_TEST_ENGINES", "sqlite,postgresql").split(",") if e]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "books_broken: the test breaks the books on purpose")


def make_app(url: str, instance: Path, **extra: Any) -> Flask:
    settings = {
        "SQLALCHEMY_DATABASE_URI": url,
        "TESTING": True,
        "SECRET_KEY": "tests-only",
        "WTF_CSRF_ENABLED": False,
    }
    settings.update(extra)
    os.environ["TIMEBANK_INSTANCE_PATH"] = str(instance)
    return create_app(settings)


def migrate_to_head(url: str, instance: Path) -> None:
    app = make_app(url, instance)
    with app.app_context():
        upgrade()
        db.engine.dispose()


# -- PostgreSQL -----------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def pg_server_url() -> Iterator[str]:
    """A URL to the maintenance database of a server the tests may create databases on."""
    given = os.environ.get("TIMEBANK_TEST_PG_URL")
    if given:
        yield given
        return
    cluster = Cluster()
    cluster.start()
    try:
        yield cluster.url
    finally:
        cluster.stop()


def _pg_admin(server_url: str) -> psycopg.Connection:
    plain = sa.make_url(server_url).set(drivername="postgresql")
    return psycopg.connect(plain.render_as_string(hide_password=False), autocommit=True)


@pytest.fixture(scope="session")
def pg_template(pg_server_url: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The name of a database migrated to head, to copy for each test."""
    name = f"timebank_template_{uuid.uuid4().hex[:8]}"
    with _pg_admin(pg_server_url) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = sa.make_url(pg_server_url).set(database=name).render_as_string(hide_password=False)
    migrate_to_head(url, tmp_path_factory.mktemp("pg-template"))
    return name


# -- SQLite ---------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("sqlite-template")
    path = folder / "template.db"
    migrate_to_head(f"sqlite:///{path}", folder)
    return path


# -- one fresh database per test ------------------------------------------------------------------


@pytest.fixture(params=ENGINES)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh database at the head revision, on each engine in turn."""
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        path = tmp_path / "timebank.db"
        shutil.copyfile(template, path)
        yield f"sqlite:///{path}"
        return
    server_url: str = request.getfixturevalue("pg_server_url")
    template_name: str = request.getfixturevalue("pg_template")
    name = f"test_{uuid.uuid4().hex[:12]}"
    with _pg_admin(server_url) as admin:
        admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template_name}"')
    try:
        yield sa.make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with _pg_admin(server_url) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def engine_name(database_url: str) -> str:
    return sa.make_url(database_url).get_backend_name()


@pytest.fixture
def app(database_url: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Flask]:
    app = make_app(database_url, tmp_path / "instance")

    # the `session` fixture keeps one app context for the whole test, and requests share it;
    # forget who signed in last so each request (and each client) is judged by its own cookie
    # (in production each request has an app context, and so a g, of its own)
    @app.before_request
    def _forget_cached_user() -> None:
        g.pop("_login_user", None)
        g.pop("member_card_id", None)

    yield app
    with app.app_context():
        db.session.remove()
        if request.node.get_closest_marker("books_broken") is None:
            report = verify(db.session)
            db.session.remove()
            assert report.ok, report.summary()
        db.engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


@pytest.fixture
def session(app: Flask) -> Iterator[Session]:
    """The app's database session, inside an application context."""
    with app.app_context():
        yield db.session
        db.session.remove()


# -- building blocks ------------------------------------------------------------------------------


@pytest.fixture
def make_bank(session: Session) -> Callable[..., Bank]:
    counter = iter(range(1, 10_000))

    def make(**settings: Any) -> Bank:
        settings.setdefault("name", f"Test Time Bank {next(counter)}")
        bank = create_bank(session, **settings)
        session.commit()
        return bank

    return make


@pytest.fixture
def make_member(session: Session) -> Callable[..., Member]:
    def make(bank: Bank, name: str = "Joan Murphy", **details: Any) -> Member:
        member = register_member(session, bank, full_name=name, **details)
        session.commit()
        return member

    return make


@pytest.fixture
def account_of(session: Session) -> Callable[[Member], Account]:
    def find(member: Member) -> Account:
        return member_account(session, member.id)

    return find


@pytest.fixture
def make_user(session: Session) -> Callable[..., User]:
    """A user of any role: ``make_user("coordinator", banks=[bank])``."""
    counter = iter(range(1, 10_000))

    def make(role: str = "coordinator", banks: list[Bank] | None = None, **details: Any) -> User:
        n = next(counter)
        details.setdefault("email", f"{role}{n}@example.org")
        details.setdefault("display_name", f"{role.title()} {n}")
        person = create_user(
            session, role=Role(role), password=PASSWORD, banks=banks or [], **details
        )
        session.commit()
        return person

    return make


@pytest.fixture
def sign_in(client: FlaskClient) -> Callable[[User], FlaskClient]:
    """Sign ``client`` in as a user, through the real sign-in page."""

    def do(person: User) -> FlaskClient:
        response = client.post("/sign-in", data={"email": person.email, "password": PASSWORD})
        assert response.status_code == 302, response.text
        return client

    return do


@pytest.fixture
def broker(session: Session, make_bank, make_user, sign_in) -> tuple[FlaskClient, Bank, User]:
    """A bank, and a client signed in as its coordinator."""
    bank = make_bank(help_phone="028 9000 0001")
    coordinator = make_user("coordinator", banks=[bank])
    return sign_in(coordinator), bank, coordinator
