"""Shared fixtures: ``app`` and ``client`` on SQLite and a real PostgreSQL, and the rule for missing parts.

A missing component (PostgreSQL, qbittorrent-nox, Chromium) skips its tests on a laptop; under CI=true it
fails the run, so CI can never pass by skipping.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Callable, Iterator

import pytest
import sqlalchemy as sa
from werkzeug.serving import make_server

from tests.support.postgres import PostgresCluster, create_database

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def require(condition: bool, what: str) -> None:
    """Skip without ``what`` on a laptop; fail under CI=true."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"{what} is required under CI=true", pytrace=False)
    pytest.skip(f"{what} is not available")


# Everything that could leak in from a developer's .env is pinned to "off" unless a test turns it on.
BASE_TEST_CONFIG = {
    "TESTING": True,
    "SECRET_KEY": "test-secret-key-not-for-production",
    "ADMIN_PASSWORD": None,
    "API_TOKEN": None,
    "OPEN_SITE": False,
    "PROXY_HOPS": 0,
    "KINOPOISK_API_TOKEN": None,
    "QBIT_HOST": None,
    "QBIT_PORT": None,
    "QBIT_USERNAME": None,
    "QBIT_PASSWORD": None,
    "QBIT_VERIFY_TLS": True,
    "TORRENT_SEARCH_URL": None,
    "SERVER_NAME": None,
    "RUNNING_ON_RENDER": False,
    "GIT_COMMIT": None,
    "TELEGRAM_BOT_TOKEN": None,
    "TELEGRAM_WEBHOOK_SECRET": None,
    "SITE_URL": None,
    # A drawn lottery's result at once; tests/e2e/test_one_reel.py watches the real spin (core/reel.py).
    "REEL_SPIN_MS": 0,
}


# The test client reads a response to its end, an event stream too: for apps driven by it (not the browsers'
# servers), a stream lives a fraction of a second, so a test that walks every route ends instead of waiting
# out the 30-min life.
CLIENT_STREAMS = {"LIVE_TICK_SECONDS": 0.1, "LIVE_STREAM_SECONDS": 0.3}


