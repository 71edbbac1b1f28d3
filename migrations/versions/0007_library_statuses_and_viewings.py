"""library: a status per movie («хочу посмотреть», «посмотрели», «не предлагать» until a date), a «любимое»
mark, normalised genres for the filter, and the viewings (one row per movie and day)

Existing movies get «хочу посмотреть»; a movie that won a drawn lottery gets «посмотрели» and a viewing on
the draw's day (UTC), linked to that lottery: a drawn lottery is a movie night, and the draw's day is the
only date anybody recorded. The winner is found in the library by the one "same movie" rule
(movie_lottery/same_movie.py, frozen below: a migration must mean the same thing forever). Winners that are
not in the library are left out: this revision adds statuses to the shelf, it does not fill it.

Content version: the new table gets the same triggers as the others (0003, 0006). SQLite rebuilds
library_movie to add its CHECK constraints, which drops its triggers: they are read before and created
again after, the UPDATE one over the new column list. PostgreSQL's triggers compare whole rows as text, so
they cover the new columns as they are.

Revision ID: 0007
Revises: 0006
"""

import json
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

# Kept here, not imported from the app: a migration must mean the same thing forever.
STATUSES = "status IN ('want', 'watched', 'excluded')"
UNTIL_ONLY_WHEN_EXCLUDED = "excluded_until IS NULL OR status = 'excluded'"
SEPARATOR = "\n"
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


def _normalise(text):
    return " ".join(text.casefold().replace("ё", "е").split())


def _same_movie(a, b):
    """movie_lottery/same_movie.py's is_same_movie as of this revision (tests hold it to the shared cases)."""
    if a["kinopoisk_id"] is not None and b["kinopoisk_id"] is not None:
        return a["kinopoisk_id"] == b["kinopoisk_id"]
    return (_normalise(a["name"]), a["year"]) == (_normalise(b["name"]), b["year"])


def _genre_text(genres):
    if isinstance(genres, str):
        genres = json.loads(genres)
    keys = [_normalise(str(genre)) for genre in genres or [] if _normalise(str(genre))]
    return SEPARATOR + SEPARATOR.join(keys) + SEPARATOR if keys else ""


def _utc_day(value):
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)  # SQLite keeps UTC as naive text
    return value.astimezone(UTC).date()


def _postgres():
    return op.get_bind().dialect.name == "postgresql"


def _library_triggers():
    """SQLite only: the triggers library_movie carries now, which a rebuild of the table drops."""
    if _postgres():
        return []
    rows = op.get_bind().execute(
        sa.text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'library_movie'")
    )
    return [(name, sql) for name, sql in rows if sql]


def _sqlite_changed(table):
    columns = [column["name"] for column in sa.inspect(op.get_bind()).get_columns(table)]
    return " OR ".join(f'OLD."{name}" IS NOT NEW."{name}"' for name in columns)


def _restore_library_triggers(triggers):
    """Every trigger as it was, except the UPDATE one of 0006: it compares every column, now a new list."""
    for name, sql in triggers:
        if name == "library_movie_update_bumps_content_version":
            op.execute(
                f"CREATE TRIGGER {name} AFTER UPDATE ON library_movie "
                f"WHEN {_sqlite_changed('library_movie')} BEGIN {BUMP}; END"
            )
        else:
            op.execute(sql)


def _create_viewing_triggers():
    if _postgres():
        for event in EVENTS:
            op.execute(
                f"CREATE TRIGGER viewing_{event}_bumps_content_version "
                f"AFTER {event.upper()} ON viewing {TRANSITION_TABLES[event]} "
                "FOR EACH STATEMENT EXECUTE FUNCTION bump_content_version_if_changed()"
            )
        op.execute(
            "CREATE TRIGGER viewing_truncate_bumps_content_version AFTER TRUNCATE ON viewing "
            "FOR EACH STATEMENT EXECUTE FUNCTION bump_content_version_if_changed()"
        )
        return
    for event in ("insert", "delete"):
        op.execute(
            f"CREATE TRIGGER viewing_{event}_bumps_content_version "
            f"AFTER {event.upper()} ON viewing BEGIN {BUMP}; END"
        )
    op.execute(
        "CREATE TRIGGER viewing_update_bumps_content_version AFTER UPDATE ON viewing "
        f"WHEN {_sqlite_changed('viewing')} BEGIN {BUMP}; END"
    )


def _draw_order(row):
    return _utc_day(row["drawn_at"]), str(row["drawn_at"]), row["lottery_id"]


