"""Fault drills under gunicorn: the database restarts, a worker dies mid-draw, Kinopoisk hangs."""

from __future__ import annotations

import json
import os
import signal
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest
import sqlalchemy as sa

from movie_lottery.lottery.service import winner_index
from tests.conftest import migrate, require
from tests.support.gunicorn_server import GunicornServer
from tests.support.postgres import PostgresCluster, create_database

pytestmark = pytest.mark.drills


def call(method: str, url: str, body: dict | None = None, timeout: float = 20) -> tuple[int, dict | None]:
    """(status, JSON body); status 0 means the connection itself failed."""
    data = json.dumps(body).encode() if body is not None else None
    headers = {"Content-Type": "application/json"} if body is not None else {}
    request = urllib.request.Request(url, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            raw = response.read()
            return response.status, json.loads(raw) if raw and "json" in response.headers[
                "Content-Type"
            ] else None
    except urllib.error.HTTPError as error:
        raw = error.read()
        return error.code, json.loads(raw) if raw and "json" in error.headers.get(
            "Content-Type", ""
        ) else None
    except OSError:
        return 0, None


@pytest.fixture
def own_postgres():
    """A cluster this test may stop and start, with a migrated database."""
    cluster = PostgresCluster()
    require(cluster.available, "PostgreSQL (initdb/pg_ctl)")
    admin_url = cluster.start()
    url = create_database(admin_url, "ml_drill")
    migrate(url)
    yield cluster, url
    cluster.stop()


def engine_for(url: str) -> sa.Engine:
    return sa.create_engine(url.replace("postgresql://", "postgresql+psycopg2://", 1))


def test_postgres_restart_under_traffic_fails_cleanly_recovers_and_loses_no_acknowledged_write(
    own_postgres, tmp_path
):
    cluster, url = own_postgres
    outcomes: list[tuple[str, int, dict | None]] = []
    lock = threading.Lock()
    stop = threading.Event()

    with GunicornServer(url, workers=2, log_path=tmp_path / "gunicorn.log") as server:

        def writer(worker: int) -> None:
            n = 0
            while not stop.is_set():
                n += 1
                movies = [{"name": f"Запись {worker}-{n} А"}, {"name": f"Запись {worker}-{n} Б"}]
                status, body = call("POST", server.url + "/api/lotteries", {"movies": movies})
                with lock:
                    outcomes.append(("write", status, body))

        def reader() -> None:
            while not stop.is_set():
                status, _ = call("GET", server.url + "/api/lotteries")
                with lock:
                    outcomes.append(("read", status, None))

        threads = [threading.Thread(target=writer, args=(i,)) for i in range(2)] + [
            threading.Thread(target=reader)
        ]
        for thread in threads:
            thread.start()
        time.sleep(1.0)
        cluster.restart(down_seconds=1.5)
        time.sleep(1.5)
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
        after_status, _ = call(
            "POST", server.url + "/api/lotteries", {"movies": [{"name": "После"}, {"name": "Х"}]}
        )

    statuses = [status for _, status, _ in outcomes]
    assert set(statuses) <= {200, 201, 503}, sorted(set(statuses))  # no 500, no dropped connection
    assert 503 in statuses  # the outage was felt …
    errors = {body["error"]["code"] for kind, status, body in outcomes if status == 503 and body}
    assert errors <= {"database_unavailable"}
    assert after_status == 201  # … and the app recovered without a restart
    acknowledged = {body["id"] for kind, status, body in outcomes if kind == "write" and status == 201}
    assert len(acknowledged) > 10
    engine = engine_for(url)
    with engine.connect() as connection:
        stored = set(connection.scalars(sa.text("SELECT id FROM lottery")))
    engine.dispose()
    assert acknowledged <= stored
    assert "WORKER TIMEOUT" not in (tmp_path / "gunicorn.log").read_text()


def test_worker_killed_in_the_middle_of_a_draw_leaves_it_drawn_or_not_never_half(own_postgres):
    _, url = own_postgres
    engine = engine_for(url)
    with GunicornServer(url, workers=1) as server:
        status, created = call(
            "POST", server.url + "/api/lotteries", {"movies": [{"name": f"Ф{i}"} for i in range(5)]}
        )
        assert status == 201
        worker = server.worker_pids()[0]

        # Hold the lottery's row so the worker's draw stops inside its UPDATE, mid-transaction.
        blocker = engine.connect()
        transaction = blocker.begin()
        blocker.execute(sa.text("SELECT 1 FROM lottery WHERE id = :id FOR UPDATE"), {"id": created["id"]})
        draw_url = f"{server.url}/api/lotteries/{created['id']}/draw"
        drawing = threading.Thread(target=call, args=("POST", draw_url, {"token": created["play_token"]}))
        drawing.start()
        with engine.connect() as watcher:
            for _ in range(500):
                waiting = watcher.scalar(
                    sa.text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'")
                )
                if waiting:
                    break
                time.sleep(0.01)
        assert waiting, "the draw never reached the database"
        os.kill(worker, signal.SIGKILL)
        transaction.rollback()
        blocker.close()
        drawing.join(timeout=30)

        with engine.connect() as connection:
            row = connection.execute(
                sa.text("SELECT winner_position, drawn_at FROM lottery WHERE id = :id"), {"id": created["id"]}
            ).one()
        assert (row.winner_position is None) == (row.drawn_at is None)

        # gunicorn brings up a new worker; the draw then completes with the published formula's winner.
        for _ in range(200):
            if call("GET", server.url + "/health", timeout=1)[0] == 200:
                break
            time.sleep(0.05)
        status, drawn = call("POST", draw_url, {"token": created["play_token"]})
    engine.dispose()
    assert status == 200
    names = [m["name"] for m in created["movies"]]
    assert drawn["winner"]["position"] == winner_index(drawn["seed"], created["id"], names)


def test_hanging_kinopoisk_answers_within_its_bound_and_the_site_is_unaffected(own_postgres, tmp_path):
    from tests.support.fakes.kinopoisk_server import FakeKinopoiskServer

    _, url = own_postgres
    with FakeKinopoiskServer(token="drill-token", hang_seconds=20) as kinopoisk:
        kinopoisk.mode = "hang"
        env = {"KINOPOISK_API_TOKEN": "drill-token", "KINOPOISK_API_URL": kinopoisk.url}
        with GunicornServer(url, workers=2, env=env, log_path=tmp_path / "gunicorn.log") as server:
            searches: list[tuple[int, dict | None, float]] = []

            def search(q: str) -> None:
                started = time.monotonic()
                status, body = call("GET", server.url + "/api/search?q=" + urllib.parse.quote(q))
                searches.append((status, body, time.monotonic() - started))

            threads = [threading.Thread(target=search, args=(f"запрос {i}",)) for i in range(6)]
            for thread in threads:
                thread.start()
            time.sleep(0.5)  # searches are now hanging on Kinopoisk
            pages = []
            for path in ["/health", "/", "/history", "/api/lotteries"]:
                started = time.monotonic()
                pages.append((call("GET", server.url + path)[0], time.monotonic() - started))
            for thread in threads:
                thread.join(timeout=30)

    assert all(status == 200 for status, _ in pages), pages
    assert max(elapsed for _, elapsed in pages) < 2.0, pages  # not stuck behind a 5 s Kinopoisk timeout
    assert [status for status, _, _ in searches] == [503] * 6
    assert {body["error"]["code"] for _, body, _ in searches} == {"kinopoisk_unavailable"}
    # connect 3 s + read 5 s is the client's bound; nothing waited for the 20 s hang
    assert max(elapsed for _, _, elapsed in searches) < 10
