"""Backups of the whole database, taken while the app serves, and restores that check them.

A backup is one file, a tar archive of two members. ``manifest.json`` says what the backup holds:
the engine, the schema revision, when it was taken, the SHA-256 of the database, a few row counts
and the names of the database's guards (its triggers). Then the database itself, as SQLite's
online backup API copies it or as ``pg_dump -Fc`` writes it. Both read one consistent snapshot,
so a backup taken while help is being recorded holds every transfer committed before that
snapshot, each whole, and none after it.

A restore checks the file whole (its checksum) and refuses a backup of another engine or schema
revision, or a database that already holds data unless told to replace it, before it touches
anything. It then replaces the database in one transaction, so a failure leaves the database as
it was: SQLite's backup API copies the pages into the target file (no trigger runs on a page
copy), and ``pg_restore --single-transaction --clean`` drops the old tables and loads the rows
before it recreates the triggers, so no guard fires on the rows being loaded and every guard is
there afterwards. Last, the counts and the guards are compared with the manifest and the books
are verified.

No Flask here: the ``timebank backup`` and ``timebank restore`` commands adapt it.
"""

from __future__ import annotations

import glob
import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess  # nosec B404 # runs pg_dump and pg_restore, with argument lists
import tarfile
import tempfile
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any, Protocol

import psycopg
import sqlalchemy as sa
from alembic.script import ScriptDirectory
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session

from timebank.db import configure_engine, reading_only
from timebank.ledger import Report, verify

#: Written in every manifest, so that a file can be told from any other tar archive.
FORMAT = "timebank-backup"
#: The layout of the archive; a newer timebank that changes it raises this number.
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
#: The archive member that holds the database, by engine.
PAYLOADS = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
#: Tables whose rows are counted into the manifest and checked again after a restore.
COUNTED = ("programmes", "banks", "members", "users", "accounts", "transfers", "entries")
#: Tables that hold no data of their own: a database with rows only here is empty.
BOOKKEEPING = frozenset({"alembic_version", "transfers_unbalanced"})
ENGINE_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
_CHUNK = 1024 * 1024


class BackupError(Exception):
    """A backup or restore that was not done; the message says why, in plain words."""


class DatabaseNotEmpty(BackupError):
    """The database to restore into already holds data, and replacing it was not asked for."""


@dataclass(frozen=True)
class Manifest:
    """What a backup holds."""

    engine: str
    revision: str
    taken_at: datetime
    sha256: str
    size_bytes: int
    #: Rows per table of :data:`COUNTED`, in the snapshot.
    counts: dict[str, int]
    #: The names of the database's triggers, as ``table.trigger``.
    guards: tuple[str, ...]
    timebank_version: str
    format: str = FORMAT
    format_version: int = FORMAT_VERSION

    def to_json(self) -> str:
        """The manifest as the archive stores it."""
        data = asdict(self)
        data["taken_at"] = self.taken_at.isoformat()
        data["guards"] = list(self.guards)
        return json.dumps(data, indent=2, sort_keys=True) + "\n"

    @classmethod
    def from_json(cls, text: str) -> Manifest:
        """Read a manifest; ValueError when it is not one this timebank can read."""
        data = json.loads(text)
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise ValueError("it has no timebank manifest")
        if data.get("format_version") != FORMAT_VERSION:
            raise ValueError(
                f"it is in backup format {data.get('format_version')!r}, and this timebank "
                f"reads format {FORMAT_VERSION}: restore it with the timebank that made it"
            )
        try:
            return cls(
                engine=str(data["engine"]),
                revision=str(data["revision"]),
                taken_at=datetime.fromisoformat(data["taken_at"]),
                sha256=str(data["sha256"]),
                size_bytes=int(data["size_bytes"]),
                counts={str(k): int(v) for k, v in data["counts"].items()},
                guards=tuple(str(name) for name in data["guards"]),
                timebank_version=str(data["timebank_version"]),
            )
        except (KeyError, TypeError, AttributeError, ValueError) as error:
            raise ValueError(f"its manifest is incomplete ({error})") from error

    def describe(self) -> str:
        """One line for a person: which engine, revision and time, and how much is in it."""
        counts = ", ".join(
            f"{self.counts.get(table, 0):,} {table}" for table in ("banks", "members", "transfers")
        )
        taken = self.taken_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        engine = ENGINE_NAMES.get(self.engine, self.engine)
        return f"{engine} database at schema revision {self.revision}, taken {taken}: {counts}"


