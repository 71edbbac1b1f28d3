"""rate_limit_hit: one rate limit shared by every worker; ballot.origin / rating.origin and arrived_at

rate_limit_hit counts hits per (bucket, client address) in a fixed window by one atomic upsert
(movie_lottery/core/rate_limit.py): new voters and raters per night and address, anonymous creates on an
open site. No content-version triggers: no page shows it.

ballot and rating get ``origin`` (a keyed hash of the client address, 16 hex characters — never the address
itself) and ``arrived_at`` (when the participant's first ballot or rating came), so the owner sees what came
from one address in a burst and removes it at once. Both are NULL for rows made before this revision and
for rows restored from a backup (the backup does not carry them). Plain ADD COLUMN, nullable: SQLite keeps
the tables and their triggers; only the UPDATE trigger is made again over the new column list.

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "rate_limit_hit",
        sa.Column("bucket", sa.String(length=64), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("window_started", sa.BigInteger(), nullable=False),
        sa.Column("hits", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("bucket", "key", name=op.f("pk_rate_limit_hit")),
    )
    with op.batch_alter_table("rate_limit_hit", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_rate_limit_hit_window_started"), ["window_started"], unique=False
        )
    for table in ("ballot", "rating"):
        op.add_column(table, sa.Column("origin", sa.String(length=16), nullable=True))
        op.add_column(table, sa.Column("arrived_at", sa.DateTime(timezone=True), nullable=True))
        if op.get_bind().dialect.name != "postgresql":
            _sqlite_update_trigger(table)


# Kept here, not imported from the app: a migration must mean the same thing forever.
BUMP = (
    "INSERT INTO content_version (id, version) VALUES (1, 1) "
    "ON CONFLICT (id) DO UPDATE SET version = content_version.version + 1"
)


def _sqlite_update_trigger(table: str) -> None:
    """SQLite's UPDATE trigger compares every column by name: made again over the new list (PostgreSQL's
    compare whole rows)."""
    columns = [row[1] for row in op.get_bind().execute(sa.text(f"PRAGMA table_info({table})"))]
    changed = " OR ".join(f'OLD."{name}" IS NOT NEW."{name}"' for name in columns)
    op.execute(f"DROP TRIGGER IF EXISTS {table}_update_bumps_content_version")
    op.execute(
        f"CREATE TRIGGER {table}_update_bumps_content_version AFTER UPDATE ON {table} "
        f"WHEN {changed} BEGIN {BUMP}; END"
    )


def _sqlite_triggers(table: str) -> list[str]:
    """SQLite only: the table's triggers, which a batch rebuild drops (their SQL names no new column)."""
    if op.get_bind().dialect.name == "postgresql":
        return []
    rows = op.get_bind().execute(
        sa.text("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = :table"),
        {"table": table},
    )
    return [sql for (sql,) in rows if sql]


def downgrade():
    for table in ("rating", "ballot"):
        triggers = _sqlite_triggers(table)
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("arrived_at")
            batch_op.drop_column("origin")
        for sql in triggers:
            op.execute(sql)
        if triggers:  # SQLite: the UPDATE trigger named the dropped columns
            _sqlite_update_trigger(table)
    with op.batch_alter_table("rate_limit_hit", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rate_limit_hit_window_started"))
    op.drop_table("rate_limit_hit")
