"""Telegram-verified voters: poll.verification; ballot.telegram_user_id and rating.telegram_user_id

A ballot or rating given from the Mini App records the Telegram account its init data proved
(integrations/telegram_mini_app.py); a unique index per night holds one ballot and one rating per account (NULLs, the
web's rows, never collide). ``poll.verification`` is ``none`` (anyone with the link) or ``telegram`` (only
Telegram-verified voters), CHECKed. Plain ADD COLUMN and CREATE INDEX: SQLite keeps the tables and their
triggers; only each UPDATE trigger is made again over the new column list (as 0012 did).

Revision ID: 0016
Revises: 0015
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

# Kept here, not imported from the app: a migration must mean the same thing forever.
BUMP = (
    "INSERT INTO content_version (id, version) VALUES (1, 1) "
    "ON CONFLICT (id) DO UPDATE SET version = content_version.version + 1"
)
INDEXES = (
    ("ballot", "uq_ballot_poll_id_telegram_user_id", ["poll_id", "telegram_user_id"]),
    ("rating", "uq_rating_lottery_id_telegram_user_id", ["lottery_id", "telegram_user_id"]),
    ("rating", "uq_rating_poll_id_telegram_user_id", ["poll_id", "telegram_user_id"]),
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


def _sqlite() -> bool:
    return op.get_bind().dialect.name != "postgresql"


def upgrade():
    op.add_column(
        "poll",
        sa.Column(
            "verification",
            sa.String(length=16),
            sa.CheckConstraint(
                "verification IN ('none', 'telegram')", name=op.f("ck_poll_known_verification")
            ),
            nullable=False,
            server_default="none",
        ),
    )
    for table in ("ballot", "rating"):
        op.add_column(table, sa.Column("telegram_user_id", sa.BigInteger(), nullable=True))
    for table, name, columns in INDEXES:
        op.create_index(name, table, columns, unique=True)
    if _sqlite():
        for table in ("poll", "ballot", "rating"):
            _sqlite_update_trigger(table)


def downgrade():
    for table, name, _columns in INDEXES:
        op.drop_index(name, table_name=table)
    op.execute("UPDATE ballot SET telegram_user_id = NULL")
    op.execute("UPDATE rating SET telegram_user_id = NULL")
    for table, column in (
        ("rating", "telegram_user_id"),
        ("ballot", "telegram_user_id"),
        ("poll", "verification"),
    ):
        if _sqlite():
            # SQLite drops no column a trigger names, nor one with a CHECK: the trigger is made over the
            # remaining columns first, then the column goes in place (the other triggers stay).
            columns = [
                row[1]
                for row in op.get_bind().execute(sa.text(f"PRAGMA table_info({table})"))
                if row[1] != column
            ]
            changed = " OR ".join(f'OLD."{name}" IS NOT NEW."{name}"' for name in columns)
            op.execute(f"DROP TRIGGER IF EXISTS {table}_update_bumps_content_version")
            op.execute(
                f"CREATE TRIGGER {table}_update_bumps_content_version AFTER UPDATE ON {table} "
                f"WHEN {changed} BEGIN {BUMP}; END"
            )
        if table == "poll" and _sqlite():
            # A column under a CHECK goes only with a rebuild, which drops poll's triggers and trips on the
            # triggers of other tables that name poll (the ballot and rating counters): all kept, dropped
            # and made again around it.
            triggers = list(
                op.get_bind().execute(
                    sa.text("SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'trigger'")
                )
            )
            for name, on_table, _sql in triggers:
                if on_table != "poll":
                    op.execute(f'DROP TRIGGER "{name}"')
            with op.batch_alter_table(table, schema=None) as batch_op:
                batch_op.drop_constraint(op.f("ck_poll_known_verification"), type_="check")
                batch_op.drop_column(column)
            for _name, _on_table, sql in triggers:
                if sql:
                    op.execute(sql)
        else:
            op.drop_column(table, column)
