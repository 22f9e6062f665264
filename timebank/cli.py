"""The ``timebank`` command: every ``flask`` command for this app, plus the ledger's own."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext

from timebank.extensions import db


def _create_app() -> Flask:
    from timebank import create_app

    return create_app()


#: Installed as the ``timebank`` console script: ``timebank run``, ``timebank db upgrade``, ...
main = FlaskGroup(create_app=_create_app, help="Run and look after a timebank installation.")


def _require_schema() -> None:
    """Stop with a plain message, not a traceback, when the database was never migrated."""
    from alembic.migration import MigrationContext
    from sqlalchemy.exc import SQLAlchemyError

    try:
        # inside the session's own transaction: a second connection would wait for its lock
        revision = MigrationContext.configure(db.session.connection()).get_current_revision()
    except SQLAlchemyError as error:
        db.session.rollback()
        raise click.ClickException(f"the database cannot be reached: {error}") from error
    if revision is None:
        raise click.ClickException(
            "the database has no timebank tables yet: run `timebank db upgrade` first"
        )


@click.command("verify")
@click.option("--bank", "bank_id", type=int, help="Check one bank only.")
@with_appcontext
def verify_command(bank_id: int | None) -> None:
    """Recompute every balance from the entries and check every rule of the books."""
    from timebank.ledger import verify

    _require_schema()
    report = verify(db.session, bank_id=bank_id)
    click.echo(report.summary())
    if not report.ok:
        sys.exit(1)


@click.command("demo")
@click.option("--seed", default=2026, show_default=True, help="Seed for the made-up data.")
@with_appcontext
def demo_command(seed: int) -> None:
    """Fill an empty database with a demonstration programme and five banks."""
    from timebank import demo

    _require_schema()
    if not demo.is_empty(db.session):
        click.echo("The database already has banks; the demo is loaded only into an empty one.")
        return
    summary = demo.load(db.session, seed=seed)
    db.session.commit()
    click.echo(summary)


@click.command("simulate")
@click.option("--banks", default=10, show_default=True, help="Banks in the programme.")
@click.option("--members", default=100, show_default=True, help="Members per bank.")
@click.option("--months", default=24, show_default=True, help="Months of activity, to today.")
@click.option("--seed", default=1, show_default=True, help="The same seed gives the same data.")
@with_appcontext
def simulate_command(banks: int, members: int, months: int, seed: int) -> None:
    """Add a programme of synthetic banks, members and help, for measuring at scale."""
    from timebank.simulate import simulate

    _require_schema()
    click.echo(f"Simulating {banks} banks x {members} members x {months} months (seed {seed})...")
    summary = simulate(
        db.session, banks=banks, members=members, months=months, seed=seed, progress=click.echo
    )
    click.echo(str(summary))


@click.command("create-admin")
@click.argument("email")
@click.option(
    "--name", default="Administrator", show_default=True, help="The name shown on screen."
)
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@with_appcontext
def create_admin_command(email: str, name: str, password_stdin: bool) -> None:
    """Create an administrator who can sign in with EMAIL."""
    from timebank.users import operations
    from timebank.users.models import Role
    from timebank.users.passwords import PasswordRefused

    if operations.find_by_email(db.session, email) is not None:
        db.session.rollback()
        raise click.ClickException(f"{email} already has an account")
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        operations.create_user(
            db.session, email=email, display_name=name, role=Role.ADMIN, password=password
        )
    except PasswordRefused as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from error
    db.session.commit()
    click.echo(f"{email} can now sign in as an administrator.")


@click.command("create-user")
@click.argument("email")
@click.option(
    "--role",
    type=click.Choice(["coordinator", "funder", "admin"]),
    required=True,
    help="coordinator: brokers for --bank; funder: reads --programme; admin: everything.",
)
@click.option("--bank", "bank_ids", type=int, multiple=True, help="A bank to broker for.")
@click.option("--programme", "programme_id", type=int, help="The programme a funder reads.")
@click.option("--name", default="", help="The name shown on screen (the email by default).")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@with_appcontext
def create_user_command(
    email: str,
    role: str,
    bank_ids: tuple[int, ...],
    programme_id: int | None,
    name: str,
    password_stdin: bool,
) -> None:
    """Create a coordinator, funder or admin who can sign in with EMAIL."""
    from timebank.banks.models import Bank, Programme
    from timebank.users import operations
    from timebank.users.models import Role
    from timebank.users.passwords import PasswordRefused

    _require_schema()
    chosen = Role(role)
    if bank_ids and chosen != Role.COORDINATOR:
        raise click.UsageError("--bank is for coordinators")
    if programme_id is not None and chosen != Role.FUNDER:
        raise click.UsageError("--programme is for funders")
    if chosen == Role.COORDINATOR and not bank_ids:
        raise click.UsageError("a coordinator needs at least one --bank")
    if chosen == Role.FUNDER and programme_id is None:
        raise click.UsageError("a funder needs --programme")
    banks = []
    for bank_id in dict.fromkeys(bank_ids):
        bank = db.session.get(Bank, bank_id)
        if bank is None:
            raise click.ClickException(f"there is no bank {bank_id}")
        banks.append(bank)
    programme = db.session.get(Programme, programme_id) if programme_id is not None else None
    if programme_id is not None and programme is None:
        raise click.ClickException(f"there is no programme {programme_id}")
    if operations.find_by_email(db.session, email) is not None:
        db.session.rollback()
        raise click.ClickException(f"{email} already has an account")
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        person = operations.create_user(
            db.session,
            email=email,
            display_name=name or email,
            role=chosen,
            password=password,
            banks=banks,
            programme=programme,
        )
    except PasswordRefused as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from error
    db.session.commit()
    click.echo(f"{person.email} can now sign in as a {chosen.value}.")


@click.command("create-token")
@click.argument("email")
@click.option("--name", required=True, help="What the token is for, to tell it apart later.")
@with_appcontext
def create_token_command(email: str, name: str) -> None:
    """Make an API token for EMAIL's account and print it. It is shown only this once."""
    from timebank.users import operations, tokens

    _require_schema()
    person = operations.find_by_email(db.session, email)
    if person is None:
        raise click.ClickException(f"{email} has no account")
    try:
        row, token = tokens.create_token(db.session, person, name)
    except tokens.TokenError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from error
    db.session.commit()
    # the token alone on stdout, so a script can capture it; the advice goes to stderr
    click.echo(token)
    click.echo("Keep this token safe: it is not shown again.", err=True)