def _library_movie_for(winner, movies):
    """As library.find_same_movie: the movie with the winner's Kinopoisk id, else the same title and year."""
    if winner["kinopoisk_id"] is not None:
        found = next((m for m in movies if m["kinopoisk_id"] == winner["kinopoisk_id"]), None)
        if found is not None:
            return found
    return next((m for m in movies if _same_movie(winner, m)), None)


def _fill(connection):
    every_movie = sa.text("SELECT id, kinopoisk_id, name, year, genres FROM library_movie ORDER BY id")
    movies = list(connection.execute(every_movie).mappings())
    for movie in movies:
        text = _genre_text(movie["genres"])
        if text:
            connection.execute(
                sa.text("UPDATE library_movie SET genre_text = :text WHERE id = :id"),
                {"id": movie["id"], "text": text},
            )
    winners = connection.execute(
        sa.text(
            "SELECT lottery.id AS lottery_id, lottery.drawn_at, m.kinopoisk_id, m.name, m.year"
            " FROM lottery JOIN lottery_movie m"
            " ON m.lottery_id = lottery.id AND m.position = lottery.winner_position"
            " WHERE lottery.winner_position IS NOT NULL"
        )
    ).mappings()
    # Oldest draw first: when two lotteries chose one movie on one day, the first holds the viewing.
    seen = set()
    for winner in sorted(winners, key=_draw_order):
        found = _library_movie_for(winner, movies)
        if found is None:
            continue
        day = _utc_day(winner["drawn_at"])
        if (found["id"], day) in seen:
            continue
        seen.add((found["id"], day))
        connection.execute(
            sa.text("INSERT INTO viewing (movie_id, watched_on, lottery_id) VALUES (:movie, :day, :lottery)"),
            {"movie": found["id"], "day": day, "lottery": winner["lottery_id"]},
        )
        connection.execute(
            sa.text("UPDATE library_movie SET status = 'watched' WHERE id = :id"), {"id": found["id"]}
        )


def upgrade():
    triggers = _library_triggers()
    with op.batch_alter_table("library_movie", schema=None) as batch_op:
        batch_op.add_column(sa.Column("genre_text", sa.Text(), server_default="", nullable=False))
        batch_op.add_column(sa.Column("status", sa.String(length=16), server_default="want", nullable=False))
        batch_op.add_column(sa.Column("excluded_until", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("favourite", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.create_check_constraint(op.f("ck_library_movie_known_status"), STATUSES)
        batch_op.create_check_constraint(
            op.f("ck_library_movie_until_only_when_excluded"), UNTIL_ONLY_WHEN_EXCLUDED
        )
        batch_op.create_index(batch_op.f("ix_library_movie_status"), ["status"], unique=False)
    _restore_library_triggers(triggers)

    op.create_table(
        "viewing",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("movie_id", sa.Integer(), nullable=False),
        sa.Column("watched_on", sa.Date(), nullable=False),
        sa.Column("lottery_id", sa.String(length=16), nullable=True),
        sa.ForeignKeyConstraint(
            ["lottery_id"], ["lottery.id"], name=op.f("fk_viewing_lottery_id_lottery"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["movie_id"],
            ["library_movie.id"],
            name=op.f("fk_viewing_movie_id_library_movie"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_viewing")),
        sa.UniqueConstraint("lottery_id", name=op.f("uq_viewing_lottery_id")),
        sa.UniqueConstraint("movie_id", "watched_on", name=op.f("uq_viewing_movie_id_watched_on")),
    )
    with op.batch_alter_table("viewing", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_viewing_movie_id"), ["movie_id"], unique=False)
    _create_viewing_triggers()
    _fill(op.get_bind())


def downgrade():
    # The viewings and statuses cannot be kept by the older schema: they go (a backup keeps them).
    with op.batch_alter_table("viewing", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_viewing_movie_id"))
    op.drop_table("viewing")  # its triggers go with it, on both backends
    triggers = _library_triggers()
    with op.batch_alter_table("library_movie", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_library_movie_status"))
        batch_op.drop_constraint(op.f("ck_library_movie_until_only_when_excluded"), type_="check")
        batch_op.drop_constraint(op.f("ck_library_movie_known_status"), type_="check")
        batch_op.drop_column("favourite")
        batch_op.drop_column("excluded_until")
        batch_op.drop_column("status")
        batch_op.drop_column("genre_text")
    _restore_library_triggers(triggers)
