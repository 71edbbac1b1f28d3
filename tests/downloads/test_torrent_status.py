"""The per-process status service and its refresher, driven one cycle at a time with a stand-in client.

The stand-in speaks TorrentClient's interface from memory, so these tests pin down the refresher's rules
(what it sends, when it idles, how it uses the breaker) on both databases; the real qbittorrent-nox and the
misbehaving fakes are in test_qbittorrent_end_to_end.py and test_torrent_status_failures.py.
"""

from __future__ import annotations

import threading
import time

import pytest

from movie_lottery.core.extensions import db
from movie_lottery.core.models import Download
from movie_lottery.downloads import queue as downloads
from movie_lottery.downloads import status as torrent_status
from movie_lottery.downloads.status import EXTENSION_KEY, REFUSED_REASON, TorrentStatusService
from movie_lottery.integrations.magnet import parse_magnet
from movie_lottery.integrations.qbittorrent import TorrentClientError, TorrentLoginRejected, TorrentStatus

QBIT = {"QBIT_HOST": "127.0.0.1", "QBIT_PORT": 9, "QBIT_USERNAME": "u", "QBIT_PASSWORD": "p"}
HASH_A = "a" * 40
HASH_B = "b" * 40


def magnet(info_hash: str, name: str = "Movie") -> str:
    return f"magnet:?xt=urn:btih:{info_hash}&dn={name}"


class StubClient:
    """TorrentClient's interface from memory: torrents by hash, scripted failures, every call recorded."""

    def __init__(self) -> None:
        self.torrents: dict[str, dict] = {}
        self.calls: list[str] = []
        self.added: list[dict] = []
        self.fail_with: Exception | None = None  # raised by every call while set
        self.refuse_adds = False

    def _call(self, name: str) -> None:
        self.calls.append(name)
        if self.fail_with is not None:
            raise self.fail_with

    def list_torrents(self) -> list[TorrentStatus]:
        self._call("list")
        return [TorrentStatus.from_api(item) for item in self.torrents.values()]

    def add_magnet(self, magnet_uri: str, tags: list[str], paused: bool = False) -> None:
        self._call("add")
        info_hash = parse_magnet(magnet_uri).info_hash
        if self.refuse_adds:
            raise TorrentClientError(REFUSED_REASON)
        self.added.append({"hash": info_hash, "tags": tags, "paused": paused})
        self.put(info_hash, state="pausedDL" if paused else "metaDL")

    def delete(self, info_hash: str, delete_files: bool) -> bool:
        self._call("delete")
        return self.torrents.pop(info_hash, None) is not None

    def put(self, info_hash: str, **fields) -> None:
        item = {"hash": info_hash, "name": "Movie", "state": "downloading", "progress": 0.0}
        item.update(self.torrents.get(info_hash, {}))
        item.update(fields, category="movie-lottery")
        self.torrents[info_hash] = item


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def install(app, client: StubClient, **kwargs) -> TorrentStatusService:
    """Put a service with the stand-in client where the views will find it (no thread unless asked)."""
    kwargs.setdefault("autostart", False)
    service = TorrentStatusService(app, client_factory=lambda: client, **kwargs)
    app.extensions[EXTENSION_KEY] = service
    return service


@pytest.fixture(autouse=True)
def _stop_refreshers():
    yield
    torrent_status.stop_all(timeout=10)


@pytest.fixture
def qbit_app(make_app):
    return make_app(**QBIT)


@pytest.fixture
def stub():
    return StubClient()


@pytest.fixture
def service(qbit_app, stub):
    return install(qbit_app, stub)


def add_movie(client, name="Тихая гавань", kinopoisk_id=1000001, info_hash=HASH_A, **extra) -> dict:
    body = {"name": name, "year": 2019, "kinopoisk_id": kinopoisk_id, **extra}
    if info_hash:
        body["magnet"] = magnet(info_hash)
    response = client.post("/api/library", json=body)
    assert response.status_code in (200, 201), response.get_json()
    return response.get_json()


def ask_download(client, movie_id: int):
    response = client.post(f"/api/library/{movie_id}/download", json={})
    assert response.status_code == 202, response.get_json()
    return response.get_json()["download"]