@dataclass(frozen=True)
class Restored:
    """A restore that was done: what the backup held, and the books checked afterwards."""

    manifest: Manifest
    report: Report


@dataclass(frozen=True)
class _Facts:
    """What a database holds, read from one snapshot of it."""

    revision: str | None
    counts: dict[str, int] = field(default_factory=dict)
    guards: tuple[str, ...] = ()
    #: Tables other than :data:`BOOKKEEPING` that have at least one row.
    occupied: tuple[str, ...] = ()


class _Cursor(Protocol):
    def execute(self, query: Any, /) -> Any: ...
    def fetchall(self) -> list[Any]: ...


# -- taking a backup -------------------------------------------------------------------------------


def backup(url: str | URL, path: Path, *, now: datetime | None = None) -> Manifest:
    """Write a consistent snapshot of the database at ``url`` to ``path``, whole or not at all."""
    url = _url(url)
    engine = _engine(url)
    path = Path(path)
    if not path.parent.is_dir():
        raise BackupError(f"there is no folder {path.parent} to write the backup into")
    if path.is_dir():
        raise BackupError(f"{path} is a folder: name the file to write the backup into")
    taken_at = now or datetime.now(UTC)
    try:
        # in the backup's own folder, so the finished file is renamed into place, never copied
        with tempfile.TemporaryDirectory(dir=path.parent, prefix=".timebank-backup-") as work:
            payload = Path(work) / PAYLOADS[engine]
            if engine == "sqlite":
                facts = _sqlite_snapshot(url, payload)
            else:
                facts = _postgresql_snapshot(url, payload)
            if facts.revision is None:
                raise BackupError(
                    "the database has no timebank tables yet: there is nothing to back up"
                )
            digest, size = _sha256(payload)
            manifest = Manifest(
                engine=engine,
                revision=facts.revision,
                taken_at=taken_at,
                sha256=digest,
                size_bytes=size,
                counts=facts.counts,
                guards=facts.guards,
                timebank_version=_timebank_version(),
            )
            partial = Path(work) / "backup.tar"
            _write_archive(partial, manifest, payload)
            os.replace(partial, path)
            _sync_folder(path.parent)
    except OSError as error:
        raise BackupError(f"the backup could not be written to {path}: {error}") from error
    return manifest


def _sqlite_snapshot(url: URL, payload: Path) -> _Facts:
    source_path = _sqlite_path(url)
    if not source_path.is_file():
        raise BackupError(f"there is no database at {source_path}")
    try:
        source = _sqlite_connect(source_path)
        try:
            copy = _sqlite_connect(payload)
            try:
                # one step (pages=-1): the whole copy reads one snapshot, and WAL lets the app's
                # writers go on meanwhile; steps of a few pages would restart on every write
                source.backup(copy, pages=-1)
                # a copy of a WAL database is WAL too; keep everything in the one file
                copy.execute("PRAGMA journal_mode = DELETE")
                return _read_facts(copy.cursor(), "sqlite", check_integrity=True)
            finally:
                copy.close()
        finally:
            source.close()
    except sqlite3.Error as error:
        raise BackupError(f"the SQLite database could not be copied: {error}") from error


