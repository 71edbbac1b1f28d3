"""Is the database at the migrations' head? One query, and neither Alembic nor SQLAlchemy imported.

A wake on Render's free plan runs the start command again, and ``flask db upgrade`` with nothing to do cost
12-14 s of a tenth of a CPU there: the app, SQLAlchemy and Alembic imported only to learn that the schema was
already current. Here the head is read from the migration files' text (their ``revision`` and
``down_revision`` lines; tests/ops/test_launch.py holds it to Alembic's own answer) and the database's
revision from ``alembic_version`` with the plain driver. Anything but a clear "at head" answers
``behind``, and the caller runs the real upgrade, as before.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"
CONNECT_TIMEOUT_SECONDS = 5  # as the app's engine (core.config.engine_options_for)

_REVISION = re.compile(r"^revision\s*(?::[^=]*)?=\s*['\"]([^'\"]+)['\"]", re.MULTILINE)
_DOWN_REVISION = re.compile(r"^down_revision\s*(?::[^=]*)?=\s*(.+)$", re.MULTILINE)
_QUOTED = re.compile(r"['\"]([^'\"]+)['\"]")


@dataclass(frozen=True)
class SchemaState:
    at_head: bool
    head: str | None  # the migrations' single head; None when the files name several or none
    current: tuple[str, ...]  # what alembic_version holds (empty: a new database)
    why: str  # one phrase for the boot log: "at head 0014", "database at 0013, head 0014", …


def migration_heads(directory: Path = MIGRATIONS_DIR) -> set[str]:
    """The revisions no other migration names as its ``down_revision``."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (directory / "versions").glob("*.py"):
        text = path.read_text(encoding="utf-8")
        revision = _REVISION.search(text)
        if revision is None:
            continue
        revisions.add(revision.group(1))
        down = _DOWN_REVISION.search(text)
        if down is not None:
            parents.update(_QUOTED.findall(down.group(1)))
    return revisions - parents


def database_revisions(database_url: str) -> tuple[str, ...]:
    """``alembic_version``'s rows; empty when the table (or the SQLite file) does not exist yet.
    Raises the driver's error when the database cannot be reached."""
    if database_url.startswith("sqlite"):
        return _sqlite_revisions(database_url)
    if database_url.startswith("postgresql"):
        return _postgresql_revisions(database_url)
    raise ValueError("only SQLite and PostgreSQL URLs are checked here")


def _sqlite_revisions(database_url: str) -> tuple[str, ...]:
    import sqlite3
    from urllib.parse import quote

    path = database_url.split(":///", 1)[1] if ":///" in database_url else ""
    if not path or path == ":memory:" or not Path(path).exists():
        return ()
    # Read-only: a check must not create the file or take a write lock from a running site.
    with sqlite3.connect(f"file:{quote(path)}?mode=ro", uri=True, timeout=15) as connection:
        exists = connection.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'"
        ).fetchone()
        if not exists:
            return ()
        return tuple(row[0] for row in connection.execute("SELECT version_num FROM alembic_version"))


def _postgresql_revisions(database_url: str) -> tuple[str, ...]:
    import psycopg2

    # libpq reads the URL itself once SQLAlchemy's driver name is gone (postgresql+psycopg2:// → postgresql://).
    dsn = "postgresql://" + database_url.split("://", 1)[1]
    connection = psycopg2.connect(
        dsn, connect_timeout=CONNECT_TIMEOUT_SECONDS, application_name="movie-lottery launch"
    )
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT to_regclass('alembic_version') IS NOT NULL")
            if not cursor.fetchone()[0]:
                return ()
            cursor.execute("SELECT version_num FROM alembic_version")
            return tuple(row[0] for row in cursor.fetchall())
    finally:
        connection.close()


def schema_state(database_url: str, directory: Path = MIGRATIONS_DIR) -> SchemaState:
    heads = migration_heads(directory)
    head = next(iter(heads)) if len(heads) == 1 else None
    current = database_revisions(database_url)
    if head is None:
        return SchemaState(False, None, current, f"the migrations have {len(heads)} heads")
    if current == (head,):
        return SchemaState(True, head, current, f"at head {head}")
    found = ", ".join(current) if current else "no schema yet"
    return SchemaState(False, head, current, f"database at {found}, head {head}")
