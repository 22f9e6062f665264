"""Data protection: the audit trail's details move to a redactable table; erasure and retention.

- ``audit_details`` (one row per event that has details) takes over ``audit_events.details``.
  The existing details are copied across, then the column is dropped, so the rows that can
  never change hold no personal data. The database lets a details row be redacted (its details
  emptied, ``redacted_at`` set, once) and nothing else: no rewrite, no delete.
- ``audit_events`` now refuses TRUNCATE on PostgreSQL too, as the books' tables do.
- ``members.erased_at``: when a member's personal details were erased.
- ``erased_answers``: an erased member's monitoring answers as bare codes, for reports only.
- ``banks.retention_months``: months a member's profile is kept after they leave.

Dropping the column rewrites no row, so it fires no trigger on either engine: PostgreSQL drops
it in place, and SQLite (3.35 or later) rewrites the table itself without running triggers,
keeping ``audit_events_never_updated`` and ``audit_events_never_deleted`` as they are. Only
the downgrade, which must write the details back into the guarded rows, lifts the guards for
that one statement and puts them back exactly as 0001 made them.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02
"""

import sqlite3

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

#: The only change a details row ever takes: emptied, once, for an erasure request.
NOT_A_REDACTION = (
    "NEW.event_id <> OLD.event_id OR OLD.redacted_at IS NOT NULL"
    " OR NEW.redacted_at IS NULL OR NEW.details IS NOT NULL"
)

SQLITE_GUARDS = [
    f"""CREATE TRIGGER audit_details_only_redacted BEFORE UPDATE ON audit_details
    WHEN {NOT_A_REDACTION}
    BEGIN SELECT RAISE(ABORT, 'ledger_immutable: audit details are redacted, never rewritten');
    END""",
    """CREATE TRIGGER audit_details_never_deleted BEFORE DELETE ON audit_details
    BEGIN SELECT RAISE(ABORT, 'ledger_immutable: audit details are never deleted'); END""",
]

POSTGRESQL_GUARDS = [
    """CREATE TRIGGER audit_events_never_truncated BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change()""",
    f"""CREATE FUNCTION audit_details_guard() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'ledger_immutable: audit details are never deleted'
          USING ERRCODE = 'integrity_constraint_violation';
      END IF;
      IF {NOT_A_REDACTION} THEN
        RAISE EXCEPTION 'ledger_immutable: audit details are redacted, never rewritten'
          USING ERRCODE = 'integrity_constraint_violation';
      END IF;
      RETURN NEW;
    END $$""",
    """CREATE TRIGGER audit_details_guarded BEFORE UPDATE OR DELETE ON audit_details
    FOR EACH ROW EXECUTE FUNCTION audit_details_guard()""",
    """CREATE TRIGGER audit_details_never_truncated BEFORE TRUNCATE ON audit_details
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change()""",
]

POSTGRESQL_DROPS = [
    "DROP TRIGGER IF EXISTS audit_details_never_truncated ON audit_details",
    "DROP TRIGGER IF EXISTS audit_details_guarded ON audit_details",
    "DROP FUNCTION IF EXISTS audit_details_guard()",
    "DROP TRIGGER IF EXISTS audit_events_never_truncated ON audit_events",
]

SQLITE_DROPS = [
    "DROP TRIGGER IF EXISTS audit_details_never_deleted",
    "DROP TRIGGER IF EXISTS audit_details_only_redacted",
]

#: 0001's guard on the events, as it made them: lifted by the downgrade for one UPDATE only.
SQLITE_EVENT_GUARD = """CREATE TRIGGER audit_events_never_updated BEFORE UPDATE ON audit_events
    BEGIN SELECT RAISE(ABORT, 'ledger_immutable: audit_events are never updated'); END"""


def upgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    if not postgresql and sqlite3.sqlite_version_info < (3, 35):
        raise RuntimeError(
            f"SQLite {sqlite3.sqlite_version} cannot drop a column; timebank needs 3.35 or later"
        )
    op.add_column("banks", sa.Column("retention_months", sa.Integer(), nullable=True))
    op.add_column("members", sa.Column("erased_at", sa.DateTime(), nullable=True))
    op.create_table(
        "erased_answers",
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("answers", sa.String(length=400), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"], ["members.id"], name=op.f("fk_erased_answers_member_id_members")
        ),
        sa.PrimaryKeyConstraint("member_id", name=op.f("pk_erased_answers")),
    )
    op.create_table(
        "audit_details",
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("details", sa.JSON(), nullable=True),
        sa.Column("redacted_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["event_id"], ["audit_events.id"], name=op.f("fk_audit_details_event_id_audit_events")
        ),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_audit_details")),
    )
    # an event without details gets no row, as audit.record writes them from now on
    text = "details::text" if postgresql else "details"
    op.execute(
        f"""INSERT INTO audit_details (event_id, details, redacted_at)
        SELECT id, details, NULL FROM audit_events
        WHERE details IS NOT NULL AND {text} NOT IN ('{{}}', 'null')"""
    )
    op.execute("ALTER TABLE audit_events DROP COLUMN details")
    for statement in POSTGRESQL_GUARDS if postgresql else SQLITE_GUARDS:
        op.execute(statement)


def downgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    for statement in POSTGRESQL_DROPS if postgresql else SQLITE_DROPS:
        op.execute(statement)
    # redacted details come back empty: what was removed stays removed
    op.add_column(
        "audit_events",
        sa.Column("details", sa.JSON(), nullable=False, server_default=sa.text("'{}'")),
    )
    copy_back = """UPDATE audit_events SET details = (
        SELECT d.details FROM audit_details d WHERE d.event_id = audit_events.id)
        WHERE id IN (SELECT event_id FROM audit_details WHERE redacted_at IS NULL)"""
    if postgresql:
        op.execute("ALTER TABLE audit_events DISABLE TRIGGER audit_events_never_changed")
        op.execute(copy_back)
        op.execute("ALTER TABLE audit_events ENABLE TRIGGER audit_events_never_changed")
        op.execute("ALTER TABLE audit_events ALTER COLUMN details DROP DEFAULT")
    else:
        op.execute("DROP TRIGGER audit_events_never_updated")
        op.execute(copy_back)
        op.execute(SQLITE_EVENT_GUARD)
    op.drop_table("audit_details")
    op.drop_table("erased_answers")
    op.drop_column("members", "erased_at")
    op.drop_column("banks", "retention_months")