def _postgresql_snapshot(url: URL, payload: Path) -> _Facts:
    conninfo, password = _libpq(url)
    pg_dump = pg_program("pg_dump")
    try:
        with psycopg.connect(conninfo, **_password(password)) as connection:
            # pg_dump reads the very snapshot the manifest's facts are read from
            connection.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
            connection.read_only = True
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_export_snapshot()")
                snapshot = cursor.fetchall()[0][0]
                facts = _read_facts(cursor, "postgresql")
            if facts.revision is not None:
                _run(
                    [
                        pg_dump,
                        "--format=custom",
                        f"--snapshot={snapshot}",
                        "--no-password",
                        f"--file={payload}",
                        f"--dbname={conninfo}",
                    ],
                    password,
                )
            connection.rollback()
    except psycopg.Error as error:
        raise BackupError(f"the database cannot be reached: {error}") from error
    return facts


def _write_archive(partial: Path, manifest: Manifest, payload: Path) -> None:
    text = manifest.to_json().encode()
    # for the owner's eyes only: it holds members' personal details
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        with tarfile.open(fileobj=handle, mode="w", format=tarfile.PAX_FORMAT) as archive:
            # the manifest first, so a restore reads it without reading the database
            info = tarfile.TarInfo(MANIFEST)
            info.size = len(text)
            info.mtime = int(manifest.taken_at.timestamp())
            info.mode = 0o600
            archive.addfile(info, io.BytesIO(text))
            info = tarfile.TarInfo(payload.name)
            info.size = manifest.size_bytes
            info.mtime = int(manifest.taken_at.timestamp())
            info.mode = 0o600
            with payload.open("rb") as database:
                archive.addfile(info, database)
        handle.flush()
        os.fsync(handle.fileno())


# -- restoring -------------------------------------------------------------------------------------


def read_manifest(path: Path) -> Manifest:
    """What the backup at ``path`` says it holds (its database is not read or checked here)."""
    try:
        with tarfile.open(path, mode="r:*") as archive:
            first = archive.next()
            if first is None or first.name != MANIFEST or not first.isfile():
                raise ValueError("it has no timebank manifest")
            reader = archive.extractfile(first)
            if reader is None:
                raise ValueError("it has no timebank manifest")
            return Manifest.from_json(reader.read().decode("utf-8"))
    except FileNotFoundError as error:
        raise BackupError(f"there is no file {path}") from error
    except IsADirectoryError as error:
        raise BackupError(f"{path} is a folder, not a backup file") from error
    except (tarfile.TarError, EOFError, UnicodeDecodeError, ValueError) as error:
        raise BackupError(f"{path} is not a timebank backup: {error}") from error
    except OSError as error:
        raise BackupError(f"{path} cannot be read: {error}") from error


def restore(
    url: str | URL, path: Path, *, expected_revision: str | None, force: bool = False
) -> Restored:
    """Replace the database at ``url`` with the checked backup at ``path``; verify the books."""
    # expected_revision: the newest migration of the timebank restoring, which is what it runs
    url = _url(url)
    engine = _engine(url)
    path = Path(path)
    manifest = read_manifest(path)
    if manifest.engine != engine:
        raise BackupError(
            f"{path} is a backup of a {ENGINE_NAMES.get(manifest.engine, manifest.engine)} "
            f"database and this timebank uses {ENGINE_NAMES[engine]}: a backup is restored into "
            "the engine it was taken from"
        )
    if manifest.revision != expected_revision:
        raise BackupError(
            f"{path} holds schema revision {manifest.revision} and this timebank runs revision "
            f"{expected_revision}: restore it with the timebank version that made it "
            f"({manifest.timebank_version}), then upgrade with `timebank db upgrade`"
        )
    with tempfile.TemporaryDirectory(prefix="timebank-restore-") as work:
        payload = _extract(path, manifest, Path(work))
        if engine == "sqlite":
            _sqlite_restore(url, manifest, payload, force)
        else:
            _postgresql_restore(url, manifest, payload, force)
    _check_restored(url, engine, manifest)
    return Restored(manifest=manifest, report=_verify(url))


