"""Workers forked from the preloaded master, first and replacement alike, serve every page."""

from __future__ import annotations

import time
import urllib.request

from tests.support.gunicorn_server import GunicornServer

PAGES = ["/", "/history", "/library", "/api/torrents", "/health"]
HTML_PAGES = {"/", "/history", "/library"}


def get(url: str) -> tuple[int, str]:
    with urllib.request.urlopen(url, timeout=30) as response:
        return response.status, response.read().decode()


def test_replacement_workers_serve_every_page(database_url, tmp_path):
    log = tmp_path / "gunicorn.log"
    recycle_often = ("--max-requests", "4", "--max-requests-jitter", "0")
    with GunicornServer(database_url, workers=2, log_path=log, extra_args=recycle_often) as server:
        answers = []
        deadline = time.monotonic() + 30
        # A gevent worker notices max_requests on its once-a-second heartbeat, so the rounds go on until
        # four replacements have booted, and the rounds after that are theirs.
        while log.read_text().count("Booting worker") < 6 and time.monotonic() < deadline:
            answers += [(path, *get(server.url + path)) for path in PAGES]
            time.sleep(0.1)
        answers += [(path, *get(server.url + path)) for path in PAGES]
    text = log.read_text()
    assert {status for _, status, _ in answers} == {200}
    assert all("Кинолотерея" in body for path, _, body in answers if path in HTML_PAGES)
    assert text.count("Booting worker") >= 6  # the first two and at least four replacements
    assert "Traceback" not in text
