"""The refresher never holds a database transaction open while it waits on qBittorrent.

A transaction left open across a call to a qBittorrent that never answers would sit 'idle in transaction'
for as long as the call's time bound, holding its locks: a migration, a TRUNCATE or a VACUUM FULL would queue
behind it, and every writer behind those. On PostgreSQL, with the qBittorrent call blocked on a black hole.
"""

from __future__ import annotations

import threading
import time

import pytest
import sqlalchemy as sa

from movie_lottery.downloads import status as torrent_status
from movie_lottery.downloads.status import EXTENSION_KEY, TorrentStatusService
from tests.downloads.test_torrent_status import HASH_B, add_movie, ask_download
from tests.support.fakes.qbittorrent_fakes import BlackHoleServer

pytestmark = [pytest.mark.postgres, pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)]

READ_TIMEOUT = 3.0  # one blocked call lasts about 2 x (connect + read): the window the checks run in


@pytest.fixture(autouse=True)
def _stop_refreshers():
    yield
    torrent_status.stop_all(timeout=20)


def wait_until(condition, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.02)


def test_no_transaction_is_open_while_qbittorrent_does_not_answer(make_app, database_url):
    with BlackHoleServer() as hole:
        app = make_app(
            QBIT_HOST=f"http://{hole.host}", QBIT_PORT=hole.port, QBIT_USERNAME="u", QBIT_PASSWORD="p",
            QBIT_CONNECT_TIMEOUT=1.0, QBIT_READ_TIMEOUT=READ_TIMEOUT,
        )  # fmt: skip
        service = TorrentStatusService(app, autostart=False)
        app.extensions[EXTENSION_KEY] = service
        client = app.test_client()
        kept = add_movie(client)
        ask_download(client, kept["id"])
        removed = add_movie(client, name="Гавань", kinopoisk_id=1000002, info_hash=HASH_B)
        ask_download(client, removed["id"])
        assert client.delete(f"/api/library/{removed['id']}/torrent").status_code == 202

        reports = []
        cycle = threading.Thread(target=lambda: reports.append(service.run_cycle()))
        cycle.start()
        wait_until(lambda: hole.connections)  # the refresher has read its work and is waiting on qBittorrent

        other = sa.create_engine(database_url.replace("postgresql://", "postgresql+psycopg2://", 1))
        try:
            with other.connect() as watcher:
                idle_in_transaction = watcher.scalar(
                    sa.text(
                        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                        " AND application_name = 'movie-lottery' AND state LIKE 'idle in transaction%'"
                    )
                )
            with other.begin() as writer:  # the strongest lock there is: it waits for any open reader
                writer.execute(sa.text("SET LOCAL lock_timeout = '1s'"))
                writer.execute(sa.text("LOCK TABLE download, library_movie IN ACCESS EXCLUSIVE MODE"))
            still_waiting = cycle.is_alive()
        finally:
            other.dispose()
        cycle.join(timeout=4 * (1.0 + READ_TIMEOUT))

    assert idle_in_transaction == 0
    assert still_waiting, "the qBittorrent call ended before the checks: they proved nothing"
    assert reports and not reports[0].ok and reports[0].error == "таймаут"