def _extract(path: Path, manifest: Manifest, work: Path) -> Path:
    """Copy the backup's database into ``work``, checking it against the manifest's SHA-256."""
    name = PAYLOADS[manifest.engine]
    target = work / name
    digest = hashlib.sha256()
    size = 0
    try:
        with tarfile.open(path, mode="r:*") as archive:
            archive.next()  # the manifest, read already
            member = archive.next()
            if member is None or member.name != name or not member.isfile():
                raise BackupError(f"{path} is damaged: the database is missing from it")
            reader = archive.extractfile(member)
            if reader is None:
                raise BackupError(f"{path} is damaged: the database is missing from it")
            with target.open("wb") as out:
                while chunk := reader.read(_CHUNK):
                    digest.update(chunk)
                    size += len(chunk)
                    out.write(chunk)
    except (tarfile.TarError, EOFError) as error:
        raise BackupError(f"{path} is damaged or cut short: {error}") from error
    except OSError as error:
        raise BackupError(f"{path} cannot be read: {error}") from error
    if size != manifest.size_bytes or digest.hexdigest() != manifest.sha256:
        raise BackupError(
            f"{path} is damaged or cut short: its database does not match the checksum recorded "
            "when the backup was taken"
        )
    return target


def _check_target(facts: _Facts, manifest: Manifest, force: bool) -> None:
    """Refuse a database at another revision, or one that holds data unless ``force``."""
    if facts.revision is not None and facts.revision != manifest.revision:
        raise BackupError(
            f"the database is at schema revision {facts.revision} and the backup at "
            f"{manifest.revision}: restore into a database of the backup's revision, or an "
            "empty one"
        )
    if facts.occupied and not force:
        tables = ", ".join(facts.occupied[:5]) + (", ..." if len(facts.occupied) > 5 else "")
        raise DatabaseNotEmpty(
            f"the database already holds data (in {tables}); restoring would replace all of it. "
            "Take a backup of it first if it matters, then run the restore again with --force"
        )


def _sqlite_restore(url: URL, manifest: Manifest, payload: Path, force: bool) -> None:
    target_path = _sqlite_path(url)
    if not target_path.parent.is_dir():
        raise BackupError(f"there is no folder {target_path.parent} for the database")
    existed = target_path.exists()
    try:
        copy = _sqlite_connect(payload)
    except sqlite3.Error as error:
        raise BackupError(f"the backup's database cannot be opened: {error}") from error
    try:
        try:
            held = _read_facts(copy.cursor(), "sqlite", check_integrity=True)
        except sqlite3.Error as error:
            raise BackupError(f"the backup's database cannot be read: {error}") from error
        if held.revision != manifest.revision:
            raise BackupError("the backup's database is not at the revision its manifest says")
        try:
            target = _sqlite_connect(target_path)
        except sqlite3.Error as error:
            raise BackupError(f"the database at {target_path} cannot be opened: {error}") from error
        try:
            if existed:
                try:
                    _check_target(_read_facts(target.cursor(), "sqlite"), manifest, force)
                except sqlite3.Error as error:
                    raise BackupError(
                        f"the database at {target_path} cannot be read: {error}"
                    ) from error
            try:
                # one write transaction on the target: all the pages, or none of them
                copy.backup(target, pages=-1)
                target.execute("PRAGMA journal_mode = WAL")
            except sqlite3.Error as error:
                raise BackupError(f"the database could not be restored: {error}") from error
        finally:
            target.close()
    except BackupError:
        if not existed:
            for leftover in ("", "-wal", "-shm", "-journal"):
                Path(f"{target_path}{leftover}").unlink(missing_ok=True)
        raise
    finally:
        copy.close()


