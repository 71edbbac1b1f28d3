"""The whole download path against a REAL qbittorrent-nox, kept on loopback by support/fakes/qbittorrent_nox.

Magnets are trackerless and added paused (``QBIT_ADD_PAUSED``), so nothing is fetched from anywhere.
"""

from __future__ import annotations

import secrets
import time

import pytest

from movie_lottery.core.extensions import db
from movie_lottery.downloads import status as torrent_status
from movie_lottery.downloads.status import EXTENSION_KEY, TorrentStatusService
from movie_lottery.integrations.qbittorrent import TorrentClient
from tests.conftest import require
from tests.support.fakes.qbittorrent_nox import QbittorrentNox, available

pytestmark = pytest.mark.qbittorrent


@pytest.fixture(autouse=True)
def _stop_refreshers():
    yield
    torrent_status.stop_all(timeout=10)


@pytest.fixture(scope="module")
def nox():
    require(available(), "qbittorrent-nox")
    with QbittorrentNox() as server:
        yield server


def settings(nox: QbittorrentNox, **extra) -> dict:
    return {
        "QBIT_HOST": f"http://{nox.host}",
        "QBIT_PORT": nox.port,
        "QBIT_USERNAME": nox.username,
        "QBIT_PASSWORD": nox.password,
        "QBIT_ADD_PAUSED": True,
        **extra,
    }


def direct_client(nox: QbittorrentNox) -> TorrentClient:
    return TorrentClient(nox.host, nox.port, nox.username, nox.password, category="movie-lottery")


def random_movie(name: str = "Тестовый фильм") -> dict:
    info_hash = secrets.token_hex(20)
    return {
        "name": name,
        "year": 2020,
        "kinopoisk_id": 250 + secrets.randbelow(9_000_000),
        "magnet": f"magnet:?xt=urn:btih:{info_hash}&dn=Lottery+Test",
    }


def wait_for(predicate, timeout: float = 10.0, step: float = 0.05):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(step)


def add_and_ask(client, movie: dict) -> dict:
    stored = client.post("/api/library", json=movie)
    assert stored.status_code == 201, stored.get_json()
    data = stored.get_json()
    asked = client.post(f"/api/library/{data['id']}/download", json={})
    assert asked.status_code == 202 and asked.get_json()["download"]["status"] == "pending"
    return data


def test_add_status_and_delete_through_the_site(make_app, nox):
    app = make_app(**settings(nox))
    service = TorrentStatusService(app, autostart=False)
    app.extensions[EXTENSION_KEY] = service
    client = app.test_client()
    movie = add_and_ask(client, random_movie())

    report = service.run_cycle()
    assert report.ok and report.sent == 1
    assert report.seconds < 1.0  # login + list + add on loopback

    def listed():
        service.run_cycle()
        torrents = client.get("/api/torrents").get_json()["torrents"]
        return [t for t in torrents if t["info_hash"] == movie["info_hash"]]

    found = wait_for(listed)
    assert found == [
        {
            "movie_id": movie["id"],
            "info_hash": movie["info_hash"],
            "name": "Lottery Test",
            "state": "pausedDL",
            "progress": 0.0,
            "dlspeed": 0,
            "eta": None,
            "size": 0,
        }
    ]
    qbt = direct_client(nox)
    ours = next(t for t in qbt.list_torrents() if t.info_hash == movie["info_hash"])
    assert ours.category == "movie-lottery" and ours.tags == (f"kp-{movie['kinopoisk_id']}",)
    html = app.test_client().get("/library").get_data(as_text=True)  # a browser: its cookie stays there
    assert "пауза 0\xa0%" in html and "qBittorrent на связи" in html

    removal = client.delete(f"/api/library/{movie['id']}/torrent?delete_files=1")
    assert removal.status_code == 202
    assert service.run_cycle().removed == 1
    assert wait_for(lambda: not qbt.has_torrent(movie["info_hash"]))
    assert client.get(f"/api/library/{movie['id']}").get_json()["download"] is None
    qbt.close()


def test_download_asked_while_qbittorrent_is_down_goes_out_when_it_returns(make_app):
    require(available(), "qbittorrent-nox")
    with QbittorrentNox() as nox:
        app = make_app(
            **settings(nox),
            TORRENT_REFRESH_SECONDS=0.1,
            TORRENT_IDLE_CHECK_SECONDS=0.1,
            TORRENT_BREAKER_BACKOFF=(0.5, 1.0),
        )
        client = app.test_client()
        nox.stop()
        movie = add_and_ask(client, random_movie())  # also starts this process's refresher
        service = torrent_status.service_for(app)
        assert service.thread_alive

        assert wait_for(lambda: service.breaker.snapshot().state != "closed", timeout=5)
        status = client.get("/api/torrents").get_json()
        assert status["available"] is False and status["reason"] == "нет связи"
        assert [item["movie_id"] for item in status["pending"]] == [movie["id"]]
        assert client.get(f"/api/library/{movie['id']}").get_json()["download"]["status"] == "pending"

        nox.start()  # nobody presses anything from here on
        sent = wait_for(
            lambda: client.get(f"/api/library/{movie['id']}").get_json()["download"]["status"] == "sent",
            timeout=15,
        )
        assert sent, client.get("/api/torrents").get_json()
        qbt = direct_client(nox)
        assert [t.info_hash for t in qbt.list_torrents()].count(movie["info_hash"]) == 1
        qbt.close()


