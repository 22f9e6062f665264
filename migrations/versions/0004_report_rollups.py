"""Monthly roll-ups of the books for reports, kept by triggers, and an index for part months.

Additive only: two new tables, filled from the books as they stand and then kept by triggers on
entry and outcome insert; one new index on transfers. No existing table is altered or rebuilt.
See ``timebank/ledger/rollups.py`` for what the rows mean and ``docs/performance.md`` for why.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

HELP = "('exchange', 'group_exchange', 'pot_credit')"


def upgrade() -> None:
    op.create_table(
        "report_account_months",
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("bank_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=True),
        sa.Column("in_minutes", sa.Integer(), nullable=False),
        sa.Column("out_minutes", sa.Integer(), nullable=False),
        sa.Column("in_count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "account_id", "month", "kind", name=op.f("pk_report_account_months")
        ),
    )
    op.create_index(
        "ix_report_account_months_bank_month", "report_account_months", ["bank_id", "month"]
    )
    op.create_table(
        "report_outcome_months",
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("area", sa.String(length=24), nullable=False),
        sa.Column("bank_id", sa.Integer(), nullable=False),
        sa.Column("exchanges", sa.Integer(), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "account_id", "month", "area", name=op.f("pk_report_outcome_months")
        ),
    )
    op.create_index(
        "ix_report_outcome_months_bank_month", "report_outcome_months", ["bank_id", "month"]
    )
    op.create_index("ix_transfers_bank_id_given_on", "transfers", ["bank_id", "given_on"])

    postgresql = op.get_bind().dialect.name == "postgresql"
    month = (
        "date_trunc('month', t.given_on)::date"
        if postgresql
        else "date(t.given_on, 'start of month')"
    )
    # what the triggers would have written had they always been there, as corrected
    op.execute(
        f"""INSERT INTO report_account_months
        (account_id, month, kind, bank_id, member_id, in_minutes, out_minutes, in_count)
        SELECT e.account_id, {month}, t.kind, e.bank_id, MIN(a.member_id),
               SUM(CASE WHEN e.amount > 0 THEN e.amount ELSE 0 END),
               SUM(CASE WHEN e.amount < 0 THEN -e.amount ELSE 0 END),
               SUM(CASE WHEN e.amount > 0 THEN 1 ELSE 0 END)
        FROM entries e
        JOIN transfers t ON t.id = e.transfer_id
        JOIN accounts a ON a.id = e.account_id
        WHERE e.unit = 'HOURS' AND t.reverses_id IS NULL
          AND NOT EXISTS (SELECT 1 FROM transfers r WHERE r.reverses_id = t.id)
        GROUP BY e.account_id, {month}, t.kind, e.bank_id"""
    )
    op.execute(
        f"""INSERT INTO report_outcome_months
        (account_id, month, area, bank_id, exchanges, minutes)
        SELECT e.account_id, {month}, o.area, e.bank_id, COUNT(*), SUM(t.amount)
        FROM transfer_outcomes o
        JOIN transfers t ON t.id = o.transfer_id
        JOIN entries e ON e.transfer_id = t.id AND e.amount > 0
        WHERE t.unit = 'HOURS' AND t.kind IN {HELP}
          AND NOT EXISTS (SELECT 1 FROM transfers r WHERE r.reverses_id = t.id)
        GROUP BY e.account_id, {month}, o.area, e.bank_id"""
    )
    for statement in POSTGRESQL_TRIGGERS if postgresql else SQLITE_TRIGGERS:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        statements = POSTGRESQL_DROPS
    else:
        statements = [f"DROP TRIGGER IF EXISTS {name}" for name in SQLITE_TRIGGER_NAMES]
    for statement in statements:
        op.execute(statement)
    op.drop_index("ix_transfers_bank_id_given_on", table_name="transfers")
    op.drop_index("ix_report_outcome_months_bank_month", table_name="report_outcome_months")
    op.drop_table("report_outcome_months")
    op.drop_index("ix_report_account_months_bank_month", table_name="report_account_months")
    op.drop_table("report_account_months")


# An entry of hours counts for its own transfer, or, when that transfer is a reversal, against
# the transfer it reverses: sign -1, in the original's month and kind, with the amount the
# original had on this account (the reversal's mirrored). Rows are keyed by account, which every
# posting has locked already.

POSTGRESQL_TRIGGERS = [
    f"""CREATE FUNCTION report_roll_entry() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
      counted transfers%ROWTYPE;
      v_sign integer := 1;
      v_amount integer := NEW.amount;
      v_month date;
    BEGIN
      SELECT * INTO counted FROM transfers WHERE id = NEW.transfer_id;
      IF counted.reverses_id IS NOT NULL THEN
        SELECT * INTO counted FROM transfers WHERE id = counted.reverses_id;
        v_sign := -1;
        v_amount := -NEW.amount;
      END IF;
      v_month := date_trunc('month', counted.given_on)::date;
      INSERT INTO report_account_months AS r
        (account_id, month, kind, bank_id, member_id, in_minutes, out_minutes, in_count)
      SELECT NEW.account_id, v_month, counted.kind, NEW.bank_id, a.member_id,
             v_sign * GREATEST(v_amount, 0), v_sign * GREATEST(-v_amount, 0),
             CASE WHEN v_amount > 0 THEN v_sign ELSE 0 END
      FROM accounts a WHERE a.id = NEW.account_id
      ON CONFLICT (account_id, month, kind) DO UPDATE SET
        in_minutes = r.in_minutes + EXCLUDED.in_minutes,
        out_minutes = r.out_minutes + EXCLUDED.out_minutes,
        in_count = r.in_count + EXCLUDED.in_count;
      IF v_amount > 0 AND counted.kind IN {HELP} THEN
        INSERT INTO report_outcome_months AS r
          (account_id, month, area, bank_id, exchanges, minutes)
        SELECT NEW.account_id, v_month, o.area, NEW.bank_id, v_sign, v_sign * counted.amount
        FROM transfer_outcomes o WHERE o.transfer_id = counted.id
        ON CONFLICT (account_id, month, area) DO UPDATE SET
          exchanges = r.exchanges + EXCLUDED.exchanges,
          minutes = r.minutes + EXCLUDED.minutes;
      END IF;
      RETURN NULL;
    END $$""",
    """CREATE TRIGGER entries_roll_up AFTER INSERT ON entries
    FOR EACH ROW WHEN (NEW.unit = 'HOURS') EXECUTE FUNCTION report_roll_entry()""",
    # an outcome written after its transfer's entries (the ORM may flush either first) counts
    # here; one written before them is counted by the entry's trigger above
    f"""CREATE FUNCTION report_roll_outcome() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
      counted transfers%ROWTYPE;
      earner integer;
    BEGIN
      SELECT * INTO counted FROM transfers WHERE id = NEW.transfer_id;
      IF counted.unit <> 'HOURS' OR counted.kind NOT IN {HELP} THEN
        RETURN NULL;
      END IF;
      SELECT account_id INTO earner FROM entries
        WHERE transfer_id = counted.id AND amount > 0 ORDER BY id LIMIT 1;
      IF earner IS NULL
         OR EXISTS (SELECT 1 FROM transfers WHERE reverses_id = counted.id) THEN
        RETURN NULL;
      END IF;
      INSERT INTO report_outcome_months AS r
        (account_id, month, area, bank_id, exchanges, minutes)
      VALUES (earner, date_trunc('month', counted.given_on)::date, NEW.area, counted.bank_id,
              1, counted.amount)
      ON CONFLICT (account_id, month, area) DO UPDATE SET
        exchanges = r.exchanges + EXCLUDED.exchanges,
        minutes = r.minutes + EXCLUDED.minutes;
      RETURN NULL;
    END $$""",
    """CREATE TRIGGER transfer_outcomes_roll_up AFTER INSERT ON transfer_outcomes
    FOR EACH ROW EXECUTE FUNCTION report_roll_outcome()""",
]

POSTGRESQL_DROPS = [
    "DROP TRIGGER IF EXISTS transfer_outcomes_roll_up ON transfer_outcomes",
    "DROP TRIGGER IF EXISTS entries_roll_up ON entries",
    "DROP FUNCTION IF EXISTS report_roll_outcome()",
    "DROP FUNCTION IF EXISTS report_roll_entry()",
]

# SQLite has no variables in triggers: `counted` is a one-row subquery giving the transfer the
# entry counts for, its sign and the amount as the original had it.
_COUNTED = """(SELECT o.id AS id, o.kind AS kind, o.amount AS transfer_amount,
               date(o.given_on, 'start of month') AS month,
               CASE WHEN t.reverses_id IS NULL THEN 1 ELSE -1 END AS sign,
               CASE WHEN t.reverses_id IS NULL THEN NEW.amount ELSE -NEW.amount END AS amount
        FROM transfers t JOIN transfers o ON o.id = COALESCE(t.reverses_id, t.id)
        WHERE t.id = NEW.transfer_id)"""

SQLITE_TRIGGERS = [
    f"""CREATE TRIGGER entries_roll_up AFTER INSERT ON entries
    WHEN NEW.unit = 'HOURS'
    BEGIN
      INSERT INTO report_account_months
        (account_id, month, kind, bank_id, member_id, in_minutes, out_minutes, in_count)
      SELECT NEW.account_id, c.month, c.kind, NEW.bank_id, a.member_id,
             c.sign * max(c.amount, 0), c.sign * max(-c.amount, 0),
             CASE WHEN c.amount > 0 THEN c.sign ELSE 0 END
      FROM {_COUNTED} c JOIN accounts a ON a.id = NEW.account_id
      WHERE true
      ON CONFLICT (account_id, month, kind) DO UPDATE SET
        in_minutes = in_minutes + excluded.in_minutes,
        out_minutes = out_minutes + excluded.out_minutes,
        in_count = in_count + excluded.in_count;
      INSERT INTO report_outcome_months (account_id, month, area, bank_id, exchanges, minutes)
      SELECT NEW.account_id, c.month, o.area, NEW.bank_id, c.sign, c.sign * c.transfer_amount
      FROM {_COUNTED} c JOIN transfer_outcomes o ON o.transfer_id = c.id
      WHERE c.amount > 0 AND c.kind IN {HELP}
      ON CONFLICT (account_id, month, area) DO UPDATE SET
        exchanges = exchanges + excluded.exchanges,
        minutes = minutes + excluded.minutes;
    END""",
    f"""CREATE TRIGGER transfer_outcomes_roll_up AFTER INSERT ON transfer_outcomes
    BEGIN
      INSERT INTO report_outcome_months (account_id, month, area, bank_id, exchanges, minutes)
      SELECT e.account_id, date(t.given_on, 'start of month'), NEW.area, t.bank_id, 1, t.amount
      FROM transfers t
      JOIN entries e ON e.id = (
        SELECT id FROM entries WHERE transfer_id = t.id AND amount > 0 ORDER BY id LIMIT 1)
      WHERE t.id = NEW.transfer_id AND t.unit = 'HOURS' AND t.kind IN {HELP}
        AND NOT EXISTS (SELECT 1 FROM transfers r WHERE r.reverses_id = t.id)
      ON CONFLICT (account_id, month, area) DO UPDATE SET
        exchanges = exchanges + excluded.exchanges,
        minutes = minutes + excluded.minutes;
    END""",
]

SQLITE_TRIGGER_NAMES = ["entries_roll_up", "transfer_outcomes_roll_up"]
