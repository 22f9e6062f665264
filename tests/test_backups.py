"""``timebank backup`` and ``timebank restore``: a snapshot taken while help is being recorded
restores whole and balanced, a quiet one restores identical, damaged files and occupied
databases are refused without a change, and the database's guards hold after a restore."""

from __future__ import annotations

import io
import itertools
import json
import shutil
import tarfile
import threading
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import Result
from flask.testing import FlaskCliRunner
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from tests.conftest import _pg_admin, make_app
from timebank import ledger
from timebank.backups import (
    MANIFEST,
    BackupError,
    Manifest,
    backup,
    migration_head,
    read_manifest,
    restore,
)
from timebank.banks.operations import create_bank, create_programme
from timebank.config import database_url as normalised
from timebank.db import configure_engine, reading_only
from timebank.exchanges.operations import HelpDetails, record_exchange, reverse_exchange
from timebank.extensions import db
from timebank.ledger import Transfer
from timebank.members.models import Member
from timebank.reports import Report, bank_report, programme_report

#: The newest migration, and one before it: a backup's revision is compared with these.
HEAD = migration_head(Path(__file__).resolve().parents[1] / "migrations")
OLDER = "0007"

TODAY = date.today()
_LAST_DAY_OF_LAST_MONTH = TODAY.replace(day=1) - timedelta(days=1)
#: Last month, whole: its reports are read from the roll-ups.
LAST_MONTH = (_LAST_DAY_OF_LAST_MONTH.replace(day=1), _LAST_DAY_OF_LAST_MONTH)
#: From last month to today: part of it is read from the books.
PERIOD = (LAST_MONTH[0] + timedelta(days=3), TODAY)


@dataclass(frozen=True)
class Books:
    programme_id: int
    bank_id: int
    member_ids: list[int]


@pytest.fixture
def books(session: Session, make_bank, make_member) -> Books:
    """A programme's bank, four members, and help: with notes and outcomes, reversed, last month."""
    programme = create_programme(session, name="Seed grants", funder="The Fund")
    bank = make_bank(programme=programme, welcome_minutes=60)
    joined = LAST_MONTH[0] - timedelta(days=30)
    members = [
        make_member(bank, name, joined_on=joined) for name in ("Joan", "Seamus", "Aoife", "Ciaran")
    ]
    last_month = TODAY.replace(day=1) - timedelta(days=10)
    for n, (provider, receiver) in enumerate(itertools.permutations(members, 2)):
        posted = record_exchange(
            session,
            provider=provider,
            receiver=receiver,
            help=HelpDetails(
                minutes=15 * (n % 4 + 1),
                given_on=last_month if n % 2 else TODAY,
                note=f"Shopping trip {n}",
                outcome_areas=["social", "health"] if n % 3 else ["dignity"],
            ),
        )
        if n == 5:
            reverse_exchange(session, posted.transfer, "Logged twice")
    session.commit()
    books = Books(programme.id, bank.id, [m.id for m in members])
    session.close()  # on SQLite an open transaction would hold the write lock the writer needs
    return books


class Writer(threading.Thread):
    """Records help, one exchange a transaction, on its own connection, until stopped."""

    LIMIT = 5_000

    def __init__(self, url: str, member_ids: list[int]) -> None:
        super().__init__(daemon=True)
        self.engine = sa.create_engine(normalised(url))
        configure_engine(self.engine)
        self.member_ids = member_ids
        #: Transfer ids in the order their transactions committed.
        self.committed: list[int] = []
        self.failures: list[BaseException] = []
        self._halt = threading.Event()
        self._progress = threading.Condition()

    def run(self) -> None:
        try:
            with Session(self.engine) as session:
                members = [session.get(Member, id_) for id_ in self.member_ids]
                for n in range(self.LIMIT):
                    if self._halt.is_set():
                        break
                    # round the circle, so every balance stays within a turn of zero
                    posted = record_exchange(
                        session,
                        provider=members[n % len(members)],
                        receiver=members[(n + 1) % len(members)],
                        help=HelpDetails(minutes=30, outcome_areas=["social"]),
                    )
                    session.commit()
                    with self._progress:
                        self.committed.append(posted.transfer.id)
                        self._progress.notify_all()
        except BaseException as error:  # noqa: BLE001 - reported in the test's thread
            self.failures.append(error)
        finally:
            with self._progress:
                self._progress.notify_all()
            self.engine.dispose()

    def count(self) -> int:
        with self._progress:
            return len(self.committed)

    def wait_for(self, count: int) -> None:
        with self._progress:
            reached = self._progress.wait_for(
                lambda: len(self.committed) >= count or self.failures or not self.is_alive(),
                timeout=30,
            )
        assert not self.failures, self.failures
        assert reached and len(self.committed) >= count, f"only {len(self.committed)} posted"

    def stop(self) -> None:
        self._halt.set()
        self.join(timeout=30)
        assert not self.failures, self.failures


