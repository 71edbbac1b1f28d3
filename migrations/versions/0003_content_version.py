"""content_version: one counter that every write to lotteries or the library moves, kept by triggers

Pages cache their rendered HTML per process under this number (see movie_lottery/web/page_cache.py);
on PostgreSQL every bump is also NOTIFYed, so workers learn it without asking (content_version.py).
Triggers rather than application code, so that every writer moves it: the web app, the background sender,
`flask library import`, and a hand-typed SQL statement alike.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# Kept here, not imported from the app: a migration must mean the same thing forever.
CHANNEL = "content_version"
WATCHED_TABLES = ("lottery", "lottery_movie", "library_movie", "download")
BUMP = (
    "INSERT INTO content_version (id, version) VALUES (1, 1) "
    "ON CONFLICT (id) DO UPDATE SET version = content_version.version + 1"
)


def upgrade():
    op.create_table(
        "content_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_content_version_single_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_content_version")),
    )
    op.execute("INSERT INTO content_version (id, version) VALUES (1, 1)")
    if op.get_bind().dialect.name == "postgresql":
        # One bump per statement (a 25-movie insert moves it once); TRUNCATE counts as a write too.
        # The new number is also NOTIFYed (delivered at commit) to every worker's listener.
        op.execute(
            "CREATE FUNCTION bump_content_version() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "DECLARE bumped bigint; "
            f"BEGIN {BUMP} RETURNING version INTO bumped; "
            f"PERFORM pg_notify('{CHANNEL}', bumped::text); RETURN NULL; END $$"
        )
        for table in WATCHED_TABLES:
            op.execute(
                f"CREATE TRIGGER {table}_bumps_content_version "
                f"AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION bump_content_version()"
            )
    else:
        # SQLite has row triggers only, one event each.
        for table in WATCHED_TABLES:
            for event in ("insert", "update", "delete"):
                op.execute(
                    f"CREATE TRIGGER {table}_{event}_bumps_content_version "
                    f"AFTER {event.upper()} ON {table} BEGIN {BUMP}; END"
                )


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for table in WATCHED_TABLES:
            op.execute(f"DROP TRIGGER {table}_bumps_content_version ON {table}")
        op.execute("DROP FUNCTION bump_content_version()")
    else:
        for table in WATCHED_TABLES:
            for event in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER {table}_{event}_bumps_content_version")
    op.drop_table("content_version")
