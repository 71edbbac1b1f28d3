"""The content version moves when a watched row really changed, and only then (migration 0006).

Every cached page in every worker is thrown away when the number moves, so a write that changed nothing
must leave it alone — above all the refresher's `mark_finished`, an UPDATE that usually matches no row and
runs every ~5 s while somebody watches the library. Statements run through an engine of their own, as
another worker or `psql` would run them.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from movie_lottery.core.extensions import db
from movie_lottery.downloads import queue as downloads
from movie_lottery.downloads import status as torrent_status
from tests.downloads.test_torrent_status import HASH_A, QBIT, StubClient, add_movie, ask_download, install

WATCHED_TABLES = (
    "lottery", "lottery_movie", "library_movie", "download", "viewing", "poll", "poll_movie", "ballot",
    "site_milestone", "rating",
)  # fmt: skip
# Each revision that changed the triggers, and the one before it: each must go back to exactly what was.
MIGRATIONS = [
    ("0006", "0003"),
    ("0007", "0006"),
    ("0008", "0007"),
    ("0009", "0008"),
    ("0010", "0009"),
    ("0011", "0010"),
    ("0012", "0011"),
]
# Adds columns: SQLite's UPDATE triggers name every column; PostgreSQL's compare whole rows, unchanged.
CHANGES_SQLITE_ONLY = {"0012"}  # fmt: skip
UNKNOWN_HASH = "f" * 40


@pytest.fixture(autouse=True)
def _stop_refreshers():
    yield
    torrent_status.stop_all(timeout=10)


def engine_for(database_url: str) -> sa.Engine:
    return sa.create_engine(database_url.replace("postgresql://", "postgresql+psycopg2://", 1))


@pytest.fixture
def other_connection(database_url):
    """Plain SQL from outside the app, as another worker, another instance or psql would send it."""
    engine = engine_for(database_url)

    def run(statement: str) -> int:
        with engine.begin() as connection:
            return connection.execute(sa.text(statement)).rowcount

    yield run
    engine.dispose()


def version(database_url: str) -> int:
    engine = engine_for(database_url)
    with engine.connect() as connection:
        number = connection.execute(sa.text("SELECT version FROM content_version WHERE id = 1")).scalar_one()
    engine.dispose()
    return number


@pytest.fixture
def stocked(make_app):
    """Two lotteries (one drawn) with their candidates, a library movie and a download that was sent."""
    app = make_app(**QBIT)
    service = install(app, StubClient())
    client = app.test_client()
    movies = [{"name": "Солярис", "year": 1972}, {"name": "Сталкер", "year": 1979, "genres": ["драма"]}]
    for _ in range(2):
        created = client.post("/api/lotteries", json={"movies": movies})
        assert created.status_code == 201
    drawn = created.get_json()
    draw = client.post(f"/api/lotteries/{drawn['id']}/draw", json={"token": drawn["play_token"]})
    assert draw.status_code == 200
    movie = add_movie(client, info_hash=HASH_A, genres=["драма"])
    ask_download(client, movie["id"])
    service.run_cycle()  # pending -> sent
    assert client.post(f"/api/library/{movie['id']}/viewings", json={"date": "2025-03-03"}).status_code == 201
    assert (
        client.post(f"/api/lotteries/{drawn['id']}/watched", json={"date": "2025-03-04"}).status_code == 200
    )
    poll = client.post("/api/polls", json={"movies": movies, "veto": True}).get_json()
    assert (
        client.put(f"/api/polls/{poll['id']}/ballot", json={"name": "Аня", "approve": [1]}).status_code == 200
    )
    # A night rated (0010): the lottery's winner, and a closed poll's winner watched and rated.
    assert (
        client.put(f"/api/ratings/lottery/{drawn['id']}", json={"name": "Аня", "score": 8}).status_code == 200
    )
    other = client.post("/api/polls", json={"movies": movies}).get_json()
    assert (
        client.post(f"/api/polls/{other['id']}/close", json={"token": other["manage_token"]}).status_code
        == 200
    )
    assert client.post(f"/api/polls/{other['id']}/watched", json={"date": "2025-03-05"}).status_code == 200
    assert (
        client.put(f"/api/ratings/poll/{other['id']}", json={"name": "Боря", "score": 6}).status_code == 200
    )
    return app


NOTHING_CHANGES = [
    # rows matched, every value written is the value already there (NULLs and json columns included)
    "UPDATE lottery SET created_at = created_at",
    "UPDATE lottery SET drawn_at = drawn_at, winner_position = winner_position",
    "UPDATE lottery_movie SET name = name, genres = genres, details = details, rating = rating",
    "UPDATE library_movie SET year = year, magnet = magnet, genres = genres",
    "UPDATE download SET attempts = attempts, last_error = last_error",
    "UPDATE site_milestone SET at = at",
    "UPDATE site_milestone SET detail = detail",
    # no row matched
    f"UPDATE download SET status = 'done' WHERE status = 'sent' AND info_hash IN ('{UNKNOWN_HASH}')",
    "UPDATE lottery SET seed = 'x' WHERE id = 'nobody'",
    "DELETE FROM lottery WHERE id = 'nobody'",
    "DELETE FROM library_movie WHERE id = -1",
    "DELETE FROM download WHERE status = 'failed'",
    "INSERT INTO library_movie SELECT * FROM library_movie WHERE 1 = 0",
    "UPDATE library_movie SET status = status, excluded_until = excluded_until, favourite = favourite",
    "UPDATE viewing SET watched_on = watched_on, lottery_id = lottery_id",
    "DELETE FROM viewing WHERE watched_on < '1900-01-01'",
    "INSERT INTO viewing SELECT * FROM viewing WHERE 1 = 0",
    "UPDATE poll SET deadline = deadline, closed_at = closed_at, result = result",
    "UPDATE poll_movie SET genres = genres, details = details",
    "UPDATE ballot SET choices = choices, veto = veto",
    "UPDATE poll SET closed_at = CURRENT_TIMESTAMP, closed_by = 'creator' WHERE id = 'nobody'",
    "DELETE FROM ballot WHERE name_key = 'никто'",
    "DELETE FROM site_milestone WHERE name = 'nothing'",
    "UPDATE viewing SET poll_id = poll_id",
    "UPDATE rating SET score = score, lottery_id = lottery_id, poll_id = poll_id, rated_at = rated_at",
    "DELETE FROM rating WHERE score > 10",
    "INSERT INTO rating SELECT * FROM rating WHERE 1 = 0",
]


def test_a_write_that_changes_nothing_leaves_the_content_version_alone(
    stocked, database_url, other_connection
):
    # One stocked database for all of them (none changes a row), rather than one each: 27 setups saved.
    moved = []
    for statement in NOTHING_CHANGES:
        before = version(database_url)
        other_connection(statement)
        if version(database_url) != before:
            moved.append(statement)
    assert moved == []


def test_mark_finished_for_a_torrent_already_done_leaves_the_version_alone(stocked, database_url):
    with stocked.app_context():
        assert downloads.mark_finished([HASH_A]) == 1  # sent -> done: a real change
        after_first = version(database_url)
        for _ in range(3):  # what every later cycle does while qBittorrent keeps reporting it complete
            assert downloads.mark_finished([HASH_A, UNKNOWN_HASH]) == 0
        db.session.remove()
    assert version(database_url) == after_first


INSERT_LIBRARY_MOVIE = (
    "INSERT INTO library_movie (name, sort_title, search_text, added_at, updated_at, genres, countries,"
    " details) VALUES ('{name}', '', '', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, '[]', '[]', '{{}}')"
)
REAL_CHANGES = [
    "UPDATE lottery SET seed = 'другое зерно'",
    "UPDATE lottery SET auto_download = NOT auto_download",
    "UPDATE lottery_movie SET year = NULL WHERE year = 1979",
    "UPDATE lottery_movie SET rating = 7.5",
    "UPDATE library_movie SET name = 'Сталкер (реставрация)'",
    "UPDATE library_movie SET magnet = NULL, info_hash = NULL",
    "UPDATE download SET status = 'done'",
    "UPDATE download SET last_error = 'нет связи'",
    "DELETE FROM lottery_movie WHERE position = 0",
    "DELETE FROM lottery",
    "DELETE FROM download",
    "DELETE FROM library_movie",
    "INSERT INTO lottery (id, created_at, seed, commitment, play_token, auto_download)"
    " VALUES ('sqlwrite', CURRENT_TIMESTAMP, 's', 'c', 't', false)",
    "INSERT INTO lottery_movie (lottery_id, position, name, genres, countries, details)"
    " SELECT id, 9, 'Зеркало', '[]', '[]', '{}' FROM lottery",
    INSERT_LIBRARY_MOVIE.format(name="Зеркало"),
    "UPDATE poll SET closed_at = CURRENT_TIMESTAMP, closed_by = 'creator'",
    "UPDATE poll_movie SET name = 'Сталкер (реставрация)' WHERE position = 1",
    "UPDATE ballot SET choices = '[0, 1]'",
    "DELETE FROM ballot",
    "INSERT INTO ballot (poll_id, participant, name, name_key, choices, cast_at)"
    " SELECT id, 'p2-participant-value-xx', 'Боря', 'боря', '[]', CURRENT_TIMESTAMP FROM poll",
    "INSERT INTO download (movie_id, kind, delete_files, info_hash, magnet, status, attempts, requested_at)"
    " SELECT id, 'download', false, 'b', 'magnet:?xt=urn:btih:b', 'pending', 0, CURRENT_TIMESTAMP"
    " FROM library_movie WHERE id NOT IN (SELECT movie_id FROM download WHERE movie_id IS NOT NULL)",
    "UPDATE library_movie SET status = 'excluded', excluded_until = '2099-01-01'",
    "UPDATE library_movie SET favourite = NOT favourite",
    "UPDATE library_movie SET genre_text = 'x'",
    "UPDATE viewing SET watched_on = '2020-01-01' WHERE lottery_id IS NULL",
    "UPDATE viewing SET lottery_id = NULL",
    "DELETE FROM viewing",
    "INSERT INTO viewing (movie_id, watched_on) SELECT id, '2019-12-31' FROM library_movie",
    # a poll's night and the ratings (0010)
    "UPDATE viewing SET poll_id = NULL WHERE poll_id IS NOT NULL",
    "UPDATE rating SET score = 3 WHERE score = 8",
    "UPDATE rating SET name = 'Анна', name_key = 'анна' WHERE name = 'Аня'",
    "DELETE FROM rating WHERE poll_id IS NOT NULL",
    "INSERT INTO rating (movie_id, lottery_id, participant, name, name_key, score, rated_at)"
    " SELECT movie_id, lottery_id, 'p3-participant-value-xx', 'Вера', 'вера', 10, CURRENT_TIMESTAMP"
    " FROM rating WHERE lottery_id IS NOT NULL",
    # the library page's backup nudge (0009)
    "INSERT INTO site_milestone (name, at) VALUES ('backup_taken', CURRENT_TIMESTAMP)",
    "UPDATE site_milestone SET at = '2001-02-03 04:05:06' WHERE name = 'backup_taken'",
    # and what to fix when the last backup would not restore (0014)
    "UPDATE site_milestone SET detail = 'Библиотека, фильм №1: …' WHERE name = 'backup_taken'",
    "DELETE FROM site_milestone WHERE name = 'backup_taken'",
]
BACKUP_ROW = "INSERT INTO site_milestone (name, at) VALUES ('backup_taken', CURRENT_TIMESTAMP)"


@pytest.mark.parametrize("statement", REAL_CHANGES)
def test_every_real_insert_update_and_delete_moves_the_content_version(
    stocked, database_url, other_connection, statement
):
    if statement.startswith("INSERT INTO download"):
        other_connection(INSERT_LIBRARY_MOVIE.format(name="Иваново детство"))  # a movie without a download
    if "site_milestone" in statement and not statement.startswith("INSERT"):
        other_connection(BACKUP_ROW)  # the backup's row, to change or delete
    before = version(database_url)
    assert other_connection(statement) >= 1
    assert version(database_url) > before


def test_an_update_that_changes_one_of_the_rows_it_matched_moves_the_version(
    stocked, database_url, other_connection
):
    before = version(database_url)
    other_connection("UPDATE lottery_movie SET name = CASE WHEN position = 0 THEN name || '!' ELSE name END")
    assert version(database_url) > before


def test_the_api_writes_move_the_version_and_a_repeated_identical_edit_does_not(stocked, database_url):
    client = stocked.test_client()
    movie = {"name": "Тихая гавань", "year": 2019, "kinopoisk_id": 1000001, "description": "Новое описание"}
    before = version(database_url)
    assert client.post("/api/library", json=movie).status_code == 200  # an edit of the movie already there
    edited = version(database_url)
    assert edited > before
    assert client.post("/api/library", json=movie).status_code == 200  # the same edit again: nothing new
    assert version(database_url) == edited


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_on_postgres_a_bulk_statement_moves_the_version_once(stocked, database_url, other_connection):
    before = version(database_url)
    assert other_connection("UPDATE lottery_movie SET name = name || '!'") == 4
    assert version(database_url) == before + 1


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_on_postgres_truncate_moves_the_version(stocked, database_url, other_connection):
    before = version(database_url)
    other_connection("TRUNCATE download")
    assert version(database_url) > before


# ---- the triggers cover every column, and the migration goes back cleanly ----------------------------------


SQLITE_TRIGGERS = sa.text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")


def test_on_sqlite_every_column_of_every_watched_table_is_compared(tmp_path):
    """Guards a later migration that adds a column (its UPDATE trigger must be recreated) or rebuilds a
    table in batch mode (SQLite drops the table's triggers with it)."""
    from tests.conftest import migrate

    url = f"sqlite:///{tmp_path / 'head.sqlite3'}"
    migrate(url)
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        triggers = dict(connection.execute(SQLITE_TRIGGERS).all())
    for table in WATCHED_TABLES:
        for event in ("insert", "update", "delete"):
            assert f"{table}_{event}_bumps_content_version" in triggers
        update = triggers[f"{table}_update_bumps_content_version"]
        for column in sa.inspect(engine).get_columns(table):
            assert f'OLD."{column["name"]}" IS NOT NEW."{column["name"]}"' in update, (table, column["name"])
    engine.dispose()


def _alembic(database_url: str, action: str, revision: str) -> None:
    import flask_migrate

    from movie_lottery.ops.migrations import enable_migrations
    from tests.conftest import build_app

    app = build_app(database_url)
    enable_migrations(app)
    with app.app_context():
        getattr(flask_migrate, action)(revision=revision)
        db.engine.dispose()


def _triggers(database_url: str) -> dict[str, str]:
    """Every trigger, and on PostgreSQL every function, by name with its full definition."""
    engine = engine_for(database_url)
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            rows = connection.execute(SQLITE_TRIGGERS)
        else:
            rows = connection.execute(
                sa.text(
                    "SELECT tgname, pg_get_triggerdef(oid) FROM pg_trigger WHERE NOT tgisinternal"
                    " UNION ALL SELECT proname, pg_get_functiondef(p.oid) FROM pg_proc p"
                    " JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'public'"
                )
            )
        found = dict(rows.all())
    engine.dispose()
    return found


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def two_fresh_databases(request, tmp_path: Path) -> list[str]:
    if request.param == "sqlite":
        return [f"sqlite:///{tmp_path / name}.sqlite3" for name in ("a", "b")]
    from tests.support.postgres import create_database

    admin = request.getfixturevalue("postgres_admin_url")
    return [create_database(admin, name) for name in ("ml_triggers_a", "ml_triggers_b")]


@pytest.mark.parametrize(("migration", "before_it"), MIGRATIONS, ids=[m for m, _ in MIGRATIONS])
def test_the_migration_downgrades_to_exactly_the_triggers_of_the_revision_before(
    two_fresh_databases, migration, before_it
):
    only_before, there_and_back = two_fresh_databases
    _alembic(only_before, "upgrade", before_it)
    _alembic(there_and_back, "upgrade", migration)
    changed = _triggers(there_and_back) != _triggers(only_before)
    assert changed or (migration in CHANGES_SQLITE_ONLY and not there_and_back.startswith("sqlite"))
    _alembic(there_and_back, "downgrade", before_it)
    assert _triggers(there_and_back) == _triggers(only_before)
    _alembic(there_and_back, "upgrade", migration)  # and forward again