@pytest.fixture
def spare_database(request: pytest.FixtureRequest, engine_name: str, tmp_path: Path):
    """Makes more databases on the test's engine: at the head revision with no rows, or blank."""
    made: list[str] = []
    counter = itertools.count(1)

    def make(migrated: bool = True) -> str:
        if engine_name == "sqlite":
            path = tmp_path / f"spare-{next(counter)}.db"
            if migrated:
                shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
            return f"sqlite:///{path}"
        server: str = request.getfixturevalue("pg_server_url")
        template = request.getfixturevalue("pg_template") if migrated else "template0"
        name = f"spare_{uuid.uuid4().hex[:12]}"
        with _pg_admin(server) as admin:
            admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        made.append(name)
        return sa.make_url(server).set(database=name).render_as_string(hide_password=False)

    yield make
    if made:
        with _pg_admin(request.getfixturevalue("pg_server_url")) as admin:
            for name in made:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def restore_into(tmp_path: Path) -> Iterator[Callable[..., Result]]:
    """Runs ``timebank restore`` as an installation whose database is the given one would."""
    apps = []

    def run(url: str, backup_file: Path, *options: str) -> Result:
        app = make_app(url, tmp_path / f"instance-{len(apps)}")
        apps.append(app)
        # its own app context, over the source's that the test holds
        with app.app_context():
            return app.test_cli_runner().invoke(args=["restore", str(backup_file), *options])

    yield run
    for app in apps:
        with app.app_context():
            db.engine.dispose()


def take_backup(runner: FlaskCliRunner, path: Path) -> Result:
    result = runner.invoke(args=["backup", str(path)])
    assert result.exit_code == 0, result.output
    assert "Backed up the" in result.output
    return result


def open_engine(url: str) -> sa.Engine:
    engine = sa.create_engine(normalised(url))
    configure_engine(engine)
    return engine


def contents(url: str) -> dict[str, list[dict[str, Any]]]:
    """Every row of every table, in a stable order."""
    engine = open_engine(url)
    try:
        with reading_only(), engine.connect() as connection:
            tables = sa.inspect(connection).get_table_names()
            return {
                table: sorted(
                    (
                        dict(row)
                        for row in connection.execute(
                            sa.text(f'SELECT * FROM "{table}"')
                        ).mappings()
                    ),
                    key=repr,
                )
                for table in tables
            }
    finally:
        engine.dispose()


def reports(url: str, books: Books, period: tuple[date, date]) -> tuple[Report, Report]:
    """The bank's report and its programme's, for the period."""
    engine = open_engine(url)
    try:
        with reading_only(), Session(engine) as session:
            return (
                bank_report(session, books.bank_id, *period),
                programme_report(session, books.programme_id, *period),
            )
    finally:
        engine.dispose()


