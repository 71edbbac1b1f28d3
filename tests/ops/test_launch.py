"""The start command: a wake with the schema at head costs one query; a schema behind is upgraded."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from movie_lottery.ops.schema_state import MIGRATIONS_DIR, migration_heads, schema_state
from tests.support.postgres import create_database, free_port

ROOT = Path(__file__).resolve().parents[2]
# What the launcher hands the server: printed by a stand-in server, so the tests see what gunicorn would.
PRINT_RECORD = [sys.executable, "-c", "import os; print(os.environ['MOVIE_LOTTERY_LAUNCH'])"]
Finished = subprocess.CompletedProcess
POSTGRESQL = pytest.param("postgresql", marks=pytest.mark.postgres)  # the deploy's database
HEAVY = ("flask", "sqlalchemy", "alembic", "flask_migrate", "marshmallow", "gevent")


def launch(database_url: str, *command: str, python_args: tuple[str, ...] = ()) -> Finished:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "MOVIE_LOTTERY_LAUNCH")}
    env.update(DATABASE_URL=database_url, SECRET_KEY="launch-test")
    return subprocess.run(
        [sys.executable, *python_args, "-m", "movie_lottery.ops.launch", *(command or PRINT_RECORD)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def head() -> str:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return ScriptDirectory.from_config(config).get_current_head()


def test_the_head_read_from_the_migration_files_is_alembics():
    assert migration_heads() == {head()}


@pytest.mark.parametrize("database_url", [POSTGRESQL], indirect=True)
def test_a_start_at_head_asks_one_query_and_loads_neither_alembic_nor_the_app(database_url):
    started = launch(database_url, sys.executable, "-c", "pass", python_args=("-X", "importtime"))
    assert started.returncode == 0, started.stderr
    imported = {line.rsplit("|", 1)[1].strip() for line in started.stderr.splitlines() if "|" in line}
    assert not {name for name in imported if name.split(".")[0] in HEAVY}
    assert f"launch: schema at head {head()}" in started.stderr


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_server_is_told_what_the_launcher_found_and_when(database_url):
    started = launch(database_url)
    assert started.returncode == 0, started.stderr
    record = json.loads(started.stdout)
    assert record["schema"] == f"at head {head()}"
    assert 0 < record["seconds"] < 30 and record["at"] <= record["exec_at"]


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def new_database(request, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'new.sqlite3'}"
    return create_database(request.getfixturevalue("postgres_admin_url"), f"ml_launch_{free_port()}")


def test_a_new_database_is_upgraded_by_alembic_before_the_server_starts(new_database):
    assert not schema_state(new_database).at_head
    started = launch(new_database)
    assert started.returncode == 0, started.stderr
    assert "running flask db upgrade" in started.stderr
    assert json.loads(started.stdout)["schema"].startswith("upgraded (database at no schema yet")
    state = schema_state(new_database)
    assert state.at_head and state.current == (head(),)


@pytest.mark.parametrize("new_database", [POSTGRESQL], indirect=True)
def test_a_database_one_migration_behind_is_upgraded(new_database):
    subprocess.run(
        [sys.executable, "-m", "flask", "--app", "movie_lottery", "db", "upgrade", "0013"],
        cwd=ROOT, env={**os.environ, "DATABASE_URL": new_database, "SECRET_KEY": "k"},
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    assert schema_state(new_database).why == f"database at 0013, head {head()}"
    started = launch(new_database)
    assert started.returncode == 0, started.stderr
    assert schema_state(new_database).at_head


def test_no_server_starts_when_the_database_cannot_be_migrated(tmp_path):
    marker = tmp_path / "server-started"
    unreachable = f"postgresql://nobody:secret@127.0.0.1:{free_port()}/none"
    started = launch(unreachable, sys.executable, "-c", f"open({str(marker)!r}, 'w')")
    assert started.returncode != 0
    assert "the server is not started" in started.stderr
    assert not marker.exists()


def test_the_launcher_checks_the_sqlite_file_the_app_uses(tmp_path):
    from movie_lottery import create_app
    from movie_lottery.ops.launch import INSTANCE_DIR

    # Without DATABASE_URL both fall back to instance/movie_lottery.sqlite3: one folder, or the launcher would
    # migrate a file the site never opens.
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.db'}"})
    assert Path(app.instance_path) == INSTANCE_DIR
