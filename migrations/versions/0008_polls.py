"""polls: poll, poll_movie, ballot, each watched by the content-version triggers

A poll commits to a seed at creation like a lottery. It is closed once, by a conditional UPDATE of closed_at
(and closed_by); its result and winner are then stored once, together (CHECK counted_once_closed). A ballot
is one row, so it is stored whole or not at all; its participant (the cookie's random value) and its
normalised name are unique per poll.

The poll page shows who has voted, so all three tables move the content version, with the triggers of 0006:
on PostgreSQL that revision's function (a bump only when a row really changed), on SQLite row triggers whose
UPDATE one compares every column.

Revision ID: 0008
Revises: 0006 (the lead re-chains it after issue 12's 0007 when both are merged; nothing here needs 0007)
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

# Kept here, not imported from the app: a migration must mean the same thing forever.
TABLES = ("poll", "poll_movie", "ballot")
EVENTS = ("insert", "update", "delete")
BUMP = (
    "INSERT INTO content_version (id, version) VALUES (1, 1) "
    "ON CONFLICT (id) DO UPDATE SET version = content_version.version + 1"
)
TRANSITION_TABLES = {
    "insert": "REFERENCING NEW TABLE AS new_rows",
    "update": "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows",
    "delete": "REFERENCING OLD TABLE AS old_rows",
}


def _movie_columns():
    return [
        sa.Column("kinopoisk_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("year", sa.Integer(), nullable=True),
        sa.Column("poster", sa.String(length=1000), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("rating", sa.Float(), nullable=True),
        sa.Column("genres", sa.JSON(), nullable=False),
        sa.Column("countries", sa.JSON(), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
    ]


def _postgres() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def _create_triggers(table: str) -> None:
    if _postgres():
        for event in EVENTS:
            op.execute(
                f"CREATE TRIGGER {table}_{event}_bumps_content_version "
                f"AFTER {event.upper()} ON {table} {TRANSITION_TABLES[event]} "
                "FOR EACH STATEMENT EXECUTE FUNCTION bump_content_version_if_changed()"
            )
        op.execute(
            f"CREATE TRIGGER {table}_truncate_bumps_content_version AFTER TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION bump_content_version_if_changed()"
        )
        return
    columns = [column["name"] for column in sa.inspect(op.get_bind()).get_columns(table)]
    changed = " OR ".join(f'OLD."{name}" IS NOT NEW."{name}"' for name in columns)
    for event in ("insert", "delete"):
        op.execute(
            f"CREATE TRIGGER {table}_{event}_bumps_content_version "
            f"AFTER {event.upper()} ON {table} BEGIN {BUMP}; END"
        )
    op.execute(
        f"CREATE TRIGGER {table}_update_bumps_content_version AFTER UPDATE ON {table} "
        f"WHEN {changed} BEGIN {BUMP}; END"
    )


def upgrade():
    op.create_table(
        "poll",
        sa.Column("id", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("method", sa.String(length=16), nullable=False),
        sa.Column("results", sa.String(length=16), nullable=False),
        sa.Column("veto", sa.Boolean(), nullable=False),
        sa.Column("auto_download", sa.Boolean(), nullable=False),
        sa.Column("deadline", sa.DateTime(timezone=True), nullable=True),
        sa.Column("seed", sa.String(length=64), nullable=False),
        sa.Column("commitment", sa.String(length=64), nullable=False),
        sa.Column("manage_token", sa.String(length=64), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_by", sa.String(length=16), nullable=True),
        sa.Column("winner_position", sa.Integer(), nullable=True),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.CheckConstraint("method IN ('approval', 'ranked')", name=op.f("ck_poll_known_method")),
        sa.CheckConstraint("results IN ('after_close', 'live')", name=op.f("ck_poll_known_results")),
        sa.CheckConstraint(
            "closed_by IN ('creator', 'admin', 'deadline')", name=op.f("ck_poll_known_closer")
        ),
        sa.CheckConstraint("(closed_at IS NULL) = (closed_by IS NULL)", name=op.f("ck_poll_closed_together")),
        sa.CheckConstraint(
            "(winner_position IS NULL) = (result IS NULL) AND (result IS NULL OR closed_at IS NOT NULL)",
            name=op.f("ck_poll_counted_once_closed"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_poll")),
    )
    with op.batch_alter_table("poll", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_poll_created_at"), ["created_at"], unique=False)

    op.create_table(
        "poll_movie",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("poll_id", sa.String(length=16), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        *_movie_columns(),
        sa.ForeignKeyConstraint(
            ["poll_id"], ["poll.id"], name=op.f("fk_poll_movie_poll_id_poll"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_poll_movie")),
        sa.UniqueConstraint("poll_id", "kinopoisk_id", name=op.f("uq_poll_movie_poll_id_kinopoisk_id")),
        sa.UniqueConstraint("poll_id", "position", name=op.f("uq_poll_movie_poll_id_position")),
    )

    op.create_table(
        "ballot",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("poll_id", sa.String(length=16), nullable=False),
        sa.Column("participant", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("name_key", sa.String(length=200), nullable=False),
        sa.Column("choices", sa.JSON(), nullable=False),
        sa.Column("veto", sa.Integer(), nullable=True),
        sa.Column("cast_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["poll_id"], ["poll.id"], name=op.f("fk_ballot_poll_id_poll"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ballot")),
        sa.UniqueConstraint("poll_id", "name_key", name=op.f("uq_ballot_poll_id_name_key")),
        sa.UniqueConstraint("poll_id", "participant", name=op.f("uq_ballot_poll_id_participant")),
    )
    for table in TABLES:
        _create_triggers(table)


def downgrade():
    # Dropping a table drops its triggers with it, on both backends.
    op.drop_table("ballot")
    op.drop_table("poll_movie")
    with op.batch_alter_table("poll", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_poll_created_at"))
    op.drop_table("poll")