def test_a_backup_taken_while_help_is_recorded_restores_whole_and_balanced(
    runner: FlaskCliRunner,
    books: Books,
    database_url: str,
    tmp_path: Path,
    spare_database,
    restore_into,
) -> None:
    writer = Writer(database_url, books.member_ids)
    writer.start()
    try:
        writer.wait_for(20)
        before = writer.count()
        take_backup(runner, tmp_path / "during.tbk")
        after = writer.count()
        writer.wait_for(after + 10)  # still writing after the backup ended
    finally:
        writer.stop()
    take_backup(runner, tmp_path / "quiet.tbk")
    source = contents(database_url)

    # the backup taken during the writing, into a database with no tables at all
    during_url = spare_database(migrated=False)
    result = restore_into(during_url, tmp_path / "during.tbk")
    assert result.exit_code == 0, result.output
    assert "the books balance" in result.output
    copy = contents(during_url)

    # exactly the transfers committed before some moment of the backup: all those before it
    # began, and the writer's in their order (one may have committed before it was noted)
    written = set(writer.committed)
    held = {row["id"] for row in copy["transfers"]}
    assert {row["id"] for row in source["transfers"]} - written <= held
    prefix = len(held & written)
    assert before <= prefix <= after + 1
    assert held & written == set(writer.committed[:prefix])
    assert copy["transfers"] == [row for row in source["transfers"] if row["id"] in held]
    # each transfer whole: every entry it has in the source, and balanced
    for table in ("entries", "transfer_outcomes"):
        assert copy[table] == [row for row in source[table] if row["transfer_id"] in held]
    sums = Counter()
    for entry in copy["entries"]:
        sums[entry["transfer_id"]] += entry["amount"]
    assert set(sums) == held and set(sums.values()) == {0}
    # each balance is the sum of the entries held, and nothing else about the accounts moved
    moved = Counter()
    for entry in copy["entries"]:
        moved[entry["account_id"]] += entry["amount"]
    originals = {account["id"]: account for account in source["accounts"]}
    assert len(copy["accounts"]) == len(originals)
    for account in copy["accounts"]:
        assert account["balance"] == moved[account["id"]]
        assert {**account, "balance": 0} == {**originals[account["id"]], "balance": 0}
    # the audit trail holds the same moment: a record for each exchange held, no other
    left_out = {f"transfer:{id_}" for id_ in written - held}
    assert copy["audit_events"] == [
        row for row in source["audit_events"] if row["subject"] not in left_out
    ]
    # the rest is untouched by the writer, but for the report roll-ups checked just below
    prefixed = {"transfers", "entries", "transfer_outcomes", "accounts", "audit_events"}
    for table in set(source) - prefixed:
        if not table.startswith("report_"):
            assert copy[table] == source[table], table

    # the reports: last month's (before the writer began) as the source's, and this period's
    # short of the source's by exactly the help left out
    assert reports(during_url, books, LAST_MONTH) == reports(database_url, books, LAST_MONTH)
    for short, whole in zip(
        reports(during_url, books, PERIOD), reports(database_url, books, PERIOD), strict=True
    ):
        assert whole.hours.exchanges - short.hours.exchanges == len(written - held)
        assert whole.hours.minutes - short.hours.minutes == 30 * len(written - held)

    # the backup taken once the writing stopped, into an empty migrated database: identical
    quiet_url = spare_database(migrated=True)
    result = restore_into(quiet_url, tmp_path / "quiet.tbk")
    assert result.exit_code == 0, result.output
    assert "the books balance" in result.output
    assert contents(quiet_url) == source
    for period in (LAST_MONTH, PERIOD):
        assert reports(quiet_url, books, period) == reports(database_url, books, period)
    bank, _ = reports(quiet_url, books, PERIOD)
    assert bank.hours.exchanges > len(writer.committed), "the writer's help is not reported"


def test_the_manifest_says_what_the_backup_holds(
    runner: FlaskCliRunner, books: Books, tmp_path: Path, engine_name: str
) -> None:
    folder = tmp_path / "backups"
    folder.mkdir()
    take_backup(runner, folder / "backup.tbk")
    manifest = read_manifest(folder / "backup.tbk")
    assert manifest.engine == engine_name
    assert manifest.revision == HEAD
    assert manifest.counts["banks"] == 1 and manifest.counts["members"] == 4
    balancing = {
        "sqlite": {"entries.entries_must_balance", "transfers.transfers_must_balance"},
        "postgresql": {"entries.entries_balance", "transfers.transfers_balance"},
    }
    assert {"entries.entries_move_balance", *balancing[engine_name]} <= set(manifest.guards)
    assert (folder / "backup.tbk").stat().st_mode & 0o077 == 0, "others can read it"
    assert [p.name for p in folder.iterdir()] == ["backup.tbk"], "a working file was left"
    # taken again, the file is replaced by the new backup
    take_backup(runner, folder / "backup.tbk")
    assert read_manifest(folder / "backup.tbk").taken_at > manifest.taken_at
    assert [p.name for p in folder.iterdir()] == ["backup.tbk"]


