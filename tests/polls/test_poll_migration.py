"""Migration 0008 (polls) goes forward and back on SQLite and PostgreSQL, triggers and all."""

from __future__ import annotations

import sqlalchemy as sa

from tests.core.test_content_version_triggers import (
    _alembic,
    _triggers,
    engine_for,
    two_fresh_databases,  # noqa: F401  (a fixture)
)

POLL_TABLES = {"poll", "poll_movie", "ballot"}


def tables(url: str) -> set[str]:
    engine = engine_for(url)
    names = set(sa.inspect(engine).get_table_names())
    engine.dispose()
    return names


def test_0008_adds_the_poll_tables_with_their_triggers_and_goes_back_cleanly(two_fresh_databases):  # noqa: F811
    before, there_and_back = two_fresh_databases
    _alembic(before, "upgrade", "0006")
    _alembic(there_and_back, "upgrade", "0008")
    assert tables(there_and_back) >= POLL_TABLES
    added = set(_triggers(there_and_back)) - set(_triggers(before))
    assert {f"{table}_insert_bumps_content_version" for table in POLL_TABLES} <= added
    _alembic(there_and_back, "downgrade", "0006")
    assert not POLL_TABLES & tables(there_and_back)
    assert _triggers(there_and_back) == _triggers(before)
    _alembic(there_and_back, "upgrade", "0008")
    assert tables(there_and_back) >= POLL_TABLES
