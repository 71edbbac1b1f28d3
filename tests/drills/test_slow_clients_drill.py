"""Drill: ten times as many slow clients as gthread had threads, and every page still answers at once.

Under the threaded worker the site ran before (2 workers × 4 threads), 8 connections that sent half their
headers, or a body a byte a second, held every thread and /health stopped answering. Here 80 of them, on
loopback: half-sent headers that keep typing, bodies that trickle for ever, and uploads that trickle a byte
a second and do finish — those must be stored, every one.
"""

from __future__ import annotations

import json
import time
import urllib.request

import pytest

from tests.support.gunicorn_server import GunicornServer
from tests.support.slow_clients import SlowClients

pytestmark = pytest.mark.drills

WORKERS = 2
THREADS_BEFORE = WORKERS * 4  # what gthread gave: the drill sends ten times as many slow connections
PAGES = ["/health", "/", "/history", "/library", "/api/library"]
WELL_UNDER_A_SECOND = 0.5
CONFIG = "gunicorn_config.py"  # bench/gthread_config.py here makes the drill fail (every page times out)


def get(url: str) -> tuple[int, float]:
    started = time.monotonic()
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            response.read()
            return response.status, time.monotonic() - started
    except OSError:  # no answer within 5 s
        return 0, time.monotonic() - started


# On the production engine only: what it drills is gunicorn's workers, the same whichever database.
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_eighty_slow_clients_leave_every_page_answering_and_lose_no_finished_upload(database_url, tmp_path):
    log = tmp_path / "gunicorn.log"
    names = [f"Slow {n:02d}" for n in range(10)]
    bodies = [json.dumps({"name": name}).encode() for name in names]  # ~17 bytes: ~17 s at a byte a second
    with GunicornServer(database_url, workers=WORKERS, log_path=log, config=CONFIG) as server:
        for path in PAGES:  # the first visit of a page compiles its template: not what is measured here
            get(server.url + path)
        with SlowClients(server.port, seconds=60) as slow:
            slow.half_requests(5 * THREADS_BEFORE)
            slow.endless_bodies(5 * THREADS_BEFORE - len(bodies), "/api/library")
            uploads = slow.uploads("/api/library", bodies)
            assert slow.open_count() == 10 * THREADS_BEFORE
            answers = []
            deadline = time.monotonic() + 45
            while not slow.uploads_finished() and time.monotonic() < deadline:
                answers += [(path, *get(server.url + path)) for path in PAGES]
                time.sleep(0.2)
            slow_at_the_end = slow.open_count()
        with urllib.request.urlopen(server.url + "/api/library", timeout=30) as response:
            library = json.loads(response.read())
    text = log.read_text()

    late = [(path, status, round(seconds, 2)) for path, status, seconds in answers
            if status != 200 or seconds >= WELL_UNDER_A_SECOND]  # fmt: skip
    assert len(answers) >= 10 * len(PAGES) and not late, f"{len(late)} of {len(answers)} late: {late[:10]}"
    assert [upload.status for upload in uploads] == [201] * len(names)  # each stored, none refused
    assert sorted(movie["name"] for movie in library["movies"]) == names
    # The 70 that never finish were still connected at the end (a dropped half-request reconnects at once).
    assert slow_at_the_end >= 9 * THREADS_BEFORE - len(bodies)
    assert "Traceback" not in text
