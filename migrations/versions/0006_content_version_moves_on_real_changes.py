"""content_version moves only when a row really changed

0003's PostgreSQL triggers were FOR EACH STATEMENT, and PostgreSQL fires those even when the statement
touched no row: the refresher's `mark_finished` (an UPDATE that usually matches nothing) moved the number
every ~5 s while anyone watched the library, emptying every cached page in every worker. An UPDATE that
matches rows but writes the values they already hold did the same, on both backends.

PostgreSQL: still one bump and one NOTIFY per statement, but the statement's transition tables are read
first — an INSERT or DELETE bumps when it touched a row, an UPDATE when some new row differs from every
old one (compared as text, so it holds for every column type, json included, and for columns added later).
TRUNCATE has no transition tables and always bumps.
SQLite: row triggers; the UPDATE one has a WHEN that compares every column, OLD against NEW. The column
list is read from the tables when this migration runs, so a migration that adds a column to a watched table
must recreate these triggers (tests/core/test_content_version_triggers.py fails until it does).

Revision ID: 0006
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

# Kept here, not imported from the app or from 0003: a migration must mean the same thing forever.
CHANNEL = "content_version"
WATCHED_TABLES = ("lottery", "lottery_movie", "library_movie", "download")
EVENTS = ("insert", "update", "delete")
BUMP = (
    "INSERT INTO content_version (id, version) VALUES (1, 1) "
    "ON CONFLICT (id) DO UPDATE SET version = content_version.version + 1"
)

# One function for every table and event: TG_OP says which transition tables exist. PL/pgSQL plans each
# statement when it first runs, so the branches naming a table this trigger lacks are never planned.
CHANGED_ROWS_FUNCTION = f"""
CREATE FUNCTION bump_content_version_if_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE bumped bigint;
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM 1 FROM new_rows LIMIT 1;
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM 1 FROM old_rows LIMIT 1;
    ELSIF TG_OP = 'UPDATE' THEN
        PERFORM 1 FROM (SELECT n::text FROM new_rows n EXCEPT ALL SELECT o::text FROM old_rows o) changed
        LIMIT 1;
    ELSE
        PERFORM 1;  -- TRUNCATE: no transition tables; emptying a table is a write
    END IF;
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    {BUMP} RETURNING version INTO bumped;
    PERFORM pg_notify('{CHANNEL}', bumped::text);
    RETURN NULL;
END $$
"""
TRANSITION_TABLES = {
    "insert": "REFERENCING NEW TABLE AS new_rows",
    "update": "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows",
    "delete": "REFERENCING OLD TABLE AS old_rows",
}

# 0003's definitions, restored by downgrade().
OLD_FUNCTION = (
    "CREATE FUNCTION bump_content_version() RETURNS trigger LANGUAGE plpgsql AS $$ "
    "DECLARE bumped bigint; "
    f"BEGIN {BUMP} RETURNING version INTO bumped; "
    f"PERFORM pg_notify('{CHANNEL}', bumped::text); RETURN NULL; END $$"
)


def _postgres() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def _sqlite_changed(table: str) -> str:
    columns = [column["name"] for column in sa.inspect(op.get_bind()).get_columns(table)]
    return " OR ".join(f'OLD."{name}" IS NOT NEW."{name}"' for name in columns)


def upgrade():
    if _postgres():
        for table in WATCHED_TABLES:
            op.execute(f"DROP TRIGGER {table}_bumps_content_version ON {table}")
        op.execute("DROP FUNCTION bump_content_version()")
        op.execute(CHANGED_ROWS_FUNCTION)
        for table in WATCHED_TABLES:
            # A trigger with transition tables may name one event only: three of them, plus TRUNCATE.
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
    else:
        for table in WATCHED_TABLES:
            op.execute(f"DROP TRIGGER {table}_update_bumps_content_version")
            op.execute(
                f"CREATE TRIGGER {table}_update_bumps_content_version AFTER UPDATE ON {table} "
                f"WHEN {_sqlite_changed(table)} BEGIN {BUMP}; END"
            )
        # The insert and delete triggers of 0003 stay: a row inserted or deleted is always a change.


def downgrade():
    if _postgres():
        for table in WATCHED_TABLES:
            for event in (*EVENTS, "truncate"):
                op.execute(f"DROP TRIGGER {table}_{event}_bumps_content_version ON {table}")
        op.execute("DROP FUNCTION bump_content_version_if_changed()")
        op.execute(OLD_FUNCTION)
        for table in WATCHED_TABLES:
            op.execute(
                f"CREATE TRIGGER {table}_bumps_content_version "
                f"AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION bump_content_version()"
            )
    else:
        for table in WATCHED_TABLES:
            op.execute(f"DROP TRIGGER {table}_update_bumps_content_version")
            op.execute(
                f"CREATE TRIGGER {table}_update_bumps_content_version "
                f"AFTER UPDATE ON {table} BEGIN {BUMP}; END"
            )
