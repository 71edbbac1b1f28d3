"""Local stand-ins for a qBittorrent that misbehaves: nothing listening, silence, 500s, garbage, bad password.

All of them bind 127.0.0.1 on port 0 and are context managers; leaving the ``with`` block stops them.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Self

LOOPBACK = "127.0.0.1"


@contextlib.contextmanager
def refused_port() -> Iterator[int]:
    """A loopback port with nothing listening: connecting to it is refused at once.

    The port is bound (not listening) for the whole block, so no other test can grab it meanwhile.
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.bind((LOOPBACK, 0))
        yield sock.getsockname()[1]
    finally:
        sock.close()


class BlackHoleServer:
    """Accepts TCP connections and never answers a byte; closes them all on stop."""

    def __init__(self) -> None:
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind((LOOPBACK, 0))
        self._sock.listen(64)
        self._sock.settimeout(0.1)
        self.host = LOOPBACK
        self.port: int = self._sock.getsockname()[1]
        self.connections: list[socket.socket] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept_loop, name="black-hole", daemon=True)

    def _accept_loop(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections.append(conn)

    def start(self) -> Self:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        for conn in self.connections:
            with contextlib.suppress(OSError):
                conn.close()
        self._sock.close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


class FakeQbitServer:
    """A tiny HTTP server that speaks just enough of the WebUI API to fail in one chosen way.

    Modes: ``"500"`` login works, every other call answers 500; ``"invalid_json"`` login works,
    ``torrents/info`` answers garbage; ``"wrong_password"`` login answers 200 ``Fails.``;
    ``"ok"`` login works, version answers, ``torrents/info`` answers ``[]``. ``login_attempts`` counts logins.
    """

    MODES = ("500", "invalid_json", "wrong_password", "ok")

    def __init__(self, mode: str) -> None:
        if mode not in self.MODES:
            raise ValueError(f"unknown mode {mode!r}")
        self.mode = mode
        self.login_attempts = 0
        self.requests: list[str] = []
        self._count_lock = threading.Lock()
        self._server = ThreadingHTTPServer((LOOPBACK, 0), self._handler_class())
        self._server.daemon_threads = True
        self.host = LOOPBACK
        self.port: int = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="fake-qbit", daemon=True
        )

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:
                pass

            def do_HEAD(self) -> None:
                self._reply(200, b"")

            def do_GET(self) -> None:
                self._route()

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                self._route()

            def _route(self) -> None:
                path = self.path.split("?", 1)[0]
                with fake._count_lock:
                    fake.requests.append(path)
                    if path == "/api/v2/auth/login":
                        fake.login_attempts += 1
                if path == "/api/v2/auth/login":
                    if fake.mode == "wrong_password":
                        self._reply(200, b"Fails.")
                    else:
                        self._reply(200, b"Ok.", cookie="SID=fake-session; HttpOnly; path=/")
                    return
                if fake.mode == "500":
                    self._reply(500, b"Internal Server Error")
                elif path == "/api/v2/app/version":
                    self._reply(200, b"v4.5.2")
                elif path == "/api/v2/app/webapiVersion":
                    self._reply(200, b"2.8.19")
                elif path == "/api/v2/torrents/info":
                    if fake.mode == "invalid_json":
                        self._reply(200, b"{not json at all", content_type="application/json")
                    else:
                        self._reply(200, json.dumps([]).encode(), content_type="application/json")
                else:
                    self._reply(404, b"Not Found")

            def _reply(
                self, status: int, body: bytes, content_type: str = "text/plain", cookie: str | None = None
            ) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                if cookie:
                    self.send_header("Set-Cookie", cookie)
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

        return Handler

    def start(self) -> Self:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=2)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
