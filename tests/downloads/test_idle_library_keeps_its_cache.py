"""Watching the library while qBittorrent sits idle with a finished torrent moves the content version never.

End to end: a REAL qbittorrent-nox (locked to loopback) seeds a complete torrent whose download the app has
marked done; the real refresher thread keeps asking it and runs `mark_finished` for that hash every cycle,
an UPDATE that matches no row. Were such a no-op to move the version (as statement triggers do on
PostgreSQL), every kept page in every worker would be thrown away every few seconds while anyone watched.
"""

from __future__ import annotations

import hashlib
import time

import pytest
import qbittorrentapi
import sqlalchemy as sa

from movie_lottery.downloads import status as torrent_status
from tests.conftest import require
from tests.support.fakes.qbittorrent_nox import QbittorrentNox, available

pytestmark = pytest.mark.qbittorrent

CYCLE_SECONDS = 0.1
WATCHED_CYCLES = 30


@pytest.fixture(autouse=True)
def _stop_refreshers():
    yield
    torrent_status.stop_all(timeout=10)


def bencode(value) -> bytes:
    if isinstance(value, int):
        return b"i%de" % value
    if isinstance(value, str):
        value = value.encode()
    if isinstance(value, bytes):
        return b"%d:%s" % (len(value), value)
    return b"d" + b"".join(bencode(key) + bencode(item) for key, item in sorted(value.items())) + b"e"


def seed_a_complete_torrent(nox: QbittorrentNox) -> str:
    """A 64 KB file already on disk and a .torrent for it: qBittorrent checks it and has it complete at
    once, with no peer and no tracker. Returns the info-hash."""
    data = bytes(range(256)) * 256
    downloads = nox.profile / "downloads"
    (downloads / "film.bin").write_bytes(data)
    piece = 16384
    pieces = b"".join(hashlib.sha1(data[i : i + piece]).digest() for i in range(0, len(data), piece))
    info = {"length": len(data), "name": "film.bin", "piece length": piece, "pieces": pieces}
    qbt = qbittorrentapi.Client(
        host=nox.url, username=nox.username, password=nox.password, FORCE_SCHEME_FROM_HOST=True
    )
    qbt.auth_log_in()
    qbt.torrents_add(
        torrent_files=bencode({"info": info}), save_path=str(downloads), category="movie-lottery"
    )
    info_hash = hashlib.sha1(bencode(info)).hexdigest()
    wait_until(lambda: any(t.progress >= 1 for t in qbt.torrents_info(torrent_hashes=info_hash)))
    return info_hash


def wait_until(condition, seconds: float = 15.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)


def test_watching_the_library_with_an_idle_qbittorrent_leaves_the_content_version_alone(
    make_app, database_url
):
    require(available(), "qbittorrent-nox")
    with QbittorrentNox() as nox:
        info_hash = seed_a_complete_torrent(nox)
        app = make_app(
            QBIT_HOST=f"http://{nox.host}",
            QBIT_PORT=nox.port,
            QBIT_USERNAME=nox.username,
            QBIT_PASSWORD=nox.password,
            TORRENT_REFRESH_SECONDS=CYCLE_SECONDS,
        )
        client = app.test_client()
        movie = client.post(
            "/api/library", json={"name": "Фильм", "year": 2000, "magnet": f"magnet:?xt=urn:btih:{info_hash}"}
        ).get_json()
        assert client.post(f"/api/library/{movie['id']}/download", json={}).status_code == 202

        def status() -> str:
            client.get("/library")  # somebody watching: the refresher keeps cycling
            return client.get(f"/api/library/{movie['id']}").get_json()["download"]["status"]

        wait_until(lambda: status() == "done")  # sent (qBittorrent had it), then done
        engine = sa.create_engine(database_url.replace("postgresql://", "postgresql+psycopg2://", 1))

        def version() -> int:
            with engine.connect() as connection:
                return connection.execute(sa.text("SELECT version FROM content_version")).scalar_one()

        before = version()
        service = torrent_status.service_for(app)
        first_check = service.peek().checked_at
        for _ in range(WATCHED_CYCLES):
            assert client.get("/library").status_code == 200
            time.sleep(CYCLE_SECONDS)
        assert service.peek().checked_at > first_check  # the refresher did go on asking qBittorrent
        assert version() == before
        engine.dispose()
