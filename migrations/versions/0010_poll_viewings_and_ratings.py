"""viewing.poll_id: «Посмотрели» on a closed poll's winner, as viewing.lottery_id links a lottery; rating

A viewing may now name the poll whose winner it was, exactly as it names a lottery (unique, ON DELETE SET
NULL: the movie night stays in the library without its poll).

rating: the group's 1–10 scores of a watched winner, one per participant of that lottery or poll (the
participant cookie's random value), under a name unique per lottery or poll (normalised as the same-movie
rule compares titles). Each rating also names the library movie the night's viewing was of, so the library
card's average is one indexed lookup, and a rating outlives its lottery or poll (SET NULL) but not its movie.

Content version: rating gets the triggers of 0006 (the result pages and the library card show it). SQLite
rebuilds viewing to add the column with its constraints, which drops its triggers: they are read before and
created again after, the UPDATE one over the new column list (as 0007 did for library_movie). PostgreSQL's
triggers compare whole rows as text, so they cover the new column as they are.

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

# Kept here, not imported from the app: a migration must mean the same thing forever.
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


def _postgres() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def _sqlite_changed(table: str) -> str:
    columns = [column["name"] for column in sa.inspect(op.get_bind()).get_columns(table)]
    return " OR ".join(f'OLD."{name}" IS NOT NEW."{name}"' for name in columns)


def _sqlite_triggers(table: str) -> list[tuple[str, str]]:
    """SQLite only: the triggers the table carries now, which a rebuild of it drops."""
    if _postgres():
        return []
    rows = op.get_bind().execute(
        sa.text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = :table"),
        {"table": table},
    )
    return [(name, sql) for name, sql in rows if sql]


def _restore_sqlite_triggers(table: str, triggers: list[tuple[str, str]]) -> None:
    """Every trigger as it was, except the UPDATE one: it compares every column, now a new list."""
    for name, sql in triggers:
        op.execute(f"DROP TRIGGER IF EXISTS {name}")  # a rebuild drops them; one not rebuilt keeps them
        if name == f"{table}_update_bumps_content_version":
            op.execute(
                f"CREATE TRIGGER {name} AFTER UPDATE ON {table} "
                f"WHEN {_sqlite_changed(table)} BEGIN {BUMP}; END"
            )
        else:
            op.execute(sql)


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
    for event in ("insert", "delete"):
        op.execute(
            f"CREATE TRIGGER {table}_{event}_bumps_content_version "
            f"AFTER {event.upper()} ON {table} BEGIN {BUMP}; END"
        )
    op.execute(
        f"CREATE TRIGGER {table}_update_bumps_content_version AFTER UPDATE ON {table} "
        f"WHEN {_sqlite_changed(table)} BEGIN {BUMP}; END"
    )


def upgrade():
    triggers = _sqlite_triggers("viewing")
    with op.batch_alter_table("viewing", schema=None) as batch_op:
        batch_op.add_column(sa.Column("poll_id", sa.String(length=16), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_viewing_poll_id_poll"), "poll", ["poll_id"], ["id"], ondelete="SET NULL"
        )
        batch_op.create_unique_constraint(batch_op.f("uq_viewing_poll_id"), ["poll_id"])
    _restore_sqlite_triggers("viewing", triggers)

    op.create_table(
        "rating",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("movie_id", sa.Integer(), nullable=False),
        sa.Column("lottery_id", sa.String(length=16), nullable=True),
        sa.Column("poll_id", sa.String(length=16), nullable=True),
        sa.Column("participant", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("name_key", sa.String(length=200), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("rated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("score >= 1 AND score <= 10", name=op.f("ck_rating_score_range")),
        sa.CheckConstraint("lottery_id IS NULL OR poll_id IS NULL", name=op.f("ck_rating_one_night")),
        sa.ForeignKeyConstraint(
            ["movie_id"],
            ["library_movie.id"],
            name=op.f("fk_rating_movie_id_library_movie"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["lottery_id"], ["lottery.id"], name=op.f("fk_rating_lottery_id_lottery"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["poll_id"], ["poll.id"], name=op.f("fk_rating_poll_id_poll"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rating")),
        sa.UniqueConstraint("lottery_id", "name_key", name=op.f("uq_rating_lottery_id_name_key")),
        sa.UniqueConstraint("lottery_id", "participant", name=op.f("uq_rating_lottery_id_participant")),
        sa.UniqueConstraint("poll_id", "name_key", name=op.f("uq_rating_poll_id_name_key")),
        sa.UniqueConstraint("poll_id", "participant", name=op.f("uq_rating_poll_id_participant")),
    )
    with op.batch_alter_table("rating", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rating_movie_id"), ["movie_id"], unique=False)
    _create_triggers("rating")


def downgrade():
    # Dropping the table drops its triggers on both backends; the ratings cannot be kept by the older schema.
    with op.batch_alter_table("rating", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rating_movie_id"))
    op.drop_table("rating")
    triggers = _sqlite_triggers("viewing")
    with op.batch_alter_table("viewing", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_viewing_poll_id"), type_="unique")
        batch_op.drop_constraint(batch_op.f("fk_viewing_poll_id_poll"), type_="foreignkey")
        batch_op.drop_column("poll_id")
    _restore_sqlite_triggers("viewing", triggers)