def build_app(database_url: str, **overrides):
    from movie_lottery import create_app

    return create_app({**BASE_TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": database_url, **overrides})


def migrate(database_url: str) -> None:
    import flask_migrate

    from movie_lottery.ops.migrations import enable_migrations

    app = build_app(database_url)
    enable_migrations(app)
    with app.app_context():
        flask_migrate.upgrade()
        from movie_lottery.core.extensions import db

        db.engine.dispose()


# ---- PostgreSQL -------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def postgres_admin_url() -> Iterator[str]:
    given = os.environ.get("TEST_DATABASE_URL")
    if given:
        yield given
        return
    cluster = PostgresCluster()
    require(cluster.available, "PostgreSQL (initdb/pg_ctl)")
    try:
        url = cluster.start()
    except Exception as exc:
        require(False, f"a throwaway PostgreSQL cluster ({exc})")
    yield url
    cluster.stop()


@pytest.fixture(scope="session")
def migrated_postgres_url(postgres_admin_url: str) -> str:
    url = create_database(postgres_admin_url, "ml_test")
    migrate(url)
    return url


@pytest.fixture(scope="session")
def migrated_sqlite_template(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("sqlite-template") / "template.sqlite3"
    migrate(f"sqlite:///{path}")
    return str(path)


def _empty_tables(url: str) -> None:
    from movie_lottery.core.extensions import db

    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg2://", 1))
    # content_version keeps counting (the TRUNCATE bumps it): cached pages in a running process stay honest.
    names = ", ".join(t.name for t in db.metadata.sorted_tables if t.name != "content_version")
    with engine.begin() as connection:
        # Whatever a test left connected (a server thread, a refresher) must not hold locks TRUNCATE needs.
        connection.execute(
            sa.text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        )
        connection.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        # As a fresh migration leaves it: the database was set up just now, and no backup was taken yet.
        connection.execute(
            sa.text("INSERT INTO site_milestone (name, at) VALUES ('database_started', CURRENT_TIMESTAMP)")
        )
    engine.dispose()


BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
# The site's two access modes and the two databases, paired rather than multiplied, for the tests marked
# EACH_MODE (they take ``site_mode``): the modes differ in who may do what, the databases in how it is stored.
# The slowest matrices (the API fuzz, worst-case input, forged posts) cover each mode and each database once.
EACH_MODE = pytest.mark.parametrize(
    ("site_mode", "database_url"),
    [
        pytest.param("open", "postgresql", marks=pytest.mark.postgres, id="open-postgresql"),
        pytest.param("locked", "sqlite", id="locked-sqlite"),
    ],
    indirect=["database_url"],
)


@pytest.fixture(params=BACKENDS)
def database_url(request, tmp_path) -> Iterator[str]:
    """A migrated, empty database: a fresh SQLite file, or the shared PostgreSQL one emptied after use."""
    yield from empty_database(request, tmp_path)


def empty_database(request, tmp_path) -> Iterator[str]:
    if request.param == "sqlite":
        path = tmp_path / "test.sqlite3"
        shutil.copy(request.getfixturevalue("migrated_sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    url = request.getfixturevalue("migrated_postgres_url")
    yield url
    _empty_tables(url)


def stop_background_threads() -> None:
    """End every torrent refresher this process started.

    Left running, they outlive their test and log a traceback each time their database goes away. On Python
    3.11 a traceback formatted in one thread while another thread parses code (werkzeug compiles each route
    it adds with ``ast``) can fail that parse with "AST constructor recursion depth mismatch": that failed
    a CI run in an app fixture's setup, under a burst of such tracebacks.
    """
    from movie_lottery.downloads import status as torrent_status
    from movie_lottery.telegram import worker as telegram_worker

    torrent_status.stop_all(timeout=10)
    telegram_worker.stop_all(timeout=10)


@pytest.fixture(autouse=True)
def no_background_thread_outlives_its_test() -> Iterator[None]:
    """Torn down last: catches the apps a test built with ``build_app`` directly."""
    yield
    stop_background_threads()


@pytest.fixture
def make_app(database_url: str) -> Iterator[Callable]:
    apps = []

    def factory(**overrides):
        app = build_app(database_url, **{**CLIENT_STREAMS, **overrides})
        apps.append(app)
        return app

    yield factory
    from movie_lottery.core.extensions import db

    stop_background_threads()  # before the database is emptied
    for app in apps:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def app_context(app):
    with app.app_context():
        yield app


# ---- Kinopoisk (a local fake: the real one is out of reach) ------------------------------------------


@pytest.fixture(scope="session")
def kinopoisk_server():
    from tests.support.fakes.kinopoisk_server import FakeKinopoiskServer

    with FakeKinopoiskServer(token="test-token", hang_seconds=5.0) as server:
        yield server


@pytest.fixture
def fake_kinopoisk(kinopoisk_server):
    """The fake Kinopoisk, reset: mode ok, no requests counted."""
    kinopoisk_server.reset()
    yield kinopoisk_server
    kinopoisk_server.reset()


def kinopoisk_settings(server) -> dict:
    return {
        "KINOPOISK_API_TOKEN": "test-token",
        "KINOPOISK_API_URL": server.url,
        "KINOPOISK_CONNECT_TIMEOUT": 0.5,
        "KINOPOISK_READ_TIMEOUT": 0.5,
    }


# ---- the site served on loopback (browser tests and drills) ---------------------------------------------


class LiveServer:
    """The app on 127.0.0.1:<free port>, in a thread of the test process."""

    def __init__(self, app) -> None:
        self.app = app
        self._server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> LiveServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join(timeout=5)


@pytest.fixture
def start_server(database_url) -> Iterator[Callable[..., LiveServer]]:
    """Start the site with extra settings: ``start_server(ADMIN_PASSWORD="x")``."""
    servers: list[LiveServer] = []

    def start(**overrides) -> LiveServer:
        server = LiveServer(build_app(database_url, **overrides)).start()
        servers.append(server)
        return server

    yield start
    from movie_lottery.core.extensions import db

    stop_background_threads()  # a refresher the server's requests woke
    for server in servers:
        server.stop()
        with server.app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def live_server(start_server) -> LiveServer:
    return start_server()
