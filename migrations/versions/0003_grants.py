"""Seed grants: programme settings, grants, budget lines and grant spends.

The money is in the ledger (unit GBP); these tables say which account is which and keep the
spend details the books must not hold. The database refuses to rewrite a grant's terms or a
line's account, to reopen a closed grant, to delete any of them, and to change spend details
except by redacting them.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('programme_settings',
    sa.Column('programme_id', sa.Integer(), nullable=False),
    sa.Column('period_starts_on', sa.Date(), nullable=True),
    sa.Column('period_ends_on', sa.Date(), nullable=True),
    sa.Column('target_banks_per_year', sa.Integer(), nullable=False),
    sa.Column('overspend_policy', sa.Enum('refuse', 'warn', name='overspend_policy', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('hourly_value_pence', sa.Integer(), nullable=False),
    sa.Column('hourly_value_source', sa.String(length=200), nullable=False),
    sa.Column('hourly_value_on', sa.Date(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('hourly_value_pence > 0', name=op.f('ck_programme_settings_hourly_value_positive')),
    sa.CheckConstraint('period_starts_on IS NULL OR period_ends_on IS NULL OR period_starts_on <= period_ends_on', name=op.f('ck_programme_settings_period_in_order')),
    sa.CheckConstraint('target_banks_per_year >= 0', name=op.f('ck_programme_settings_target_not_negative')),
    sa.ForeignKeyConstraint(['programme_id'], ['programmes.id'], name=op.f('fk_programme_settings_programme_id_programmes')),
    sa.PrimaryKeyConstraint('programme_id', name=op.f('pk_programme_settings'))
    )
    op.create_table('grants',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('programme_id', sa.Integer(), nullable=False),
    sa.Column('bank_id', sa.Integer(), nullable=False),
    sa.Column('unit', sa.Enum('HOURS', 'GBP', name='unit', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('amount_pence', sa.Integer(), nullable=False),
    sa.Column('awarded_on', sa.Date(), nullable=False),
    sa.Column('conditions', sa.Text(), nullable=False),
    sa.Column('status', sa.Enum('open', 'closed', name='grant_status', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('funder_account_id', sa.Integer(), nullable=False),
    sa.Column('grant_account_id', sa.Integer(), nullable=False),
    sa.Column('award_transfer_id', sa.Integer(), nullable=False),
    sa.Column('awarded_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("unit = 'GBP'", name=op.f('ck_grants_in_pounds')),
    sa.CheckConstraint('amount_pence > 0', name=op.f('ck_grants_amount_positive')),
    sa.CheckConstraint('funder_account_id <> grant_account_id', name=op.f('ck_grants_two_accounts')),
    sa.ForeignKeyConstraint(['award_transfer_id', 'bank_id', 'unit'], ['transfers.id', 'transfers.bank_id', 'transfers.unit'], name='fk_grants_award_transfer_same_bank_unit'),
    sa.ForeignKeyConstraint(['awarded_by_id'], ['users.id'], name=op.f('fk_grants_awarded_by_id_users')),
    sa.ForeignKeyConstraint(['bank_id'], ['banks.id'], name=op.f('fk_grants_bank_id_banks')),
    sa.ForeignKeyConstraint(['funder_account_id', 'bank_id', 'unit'], ['accounts.id', 'accounts.bank_id', 'accounts.unit'], name='fk_grants_funder_account_same_bank_unit'),
    sa.ForeignKeyConstraint(['grant_account_id', 'bank_id', 'unit'], ['accounts.id', 'accounts.bank_id', 'accounts.unit'], name='fk_grants_grant_account_same_bank_unit'),
    sa.ForeignKeyConstraint(['programme_id'], ['programmes.id'], name=op.f('fk_grants_programme_id_programmes')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_grants')),
    sa.UniqueConstraint('award_transfer_id', name=op.f('uq_grants_award_transfer_id')),
    sa.UniqueConstraint('grant_account_id', name=op.f('uq_grants_grant_account_id')),
    sa.UniqueConstraint('id', 'bank_id', name='uq_grants_id_bank')
    )
    with op.batch_alter_table('grants', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_grants_bank_id'), ['bank_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_grants_funder_account_id'), ['funder_account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_grants_programme_id'), ['programme_id'], unique=False)

    op.create_table('budget_lines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('grant_id', sa.Integer(), nullable=False),
    sa.Column('bank_id', sa.Integer(), nullable=False),
    sa.Column('unit', sa.Enum('HOURS', 'GBP', name='unit', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('budget_pence', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.CheckConstraint("name <> ''", name=op.f('ck_budget_lines_named')),
    sa.CheckConstraint("unit = 'GBP'", name=op.f('ck_budget_lines_in_pounds')),
    sa.CheckConstraint('budget_pence >= 0', name=op.f('ck_budget_lines_budget_not_negative')),
    sa.ForeignKeyConstraint(['account_id', 'bank_id', 'unit'], ['accounts.id', 'accounts.bank_id', 'accounts.unit'], name='fk_budget_lines_account_same_bank_unit'),
    sa.ForeignKeyConstraint(['grant_id', 'bank_id'], ['grants.id', 'grants.bank_id'], name='fk_budget_lines_grant_same_bank'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_budget_lines')),
    sa.UniqueConstraint('account_id', name=op.f('uq_budget_lines_account_id')),
    sa.UniqueConstraint('grant_id', 'name', name=op.f('uq_budget_lines_grant_id_name')),
    sa.UniqueConstraint('id', 'grant_id', name='uq_budget_lines_id_grant')
    )
    with op.batch_alter_table('budget_lines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_budget_lines_grant_id'), ['grant_id'], unique=False)

    op.create_table('grant_spends',
    sa.Column('transfer_id', sa.Integer(), nullable=False),
    sa.Column('grant_id', sa.Integer(), nullable=False),
    sa.Column('budget_line_id', sa.Integer(), nullable=False),
    sa.Column('payee', sa.String(length=200), nullable=False),
    sa.Column('receipt_reference', sa.String(length=100), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('redacted_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['budget_line_id', 'grant_id'], ['budget_lines.id', 'budget_lines.grant_id'], name='fk_grant_spends_line_of_grant'),
    sa.ForeignKeyConstraint(['grant_id'], ['grants.id'], name=op.f('fk_grant_spends_grant_id_grants')),
    sa.ForeignKeyConstraint(['transfer_id'], ['transfers.id'], name=op.f('fk_grant_spends_transfer_id_transfers')),
    sa.PrimaryKeyConstraint('transfer_id', name=op.f('pk_grant_spends'))
    )
    with op.batch_alter_table('grant_spends', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_grant_spends_budget_line_id'), ['budget_line_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_grant_spends_grant_id'), ['grant_id'], unique=False)

    create_guards()


def downgrade() -> None:
    drop_guards()
    with op.batch_alter_table('grant_spends', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_grant_spends_grant_id'))
        batch_op.drop_index(batch_op.f('ix_grant_spends_budget_line_id'))

    op.drop_table('grant_spends')
    with op.batch_alter_table('budget_lines', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_budget_lines_grant_id'))

    op.drop_table('budget_lines')
    with op.batch_alter_table('grants', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_grants_programme_id'))
        batch_op.drop_index(batch_op.f('ix_grants_funder_account_id'))
        batch_op.drop_index(batch_op.f('ix_grants_bank_id'))

    op.drop_table('grants')
    op.drop_table('programme_settings')


#: What a grant was awarded with never changes: a correction is a new transfer.
GRANT_TERMS = (
    "programme_id", "bank_id", "unit", "amount_pence", "awarded_on", "funder_account_id",
    "grant_account_id", "award_transfer_id", "awarded_by_id", "created_at",
)
#: A line's budget is a plan and may change; what it is and where its money goes do not.
LINE_TERMS = ("grant_id", "bank_id", "unit", "name", "account_id")
SPEND_KEYS = ("transfer_id", "grant_id", "budget_line_id")


def _changed(columns, sqlite=True):
    if sqlite:
        return " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in columns)
    return (
        f"({', '.join(f'NEW.{c}' for c in columns)})"
        f" IS DISTINCT FROM ({', '.join(f'OLD.{c}' for c in columns)})"
    )


#: The only change a spend ever takes: its payee and description blanked (and its receipt
#: reference kept or blanked), once, for an erasure request.
NOT_A_REDACTION = (
    "OLD.redacted_at IS NOT NULL OR NEW.redacted_at IS NULL"
    " OR NEW.payee <> '' OR NEW.description <> ''"
    " OR NEW.receipt_reference NOT IN (OLD.receipt_reference, '')"
)

SQLITE_GUARDS = [
    f"""CREATE TRIGGER grants_terms_fixed BEFORE UPDATE ON grants
    WHEN {_changed(GRANT_TERMS)}
    BEGIN SELECT RAISE(ABORT, 'ledger_immutable: a grant is never rewritten; post a new transfer');
    END""",
    """CREATE TRIGGER grants_stay_closed BEFORE UPDATE ON grants
    WHEN OLD.status = 'closed' AND NEW.status <> 'closed'
    BEGIN SELECT RAISE(ABORT, 'ledger_immutable: a closed grant never reopens'); END""",
    """CREATE TRIGGER grants_never_deleted BEFORE DELETE ON grants
    BEGIN SELECT RAISE(ABORT, 'ledger_immutable: grants are never deleted'); END""",
    f"""CREATE TRIGGER budget_lines_terms_fixed BEFORE UPDATE ON budget_lines
    WHEN {_changed(LINE_TERMS)}
    BEGIN SELECT RAISE(ABORT, 'ledger_immutable: only a budget line''s budget may change'); END""",
    """CREATE TRIGGER budget_lines_never_deleted BEFORE DELETE ON budget_lines
    BEGIN SELECT RAISE(ABORT, 'ledger_immutable: budget lines are never deleted'); END""",
    f"""CREATE TRIGGER grant_spends_only_redacted BEFORE UPDATE ON grant_spends
    WHEN {_changed(SPEND_KEYS)} OR {NOT_A_REDACTION}
    BEGIN SELECT RAISE(ABORT, 'ledger_immutable: spend details are redacted, never rewritten');
    END""",
    """CREATE TRIGGER grant_spends_never_deleted BEFORE DELETE ON grant_spends
    BEGIN SELECT RAISE(ABORT, 'ledger_immutable: grant spends are never deleted'); END""",
]

POSTGRESQL_GUARDS = [
    f"""CREATE FUNCTION grants_guard() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'ledger_immutable: grants are never deleted'
          USING ERRCODE = 'integrity_constraint_violation';
      END IF;
      IF {_changed(GRANT_TERMS, sqlite=False)} THEN
        RAISE EXCEPTION 'ledger_immutable: a grant is never rewritten; post a new transfer'
          USING ERRCODE = 'integrity_constraint_violation';
      END IF;
      IF OLD.status = 'closed' AND NEW.status <> 'closed' THEN
        RAISE EXCEPTION 'ledger_immutable: a closed grant never reopens'
          USING ERRCODE = 'integrity_constraint_violation';
      END IF;
      RETURN NEW;
    END $$""",
    """CREATE TRIGGER grants_guarded BEFORE UPDATE OR DELETE ON grants
    FOR EACH ROW EXECUTE FUNCTION grants_guard()""",
    f"""CREATE FUNCTION budget_lines_guard() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'ledger_immutable: budget lines are never deleted'
          USING ERRCODE = 'integrity_constraint_violation';
      END IF;
      IF {_changed(LINE_TERMS, sqlite=False)} THEN
        RAISE EXCEPTION 'ledger_immutable: only a budget line''s budget may change'
          USING ERRCODE = 'integrity_constraint_violation';
      END IF;
      RETURN NEW;
    END $$""",
    """CREATE TRIGGER budget_lines_guarded BEFORE UPDATE OR DELETE ON budget_lines
    FOR EACH ROW EXECUTE FUNCTION budget_lines_guard()""",
    f"""CREATE FUNCTION grant_spends_guard() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'ledger_immutable: grant spends are never deleted'
          USING ERRCODE = 'integrity_constraint_violation';
      END IF;
      IF {_changed(SPEND_KEYS, sqlite=False)} OR {NOT_A_REDACTION} THEN
        RAISE EXCEPTION 'ledger_immutable: spend details are redacted, never rewritten'
          USING ERRCODE = 'integrity_constraint_violation';
      END IF;
      RETURN NEW;
    END $$""",
    """CREATE TRIGGER grant_spends_guarded BEFORE UPDATE OR DELETE ON grant_spends
    FOR EACH ROW EXECUTE FUNCTION grant_spends_guard()""",
    # the books' tables refuse TRUNCATE; these point into them, so they do too
    """CREATE FUNCTION grants_refuse_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      RAISE EXCEPTION 'ledger_immutable: % are never truncated', TG_TABLE_NAME
        USING ERRCODE = 'integrity_constraint_violation';
    END $$""",
    """CREATE TRIGGER grants_never_truncated BEFORE TRUNCATE ON grants
    FOR EACH STATEMENT EXECUTE FUNCTION grants_refuse_truncate()""",
    """CREATE TRIGGER budget_lines_never_truncated BEFORE TRUNCATE ON budget_lines
    FOR EACH STATEMENT EXECUTE FUNCTION grants_refuse_truncate()""",
    """CREATE TRIGGER grant_spends_never_truncated BEFORE TRUNCATE ON grant_spends
    FOR EACH STATEMENT EXECUTE FUNCTION grants_refuse_truncate()""",
]

POSTGRESQL_DROPS = [
    "DROP TRIGGER IF EXISTS grant_spends_never_truncated ON grant_spends",
    "DROP TRIGGER IF EXISTS budget_lines_never_truncated ON budget_lines",
    "DROP TRIGGER IF EXISTS grants_never_truncated ON grants",
    "DROP TRIGGER IF EXISTS grant_spends_guarded ON grant_spends",
    "DROP TRIGGER IF EXISTS budget_lines_guarded ON budget_lines",
    "DROP TRIGGER IF EXISTS grants_guarded ON grants",
    "DROP FUNCTION IF EXISTS grants_refuse_truncate()",
    "DROP FUNCTION IF EXISTS grant_spends_guard()",
    "DROP FUNCTION IF EXISTS budget_lines_guard()",
    "DROP FUNCTION IF EXISTS grants_guard()",
]

SQLITE_TRIGGER_NAMES = [
    "grants_terms_fixed",
    "grants_stay_closed",
    "grants_never_deleted",
    "budget_lines_terms_fixed",
    "budget_lines_never_deleted",
    "grant_spends_only_redacted",
    "grant_spends_never_deleted",
]


def create_guards() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    for statement in POSTGRESQL_GUARDS if postgresql else SQLITE_GUARDS:
        op.execute(statement)


def drop_guards() -> None:
    if op.get_bind().dialect.name == "postgresql":
        statements = POSTGRESQL_DROPS
    else:
        statements = [f"DROP TRIGGER IF EXISTS {name}" for name in SQLITE_TRIGGER_NAMES]
    for statement in statements:
        op.execute(statement)