def download_of(app, movie_id: int) -> Download:
    with app.app_context():
        row = db.session.query(Download).filter_by(movie_id=movie_id).one()
        db.session.expunge(row)
        return row


# ---- sending ----------------------------------------------------------------------------------------


def test_a_download_is_stored_first_and_sent_by_the_next_cycle_with_category_tag(qbit_app, service, stub):
    client = qbit_app.test_client()
    movie = add_movie(client)
    assert ask_download(client, movie["id"])["status"] == "pending"
    assert stub.calls == []  # the request itself never called qBittorrent

    report = service.run_cycle()

    assert report.ok and report.sent == 1
    assert stub.added == [{"hash": HASH_A, "tags": ["kp-1000001"], "paused": False}]
    assert download_of(qbit_app, movie["id"]).status == "sent"
    assert service.run_cycle().sent == 0  # nothing twice
    assert [call for call in stub.calls if call == "add"] == ["add"]


def test_a_movie_without_kinopoisk_id_is_tagged_by_its_library_id(qbit_app, service, stub):
    client = qbit_app.test_client()
    movie = add_movie(client, name="Снято вручную", kinopoisk_id=None)
    ask_download(client, movie["id"])
    service.run_cycle()
    assert stub.added[0]["tags"] == [f"movie-{movie['id']}"]


def test_test_settings_can_add_torrents_paused(make_app, stub):
    app = make_app(**QBIT, QBIT_ADD_PAUSED=True)
    service = install(app, stub)
    client = app.test_client()
    ask_download(client, add_movie(client)["id"])
    service.run_cycle()
    assert stub.added[0]["paused"] is True


def test_a_hash_already_in_the_client_counts_as_sent_and_is_not_added_again(qbit_app, service, stub):
    stub.put(HASH_A, state="downloading", progress=0.3)
    client = qbit_app.test_client()
    movie = add_movie(client)
    ask_download(client, movie["id"])

    assert service.run_cycle().sent == 1
    assert "add" not in stub.calls
    assert download_of(qbit_app, movie["id"]).status == "sent"


def test_the_download_is_done_when_qbittorrent_reports_it_complete(qbit_app, service, stub):
    client = qbit_app.test_client()
    movie = add_movie(client)
    ask_download(client, movie["id"])
    service.run_cycle()
    stub.put(HASH_A, state="uploading", progress=1.0)

    assert service.run_cycle().finished == 1
    row = download_of(qbit_app, movie["id"])
    assert row.status == "done" and row.finished_at is not None


def test_a_magnet_qbittorrent_refuses_fails_after_three_tries_without_blaming_the_connection(
    qbit_app, service, stub
):
    stub.refuse_adds = True
    client = qbit_app.test_client()
    movie = add_movie(client)
    ask_download(client, movie["id"])
    for _ in range(3):
        assert service.run_cycle().ok  # qBittorrent answered: it is available
    row = download_of(qbit_app, movie["id"])
    assert (row.status, row.attempts, row.last_error) == ("failed", 3, REFUSED_REASON)
    assert service.breaker.snapshot().state == "closed"
    # Asking again queues it once more.
    assert ask_download(client, movie["id"])["status"] == "pending"


def test_an_outage_never_fails_a_download_it_only_waits(qbit_app, service, stub):
    client = qbit_app.test_client()
    movie = add_movie(client)
    ask_download(client, movie["id"])
    stub.fail_with = TorrentClientError("нет связи")
    for _ in range(5):
        service.breaker.record_success()
        assert not service.run_cycle().ok
    row = download_of(qbit_app, movie["id"])
    assert (row.status, row.attempts) == ("pending", 0)

    stub.fail_with = None
    service.breaker.record_success()
    assert service.run_cycle().sent == 1


def test_asking_twice_keeps_one_download(qbit_app, service, stub):
    client = qbit_app.test_client()
    movie = add_movie(client)
    first = ask_download(client, movie["id"])
    second = ask_download(client, movie["id"])
    assert first["requested_at"] == second["requested_at"]
    service.run_cycle()
    assert ask_download(client, movie["id"])["status"] == "sent"  # already there: nothing new to do
    with qbit_app.app_context():
        assert db.session.query(Download).count() == 1