@click.command("expire-pending")
@with_appcontext
def expire_pending_command() -> None:
    """End help recorded by members that nobody confirmed within 30 days (run daily)."""
    from timebank import ledger

    count = ledger.expire(db.session)
    db.session.commit()
    click.echo(f"{count} unconfirmed record(s) of help lapsed.")


@click.command("backup")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def backup_command(file: Path) -> None:
    """Write a consistent snapshot of the whole database to FILE, while the app serves."""
    from timebank import backups

    # no session here: on SQLite its transaction would hold the write lock the app needs
    try:
        manifest = backups.backup(db.engine.url, file)
    except backups.BackupError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Backed up the {manifest.describe()}, to {file}.")


@click.command("restore")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace a database that already holds data.")
@with_appcontext
def restore_command(file: Path, force: bool) -> None:
    """Replace the database with the backup in FILE, then verify the books."""
    from timebank import backups

    head = backups.migration_head(Path(current_app.extensions["migrate"].directory))
    try:
        restored = backups.restore(db.engine.url, file, expected_revision=head, force=force)
    except backups.BackupError as error:
        raise click.ClickException(str(error)) from error
    finally:
        # pooled connections knew the old database (PostgreSQL's prepared statements too)
        db.engine.dispose()
    click.echo(f"Restored the {restored.manifest.describe()}.")
    click.echo(restored.report.summary())
    if not restored.report.ok:
        sys.exit(1)


@click.command("retention")
@click.option("--dry-run", is_flag=True, help="Say who would be erased, and change nothing.")
@with_appcontext
def retention_command(dry_run: bool) -> None:
    """Erase the details of members who left longer ago than their bank keeps them (run daily)."""
    from timebank.members import erasure

    _require_schema()
    due = erasure.due_for_erasure(db.session)
    # numbers only: what this prints may end up in a log, which is kept longer than a profile
    for item in due:
        verb = "would erase" if dry_run else "erasing"
        click.echo(
            f"{item.bank.name}: {verb} member {item.member.member_number}"
            f" (left on {item.member.left_on}): {item.reason}"
        )
    if dry_run:
        db.session.rollback()
        click.echo(f"Dry run: {len(due)} member(s) would be erased; nothing was changed.")
        return
    for item in due:
        erasure.erase_member(db.session, item.member, reason=item.reason, by_user_id=None)
    db.session.commit()
    click.echo(f"{len(due)} member(s) erased.")


def init_app(app: Flask) -> None:
    app.cli.add_command(verify_command)
    app.cli.add_command(demo_command)
    app.cli.add_command(simulate_command)
    app.cli.add_command(create_admin_command)
    app.cli.add_command(create_user_command)
    app.cli.add_command(create_token_command)
    app.cli.add_command(expire_pending_command)
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
    app.cli.add_command(retention_command)
