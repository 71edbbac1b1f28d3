"""Under gevent, a client with many requests queued on one kept-alive connection cannot make others wait.

gunicorn's gevent worker reads a connection's next request straight from its buffer without yielding, so
one client pipelining 500 requests was served all 500 before anyone else got in; green.TakeTurns puts
each request behind the connections that are ready. Remove it from gunicorn_config.py and this fails.
"""

from __future__ import annotations

import socket
import threading
import time
import urllib.request

from tests.support.gunicorn_server import GunicornServer

QUEUED = 500
# /health touches no database: on PostgreSQL a page's query would yield by itself (green.py) and hide it.
GREEDY_REQUEST = b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"


def test_a_client_with_five_hundred_queued_requests_does_not_hold_up_another(database_url, tmp_path):
    with GunicornServer(database_url, workers=1, log_path=tmp_path / "gunicorn.log") as server:
        finished: dict[str, float] = {}
        greedy = socket.create_connection(("127.0.0.1", server.port), timeout=30)

        def read_every_answer() -> None:
            seen = b""
            while seen.count(b"HTTP/1.1 200") < QUEUED:
                chunk = greedy.recv(1 << 20)
                if not chunk:
                    break
                seen += chunk
            finished["greedy"] = time.monotonic()

        reader = threading.Thread(target=read_every_answer)
        reader.start()
        greedy.sendall(GREEDY_REQUEST * QUEUED)
        time.sleep(0.02)  # the worker is busy with the queue now
        with urllib.request.urlopen(server.url + "/health", timeout=30) as response:
            assert response.status == 200
            finished["other"] = time.monotonic()
        reader.join(timeout=60)
        greedy.close()
    assert "greedy" in finished
    assert finished["other"] < finished["greedy"]  # served in between, not after all 500