def test_restore_refuses_a_database_that_holds_data_unless_forced(
    runner: FlaskCliRunner,
    books: Books,
    database_url: str,
    tmp_path: Path,
    spare_database,
    restore_into,
) -> None:
    take_backup(runner, tmp_path / "backup.tbk")
    original = contents(database_url)
    target = spare_database()
    missing = restore_into(target, tmp_path / "no-such.tbk")
    assert missing.exit_code == 1 and "there is no file" in missing.output
    first = restore_into(target, tmp_path / "backup.tbk")
    assert first.exit_code == 0, first.output
    # the restored database gets a bank of its own: now a second restore is refused
    add_a_bank(target)
    occupied = contents(target)
    assert len(occupied["banks"]) == 2

    refused = restore_into(target, tmp_path / "backup.tbk")
    assert refused.exit_code == 1
    assert "already holds data" in refused.output and "--force" in refused.output
    assert isinstance(refused.exception, SystemExit), "not a plain message"
    assert contents(target) == occupied

    forced = restore_into(target, tmp_path / "backup.tbk", "--force")
    assert forced.exit_code == 0, forced.output
    assert "the books balance" in forced.output
    assert contents(target) == original


@pytest.mark.parametrize("damage", ["truncated", "flipped", "not_a_backup", "empty"])
def test_a_damaged_backup_is_refused_and_the_database_left_as_it_was(
    runner: FlaskCliRunner,
    books: Books,
    tmp_path: Path,
    spare_database,
    restore_into,
    damage: str,
) -> None:
    path = tmp_path / "backup.tbk"
    take_backup(runner, path)
    data = path.read_bytes()
    with tarfile.open(path) as archive:
        database = archive.getmembers()[1]
        middle = database.offset_data + database.size // 2
    if damage == "truncated":
        path.write_bytes(data[:middle])
    elif damage == "flipped":
        path.write_bytes(data[:middle] + bytes([data[middle] ^ 0xFF]) + data[middle + 1 :])
    elif damage == "not_a_backup":
        path.write_text("member,minutes\nJoan,60\n")
    else:
        path.write_bytes(b"")
    target = spare_database()
    add_a_bank(target)
    before = contents(target)

    result = restore_into(target, path, "--force")
    assert result.exit_code == 1
    assert isinstance(result.exception, SystemExit), "not a plain message"
    expected = {
        "truncated": "damaged or cut short",
        "flipped": "damaged or cut short",
        "not_a_backup": "is not a timebank backup",
        "empty": "is not a timebank backup",
    }
    assert expected[damage] in result.output
    assert contents(target) == before


def add_a_bank(url: str) -> None:
    engine = open_engine(url)
    try:
        with Session(engine) as session:
            create_bank(session, name="The bank already here")
            session.commit()
    finally:
        engine.dispose()


def rewrite_manifest(path: Path, **changes: Any) -> None:
    """Change fields of a backup's manifest, keeping its database as it is."""
    with tarfile.open(path) as archive:
        members = [(m, archive.extractfile(m).read()) for m in archive.getmembers()]
    with tarfile.open(path, "w") as archive:
        for member, data in members:
            if member.name == MANIFEST:
                fields = json.loads(data) | changes
                data = json.dumps(fields).encode()
                member.size = len(data)
            archive.addfile(member, io.BytesIO(data))


