"""SQLite refuses, at COMMIT, a transfer whose entries do not sum to zero (or that has none).

PostgreSQL has done this since 0001 with deferred constraint triggers. SQLite has no deferred
triggers, but it does have deferred foreign keys, and COMMIT fails while any is broken. So a
transfer, when inserted, gets a row in ``transfers_unbalanced`` whose foreign key points at no
transfer (``-id``); each entry inserted deletes that row once the transfer's entries sum to
zero, and puts it back if they stop doing so. While a row stands, the transaction cannot
commit. The ledger checks the same before commit in Python, with a better message; this is for
SQL written around it.

SQLite only, and additive: a new table and two new triggers; no table is altered. Transfers
already in the books are not checked here (``timebank verify`` does).

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-27
"""

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

UPGRADE = [
    """
    CREATE TABLE transfers_unbalanced (
        transfer_id INTEGER NOT NULL PRIMARY KEY,
        -- always -transfer_id, a transfer that never exists: while the row stands, COMMIT fails
        blocks_commit INTEGER NOT NULL
            REFERENCES transfers (id) DEFERRABLE INITIALLY DEFERRED
    )
    """,
    """
    CREATE TRIGGER transfers_must_balance AFTER INSERT ON transfers
    BEGIN
        INSERT INTO transfers_unbalanced (transfer_id, blocks_commit) VALUES (NEW.id, -NEW.id);
    END
    """,
    """
    CREATE TRIGGER entries_must_balance AFTER INSERT ON entries
    BEGIN
        INSERT OR IGNORE INTO transfers_unbalanced (transfer_id, blocks_commit)
            VALUES (NEW.transfer_id, -NEW.transfer_id);
        DELETE FROM transfers_unbalanced
            WHERE transfer_id = NEW.transfer_id
              AND (SELECT SUM(amount) FROM entries WHERE transfer_id = NEW.transfer_id) = 0;
    END
    """,
]

DOWNGRADE = [
    "DROP TRIGGER entries_must_balance",
    "DROP TRIGGER transfers_must_balance",
    "DROP TABLE transfers_unbalanced",
]


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for statement in UPGRADE:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for statement in DOWNGRADE:
        op.execute(statement)