def test_the_winner_of_an_auto_download_lottery_reaches_qbittorrent(make_app, nox):
    app = make_app(**settings(nox, TORRENT_REFRESH_SECONDS=0.1))
    client = app.test_client()
    movies = [random_movie("Один"), random_movie("Два")]
    stored = {}
    for movie in movies:
        stored[movie["name"]] = client.post("/api/library", json=movie).get_json()
    lottery = client.post("/api/lotteries", json={"movies": movies, "auto_download": True}).get_json()
    drawn = client.post(
        f"/api/lotteries/{lottery['id']}/draw", json={"token": lottery["play_token"]}
    ).get_json()
    winner = stored[drawn["winner"]["name"]]

    qbt = direct_client(nox)
    assert wait_for(lambda: qbt.has_torrent(winner["info_hash"]))
    loser = next(m for name, m in stored.items() if name != winner["name"])
    assert not qbt.has_torrent(loser["info_hash"])
    qbt.delete(winner["info_hash"], delete_files=True)
    qbt.close()


def test_cli_check_and_retry(make_app, nox):
    app = make_app(**settings(nox))
    app.extensions[EXTENSION_KEY] = TorrentStatusService(app, autostart=False)  # nothing in the background
    runner = app.test_cli_runner()

    checked = runner.invoke(args=["torrents", "check"])
    assert checked.exit_code == 0, checked.output
    assert "на связи, версия v4.5" in checked.output and "В очереди на отправку: 0" in checked.output

    movie = add_and_ask(app.test_client(), random_movie())
    retried = runner.invoke(args=["torrents", "retry"])
    assert retried.exit_code == 0, retried.output
    assert "Отправлено: 1. Ждут отправки: 0" in retried.output
    listed = runner.invoke(args=["torrents", "check"])
    assert movie["info_hash"][:10] in listed.output and "pausedDL" in listed.output

    # A removal the site stored is carried out by the command, which has nothing of the site in memory.
    assert app.test_client().delete(f"/api/library/{movie['id']}/torrent?delete_files=1").status_code == 202
    assert "Ждут удаления: 1" in runner.invoke(args=["torrents", "check"]).output
    removed = runner.invoke(args=["torrents", "retry"])
    assert removed.exit_code == 0, removed.output
    assert "Убрано: 1. Ждут удаления: 0" in removed.output
    qbt = direct_client(nox)
    assert wait_for(lambda: not qbt.has_torrent(movie["info_hash"]))
    qbt.close()


def test_cli_says_plainly_when_qbittorrent_is_off_or_unreachable(make_app):
    off = make_app().test_cli_runner().invoke(args=["torrents", "check"])
    assert off.exit_code == 1 and "qBittorrent не настроен" in off.output

    unreachable = make_app(QBIT_HOST="127.0.0.1", QBIT_PORT=1, QBIT_USERNAME="u", QBIT_PASSWORD="p")
    checked = unreachable.test_cli_runner().invoke(args=["torrents", "check"])
    assert checked.exit_code == 1 and "недоступен — нет связи" in checked.output
    retried = unreachable.test_cli_runner().invoke(args=["torrents", "retry"])
    assert retried.exit_code == 1 and "qBittorrent недоступен: нет связи" in retried.output


class CountingClient(TorrentClient):
    """The real client, counting the deletes it is asked for and those that reached a torrent."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.delete_calls = 0
        self.deleted = 0

    def delete(self, info_hash: str, delete_files: bool) -> bool:
        self.delete_calls += 1
        found = super().delete(info_hash, delete_files)
        self.deleted += int(found)
        return found


def test_a_removal_asked_while_qbittorrent_is_down_survives_a_restart_and_goes_once(make_app):
    require(available(), "qbittorrent-nox")
    with QbittorrentNox() as nox:
        first = make_app(**settings(nox))
        first.extensions[EXTENSION_KEY] = TorrentStatusService(first, autostart=False)
        movie = add_and_ask(first.test_client(), random_movie())
        assert first.extensions[EXTENSION_KEY].run_cycle().sent == 1
        qbt = direct_client(nox)
        assert wait_for(lambda: qbt.has_torrent(movie["info_hash"]))
        qbt.close()

        nox.stop()
        asked = first.test_client().delete(f"/api/library/{movie['id']}/torrent?delete_files=1")
        assert asked.status_code == 202
        assert not first.extensions[EXTENSION_KEY].run_cycle().ok  # down: the wish waits
        assert "удаляется…" in first.test_client().get("/library").get_data(as_text=True)
        torrent_status.stop_all(timeout=10)  # the worker goes away with whatever it had in memory
        with first.app_context():
            db.session.remove()
            db.engine.dispose()

        nox.start()
        fresh = make_app(**settings(nox, TORRENT_REFRESH_SECONDS=0.1, TORRENT_IDLE_CHECK_SECONDS=0.1))
        counting = CountingClient(nox.host, nox.port, nox.username, nox.password, category="movie-lottery")
        fresh.extensions[EXTENSION_KEY] = TorrentStatusService(fresh, client_factory=lambda: counting)
        client = fresh.test_client()
        client.get("/library")  # the owner opens the library once; nobody presses anything

        qbt = direct_client(nox)
        assert wait_for(lambda: not qbt.has_torrent(movie["info_hash"]), timeout=15)
        assert wait_for(
            lambda: (
                (client.get(f"/api/library/{movie['id']}").get_json()["removal"] or {}).get("status")
                == "done"
            )
        )
        time.sleep(1.0)  # about ten more cycles of the refresher
        assert (counting.delete_calls, counting.deleted) == (1, 1)  # sent once; later cycles send nothing
        assert client.get("/api/torrents").get_json()["removals"] == []
        page = client.get("/library").get_data(as_text=True)
        assert "удаляется…" not in page and "пауза" not in page
        qbt.close()
