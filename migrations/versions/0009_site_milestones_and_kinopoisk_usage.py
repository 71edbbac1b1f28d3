"""site_milestone: when the database was first set up and when a backup was last taken; kinopoisk_usage

Render's free PostgreSQL is deleted some weeks after it was created, so the site keeps the date its database
was set up (stamped here: a fresh database is migrated minutes after it is created; one that already held
rows gets the earliest date among them, since it was there at least that long) and the time of the last
backup (the web download or `flask library export`). `flask doctor`, /status and the library page's nudge
read them.

site_milestone is watched by the content-version triggers: the library page (cached per content version)
shows the nudge. kinopoisk_usage counts the requests sent to Kinopoisk per UTC day, for /status; no cached
page shows it, so it has no triggers (as login_attempt).

Revision ID: 0009
Revises: 0006
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

# Kept here, not imported from the app: a migration must mean the same thing forever.
TABLE = "site_milestone"
DATABASE_STARTED = "database_started"
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
# Where rows carry the date they were made: the earliest of them is when the database was in use already.
DATED_COLUMNS = (("lottery", "created_at"), ("library_movie", "added_at"), ("download", "requested_at"))


def _postgres() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def _aware(value) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, str):  # SQLite returns text to a column without a type
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _started_at(connection) -> datetime:
    dates = [datetime.now(UTC)]
    for table, column in DATED_COLUMNS:
        dated = sa.table(table, sa.column(column, sa.DateTime(timezone=True)))
        dates.append(_aware(connection.scalar(sa.select(sa.func.min(dated.c[column])))))
    return min(date for date in dates if date is not None)


def upgrade():
    op.create_table(
        TABLE,
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_site_milestone")),
    )
    op.create_table(
        "kinopoisk_usage",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("calls", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("day", name=op.f("pk_kinopoisk_usage")),
    )
    connection = op.get_bind()
    started = _started_at(connection)
    if not _postgres():
        started = started.replace(tzinfo=None)  # the app's UTCDateTime stores naive UTC on SQLite
    milestones = sa.table(TABLE, sa.column("name", sa.String), sa.column("at", sa.DateTime(timezone=True)))
    op.bulk_insert(milestones, [{"name": DATABASE_STARTED, "at": started}])
    if _postgres():
        # 0006's function: bumps (and notifies) only when the statement really changed a row.
        for event in EVENTS:
            op.execute(
                f"CREATE TRIGGER {TABLE}_{event}_bumps_content_version "
                f"AFTER {event.upper()} ON {TABLE} {TRANSITION_TABLES[event]} "
                "FOR EACH STATEMENT EXECUTE FUNCTION bump_content_version_if_changed()"
            )
        op.execute(
            f"CREATE TRIGGER {TABLE}_truncate_bumps_content_version AFTER TRUNCATE ON {TABLE} "
            "FOR EACH STATEMENT EXECUTE FUNCTION bump_content_version_if_changed()"
        )
    else:
        changed = " OR ".join(f'OLD."{name}" IS NOT NEW."{name}"' for name in ("name", "at"))
        for event in ("insert", "delete"):
            op.execute(
                f"CREATE TRIGGER {TABLE}_{event}_bumps_content_version "
                f"AFTER {event.upper()} ON {TABLE} BEGIN {BUMP}; END"
            )
        op.execute(
            f"CREATE TRIGGER {TABLE}_update_bumps_content_version AFTER UPDATE ON {TABLE} "
            f"WHEN {changed} BEGIN {BUMP}; END"
        )


def downgrade():
    # Dropping the table drops its triggers on both backends.
    op.drop_table("kinopoisk_usage")
    op.drop_table(TABLE)