def _postgresql_restore(url: URL, manifest: Manifest, payload: Path, force: bool) -> None:
    conninfo, password = _libpq(url)
    pg_restore = pg_program("pg_restore")
    try:
        with psycopg.connect(conninfo, autocommit=True, **_password(password)) as connection:
            with connection.cursor() as cursor:
                facts = _read_facts(cursor, "postgresql")
    except psycopg.Error as error:
        raise BackupError(f"the database cannot be reached: {error}") from error
    _check_target(facts, manifest, force)
    # this pg_restore must be able to read the archive before anything is dropped
    _run([pg_restore, "--list", str(payload)], password)
    _run(
        [
            pg_restore,
            # drop what the backup holds and load it again, all in one transaction: an error
            # anywhere undoes the drops too. Triggers come after the rows (pg_dump's order), so
            # none fires on a row being loaded
            "--clean",
            "--if-exists",
            "--single-transaction",
            "--exit-on-error",
            # the restoring role owns what it creates; grants to other roles are not replayed
            "--no-owner",
            "--no-acl",
            "--no-password",
            f"--dbname={conninfo}",
            str(payload),
        ],
        password,
    )


def _check_restored(url: URL, engine: str, manifest: Manifest) -> None:
    """Compare the restored database's revision, counts and guards with the manifest."""
    try:
        if engine == "sqlite":
            connection = _sqlite_connect(_sqlite_path(url))
            try:
                facts = _read_facts(connection.cursor(), "sqlite")
            finally:
                connection.close()
        else:
            conninfo, password = _libpq(url)
            with psycopg.connect(conninfo, autocommit=True, **_password(password)) as connection:
                with connection.cursor() as cursor:
                    facts = _read_facts(cursor, "postgresql")
    except (sqlite3.Error, psycopg.Error) as error:
        raise BackupError(f"the restored database cannot be read: {error}") from error
    if facts.revision != manifest.revision or facts.counts != manifest.counts:
        raise BackupError(
            "the restored database does not hold what the backup says it does: "
            f"revision {facts.revision} with {facts.counts}, where the backup has revision "
            f"{manifest.revision} with {manifest.counts}"
        )
    missing = sorted(set(manifest.guards) - set(facts.guards))
    if missing:
        raise BackupError(
            "the restored database lacks some of its guards: "
            + ", ".join(missing)
            + "; do not use it, and report this"
        )


def _verify(url: URL) -> Report:
    engine = sa.create_engine(url)
    configure_engine(engine)
    try:
        with reading_only(), Session(engine) as session:
            return verify(session)
    finally:
        engine.dispose()


# -- reading a database ----------------------------------------------------------------------------


def _read_facts(cursor: _Cursor, engine: str, *, check_integrity: bool = False) -> _Facts:
    """The revision, counts, guards and occupied tables of a database, through a DB-API cursor."""
    if check_integrity:
        cursor.execute("PRAGMA integrity_check")
        problems = [row[0] for row in cursor.fetchall()]
        if problems != ["ok"]:
            raise BackupError("the SQLite database is damaged: " + "; ".join(problems[:5]))
    if engine == "sqlite":
        cursor.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
        tables = {row[0] for row in cursor.fetchall()}
        cursor.execute("SELECT tbl_name || '.' || name FROM sqlite_master WHERE type = 'trigger'")
    else:
        cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
        tables = {row[0] for row in cursor.fetchall()}
        cursor.execute(
            "SELECT c.relname || '.' || t.tgname FROM pg_trigger t"
            " JOIN pg_class c ON c.oid = t.tgrelid"
            " WHERE NOT t.tgisinternal AND c.relnamespace = current_schema()::regnamespace"
        )
    guards = tuple(sorted(row[0] for row in cursor.fetchall()))
    if "alembic_version" not in tables:
        return _Facts(revision=None, guards=guards, occupied=_occupied(cursor, tables))
    cursor.execute("SELECT version_num FROM alembic_version")
    versions = [row[0] for row in cursor.fetchall()]
    counts = {}
    for table in COUNTED:
        if table in tables:
            # table names come from COUNTED, not from input
            cursor.execute(f"SELECT count(*) FROM {_quoted(table)}")  # nosec B608
            counts[table] = int(cursor.fetchall()[0][0])
    return _Facts(
        revision=versions[0] if len(versions) == 1 else ",".join(sorted(versions)) or None,
        counts=counts,
        guards=guards,
        occupied=_occupied(cursor, tables),
    )


