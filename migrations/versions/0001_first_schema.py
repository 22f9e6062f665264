"""The first schema: programmes, banks, members and their skills and monitoring, users,
the audit trail, imports, and the ledger with the database's guards over the books.

The ledger's rules are enforced here by the database itself, on SQLite and PostgreSQL:
transfers and entries can never be updated or deleted, balances are kept by a trigger on entry
insert, entries can't land on a closed account, a reversal can't be reversed, and (PostgreSQL)
a deferred constraint trigger refuses at commit a transfer whose entries don't sum to zero.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('programmes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('funder', sa.String(length=200), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=True),
    sa.Column('ends_on', sa.Date(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_programmes'))
    )
    op.create_table('banks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('programme_id', sa.Integer(), nullable=True),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('focus', sa.Text(), nullable=False),
    sa.Column('target_groups', sa.JSON(), nullable=False),
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.Column('floor_minutes', sa.Integer(), nullable=False),
    sa.Column('welcome_minutes', sa.Integer(), nullable=False),
    sa.Column('help_phone', sa.String(length=40), nullable=False),
    sa.Column('default_locale', sa.String(length=16), nullable=False),
    sa.Column('next_member_number', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('floor_minutes <= 0', name=op.f('ck_banks_floor_not_positive')),
    sa.CheckConstraint('next_member_number >= 1', name=op.f('ck_banks_member_number_positive')),
    sa.CheckConstraint('welcome_minutes >= 0', name=op.f('ck_banks_welcome_not_negative')),
    sa.ForeignKeyConstraint(['programme_id'], ['programmes.id'], name=op.f('fk_banks_programme_id_programmes')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_banks'))
    )
    with op.batch_alter_table('banks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_banks_programme_id'), ['programme_id'], unique=False)

    op.create_table('members',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('bank_id', sa.Integer(), nullable=False),
    sa.Column('member_number', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('person', 'group', 'organisation', name='member_kind', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('full_name', sa.String(length=200), nullable=False),
    sa.Column('display_name', sa.String(length=100), nullable=False),
    sa.Column('status', sa.Enum('active', 'paused', 'left', name='member_status', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('joined_on', sa.Date(), nullable=False),
    sa.Column('left_on', sa.Date(), nullable=True),
    sa.Column('phone', sa.String(length=40), nullable=False),
    sa.Column('area', sa.String(length=8), nullable=False),
    sa.Column('birth_year', sa.Integer(), nullable=True),
    sa.Column('preferred_locale', sa.String(length=16), nullable=False),
    sa.Column('contact_method', sa.Enum('phone', 'text', 'letter', 'carer', name='contact_method', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('needs_large_print', sa.Boolean(), nullable=False),
    sa.Column('needs_interpreter', sa.Boolean(), nullable=False),
    sa.Column('needs_hearing_support', sa.Boolean(), nullable=False),
    sa.Column('supporter_name', sa.String(length=200), nullable=False),
    sa.Column('supporter_phone', sa.String(length=40), nullable=False),
    sa.Column('supporter_relationship', sa.String(length=100), nullable=False),
    sa.Column('consent_on', sa.Date(), nullable=True),
    sa.Column('consent_wording', sa.Text(), nullable=False),
    sa.Column('visits_homes', sa.Boolean(), nullable=False),
    sa.Column('reference_check', sa.Enum('not_started', 'requested', 'clear', name='reference_check', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('dbs_check', sa.Enum('not_started', 'requested', 'clear', name='dbs_check', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('dbs_expires_on', sa.Date(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('birth_year IS NULL OR (birth_year >= 1900 AND birth_year <= 2100)', name=op.f('ck_members_birth_year_plausible')),
    sa.ForeignKeyConstraint(['bank_id'], ['banks.id'], name=op.f('fk_members_bank_id_banks')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_members')),
    sa.UniqueConstraint('bank_id', 'member_number', name=op.f('uq_members_bank_id_member_number'))
    )
    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_members_area'), ['area'], unique=False)
        batch_op.create_index(batch_op.f('ix_members_bank_id'), ['bank_id'], unique=False)

    op.create_table('skills',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('bank_id', sa.Integer(), nullable=True),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.ForeignKeyConstraint(['bank_id'], ['banks.id'], name=op.f('fk_skills_bank_id_banks')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_skills')),
    sa.UniqueConstraint('bank_id', 'code', name=op.f('uq_skills_bank_id_code'))
    )
    with op.batch_alter_table('skills', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_skills_bank_id'), ['bank_id'], unique=False)

    op.create_table('accounts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('bank_id', sa.Integer(), nullable=False),
    sa.Column('unit', sa.Enum('HOURS', 'GBP', name='unit', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('kind', sa.Enum('member', 'pot', 'funder', 'grant', 'budget_line', name='account_kind', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=True),
    sa.Column('label', sa.String(length=100), nullable=False),
    sa.Column('balance', sa.Integer(), nullable=False),
    sa.Column('floor', sa.Integer(), nullable=True),
    sa.Column('ceiling', sa.Integer(), nullable=True),
    sa.Column('status', sa.Enum('open', 'closed', name='account_status', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("(kind = 'member' AND member_id IS NOT NULL) OR (kind <> 'member' AND member_id IS NULL)", name=op.f('ck_accounts_member_accounts_have_member')),
    sa.CheckConstraint("status <> 'closed' OR balance = 0", name=op.f('ck_accounts_closed_only_when_empty')),
    sa.CheckConstraint('ceiling IS NULL OR balance <= ceiling', name=op.f('ck_accounts_within_ceiling')),
    sa.CheckConstraint('floor IS NULL OR balance >= floor', name=op.f('ck_accounts_within_floor')),
    sa.CheckConstraint('floor IS NULL OR ceiling IS NULL OR floor <= ceiling', name=op.f('ck_accounts_floor_below_ceiling')),
    sa.ForeignKeyConstraint(['bank_id'], ['banks.id'], name=op.f('fk_accounts_bank_id_banks')),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_accounts_member_id_members')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_accounts')),
    sa.UniqueConstraint('id', 'bank_id', 'unit', name='uq_accounts_id_bank_unit'),
    sa.UniqueConstraint('member_id', 'unit', name=op.f('uq_accounts_member_id_unit'))
    )
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_accounts_bank_id'), ['bank_id'], unique=False)

    op.create_table('member_skills',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('skill_id', sa.Integer(), nullable=False),
    sa.Column('direction', sa.Enum('offer', 'request', name='direction', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('status', sa.Enum('open', 'paused', 'done', name='member_skill_status', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_member_skills_member_id_members')),
    sa.ForeignKeyConstraint(['skill_id'], ['skills.id'], name=op.f('fk_member_skills_skill_id_skills')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_member_skills'))
    )
    with op.batch_alter_table('member_skills', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_member_skills_member_id'), ['member_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_member_skills_skill_id'), ['skill_id'], unique=False)

    op.create_table('monitoring',
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('consent_on', sa.Date(), nullable=True),
    sa.Column('age_band', sa.Enum('under_50', '50_64', '65_74', '75_84', '85_plus', 'prefer_not', name='age_band', native_enum=False, create_constraint=True, length=24), nullable=True),
    sa.Column('gender', sa.Enum('woman', 'man', 'non_binary', 'self_described', 'prefer_not', name='gender', native_enum=False, create_constraint=True, length=24), nullable=True),
    sa.Column('ethnicity', sa.Enum('asian_indian', 'asian_pakistani', 'asian_bangladeshi', 'asian_chinese', 'asian_other', 'black_african', 'black_caribbean', 'black_other', 'mixed_white_asian', 'mixed_white_black_african', 'mixed_white_black_caribbean', 'mixed_other', 'white_british', 'white_irish', 'white_gypsy_traveller', 'white_roma', 'white_other', 'other_arab', 'other_any', 'prefer_not', name='ethnicity', native_enum=False, create_constraint=True), nullable=True),
    sa.Column('sexual_orientation', sa.Enum('straight', 'gay_lesbian', 'bisexual', 'other', 'prefer_not', name='sexual_orientation', native_enum=False, create_constraint=True, length=24), nullable=True),
    sa.Column('carer', sa.Enum('yes', 'no', 'prefer_not', name='carer', native_enum=False, create_constraint=True, length=24), nullable=True),
    sa.Column('bereaved', sa.Enum('yes', 'no', 'prefer_not', name='bereaved', native_enum=False, create_constraint=True, length=24), nullable=True),
    sa.Column('dementia', sa.Enum('yes', 'no', 'prefer_not', name='dementia', native_enum=False, create_constraint=True, length=24), nullable=True),
    sa.Column('lives_alone', sa.Enum('yes', 'no', 'prefer_not', name='lives_alone', native_enum=False, create_constraint=True, length=24), nullable=True),
    sa.Column('disability', sa.Enum('yes', 'no', 'prefer_not', name='disability', native_enum=False, create_constraint=True, length=24), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_monitoring_member_id_members')),
    sa.PrimaryKeyConstraint('member_id', name=op.f('pk_monitoring'))
    )
    op.create_table('users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('display_name', sa.String(length=100), nullable=False),
    sa.Column('role', sa.Enum('admin', 'coordinator', 'funder', 'member', name='role', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('password_hash', sa.String(length=200), nullable=True),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('programme_id', sa.Integer(), nullable=True),
    sa.Column('member_id', sa.Integer(), nullable=True),
    sa.Column('last_signed_in_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_users_member_id_members')),
    sa.ForeignKeyConstraint(['programme_id'], ['programmes.id'], name=op.f('fk_users_programme_id_programmes')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('email', name=op.f('uq_users_email'))
    )
    op.create_table('audit_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('bank_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=60), nullable=False),
    sa.Column('subject', sa.String(length=60), nullable=False),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['bank_id'], ['banks.id'], name=op.f('fk_audit_events_bank_id_banks')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_audit_events_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_events'))
    )
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_events_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_events_bank_id'), ['bank_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_events_user_id'), ['user_id'], unique=False)

    op.create_table('import_batches',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('bank_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.Enum('members', 'exchanges', name='import_kind', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('content', sa.Text(), nullable=False),
    sa.Column('status', sa.Enum('previewed', 'importing', 'done', 'failed', name='import_status', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('total_rows', sa.Integer(), nullable=False),
    sa.Column('valid_rows', sa.Integer(), nullable=False),
    sa.Column('imported_rows', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['bank_id'], ['banks.id'], name=op.f('fk_import_batches_bank_id_banks')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_import_batches_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_import_batches'))
    )
    with op.batch_alter_table('import_batches', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_import_batches_bank_id'), ['bank_id'], unique=False)

    op.create_table('password_resets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.Column('used_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_password_resets_created_by_id_users')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_password_resets_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_password_resets')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_password_resets_token_hash'))
    )
    with op.batch_alter_table('password_resets', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_password_resets_user_id'), ['user_id'], unique=False)

    op.create_table('transfers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('bank_id', sa.Integer(), nullable=False),
    sa.Column('unit', sa.Enum('HOURS', 'GBP', name='unit', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('kind', sa.Enum('exchange', 'group_exchange', 'pot_credit', 'gift', 'welcome_credit', 'opening_balance', 'reversal', 'grant_award', 'grant_spend', 'grant_return', name='transfer_kind', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('amount', sa.Integer(), nullable=False),
    sa.Column('given_on', sa.Date(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('skill_id', sa.Integer(), nullable=True),
    sa.Column('idempotency_key', sa.String(length=100), nullable=True),
    sa.Column('fingerprint', sa.String(length=64), nullable=True),
    sa.Column('reverses_id', sa.Integer(), nullable=True),
    sa.Column('batch', sa.String(length=32), nullable=True),
    sa.CheckConstraint("(kind = 'reversal' AND reverses_id IS NOT NULL) OR (kind <> 'reversal' AND reverses_id IS NULL)", name=op.f('ck_transfers_reversal_has_original')),
    sa.CheckConstraint('(idempotency_key IS NULL AND fingerprint IS NULL) OR (idempotency_key IS NOT NULL AND fingerprint IS NOT NULL)', name=op.f('ck_transfers_key_has_fingerprint')),
    sa.CheckConstraint('amount > 0', name=op.f('ck_transfers_amount_positive')),
    sa.ForeignKeyConstraint(['bank_id'], ['banks.id'], name=op.f('fk_transfers_bank_id_banks')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_transfers_recorded_by_id_users')),
    sa.ForeignKeyConstraint(['reverses_id', 'bank_id', 'unit'], ['transfers.id', 'transfers.bank_id', 'transfers.unit'], name='fk_transfers_reverses_same_bank_unit'),
    sa.ForeignKeyConstraint(['skill_id'], ['skills.id'], name=op.f('fk_transfers_skill_id_skills')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_transfers')),
    sa.UniqueConstraint('bank_id', 'idempotency_key', name=op.f('uq_transfers_bank_id_idempotency_key')),
    sa.UniqueConstraint('id', 'bank_id', 'unit', name='uq_transfers_id_bank_unit'),
    sa.UniqueConstraint('reverses_id', name=op.f('uq_transfers_reverses_id'))
    )
    with op.batch_alter_table('transfers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_transfers_bank_id'), ['bank_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_transfers_batch'), ['batch'], unique=False)
        batch_op.create_index(batch_op.f('ix_transfers_given_on'), ['given_on'], unique=False)

    op.create_table('user_banks',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('bank_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['bank_id'], ['banks.id'], name=op.f('fk_user_banks_bank_id_banks')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_user_banks_user_id_users')),
    sa.PrimaryKeyConstraint('user_id', 'bank_id', name=op.f('pk_user_banks'))
    )
    op.create_table('entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('transfer_id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('bank_id', sa.Integer(), nullable=False),
    sa.Column('unit', sa.Enum('HOURS', 'GBP', name='unit', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('amount', sa.Integer(), nullable=False),
    sa.CheckConstraint('amount <> 0', name=op.f('ck_entries_amount_not_zero')),
    sa.ForeignKeyConstraint(['account_id', 'bank_id', 'unit'], ['accounts.id', 'accounts.bank_id', 'accounts.unit'], name='fk_entries_account_same_bank_unit'),
    sa.ForeignKeyConstraint(['transfer_id', 'bank_id', 'unit'], ['transfers.id', 'transfers.bank_id', 'transfers.unit'], name='fk_entries_transfer_same_bank_unit'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_entries')),
    sa.UniqueConstraint('transfer_id', 'account_id', name=op.f('uq_entries_transfer_id_account_id'))
    )
    with op.batch_alter_table('entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_entries_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_entries_transfer_id'), ['transfer_id'], unique=False)

    op.create_table('transfer_answers',
    sa.Column('transfer_id', sa.Integer(), nullable=False),
    sa.Column('member_skill_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['member_skill_id'], ['member_skills.id'], name=op.f('fk_transfer_answers_member_skill_id_member_skills')),
    sa.ForeignKeyConstraint(['transfer_id'], ['transfers.id'], name=op.f('fk_transfer_answers_transfer_id_transfers')),
    sa.PrimaryKeyConstraint('transfer_id', name=op.f('pk_transfer_answers'))
    )
    with op.batch_alter_table('transfer_answers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_transfer_answers_member_skill_id'), ['member_skill_id'], unique=False)

    op.create_table('transfer_notes',
    sa.Column('transfer_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('redacted_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['transfer_id'], ['transfers.id'], name=op.f('fk_transfer_notes_transfer_id_transfers')),
    sa.PrimaryKeyConstraint('transfer_id', name=op.f('pk_transfer_notes'))
    )
    op.create_table('transfer_outcomes',
    sa.Column('transfer_id', sa.Integer(), nullable=False),
    sa.Column('area', sa.Enum('housing', 'social', 'contribution', 'safety', 'discrimination', 'finances', 'health', 'dignity', name='outcome_area', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.ForeignKeyConstraint(['transfer_id'], ['transfers.id'], name=op.f('fk_transfer_outcomes_transfer_id_transfers')),
    sa.PrimaryKeyConstraint('transfer_id', 'area', name=op.f('pk_transfer_outcomes'))
    )
    create_guards()


def downgrade() -> None:
    drop_guards()
    op.drop_table('transfer_outcomes')
    op.drop_table('transfer_notes')
    with op.batch_alter_table('transfer_answers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_transfer_answers_member_skill_id'))

    op.drop_table('transfer_answers')
    with op.batch_alter_table('entries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_entries_transfer_id'))
        batch_op.drop_index(batch_op.f('ix_entries_account_id'))

    op.drop_table('entries')
    op.drop_table('user_banks')
    with op.batch_alter_table('transfers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_transfers_given_on'))
        batch_op.drop_index(batch_op.f('ix_transfers_batch'))
        batch_op.drop_index(batch_op.f('ix_transfers_bank_id'))

    op.drop_table('transfers')
    with op.batch_alter_table('password_resets', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_password_resets_user_id'))

    op.drop_table('password_resets')
    with op.batch_alter_table('import_batches', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_import_batches_bank_id'))

    op.drop_table('import_batches')
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_events_user_id'))
        batch_op.drop_index(batch_op.f('ix_audit_events_bank_id'))
        batch_op.drop_index(batch_op.f('ix_audit_events_at'))

    op.drop_table('audit_events')
    op.drop_table('users')
    op.drop_table('monitoring')
    with op.batch_alter_table('member_skills', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_member_skills_skill_id'))
        batch_op.drop_index(batch_op.f('ix_member_skills_member_id'))

    op.drop_table('member_skills')
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_accounts_bank_id'))

    op.drop_table('accounts')
    with op.batch_alter_table('skills', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_skills_bank_id'))

    op.drop_table('skills')
    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_members_bank_id'))
        batch_op.drop_index(batch_op.f('ix_members_area'))

    op.drop_table('members')
    with op.batch_alter_table('banks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_banks_programme_id'))

    op.drop_table('banks')
    op.drop_table('programmes')


# -- the database's guards over the books ---------------------------------------------------------

SQLITE_GUARDS = [
    # posted rows are never changed: corrections are reversing transfers
    """CREATE TRIGGER transfers_never_updated BEFORE UPDATE ON transfers
    BEGIN SELECT RAISE(ABORT, 'ledger_immutable: transfers are never updated; post a reversal'); END""",
    """CREATE TRIGGER transfers_never_deleted BEFORE DELETE ON transfers
    BEGIN SELECT RAISE(ABORT, 'ledger_immutable: transfers are never deleted; post a reversal'); END""",
    """CREATE TRIGGER entries_never_updated BEFORE UPDATE ON entries
    BEGIN SELECT RAISE(ABORT, 'ledger_immutable: entries are never updated; post a reversal'); END""",
    """CREATE TRIGGER entries_never_deleted BEFORE DELETE ON entries
    BEGIN SELECT RAISE(ABORT, 'ledger_immutable: entries are never deleted; post a reversal'); END""",
    # a closed account takes nothing more
    """CREATE TRIGGER entries_not_on_closed_account BEFORE INSERT ON entries
    WHEN (SELECT status FROM accounts WHERE id = NEW.account_id) = 'closed'
    BEGIN SELECT RAISE(ABORT, 'account_closed: the account is closed'); END""",
    # the cached balance moves with every entry, in the same statement; the accounts' CHECKs
    # then refuse a balance beyond its floor or ceiling
    """CREATE TRIGGER entries_move_balance AFTER INSERT ON entries
    BEGIN UPDATE accounts SET balance = balance + NEW.amount WHERE id = NEW.account_id; END""",
    # outcome areas, answered requests and the audit trail are append-only too
    """CREATE TRIGGER transfer_outcomes_never_updated BEFORE UPDATE ON transfer_outcomes
    BEGIN SELECT RAISE(ABORT, 'ledger_immutable: transfer_outcomes are never updated'); END""",
    """CREATE TRIGGER transfer_outcomes_never_deleted BEFORE DELETE ON transfer_outcomes
    BEGIN SELECT RAISE(ABORT, 'ledger_immutable: transfer_outcomes are never deleted'); END""",
    """CREATE TRIGGER transfer_answers_never_updated BEFORE UPDATE ON transfer_answers
    BEGIN SELECT RAISE(ABORT, 'ledger_immutable: transfer_answers are never updated'); END""",
    """CREATE TRIGGER transfer_answers_never_deleted BEFORE DELETE ON transfer_answers
    BEGIN SELECT RAISE(ABORT, 'ledger_immutable: transfer_answers are never deleted'); END""",
    """CREATE TRIGGER audit_events_never_updated BEFORE UPDATE ON audit_events
    BEGIN SELECT RAISE(ABORT, 'ledger_immutable: audit_events are never updated'); END""",
    """CREATE TRIGGER audit_events_never_deleted BEFORE DELETE ON audit_events
    BEGIN SELECT RAISE(ABORT, 'ledger_immutable: audit_events are never deleted'); END""",
    """CREATE TRIGGER transfers_reversal_not_reversed BEFORE INSERT ON transfers
    WHEN NEW.reverses_id IS NOT NULL
     AND (SELECT reverses_id FROM transfers WHERE id = NEW.reverses_id) IS NOT NULL
    BEGIN SELECT RAISE(ABORT, 'cannot_reverse_reversal: a reversal cannot be reversed'); END""",
]

SQLITE_TRIGGER_NAMES = [
    "transfers_never_updated",
    "transfers_never_deleted",
    "entries_never_updated",
    "entries_never_deleted",
    "entries_not_on_closed_account",
    "entries_move_balance",
    "transfers_reversal_not_reversed",
    "transfer_outcomes_never_updated",
    "transfer_outcomes_never_deleted",
    "transfer_answers_never_updated",
    "transfer_answers_never_deleted",
    "audit_events_never_updated",
    "audit_events_never_deleted",
]

POSTGRESQL_GUARDS = [
    """CREATE FUNCTION ledger_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      RAISE EXCEPTION 'ledger_immutable: % are never updated or deleted; post a reversal',
        TG_TABLE_NAME USING ERRCODE = 'integrity_constraint_violation';
    END $$""",
    """CREATE TRIGGER transfers_never_changed BEFORE UPDATE OR DELETE ON transfers
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change()""",
    """CREATE TRIGGER transfers_never_truncated BEFORE TRUNCATE ON transfers
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change()""",
    """CREATE TRIGGER entries_never_changed BEFORE UPDATE OR DELETE ON entries
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change()""",
    """CREATE TRIGGER entries_never_truncated BEFORE TRUNCATE ON entries
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change()""",
    """CREATE TRIGGER transfer_outcomes_never_changed BEFORE UPDATE OR DELETE ON transfer_outcomes
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change()""",
    """CREATE TRIGGER transfer_answers_never_changed BEFORE UPDATE OR DELETE ON transfer_answers
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change()""",
    """CREATE TRIGGER audit_events_never_changed BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change()""",
    """CREATE FUNCTION ledger_apply_entry() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF (SELECT status FROM accounts WHERE id = NEW.account_id) = 'closed' THEN
        RAISE EXCEPTION 'account_closed: account % is closed', NEW.account_id
          USING ERRCODE = 'integrity_constraint_violation';
      END IF;
      UPDATE accounts SET balance = balance + NEW.amount WHERE id = NEW.account_id;
      RETURN NEW;
    END $$""",
    """CREATE TRIGGER entries_move_balance AFTER INSERT ON entries
    FOR EACH ROW EXECUTE FUNCTION ledger_apply_entry()""",
    """CREATE FUNCTION ledger_refuse_reversing_reversal() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF NEW.reverses_id IS NOT NULL AND EXISTS (
        SELECT 1 FROM transfers WHERE id = NEW.reverses_id AND reverses_id IS NOT NULL
      ) THEN
        RAISE EXCEPTION 'cannot_reverse_reversal: transfer % is a reversal', NEW.reverses_id
          USING ERRCODE = 'integrity_constraint_violation';
      END IF;
      RETURN NEW;
    END $$""",
    """CREATE TRIGGER transfers_reversal_not_reversed BEFORE INSERT ON transfers
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_reversing_reversal()""",
    # at commit, every transfer touched must have two or more entries summing to zero
    """CREATE FUNCTION ledger_check_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
      checked integer;
      total bigint;
      legs integer;
      moved bigint;
      expected integer;
    BEGIN
      IF TG_TABLE_NAME = 'entries' THEN
        checked := NEW.transfer_id;
      ELSE
        checked := NEW.id;
      END IF;
      SELECT COALESCE(SUM(amount), 0), COUNT(*), COALESCE(SUM(amount) FILTER (WHERE amount > 0), 0)
        INTO total, legs, moved FROM entries WHERE transfer_id = checked;
      SELECT amount INTO expected FROM transfers WHERE id = checked;
      IF legs < 2 OR total <> 0 OR moved <> expected THEN
        RAISE EXCEPTION 'unbalanced: transfer % has % entries summing to % (moving % of %)',
          checked, legs, total, moved, expected USING ERRCODE = 'integrity_constraint_violation';
      END IF;
      RETURN NULL;
    END $$""",
    """CREATE CONSTRAINT TRIGGER entries_balance AFTER INSERT ON entries
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_check_balanced()""",
    """CREATE CONSTRAINT TRIGGER transfers_balance AFTER INSERT ON transfers
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_check_balanced()""",
]

POSTGRESQL_DROPS = [
    "DROP TRIGGER IF EXISTS transfer_outcomes_never_changed ON transfer_outcomes",
    "DROP TRIGGER IF EXISTS transfer_answers_never_changed ON transfer_answers",
    "DROP TRIGGER IF EXISTS audit_events_never_changed ON audit_events",
    "DROP TRIGGER IF EXISTS transfers_balance ON transfers",
    "DROP TRIGGER IF EXISTS entries_balance ON entries",
    "DROP TRIGGER IF EXISTS transfers_reversal_not_reversed ON transfers",
    "DROP TRIGGER IF EXISTS entries_move_balance ON entries",
    "DROP TRIGGER IF EXISTS entries_never_truncated ON entries",
    "DROP TRIGGER IF EXISTS entries_never_changed ON entries",
    "DROP TRIGGER IF EXISTS transfers_never_truncated ON transfers",
    "DROP TRIGGER IF EXISTS transfers_never_changed ON transfers",
    "DROP FUNCTION IF EXISTS ledger_check_balanced()",
    "DROP FUNCTION IF EXISTS ledger_refuse_reversing_reversal()",
    "DROP FUNCTION IF EXISTS ledger_apply_entry()",
    "DROP FUNCTION IF EXISTS ledger_refuse_change()",
]


def create_guards() -> None:
    dialect = op.get_bind().dialect.name
    statements = POSTGRESQL_GUARDS if dialect == "postgresql" else SQLITE_GUARDS
    for statement in statements:
        op.execute(statement)


def drop_guards() -> None:
    if op.get_bind().dialect.name == "postgresql":
        statements = POSTGRESQL_DROPS
    else:
        statements = [f"DROP TRIGGER IF EXISTS {name}" for name in SQLITE_TRIGGER_NAMES]
    for statement in statements:
        op.execute(statement)
