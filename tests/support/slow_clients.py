"""Slow clients on loopback, as a phone on a bad network or a slowloris script would be: for the drills.

One thread drives every connection, one step a second: half-sent requests that add a header line now and
then and never finish them (reconnecting when the server drops them, as an attacker would), bodies that
trickle a byte a second and never finish, and uploads that trickle a byte a second and do finish, whose
answers are kept. Everything is on 127.0.0.1 and bounded: ``count`` connections and ``seconds``.
"""

from __future__ import annotations

import contextlib
import select
import socket
import threading
import time
from dataclasses import dataclass, field

HALF_REQUEST = b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: slow-drill\r\n"


@dataclass
class SlowConnection:
    kind: str  # "headers", "endless body", "upload"
    head: bytes  # sent at once, on connecting
    body: bytes  # then a byte a step
    sent: int = 0
    sock: socket.socket | None = None
    answer: bytes = b""
    finished: bool = False  # an upload's answer read to the end
    dropped: int = 0  # times the server closed it before it was done

    @property
    def status(self) -> int | None:
        """The HTTP status of an upload's answer, once it came."""
        if not self.answer.startswith(b"HTTP/1.1 "):
            return None
        return int(self.answer[9:12])


@dataclass
class SlowClients:
    """``with SlowClients(port, seconds=40) as slow: slow.half_requests(40) …``; all closed on leaving."""

    port: int
    seconds: float = 60.0  # the hard bound: no connection outlives it, whatever the test does
    step: float = 1.0  # a byte (or a header byte) per connection per step
    connections: list[SlowConnection] = field(default_factory=list)
    opened: int = 0

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="slow-clients", daemon=True)

    # ---- what to open ---------------------------------------------------------------------------------

    def half_requests(self, count: int) -> None:
        """Connections that send a request line and some headers, then a header byte a step, never the end."""
        endless_header = b"X-Still-Typing: " + b"a" * 10_000_000
        for _ in range(count):
            self._add(SlowConnection("headers", HALF_REQUEST, endless_header))

    def endless_bodies(self, count: int, path: str) -> None:
        """POSTs announcing a 100 kB JSON body and sending it a byte a step: never done within the bound."""
        head = self._post_head(path, 100_000, keep_alive=True)
        for _ in range(count):
            self._add(SlowConnection("endless body", head, b" " * 100_000))

    def uploads(self, path: str, bodies: list[bytes]) -> list[SlowConnection]:
        """POSTs whose (short) bodies trickle a byte a step and finish; their answers are read."""
        added = []
        for body in bodies:
            added.append(self._add(SlowConnection("upload", self._post_head(path, len(body)), body)))
        return added

    def open_count(self) -> int:
        with self._lock:
            return sum(1 for c in self.connections if c.sock is not None)

    def uploads_finished(self) -> bool:
        with self._lock:
            return all(c.finished for c in self.connections if c.kind == "upload")

    # ---- driving them ---------------------------------------------------------------------------------

    @staticmethod
    def _post_head(path: str, length: int, keep_alive: bool = False) -> bytes:
        return (
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"Content-Length: {length}\r\nConnection: {'keep-alive' if keep_alive else 'close'}\r\n\r\n"
        ).encode()

    def _add(self, connection: SlowConnection) -> SlowConnection:
        self._connect(connection)
        with self._lock:
            self.connections.append(connection)
        return connection

    def _connect(self, connection: SlowConnection) -> None:
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=5)
        sock.sendall(connection.head)
        sock.setblocking(False)
        connection.sock, connection.sent = sock, 0
        self.opened += 1

    def _close(self, connection: SlowConnection) -> None:
        if connection.sock is not None:
            connection.sock.close()
            connection.sock = None

    def _send_a_byte(self, connection: SlowConnection) -> None:
        if connection.sent >= len(connection.body):
            return
        try:
            connection.sent += connection.sock.send(connection.body[connection.sent : connection.sent + 1])
        except (BlockingIOError, InterruptedError):
            pass
        except OSError:  # the server dropped it
            self._dropped(connection)

    def _dropped(self, connection: SlowConnection) -> None:
        self._close(connection)
        connection.dropped += 1
        if connection.kind != "upload" and not self._stop.is_set():
            with contextlib.suppress(OSError):
                self._connect(connection)  # an attacker just opens another one

    def _read(self, connection: SlowConnection) -> None:
        try:
            chunk = connection.sock.recv(65536)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            chunk = b""
        if chunk:
            connection.answer += chunk
            return
        if connection.kind == "upload" and connection.status is not None:
            connection.finished = True  # Connection: close — the end of the answer
            self._close(connection)
        else:
            self._dropped(connection)

    def _run(self) -> None:
        deadline = time.monotonic() + self.seconds
        while not self._stop.is_set() and time.monotonic() < deadline:
            with self._lock:
                live = [c for c in self.connections if c.sock is not None]
                for connection in live:
                    self._send_a_byte(connection)
                socks = {c.sock: c for c in self.connections if c.sock is not None}
                readable, _, _ = select.select(list(socks), [], [], 0) if socks else ([], [], [])
                for sock in readable:
                    self._read(socks[sock])
            self._stop.wait(self.step)
        self._stop.set()
        with self._lock:
            for connection in self.connections:
                self._close(connection)

    def __enter__(self) -> SlowClients:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=self.step + 10)