def _occupied(cursor: _Cursor, tables: set[str]) -> tuple[str, ...]:
    found = []
    for table in sorted(tables - BOOKKEEPING):
        # table names come from the database's own catalogue, quoted
        cursor.execute(f"SELECT 1 FROM {_quoted(table)} LIMIT 1")  # nosec B608
        if cursor.fetchall():
            found.append(table)
    return tuple(found)


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


# -- engines, programs and files -------------------------------------------------------------------


def migration_head(directory: Path) -> str | None:
    """The newest schema revision among the migrations in ``directory``."""
    return ScriptDirectory(str(directory)).get_current_head()


def pg_program(name: str) -> str:
    """The path of a PostgreSQL client program such as ``pg_dump``, or BackupError."""
    # as tests/postgres.py finds the server: pg_config's bindir, Debian's newest, then PATH
    try:
        # pg_config is looked up on PATH on purpose: it names the installed PostgreSQL
        found = subprocess.run(  # nosec B603 B607 # a fixed argument list, no shell
            ["pg_config", "--bindir"], capture_output=True, text=True, check=True
        ).stdout.strip()
        if (Path(found) / name).is_file():
            return str(Path(found) / name)
    except (OSError, subprocess.CalledProcessError):
        pass

    def version(program: str) -> tuple[int, ...]:
        number = Path(program).parent.parent.name
        return tuple(int(part) for part in number.split(".") if part.isdigit())

    # the newest: a pg_dump reads servers of its own version and older ones
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=version)
    if candidates:
        return candidates[-1]
    on_path = shutil.which(name)
    if on_path:
        return on_path
    raise BackupError(
        f"PostgreSQL's {name} was not found: install Debian's postgresql-client package"
    )


def _run(command: Sequence[str], password: str | None) -> None:
    environment = dict(os.environ)
    if password:
        # in the environment, not the command line, where any user could read it
        environment["PGPASSWORD"] = password
    try:
        # the program is pg_dump or pg_restore found by pg_program; no shell
        result = subprocess.run(  # nosec B603
            list(command), capture_output=True, text=True, env=environment
        )
    except OSError as error:
        raise BackupError(f"{command[0]} could not be run: {error}") from error
    if result.returncode != 0:
        detail = (result.stderr or result.stdout).strip()
        raise BackupError(f"{Path(command[0]).name} failed: {detail}")


def _url(url: str | URL) -> URL:
    try:
        parsed = sa.make_url(url)
    except sa.exc.ArgumentError as error:
        raise BackupError(f"the database URL cannot be read: {error}") from error
    if parsed.get_backend_name() == "postgresql" and parsed.drivername != "postgresql+psycopg":
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def _engine(url: URL) -> str:
    name = url.get_backend_name()
    if name not in PAYLOADS:
        raise BackupError(f"timebank backs up SQLite and PostgreSQL databases, not {name}")
    return name


def _sqlite_path(url: URL) -> Path:
    database = url.database or ""
    if not database or database == ":memory:" or database.startswith("file:"):
        raise BackupError("only an SQLite database in a file can be backed up or restored")
    return Path(database)


def _sqlite_connect(path: Path) -> sqlite3.Connection:
    # autocommit: the driver opens no transaction of its own around our statements
    connection = sqlite3.connect(path, timeout=30, isolation_level=None)
    connection.execute("PRAGMA busy_timeout = 30000")
    return connection


def _libpq(url: URL) -> tuple[str, str | None]:
    """A libpq connection URI without the password, and the password apart."""
    plain = url.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), url.password


def _password(password: str | None) -> dict[str, str]:
    return {"password": password} if password else {}


def _sha256(path: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def _sync_folder(folder: Path) -> None:
    # the rename itself survives a power cut only once the folder is synced
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _timebank_version() -> str:
    try:
        return metadata.version("timebank")
    except metadata.PackageNotFoundError:
        return "unknown"


__all__ = [
    "BackupError",
    "DatabaseNotEmpty",
    "Manifest",
    "Restored",
    "backup",
    "migration_head",
    "pg_program",
    "read_manifest",
    "restore",
]
