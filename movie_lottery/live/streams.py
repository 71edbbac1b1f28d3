"""One event stream: the state's JSON as events with resumable ids, heartbeats, a bounded life.

The wire format (the HTML standard's text/event-stream):

- ``retry: <ms>`` first: how long the browser waits before it reconnects after a drop or the stream's end;
- ``id: <id>`` + ``data: <json>`` per state; the id is a digest of the JSON (like an ETag), so a browser that
  reconnects with ``Last-Event-ID`` gets the current state only if it differs from the last one it saw.
  Each event carries the whole state, so the latest one is everything a reconnect missed;
- ``: ♥`` comments when nothing was sent for ``heartbeat`` seconds, so proxies keep a quiet stream open and
  a closed tab is noticed: the write fails, the server closes the generator, ``finally`` releases its seat.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass


@dataclass(frozen=True)
class StreamSettings:
    tick: float = 1.0  # seconds between looks at the content version (one read per tick per process)
    heartbeat: float = 15.0  # seconds of silence before a comment line
    refresh: float = 15.0  # seconds after which the state is built again even if the version did not move
    life: float = 30 * 60.0  # seconds; then the stream ends and the browser reconnects
    retry_ms: int = 3000  # the browser's wait before reconnecting
    max_streams: int = 300  # per process: past it a new stream is refused with 503


def event_id(text: str) -> str:
    return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()


def format_event(text: str, ident: str) -> bytes:
    # The state is one line of JSON (dump_text does not indent); split anyway, as the format requires.
    data = "".join(f"data: {line}\n" for line in text.rstrip("\n").split("\n"))
    return f"id: {ident}\n{data}\n".encode()


HEARTBEAT = b": \xe2\x99\xa5\n\n"


class VersionClock:
    """The content version as this process last read it, read again at most once per ``tick``.

    Every stream of a process asks it each tick; the first asker after the tick reads the database, the
    others get the same number. ``read`` is the one database call (it needs an app context).
    """

    def __init__(
        self, read: Callable[[], int | None], tick: float, now: Callable[[], float] = time.monotonic
    ):
        self._read = read
        self._tick = tick
        self._now = now
        self._lock = threading.Lock()
        self._value: int | None = None
        self._read_at: float | None = None
        self.reads = 0

    def current(self) -> int | None:
        with self._lock:
            now = self._now()
            if self._read_at is None or now - self._read_at >= self._tick:
                self._value = self._read()
                self._read_at = now
                self.reads += 1
            return self._value


class Seats:
    """How many streams this process holds, up to a limit: a stream takes a seat or is refused."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._lock = threading.Lock()
        self.taken = 0

    def take(self) -> bool:
        with self._lock:
            if self.taken >= self.limit:
                return False
            self.taken += 1
            return True

    def release(self) -> None:
        with self._lock:
            self.taken -= 1


def follow(
    first: str,
    build: Callable[[], str | None],
    *,
    version: Callable[[], int | None],
    settings: StreamSettings,
    last_event_id: str | None = None,
    after_tick: Callable[[], None] = lambda: None,
    sleep: Callable[[float], None] = time.sleep,
    now: Callable[[], float] = time.monotonic,
) -> Iterator[bytes]:
    """The stream's chunks. ``first`` is the state's JSON text when the stream was asked for (built before
    the answer starts, so a missing lottery is an ordinary 404); ``build()`` builds it again (it may
    raise, and the stream ends with the error); ``version()`` is the
    shared content version; ``after_tick`` releases what a tick held (the database session). ``build()``
    giving None (the lottery was deleted) ends the stream: the browser's reconnect then gets the 404."""
    started = last_sent = last_built = now()
    seen: int | str | None = "unread"  # the first tick builds again: whatever moved since ``first`` shows
    yield f"retry: {settings.retry_ms}\n\n".encode()
    sent_id = last_event_id
    if event_id(first) != sent_id:
        sent_id = event_id(first)
        yield format_event(first, sent_id)
    while now() - started < settings.life:
        sleep(settings.tick)
        moment = now()
        current = version()
        if current != seen or moment - last_built >= settings.refresh:
            seen, last_built = current, moment
            text = build()
            if text is None:
                after_tick()
                return
            if event_id(text) != sent_id:
                sent_id = event_id(text)
                last_sent = moment
                yield format_event(text, sent_id)
        after_tick()
        if moment - last_sent >= settings.heartbeat:
            last_sent = moment
            yield HEARTBEAT


class SharedBuild:
    """A state built at most once per ``every`` seconds per key in this process: the downloads' status is
    the same for every stream (and changes with qBittorrent's snapshot, not only with the database)."""

    def __init__(self, every: float, now: Callable[[], float] = time.monotonic) -> None:
        self._every = every
        self._now = now
        self._lock = threading.Lock()
        self._kept: dict = {}

    def get(self, key, build: Callable[[], str]) -> str:
        with self._lock:
            moment = self._now()
            kept = self._kept.get(key)
            if kept is None or moment - kept[0] >= self._every:
                kept = (moment, build())
                self._kept[key] = kept
            return kept[1]


class Hub:
    """This process's streams: the shared clock, the seats, the shared builds (one per process)."""

    def __init__(self, read_version: Callable[[], int | None], settings: StreamSettings) -> None:
        import os

        self.pid = os.getpid()
        self.settings = settings
        self.clock = VersionClock(read_version, settings.tick)
        self.seats = Seats(settings.max_streams)
        self.shared = SharedBuild(settings.tick)

    def stop(self, timeout: float) -> None:  # PerProcess's contract: nothing runs on its own here
        return None
