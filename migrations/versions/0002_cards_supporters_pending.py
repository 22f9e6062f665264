"""Member cards with PINs, supporters, and pending transfers (two-phase exchanges).

A pending transfer moves no hours. It ends exactly once (posted, voided or expired), and the
database refuses to change its terms, to reopen it, or to delete it.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('member_cards',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('pin_hash', sa.String(length=200), nullable=True),
    sa.Column('issued_at', sa.DateTime(), nullable=False),
    sa.Column('issued_by_id', sa.Integer(), nullable=True),
    sa.Column('revoked_at', sa.DateTime(), nullable=True),
    sa.Column('failed_pin_attempts', sa.Integer(), nullable=False),
    sa.Column('locked_until', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['issued_by_id'], ['users.id'], name=op.f('fk_member_cards_issued_by_id_users')),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_member_cards_member_id_members')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_member_cards')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_member_cards_token_hash'))
    )
    with op.batch_alter_table('member_cards', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_member_cards_member_id'), ['member_id'], unique=False)

    op.create_table('member_supporters',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('supporter_member_id', sa.Integer(), nullable=True),
    sa.Column('supporter_user_id', sa.Integer(), nullable=True),
    sa.Column('added_at', sa.DateTime(), nullable=False),
    sa.Column('added_by_id', sa.Integer(), nullable=True),
    sa.Column('ended_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint('(supporter_member_id IS NULL) <> (supporter_user_id IS NULL)', name=op.f('ck_member_supporters_one_kind_of_supporter')),
    sa.CheckConstraint('supporter_member_id IS NULL OR supporter_member_id <> member_id', name=op.f('ck_member_supporters_not_self')),
    sa.ForeignKeyConstraint(['added_by_id'], ['users.id'], name=op.f('fk_member_supporters_added_by_id_users')),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_member_supporters_member_id_members')),
    sa.ForeignKeyConstraint(['supporter_member_id'], ['members.id'], name=op.f('fk_member_supporters_supporter_member_id_members')),
    sa.ForeignKeyConstraint(['supporter_user_id'], ['users.id'], name=op.f('fk_member_supporters_supporter_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_member_supporters'))
    )
    with op.batch_alter_table('member_supporters', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_member_supporters_member_id'), ['member_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_member_supporters_supporter_member_id'), ['supporter_member_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_member_supporters_supporter_user_id'), ['supporter_user_id'], unique=False)

    op.create_table('pending_transfers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('bank_id', sa.Integer(), nullable=False),
    sa.Column('unit', sa.Enum('HOURS', 'GBP', name='unit', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('kind', sa.Enum('exchange', 'group_exchange', 'pot_credit', 'gift', 'welcome_credit', 'opening_balance', 'reversal', 'grant_award', 'grant_spend', 'grant_return', name='transfer_kind', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('from_account_id', sa.Integer(), nullable=False),
    sa.Column('to_account_id', sa.Integer(), nullable=False),
    sa.Column('amount', sa.Integer(), nullable=False),
    sa.Column('given_on', sa.Date(), nullable=False),
    sa.Column('skill_id', sa.Integer(), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('outcome_areas', sa.JSON(), nullable=False),
    sa.Column('idempotency_key', sa.String(length=100), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('created_by_member_id', sa.Integer(), nullable=True),
    sa.Column('created_by_user_id', sa.Integer(), nullable=True),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.Column('status', sa.Enum('pending', 'posted', 'voided', 'expired', name='pending_status', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('resolved_at', sa.DateTime(), nullable=True),
    sa.Column('resolved_by_member_id', sa.Integer(), nullable=True),
    sa.Column('resolved_by_user_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('transfer_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("(status = 'pending' AND resolved_at IS NULL) OR (status <> 'pending' AND resolved_at IS NOT NULL)", name=op.f('ck_pending_transfers_resolved_when_ended')),
    sa.CheckConstraint("(status = 'posted' AND transfer_id IS NOT NULL) OR (status <> 'posted' AND transfer_id IS NULL)", name=op.f('ck_pending_transfers_posted_has_transfer')),
    sa.CheckConstraint('amount > 0', name=op.f('ck_pending_transfers_amount_positive')),
    sa.CheckConstraint('from_account_id <> to_account_id', name=op.f('ck_pending_transfers_two_accounts')),
    sa.ForeignKeyConstraint(['bank_id'], ['banks.id'], name=op.f('fk_pending_transfers_bank_id_banks')),
    sa.ForeignKeyConstraint(['created_by_member_id'], ['members.id'], name=op.f('fk_pending_transfers_created_by_member_id_members')),
    sa.ForeignKeyConstraint(['created_by_user_id'], ['users.id'], name=op.f('fk_pending_transfers_created_by_user_id_users')),
    sa.ForeignKeyConstraint(['from_account_id', 'bank_id', 'unit'], ['accounts.id', 'accounts.bank_id', 'accounts.unit'], name='fk_pending_transfers_from_same_bank_unit'),
    sa.ForeignKeyConstraint(['resolved_by_member_id'], ['members.id'], name=op.f('fk_pending_transfers_resolved_by_member_id_members')),
    sa.ForeignKeyConstraint(['resolved_by_user_id'], ['users.id'], name=op.f('fk_pending_transfers_resolved_by_user_id_users')),
    sa.ForeignKeyConstraint(['skill_id'], ['skills.id'], name=op.f('fk_pending_transfers_skill_id_skills')),
    sa.ForeignKeyConstraint(['to_account_id', 'bank_id', 'unit'], ['accounts.id', 'accounts.bank_id', 'accounts.unit'], name='fk_pending_transfers_to_same_bank_unit'),
    sa.ForeignKeyConstraint(['transfer_id'], ['transfers.id'], name=op.f('fk_pending_transfers_transfer_id_transfers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pending_transfers')),
    sa.UniqueConstraint('bank_id', 'idempotency_key', name=op.f('uq_pending_transfers_bank_id_idempotency_key')),
    sa.UniqueConstraint('transfer_id', name=op.f('uq_pending_transfers_transfer_id'))
    )
    with op.batch_alter_table('pending_transfers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pending_transfers_bank_id'), ['bank_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_pending_transfers_expires_at'), ['expires_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_pending_transfers_from_account_id'), ['from_account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_pending_transfers_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_pending_transfers_to_account_id'), ['to_account_id'], unique=False)

    create_guards()


def downgrade() -> None:
    drop_guards()
    with op.batch_alter_table('pending_transfers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pending_transfers_to_account_id'))
        batch_op.drop_index(batch_op.f('ix_pending_transfers_status'))
        batch_op.drop_index(batch_op.f('ix_pending_transfers_from_account_id'))
        batch_op.drop_index(batch_op.f('ix_pending_transfers_expires_at'))
        batch_op.drop_index(batch_op.f('ix_pending_transfers_bank_id'))

    op.drop_table('pending_transfers')
    with op.batch_alter_table('member_supporters', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_member_supporters_supporter_user_id'))
        batch_op.drop_index(batch_op.f('ix_member_supporters_supporter_member_id'))
        batch_op.drop_index(batch_op.f('ix_member_supporters_member_id'))

    op.drop_table('member_supporters')
    with op.batch_alter_table('member_cards', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_member_cards_member_id'))

    op.drop_table('member_cards')


TERMS = ("amount", "from_account_id", "to_account_id", "bank_id", "unit", "kind", "given_on")
#: Once a pending transfer has ended, how it ended is fixed too (its note may still be redacted).
ENDING = ("status", "transfer_id", "resolved_at", "resolved_by_member_id", "resolved_by_user_id")

SQLITE_GUARDS = [
    f"""CREATE TRIGGER pending_transfers_end_once BEFORE UPDATE ON pending_transfers
    WHEN OLD.status <> 'pending' AND ({" OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in ENDING)})
    BEGIN SELECT RAISE(ABORT, 'ledger_immutable: a pending transfer ends only once'); END""",
    f"""CREATE TRIGGER pending_transfers_terms_fixed BEFORE UPDATE ON pending_transfers
    WHEN {" OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in TERMS)}
    BEGIN SELECT RAISE(ABORT, 'ledger_immutable: the terms of a pending transfer never change');
    END""",
    """CREATE TRIGGER pending_transfers_never_deleted BEFORE DELETE ON pending_transfers
    BEGIN SELECT RAISE(ABORT, 'ledger_immutable: pending transfers are never deleted'); END""",
]

POSTGRESQL_GUARDS = [
    f"""CREATE FUNCTION ledger_guard_pending() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'ledger_immutable: pending transfers are never deleted'
          USING ERRCODE = 'integrity_constraint_violation';
      END IF;
      IF OLD.status <> 'pending' AND ({", ".join(f"NEW.{c}" for c in ENDING)})
          IS DISTINCT FROM ({", ".join(f"OLD.{c}" for c in ENDING)}) THEN
        RAISE EXCEPTION 'ledger_immutable: a pending transfer ends only once'
          USING ERRCODE = 'integrity_constraint_violation';
      END IF;
      IF ({", ".join(f"NEW.{c}" for c in TERMS)}) IS DISTINCT FROM ({", ".join(f"OLD.{c}" for c in TERMS)}) THEN
        RAISE EXCEPTION 'ledger_immutable: the terms of a pending transfer never change'
          USING ERRCODE = 'integrity_constraint_violation';
      END IF;
      RETURN NEW;
    END $$""",
    """CREATE TRIGGER pending_transfers_guarded BEFORE UPDATE OR DELETE ON pending_transfers
    FOR EACH ROW EXECUTE FUNCTION ledger_guard_pending()""",
]


def create_guards() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    for statement in POSTGRESQL_GUARDS if postgresql else SQLITE_GUARDS:
        op.execute(statement)


def drop_guards() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS pending_transfers_guarded ON pending_transfers")
        op.execute("DROP FUNCTION IF EXISTS ledger_guard_pending()")
    else:
        for name in ("end_once", "terms_fixed", "never_deleted"):
            op.execute(f"DROP TRIGGER IF EXISTS pending_transfers_{name}")