def test_restore_refuses_another_engine_or_revision(
    runner: FlaskCliRunner,
    books: Books,
    database_url: str,
    tmp_path: Path,
    spare_database,
    restore_into,
    engine_name: str,
) -> None:
    take_backup(runner, tmp_path / "backup.tbk")
    target = spare_database()
    empty = contents(target)

    other = "postgresql" if engine_name == "sqlite" else "sqlite"
    shutil.copyfile(tmp_path / "backup.tbk", tmp_path / "engine.tbk")
    rewrite_manifest(tmp_path / "engine.tbk", engine=other)
    result = restore_into(target, tmp_path / "engine.tbk")
    assert result.exit_code == 1
    assert "the engine it was taken from" in result.output

    shutil.copyfile(tmp_path / "backup.tbk", tmp_path / "older.tbk")
    rewrite_manifest(tmp_path / "older.tbk", revision=OLDER)
    result = restore_into(target, tmp_path / "older.tbk")
    assert result.exit_code == 1
    assert f"holds schema revision {OLDER} and this timebank runs revision {HEAD}" in result.output

    # a database at another revision is not restored over, even with --force
    engine = open_engine(target)
    with engine.begin() as connection:
        connection.execute(sa.text(f"UPDATE alembic_version SET version_num = '{OLDER}'"))
    engine.dispose()
    result = restore_into(target, tmp_path / "backup.tbk", "--force")
    assert result.exit_code == 1
    assert f"the database is at schema revision {OLDER}" in result.output
    after = contents(target)
    assert after.pop("alembic_version") == [{"version_num": OLDER}]
    empty.pop("alembic_version")
    assert after == empty

    shutil.copyfile(tmp_path / "backup.tbk", tmp_path / "newer-format.tbk")
    rewrite_manifest(tmp_path / "newer-format.tbk", format_version=2)
    with pytest.raises(BackupError, match="backup format 2"):
        restore(database_url, tmp_path / "newer-format.tbk", expected_revision=HEAD)


def test_a_database_never_migrated_is_not_backed_up(
    spare_database, tmp_path: Path, engine_name: str
) -> None:
    folder = tmp_path / "backups"
    folder.mkdir()
    blank = spare_database(migrated=False)
    if engine_name == "sqlite":
        with pytest.raises(BackupError, match="there is no database at"):
            backup(blank, folder / "backup.tbk")
        Path(sa.make_url(blank).database).touch()  # SQLite takes an empty file as a database
    with pytest.raises(BackupError, match="no timebank tables yet"):
        backup(blank, folder / "backup.tbk")
    assert not list(folder.iterdir()), "a file was left behind"


def refused(session: Session, statement: str, **params: object) -> str:
    with pytest.raises(DBAPIError) as raised:
        session.execute(sa.text(statement), params)
        session.commit()  # deferred guards speak at commit
    session.rollback()
    return str(raised.value.orig)


UNBALANCED = {"postgresql": "unbalanced", "sqlite": "FOREIGN KEY constraint failed"}


def test_the_database_guards_hold_after_a_restore(
    runner: FlaskCliRunner,
    books: Books,
    tmp_path: Path,
    spare_database,
    restore_into,
    engine_name: str,
) -> None:
    take_backup(runner, tmp_path / "backup.tbk")
    target = spare_database(migrated=False)
    assert restore_into(target, tmp_path / "backup.tbk").exit_code == 0
    held = contents(target)
    engine = open_engine(target)
    try:
        with Session(engine) as session:
            for statement in (
                "UPDATE entries SET amount = amount + 1",
                "DELETE FROM entries",
                "UPDATE transfers SET amount = 1",
                "DELETE FROM transfers",
                "DELETE FROM audit_events",
            ):
                assert "ledger_immutable" in refused(session, statement), statement
            # a transfer written around the books that does not balance is refused at commit
            message = refused(
                session,
                "INSERT INTO transfers (bank_id, unit, kind, amount, given_on, recorded_at)"
                " VALUES (:b, 'HOURS', 'gift', 30, CURRENT_DATE, CURRENT_TIMESTAMP)",
                b=books.bank_id,
            )
            assert UNBALANCED[engine_name] in message
            assert contents(target) == held

            # help recorded through the books moves each balance once, under a new id
            joan, seamus = (session.get(Member, id_) for id_ in books.member_ids[:2])
            balances = {a["id"]: a["balance"] for a in held["accounts"]}
            posted = record_exchange(
                session, provider=joan, receiver=seamus, help=HelpDetails(minutes=45)
            )
            session.commit()
            assert posted.transfer.id > max(t["id"] for t in held["transfers"])
            after = {a["id"]: a["balance"] for a in contents(target)["accounts"]}
            moved = sorted(after[id_] - balances[id_] for id_ in after)
            assert [step for step in moved if step] == [-45, 45]
            # a reversal cannot be reversed, even in SQL written around the books
            reversal = session.scalars(
                sa.select(Transfer).where(Transfer.reverses_id.is_not(None))
            ).one()
            message = refused(
                session,
                "INSERT INTO transfers (bank_id, unit, kind, amount, given_on, recorded_at,"
                " reverses_id) VALUES (:b, 'HOURS', 'reversal', :m, CURRENT_DATE,"
                " CURRENT_TIMESTAMP, :r)",
                b=books.bank_id,
                m=reversal.amount,
                r=reversal.id,
            )
            assert "cannot_reverse_reversal" in message
            assert ledger.verify(session).ok
    finally:
        engine.dispose()


