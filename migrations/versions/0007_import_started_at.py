"""When an import was claimed: only the latest claim finishes a batch, and a batch left
"importing" by a process that died (a restart mid-import) can be started again.

Additive only: one nullable column on ``import_batches``, which the books do not reference.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("import_batches", sa.Column("started_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    # SQLite drops a column by copying the table; import_batches has no guards to trip
    with op.batch_alter_table("import_batches") as batch_op:
        batch_op.drop_column("started_at")
