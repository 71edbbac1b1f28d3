"""The schema comes from migrations only, and the models agree with them on both backends."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from movie_lottery.extensions import db

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
    from tests.postgres import create_database

    url = create_database(postgres_admin_url, "ml_cli_upgrade")
    render_style = url.replace("postgresql://", "postgres://", 1)
    result = _flask_db_upgrade(render_style, tmp_path)
    assert result.returncode == 0, result.stderr
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg2://", 1))
    assert "lottery" in sa.inspect(engine).get_table_names()
    engine.dispose()
