"""Roll-ups for fast reports: per account and month without the kind of transfer, and per
account, day and kind.

Additive only: two new tables, filled from the books as they stand and then kept by a new
trigger on entry insert; no existing table, index or trigger is altered.

- ``report_member_months``: per account and calendar month, every kind together: the help it
  earned and paid for, the exchanges it earned, and the net of every entry. One row per member
  and month, so "active in the month" is a count of rows.
- ``report_account_days``: as ``report_account_months`` (0004), per day: the part months at a
  report's edges, and the days from its end to the end of that month.

Both hold the books as corrected, as 0004's do. See ``timebank/ledger/rollups.py`` for what the
rows mean and ``docs/performance.md`` for why.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

HELP = "('exchange', 'group_exchange', 'pot_credit')"


def upgrade() -> None:
    op.create_table(
        "report_member_months",
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("bank_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=True),
        sa.Column("help_in", sa.Integer(), nullable=False),
        sa.Column("help_out", sa.Integer(), nullable=False),
        sa.Column("help_count", sa.Integer(), nullable=False),
        sa.Column("net", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("account_id", "month", name=op.f("pk_report_member_months")),
    )
    op.create_index(
        "ix_report_member_months_bank_id_month", "report_member_months", ["bank_id", "month"]
    )
    op.create_table(
        "report_account_days",
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("bank_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=True),
        sa.Column("in_minutes", sa.Integer(), nullable=False),
        sa.Column("out_minutes", sa.Integer(), nullable=False),
        sa.Column("in_count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("account_id", "day", "kind", name=op.f("pk_report_account_days")),
    )
    # a few days of every bank (a report's part months), or of one
    op.create_index("ix_report_account_days_day_bank_id", "report_account_days", ["day", "bank_id"])

    postgresql = op.get_bind().dialect.name == "postgresql"
    month = (
        "date_trunc('month', t.given_on)::date"
        if postgresql
        else "date(t.given_on, 'start of month')"
    )
    # what the trigger would have written had it always been there, as corrected
    standing = """FROM entries e
        JOIN transfers t ON t.id = e.transfer_id
        JOIN accounts a ON a.id = e.account_id
        WHERE e.unit = 'HOURS' AND t.reverses_id IS NULL
          AND NOT EXISTS (SELECT 1 FROM transfers r WHERE r.reverses_id = t.id)"""
    op.execute(
        f"""INSERT INTO report_member_months
        (account_id, month, bank_id, member_id, help_in, help_out, help_count, net)
        SELECT e.account_id, {month}, e.bank_id, MIN(a.member_id),
               SUM(CASE WHEN t.kind IN {HELP} AND e.amount > 0 THEN e.amount ELSE 0 END),
               SUM(CASE WHEN t.kind IN {HELP} AND e.amount < 0 THEN -e.amount ELSE 0 END),
               SUM(CASE WHEN t.kind IN {HELP} AND e.amount > 0 THEN 1 ELSE 0 END),
               SUM(e.amount)
        {standing}
        GROUP BY e.account_id, {month}, e.bank_id"""
    )
    op.execute(
        f"""INSERT INTO report_account_days
        (account_id, day, kind, bank_id, member_id, in_minutes, out_minutes, in_count)
        SELECT e.account_id, t.given_on, t.kind, e.bank_id, MIN(a.member_id),
               SUM(CASE WHEN e.amount > 0 THEN e.amount ELSE 0 END),
               SUM(CASE WHEN e.amount < 0 THEN -e.amount ELSE 0 END),
               SUM(CASE WHEN e.amount > 0 THEN 1 ELSE 0 END)
        {standing}
        GROUP BY e.account_id, t.given_on, t.kind, e.bank_id"""
    )
    for statement in POSTGRESQL_TRIGGERS if postgresql else SQLITE_TRIGGERS:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        statements = POSTGRESQL_DROPS
    else:
        statements = ["DROP TRIGGER IF EXISTS entries_roll_up_members"]
    for statement in statements:
        op.execute(statement)
    op.drop_index("ix_report_account_days_day_bank_id", table_name="report_account_days")
    op.drop_table("report_account_days")
    op.drop_index("ix_report_member_months_bank_id_month", table_name="report_member_months")
    op.drop_table("report_member_months")


# As in 0004: an entry counts for its own transfer or, when that is a reversal, against the
# transfer it reverses (in that transfer's month, day and kind, with the sign turned). Its own
# amount is what it adds to the net either way. Rows are keyed by account, which every posting
# has locked already.

POSTGRESQL_TRIGGERS = [
    f"""CREATE FUNCTION report_roll_entry_members() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
      counted transfers%ROWTYPE;
      v_sign integer := 1;
      v_amount integer := NEW.amount;
      v_member integer;
      v_in integer;
      v_out integer;
      v_count integer;
      v_help integer := 0;
    BEGIN
      SELECT * INTO counted FROM transfers WHERE id = NEW.transfer_id;
      IF counted.reverses_id IS NOT NULL THEN
        SELECT * INTO counted FROM transfers WHERE id = counted.reverses_id;
        v_sign := -1;
        v_amount := -NEW.amount;
      END IF;
      IF counted.kind IN {HELP} THEN
        v_help := 1;
      END IF;
      v_in := v_sign * GREATEST(v_amount, 0);
      v_out := v_sign * GREATEST(-v_amount, 0);
      v_count := CASE WHEN v_amount > 0 THEN v_sign ELSE 0 END;
      SELECT member_id INTO v_member FROM accounts WHERE id = NEW.account_id;
      INSERT INTO report_member_months AS r
        (account_id, month, bank_id, member_id, help_in, help_out, help_count, net)
      VALUES (NEW.account_id, date_trunc('month', counted.given_on)::date, NEW.bank_id, v_member,
              v_help * v_in, v_help * v_out, v_help * v_count, NEW.amount)
      ON CONFLICT (account_id, month) DO UPDATE SET
        help_in = r.help_in + EXCLUDED.help_in,
        help_out = r.help_out + EXCLUDED.help_out,
        help_count = r.help_count + EXCLUDED.help_count,
        net = r.net + EXCLUDED.net;
      INSERT INTO report_account_days AS r
        (account_id, day, kind, bank_id, member_id, in_minutes, out_minutes, in_count)
      VALUES (NEW.account_id, counted.given_on, counted.kind, NEW.bank_id, v_member,
              v_in, v_out, v_count)
      ON CONFLICT (account_id, day, kind) DO UPDATE SET
        in_minutes = r.in_minutes + EXCLUDED.in_minutes,
        out_minutes = r.out_minutes + EXCLUDED.out_minutes,
        in_count = r.in_count + EXCLUDED.in_count;
      RETURN NULL;
    END $$""",
    """CREATE TRIGGER entries_roll_up_members AFTER INSERT ON entries
    FOR EACH ROW WHEN (NEW.unit = 'HOURS') EXECUTE FUNCTION report_roll_entry_members()""",
]

POSTGRESQL_DROPS = [
    "DROP TRIGGER IF EXISTS entries_roll_up_members ON entries",
    "DROP FUNCTION IF EXISTS report_roll_entry_members()",
]

# SQLite has no variables in triggers: `c` is a one-row subquery with the transfer the entry
# counts for, its sign and the amount as the original had it.
_COUNTED = f"""(SELECT o.given_on AS day, date(o.given_on, 'start of month') AS month,
               o.kind AS kind, CASE WHEN o.kind IN {HELP} THEN 1 ELSE 0 END AS help,
               CASE WHEN t.reverses_id IS NULL THEN 1 ELSE -1 END AS sign,
               CASE WHEN t.reverses_id IS NULL THEN NEW.amount ELSE -NEW.amount END AS amount
        FROM transfers t JOIN transfers o ON o.id = COALESCE(t.reverses_id, t.id)
        WHERE t.id = NEW.transfer_id)"""

SQLITE_TRIGGERS = [
    f"""CREATE TRIGGER entries_roll_up_members AFTER INSERT ON entries
    WHEN NEW.unit = 'HOURS'
    BEGIN
      INSERT INTO report_member_months
        (account_id, month, bank_id, member_id, help_in, help_out, help_count, net)
      SELECT NEW.account_id, c.month, NEW.bank_id, a.member_id,
             c.help * c.sign * max(c.amount, 0), c.help * c.sign * max(-c.amount, 0),
             CASE WHEN c.amount > 0 THEN c.help * c.sign ELSE 0 END, NEW.amount
      FROM {_COUNTED} c JOIN accounts a ON a.id = NEW.account_id
      WHERE true
      ON CONFLICT (account_id, month) DO UPDATE SET
        help_in = help_in + excluded.help_in,
        help_out = help_out + excluded.help_out,
        help_count = help_count + excluded.help_count,
        net = net + excluded.net;
      INSERT INTO report_account_days
        (account_id, day, kind, bank_id, member_id, in_minutes, out_minutes, in_count)
      SELECT NEW.account_id, c.day, c.kind, NEW.bank_id, a.member_id,
             c.sign * max(c.amount, 0), c.sign * max(-c.amount, 0),
             CASE WHEN c.amount > 0 THEN c.sign ELSE 0 END
      FROM {_COUNTED} c JOIN accounts a ON a.id = NEW.account_id
      WHERE true
      ON CONFLICT (account_id, day, kind) DO UPDATE SET
        in_minutes = in_minutes + excluded.in_minutes,
        out_minutes = out_minutes + excluded.out_minutes,
        in_count = in_count + excluded.in_count;
    END""",
]