def test_a_restore_that_fails_part_way_changes_nothing(
    runner: FlaskCliRunner,
    books: Books,
    tmp_path: Path,
    spare_database,
    restore_into,
    engine_name: str,
) -> None:
    """pg_restore runs in one transaction: when it cannot drop a table, nothing is dropped."""
    if engine_name != "postgresql":
        pytest.skip("SQLite's backup API writes the target in one transaction of its own")
    take_backup(runner, tmp_path / "backup.tbk")
    target = spare_database()
    engine = open_engine(target)
    with engine.begin() as connection:
        # something of the target's own that depends on a table the restore must drop
        connection.execute(sa.text("CREATE VIEW help_given AS SELECT * FROM entries"))
    engine.dispose()
    before = contents(target)
    result = restore_into(target, tmp_path / "backup.tbk")
    assert result.exit_code == 1
    assert "pg_restore failed" in result.output and "help_given" in result.output
    assert contents(target) == before


def test_a_manifest_reads_back_as_written(tmp_path: Path) -> None:
    manifest = Manifest(
        engine="sqlite",
        revision="0008",
        taken_at=datetime(2026, 12, 2, 16, 40, tzinfo=UTC),
        sha256="0" * 64,
        size_bytes=4096,
        counts={"banks": 5, "members": 200, "transfers": 3000},
        guards=("entries.entries_move_balance",),
        timebank_version="0.1.0",
    )
    assert Manifest.from_json(manifest.to_json()) == manifest
    assert manifest.describe() == (
        "SQLite database at schema revision 0008, taken 2026-12-02 16:40:00 UTC: "
        "5 banks, 200 members, 3,000 transfers"
    )


@pytest.mark.books_broken
def test_a_restore_of_broken_books_says_so_and_exits_1(
    runner: FlaskCliRunner,
    books: Books,
    database_url: str,
    tmp_path: Path,
    spare_database,
    restore_into,
) -> None:
    # a balance changed behind the books' back, within its limits, so no guard stops it
    engine = open_engine(database_url)
    with engine.begin() as connection:
        joan = connection.scalar(sa.text("SELECT min(id) FROM accounts WHERE kind = 'member'"))
        connection.execute(
            sa.text("UPDATE accounts SET balance = balance + 1 WHERE id = :id"), {"id": joan}
        )
    engine.dispose()
    take_backup(runner, tmp_path / "backup.tbk")
    target = spare_database()
    result = restore_into(target, tmp_path / "backup.tbk")
    assert result.exit_code == 1
    assert "Restored the" in result.output
    assert "1 breach(es)" in result.output and f"balance_mismatch: account {joan}" in result.output


@pytest.mark.parametrize("claim", ["guards", "counts"])
def test_a_restore_that_lacks_what_the_manifest_lists_is_refused(
    runner: FlaskCliRunner,
    books: Books,
    tmp_path: Path,
    spare_database,
    restore_into,
    claim: str,
) -> None:
    take_backup(runner, tmp_path / "backup.tbk")
    manifest = read_manifest(tmp_path / "backup.tbk")
    if claim == "guards":
        rewrite_manifest(
            tmp_path / "backup.tbk", guards=[*manifest.guards, "entries.entries_never_forgotten"]
        )
    else:
        rewrite_manifest(
            tmp_path / "backup.tbk",
            counts=manifest.counts | {"transfers": manifest.counts["transfers"] + 1},
        )
    result = restore_into(spare_database(), tmp_path / "backup.tbk")
    assert result.exit_code == 1
    expected = {
        "guards": "lacks some of its guards: entries.entries_never_forgotten",
        "counts": "does not hold what the backup says it does",
    }
    assert expected[claim] in result.output
