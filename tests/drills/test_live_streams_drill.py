"""Drill: 200 open event streams on one gevent worker; /health and a page still answer fast; a draw reaches
every stream; closed tabs end their streams on the server. Prints the memory a stream costs (PSS).

The figures go to the README («Live updates»). Bounds are many times the normal cost, not timed targets.
"""

from __future__ import annotations

import json
import os
import re
import socket
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import BACKENDS
from tests.support.gunicorn_server import GunicornServer

pytestmark = pytest.mark.drills

# On the deploy's PostgreSQL only: the streams' tick reads the same version row on either engine
# (tests/live runs both), and the drill is the suite's slowest test.
ON_POSTGRESQL = pytest.mark.parametrize("database_url", BACKENDS[1:], indirect=True)

STREAMS = 200
MOVIES = [{"name": f"Фильм {i}", "year": 2000 + i} for i in range(5)]


def request_json(url: str, body: dict | None = None) -> dict:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def timed_get(url: str) -> float:
    started = time.monotonic()
    with urllib.request.urlopen(url, timeout=30) as response:
        response.read()
        assert response.status == 200
    return time.monotonic() - started


def best_of(url: str, times: int = 5) -> float:
    return min(timed_get(url) for _ in range(times))


def pss_kb(pid: int) -> int:
    rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
    return int(re.search(r"^Pss:\s+(\d+)", rollup, re.MULTILINE).group(1))


class Tab:
    """A browser tab's event stream over a raw socket; ``next_event`` gives the next ``data:`` block."""

    def __init__(self, port: int, path: str) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        request = f"GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n"
        self.sock.sendall(request.encode())
        self.buffer = b""
        self.headers: bytes | None = None

    def next_event(self, timeout: float = 15.0) -> bytes:
        """The next event's data line (HTTP/1.0: no chunk sizes in the way; the headers are skipped)."""
        self.sock.settimeout(timeout)
        while True:
            if self.headers is None and b"\r\n\r\n" in self.buffer:
                self.headers, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
            while self.headers is not None and b"\n\n" in self.buffer:
                block, self.buffer = self.buffer.split(b"\n\n", 1)
                for line in block.split(b"\n"):
                    if line.startswith(b"data: "):
                        return line
            chunk = self.sock.recv(65536)
            assert chunk, f"closed: {self.buffer[-300:]!r}"
            self.buffer += chunk

    def close(self) -> None:
        self.sock.close()


HEARTBEAT = 3  # seconds


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def open_sockets(pid: int, port: int) -> int:
    """The worker's open connections on the site's port (not its database's): a stream whose tab is gone
    but that the server has not ended keeps one."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        target = os.readlink(fd)
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    count = 0
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if int(fields[1].split(":")[1], 16) == port and fields[9] in inodes:
            count += 1
    return count


@ON_POSTGRESQL
def test_two_hundred_open_streams_on_one_worker_leave_health_and_a_page_fast(database_url, tmp_path):
    # A 3 s heartbeat instead of 15: the write that notices the closed tabs comes sooner, nothing else moves.
    app_spec = f"movie_lottery:create_app({{'LIVE_HEARTBEAT_SECONDS': {HEARTBEAT}}})"
    with GunicornServer(
        database_url, workers=1, log_path=tmp_path / "gunicorn.log", app_spec=app_spec
    ) as server:
        lottery = request_json(server.url + "/api/lotteries", {"movies": MOVIES})
        page = f"{server.url}/l/{lottery['id']}"
        events = f"/api/lotteries/{lottery['id']}/events"
        (worker,) = server.worker_pids()
        # The first stream pays for what every later one shares (the hub, its imports): not per stream.
        warm = Tab(server.port, events)
        warm.next_event()
        health_before, page_before = best_of(server.url + "/health"), best_of(page)
        pss_before, sockets_before = pss_kb(worker), open_sockets(worker, server.port)

        streams = [Tab(server.port, events) for _ in range(STREAMS)]
        for tab in streams:
            tab.next_event()
        cpu_before = cpu_seconds(worker)
        time.sleep(5)  # five ticks with every stream parked: what holding them costs the worker
        idle_cpu = (cpu_seconds(worker) - cpu_before) / 5
        pss_after = pss_kb(worker)
        health_with, page_with = best_of(server.url + "/health"), best_of(page)
        worst_health = max(timed_get(server.url + "/health") for _ in range(10))

        started = time.monotonic()
        drawn = request_json(
            f"{server.url}/api/lotteries/{lottery['id']}/draw", {"token": lottery["play_token"]}
        )
        answered_in = time.monotonic() - started
        for index, tab in enumerate([warm, *streams]):  # in the order they were opened
            state = json.loads(tab.next_event().removeprefix(b"data: "))
            assert state["winner"] == drawn["winner"], index
        reached_all_in = time.monotonic() - started

        for tab in [warm, *streams]:
            tab.close()  # every tab closed
        time.sleep(HEARTBEAT + 2)  # the next heartbeat is the write that fails
        left_open = (
            open_sockets(worker, server.port) - sockets_before + 1
        )  # the warm stream's was counted before

    per_stream_kb = (pss_after - pss_before) / STREAMS
    print(
        f"\n/health best {health_before * 1000:.1f} ms -> {health_with * 1000:.1f} ms with {STREAMS} streams "
        f"(worst of 10: {worst_health * 1000:.1f} ms); page best {page_before * 1000:.1f} -> "
        f"{page_with * 1000:.1f} ms; worker PSS {pss_before / 1024:.1f} -> {pss_after / 1024:.1f} MB, "
        f"{per_stream_kb:.0f} KB per stream; the draw answered in {answered_in:.2f} s and reached all "
        f"{STREAMS + 1} streams {reached_all_in:.2f} s after it was asked; "
        f"server sockets left open after the tabs closed: {left_open}; the worker's CPU while they were "
        f"parked: {idle_cpu * 1000:.1f} ms per second"
    )
    assert health_with < max(10 * health_before, 0.25)
    assert page_with < max(10 * page_before, 0.5)
    assert reached_all_in < 5
    assert left_open <= 0
    assert per_stream_kb < 200
    assert idle_cpu < 0.2  # a fifth of a core at most: 200 parked streams, one version read per second
    log = (tmp_path / "gunicorn.log").read_text()
    assert "Traceback" not in log and "WORKER TIMEOUT" not in log