def test_a_sent_download_gone_from_qbittorrent_is_queued_again_when_asked(qbit_app, service, stub):
    client = qbit_app.test_client()
    movie = add_movie(client)
    ask_download(client, movie["id"])
    service.run_cycle()
    stub.torrents.clear()  # someone deleted it in qBittorrent's own UI
    service.run_cycle()
    assert ask_download(client, movie["id"])["status"] == "pending"
    assert service.run_cycle().sent == 1
    assert len(stub.added) == 2


def test_removing_a_torrent_is_queued_and_done_by_the_refresher(qbit_app, service, stub):
    client = qbit_app.test_client()
    movie = add_movie(client)
    ask_download(client, movie["id"])
    service.run_cycle()

    response = client.delete(f"/api/library/{movie['id']}/torrent?delete_files=1")
    assert response.status_code == 202
    assert response.get_json()["removal"] == {"info_hash": HASH_A, "delete_files": True, "status": "queued"}
    assert HASH_A in stub.torrents  # not yet: the request does not call qBittorrent

    assert service.run_cycle().removed == 1
    assert stub.torrents == {}
    assert client.get(f"/api/library/{movie['id']}").get_json()["download"] is None


# ---- the breaker ------------------------------------------------------------------------------------


def test_three_failures_open_the_breaker_and_then_no_call_is_made(qbit_app, service, stub):
    stub.fail_with = TorrentClientError("таймаут")
    for _ in range(3):
        assert service.run_cycle().attempted
    calls = len(stub.calls)
    assert service.breaker.snapshot().state == "open"

    report = service.run_cycle()
    assert not report.attempted and report.error == "таймаут"
    assert len(stub.calls) == calls

    data = qbit_app.test_client().get("/api/torrents").get_json()
    assert data["available"] is False and data["reason"] == "таймаут"
    assert data["breaker"]["state"] == "open" and data["breaker"]["retry_at"]


def test_a_rejected_password_opens_the_breaker_at_once_and_is_never_retried(qbit_app, service, stub):
    stub.fail_with = TorrentLoginRejected("неверный логин или пароль")
    assert service.run_cycle().error == "неверный логин или пароль"
    assert len(stub.calls) == 1
    state = service.breaker.snapshot()
    assert state.state == "open" and state.reason == "неверный логин или пароль"

    service.breaker.record_success()  # even when the breaker would let a probe through…
    for _ in range(5):
        assert not service.run_cycle().attempted
    assert len(stub.calls) == 1  # …nobody logs in again: qBittorrent bans after 5 failures

    data = qbit_app.test_client().get("/api/torrents").get_json()
    assert data["breaker"] == {"state": "open", "retry_at": None}
    assert data["reason"].startswith("неверный логин или пароль")


def test_success_closes_the_breaker_again(qbit_app, make_app, stub):
    app = make_app(**QBIT, TORRENT_BREAKER_BACKOFF=(0.0,))
    service = install(app, stub)
    stub.fail_with = TorrentClientError("нет связи")
    for _ in range(3):
        service.run_cycle()
    assert service.breaker.snapshot().state == "open"
    stub.fail_with = None
    assert service.run_cycle().ok
    assert service.breaker.snapshot().state == "closed"
    assert service.peek().available


# ---- the refresher's rhythm ---------------------------------------------------------------------------


def test_the_refresher_idles_when_nobody_looked_for_a_minute_and_nothing_is_pending(qbit_app, stub):
    clock = FakeClock()
    service = install(qbit_app, stub, clock=clock)
    with qbit_app.test_request_context():
        service.snapshot()  # a viewer
    assert service._tick() == service.interval
    assert stub.calls == ["list"]

    clock.now += 61
    assert service._tick() == service.idle_check
    assert stub.calls == ["list"]  # asleep: no call at all


def test_a_pending_download_keeps_the_refresher_working_with_nobody_watching(qbit_app, stub):
    clock = FakeClock()
    service = install(qbit_app, stub, clock=clock)
    client = qbit_app.test_client()
    movie = add_movie(client)
    ask_download(client, movie["id"])
    clock.now += 3600

    assert service._tick() == 1.0  # sent: look again in a moment to show it
    assert stub.added and download_of(qbit_app, movie["id"]).status == "sent"
    assert service._tick() == service.idle_check


