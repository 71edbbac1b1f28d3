"""The schema comes from migrations only, and the models agree with them on both backends."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from movie_lottery.core.extensions import db

ROOT = Path(__file__).resolve().parents[2]


def test_models_and_migrations_do_not_drift(app_context):
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, db.metadata)
    assert differences == []


def test_constraints_live_in_the_database(app_context):
    inspector = sa.inspect(db.engine)
    assert {"lottery", "lottery_movie", "library_movie", "download", "kinopoisk_cache"} <= set(
        inspector.get_table_names()
    )
    uniques = {tuple(u["column_names"]) for u in inspector.get_unique_constraints("library_movie")}
    assert ("kinopoisk_id",) in uniques and ("info_hash",) in uniques
    foreign = inspector.get_foreign_keys("lottery_movie")[0]
    assert foreign["referred_table"] == "lottery"
    assert foreign["options"].get("ondelete") == "CASCADE"


def _flask_db_upgrade(database_url: str, tmp_path: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("QBIT_", "KINOPOISK_", "ADMIN_"))}
    env.update(DATABASE_URL=database_url, SECRET_KEY="x")
    return subprocess.run(
        [sys.executable, "-m", "flask", "--app", "movie_lottery", "db", "upgrade"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_flask_db_upgrade_builds_an_empty_sqlite(tmp_path):
    path = tmp_path / "fresh.sqlite3"
    result = _flask_db_upgrade(f"sqlite:///{path}", tmp_path)
    assert result.returncode == 0, result.stderr
    assert "lottery" in sa.inspect(sa.create_engine(f"sqlite:///{path}")).get_table_names()


def test_flask_db_upgrade_builds_an_empty_postgres_from_a_render_style_url(postgres_admin_url, tmp_path):
    from tests.support.postgres import create_database

    url = create_database(postgres_admin_url, "ml_cli_upgrade")
    render_style = url.replace("postgresql://", "postgres://", 1)
    result = _flask_db_upgrade(render_style, tmp_path)
    assert result.returncode == 0, result.stderr
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg2://", 1))
    assert "lottery" in sa.inspect(engine).get_table_names()
    engine.dispose()


def _content_version(connection) -> int:
    return connection.scalar(sa.text("SELECT version FROM content_version WHERE id = 1"))


def test_0005_keeps_existing_downloads_and_their_triggers_and_can_go_back(database_url):
    """Upgrading a database that already has downloads: each stays a download, and writes to the table
    still move the content version (SQLite rebuilds the table, which drops triggers unless they are kept)."""
    import flask_migrate

    from movie_lottery.ops.migrations import enable_migrations
    from tests.conftest import build_app

    app = build_app(database_url)
    enable_migrations(app)
    now = "2026-01-01 00:00:00"
    with app.app_context():
        try:
            flask_migrate.downgrade(revision="0003")
            with db.engine.begin() as connection:
                movie_id = connection.execute(
                    sa.text(
                        "INSERT INTO library_movie (name, sort_title, search_text, genres, countries,"
                        " details, added_at, updated_at, info_hash, magnet) VALUES"
                        " ('Ёлки', 'елки', 'елки', '[]', '[]', '{}', :now, :now, :hash, :magnet) RETURNING id"
                    ),
                    {"now": now, "hash": "a" * 40, "magnet": "magnet:?xt=urn:btih:" + "a" * 40},
                ).scalar_one()
                connection.execute(
                    sa.text(
                        "INSERT INTO download (movie_id, info_hash, magnet, status, attempts, requested_at)"
                        " VALUES (:movie, :hash, 'magnet:?xt=urn:btih:' || :hash, 'sent', 0, :now)"
                    ),
                    {"movie": movie_id, "hash": "a" * 40, "now": now},
                )
            flask_migrate.upgrade()

            with db.engine.begin() as connection:
                row = connection.execute(
                    sa.text("SELECT movie_id, kind, delete_files, status FROM download")
                ).one()
                assert (row.movie_id, row.kind, bool(row.delete_files), row.status) == (
                    movie_id, "download", False, "sent"
                )  # fmt: skip
                before = _content_version(connection)
                connection.execute(sa.text("UPDATE download SET kind = 'removal', movie_id = NULL"))
                assert _content_version(connection) > before  # the 0003 triggers are still there
            for bad in ("UPDATE download SET kind = 'other'", "UPDATE download SET kind = 'download'"):
                with pytest.raises(sa.exc.IntegrityError), db.engine.begin() as connection:
                    connection.execute(sa.text(bad))  # unknown kind; a download without a movie

            with db.engine.begin() as connection:  # one of each for the way back
                connection.execute(
                    sa.text(
                        "INSERT INTO download (movie_id, kind, delete_files, info_hash, magnet, status,"
                        " attempts, requested_at)"
                        " VALUES (:movie, 'download', false, :hash, 'm', 'pending', 0, :now)"
                    ),
                    {"movie": movie_id, "hash": "b" * 40, "now": now},
                )
            flask_migrate.downgrade(revision="0003")
            with db.engine.begin() as connection:
                assert connection.execute(sa.text("SELECT movie_id, info_hash FROM download")).all() == [
                    (movie_id, "b" * 40)
                ]  # the removal, which the old code cannot read, is gone; the download is kept
                before = _content_version(connection)
                connection.execute(sa.text("UPDATE download SET status = 'done'"))
                assert _content_version(connection) > before
        finally:
            flask_migrate.upgrade()
            db.engine.dispose()
