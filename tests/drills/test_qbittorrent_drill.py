"""Drill: a real qBittorrent goes silent (black hole), then away, then comes back — the site never waits.

The black hole is the real qbittorrent-nox frozen with SIGSTOP: the kernel still accepts connections on its
port, and nothing ever answers, exactly like a home router that drops the traffic.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import time
import urllib.request

import pytest

from movie_lottery.downloads import status as torrent_status
from tests.conftest import require
from tests.support.fakes.qbittorrent_nox import QbittorrentNox, available

pytestmark = [pytest.mark.drills, pytest.mark.qbittorrent]

PAGES = ["/", "/history", "/library", "/api/torrents", "/api/library"]


@pytest.fixture(autouse=True)
def _stop_refreshers():
    yield
    torrent_status.stop_all(timeout=10)


def get(url: str) -> tuple[int, float, dict | None]:
    started = time.monotonic()
    with urllib.request.urlopen(url, timeout=10) as response:
        body = response.read()
        data = json.loads(body) if "json" in response.headers["Content-Type"] else None
        return response.status, time.monotonic() - started, data


def post(url: str, body: dict | None = None) -> tuple[int, dict]:
    data = json.dumps(body or {}).encode()
    headers = {"Content-Type": "application/json"}
    request = urllib.request.Request(url, data=data, headers=headers, method="POST")
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, json.loads(response.read())


def wait_for(predicate, timeout: float = 20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("condition not reached in time")


def status(server) -> dict:
    return get(server.url + "/api/torrents")[2]


def status_when(server, predicate, timeout: float = 20.0) -> dict:
    """The first /api/torrents answer that satisfies ``predicate``."""

    def check():
        current = status(server)
        return current if predicate(current) else None

    return wait_for(check, timeout)


QBIT_TIMEOUT = 3.0  # seconds; a request that waited on the frozen qBittorrent would take at least this


def pages_answer_at_once(server) -> None:
    for path in PAGES:
        code, elapsed, _ = get(server.url + path)
        assert code == 200, path
        # Far below the qBittorrent bound even on a saturated machine (1.4 s seen under CI plus a suite).
        assert elapsed < QBIT_TIMEOUT - 0.5, (path, elapsed)


def test_qbittorrent_silent_then_gone_then_back(start_server):
    require(available(), "qbittorrent-nox")
    with QbittorrentNox() as nox:
        server = start_server(
            QBIT_HOST=nox.host, QBIT_PORT=nox.port, QBIT_USERNAME=nox.username, QBIT_PASSWORD=nox.password,
            QBIT_ADD_PAUSED=True, QBIT_CONNECT_TIMEOUT=QBIT_TIMEOUT, QBIT_READ_TIMEOUT=QBIT_TIMEOUT,
            TORRENT_REFRESH_SECONDS=0.2, TORRENT_BREAKER_BACKOFF=(1.0, 1.0, 1.0),
        )  # fmt: skip

        # Healthy.
        wait_for(lambda: status(server)["available"])
        pages_answer_at_once(server)

        # Black hole: the process is frozen, its port still accepts.
        os.kill(nox.process.pid, signal.SIGSTOP)
        try:
            info_hash = secrets.token_hex(20)
            movie = {"name": "Во время тишины", "magnet": f"magnet:?xt=urn:btih:{info_hash}&dn=drill"}
            code, stored = post(server.url + "/api/library", movie)
            assert code == 201
            code, asked = post(f"{server.url}/api/library/{stored['id']}/download")
            assert code == 202 and asked["download"]["status"] == "pending"
            silent = status_when(server, lambda s: not s["available"], timeout=30)
            assert silent["reason"]
            assert [p["info_hash"] for p in silent["pending"]] == [info_hash]
            pages_answer_at_once(server)
        finally:
            os.kill(nox.process.pid, signal.SIGCONT)

        # Gone: nothing listens any more.
        nox.stop()
        gone = status_when(server, lambda s: not s["available"] and s["pending"])
        assert gone["pending"][0]["info_hash"] == info_hash
        pages_answer_at_once(server)

        # Back: the pending download goes out by itself, once.
        nox.start()
        back = status_when(server, lambda s: s["available"] and not s["pending"], timeout=30)
        torrents = wait_for(lambda: status(server)["torrents"])
        assert [t["info_hash"] for t in torrents] == [info_hash]
        assert torrents[0]["movie_id"] == stored["id"]
        assert back["breaker"]["state"] == "closed"
        pages_answer_at_once(server)