def test_the_real_thread_starts_lazily_sends_and_survives_errors(make_app, stub):
    app = make_app(**QBIT, TORRENT_REFRESH_SECONDS=0.05)
    service = install(app, stub, autostart=True)
    assert not service.thread_alive  # nothing started at app creation

    original = stub.list_torrents
    blew_up = threading.Event()

    def explode_once():
        if not blew_up.is_set():
            blew_up.set()
            raise RuntimeError("a bug in the refresher")
        return original()

    stub.list_torrents = explode_once
    client = app.test_client()
    movie = add_movie(client)
    ask_download(client, movie["id"])  # starts the thread
    assert service.thread_alive
    assert [t.name for t in threading.enumerate()].count(torrent_status.THREAD_NAME) >= 1

    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and download_of(app, movie["id"]).status != "sent":
        time.sleep(0.05)
    assert blew_up.is_set()
    assert download_of(app, movie["id"]).status == "sent"
    assert service.thread_alive

    service.stop()
    assert not service.thread_alive


def test_a_forked_worker_gets_its_own_service(qbit_app, monkeypatch):
    first = torrent_status.service_for(qbit_app)
    assert torrent_status.service_for(qbit_app) is first
    monkeypatch.setattr(torrent_status.os, "getpid", lambda: first.pid + 1)
    second = torrent_status.service_for(qbit_app)
    assert second is not first and second.pid == first.pid + 1


# ---- /api/torrents ----------------------------------------------------------------------------------


def test_api_torrents_has_exactly_the_documented_shape(qbit_app, service, stub):
    client = qbit_app.test_client()
    movie = add_movie(client)
    ask_download(client, movie["id"])
    service.run_cycle()
    stub.put(HASH_A, state="stoppedDL", progress=0.25, eta=8640000, dlspeed=0, size=700)
    stub.refuse_adds = True  # the second movie's download stays in the queue
    other = add_movie(client, name="Гавань", kinopoisk_id=1000002, info_hash=HASH_B)
    ask_download(client, other["id"])
    service.run_cycle()

    data = client.get("/api/torrents").get_json()
    assert list(data) == [
        "configured", "available", "reason", "checked_at", "breaker", "torrents", "pending", "removals"
    ]  # fmt: skip
    assert data["configured"] is True and data["available"] is True and data["reason"] is None
    assert list(data["breaker"]) == ["state", "retry_at"]
    assert data["torrents"] == [
        {
            "movie_id": movie["id"],
            "info_hash": HASH_A,
            "name": "Movie",
            "state": "pausedDL",
            "progress": 0.25,
            "dlspeed": 0,
            "eta": None,
            "size": 700,
        }
    ]
    assert [p["movie_id"] for p in data["pending"]] == [other["id"]]
    assert data["pending"][0]["info_hash"] == HASH_B


def test_api_torrents_before_the_first_check(qbit_app, service):
    data = qbit_app.test_client().get("/api/torrents").get_json()
    assert data["configured"] is True and data["available"] is False and data["checked_at"] is None


def test_api_torrents_without_qbittorrent_says_so(client):
    assert client.get("/api/torrents").get_json() == {
        "configured": False,
        "available": False,
        "reason": "qBittorrent не настроен",
        "checked_at": None,
        "breaker": {"state": "closed", "retry_at": None},
        "torrents": [],
        "pending": [],
        "removals": [],
    }


def test_the_queue_functions_are_conditional(qbit_app, service):
    client = qbit_app.test_client()
    movie = add_movie(client)
    ask_download(client, movie["id"])
    with qbit_app.app_context():
        row = db.session.query(Download).one()
        assert downloads.mark_sent(row.id, HASH_B) is False  # the link changed meanwhile: not this one
        assert downloads.mark_sent(row.id, HASH_A) is True
        assert downloads.mark_sent(row.id, HASH_A) is False  # a second worker cannot send it twice
        assert downloads.mark_finished([]) == 0
