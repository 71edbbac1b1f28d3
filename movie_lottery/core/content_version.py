"""How far the stored lotteries and library have moved: one number, kept by database triggers.

The triggers move it when a watched row really changed (migration 0006): an UPDATE that matches nothing,
or writes the values a row already holds, leaves it — and so every worker's cached pages — alone.

On PostgreSQL the triggers also NOTIFY the new number at commit; each worker process LISTENs on one
connection of its own, so a cached page is checked against memory instead of a query. Whenever the
listener is not known to be current (starting, reconnecting, or right after this process committed),
the number is read from the table: slower, never stale.
"""

from __future__ import annotations

import logging
import os
import select
import threading

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from movie_lottery.core.extensions import db
from movie_lottery.core.models import ContentVersion
from movie_lottery.runtime.per_process import PerProcess

log = logging.getLogger(__name__)

CHANNEL = "content_version"  # the name the triggers' function notifies on (migrations 0003, 0006)
# The tables whose rows the cached pages show, each with triggers that move the counter (0003, 0006, 0009,
# 0010).
# A migration that adds such a table adds its triggers and its name here; `flask doctor` checks them all.
WATCHED_TABLES = (
    "lottery", "lottery_movie", "library_movie", "download", "viewing", "poll", "poll_movie", "ballot",
    "site_milestone", "rating",
)  # fmt: skip
RECONNECT_DELAYS = (1, 2, 5, 10, 30)  # seconds between attempts after the listening connection broke

# A Core select on the table, not the entity: skips the ORM's loading machinery on every cached page view.
_TABLE = ContentVersion.__table__
_CURRENT = sa.select(_TABLE.c.version).where(_TABLE.c.id == 1)


def read_content_version() -> int | None:
    """The counter from the table, or None when its row is missing: then nothing may be cached."""
    return db.session.execute(_CURRENT).scalar()


def current_content_version(extensions: dict) -> int | None:
    """The counter as this process knows it: from the listener's memory when current, else the table."""
    listener = listener_for(extensions, db.engine)
    if listener is None:
        return read_content_version()
    version, epoch = listener.version()
    if version is None:
        version = read_content_version()
        listener.learned(version, epoch)
    return version


class ContentVersionListener:
    """This process's view of the counter, fed by LISTEN on a dedicated PostgreSQL connection.

    `version()` answers from memory only while the listener is connected and nothing this process
    committed is still unaccounted for; otherwise the caller reads the table and hands the number back
    with `learned()`. Numbers only grow, so a late notification can never move the view backwards.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.pid = os.getpid()
        self._lock = threading.Lock()
        self._version = 0
        self._listening = False
        self._own_commit_pending = False
        self._epoch = 0  # moves on every own commit: a read that began before it teaches nothing
        self._connected = False  # the listener thread's own flag: did the last connection get going
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def version(self) -> tuple[int | None, int]:
        """(the number from memory, or None to read the table; the epoch to hand to `learned`)."""
        self._ensure_running()
        with self._lock:
            current = self._listening and not self._own_commit_pending
            return (self._version if current else None), self._epoch

    def learned(self, version: int | None, epoch: int) -> None:
        """A number read from the table after `version()` returned `epoch`."""
        with self._lock:
            if version is not None and epoch == self._epoch and self._listening:
                self._version = max(self._version, version)
                self._own_commit_pending = False

    def committed(self) -> None:
        """This process committed: its own notification may not have arrived yet, so read the table."""
        with self._lock:
            self._own_commit_pending = True
            self._epoch += 1

    @property
    def listening(self) -> bool:
        return self._listening

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _ensure_running(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        with self._lock:
            if self._stop.is_set() or (self._thread is not None and self._thread.is_alive()):
                return
            self._thread = threading.Thread(target=self._run, name="content-version-listener", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        attempt = 0
        while not self._stop.is_set():
            self._connected = False
            try:
                self._listen()  # returns only when stopped
            except Exception as exc:  # any failure: pages read the table until it is back
                log.warning("content version listener lost its connection: %s", exc.__class__.__name__)
            with self._lock:
                self._listening = False
            if self._connected:
                attempt = 0  # it worked for a while: the next try comes quickly again
            self._stop.wait(RECONNECT_DELAYS[min(attempt, len(RECONNECT_DELAYS) - 1)])
            attempt += 1

    def _listen(self) -> None:
        pooled = self.engine.raw_connection()
        pooled.detach()  # a long-lived connection of its own, never handed to a request
        connection = pooled.dbapi_connection
        try:
            connection.rollback()  # whatever the pool's ping began; autocommit can only be set outside it
            connection.autocommit = True
            with connection.cursor() as cursor:
                cursor.execute(f"LISTEN {CHANNEL}")  # before reading: no commit can fall in between
                self._connected = True
                cursor.execute("SELECT version FROM content_version WHERE id = 1")
                row = cursor.fetchone()
            with self._lock:
                # Notifications missed while disconnected are covered by this read.
                self._version = max(self._version, row[0] if row else 0)
                self._listening = row is not None  # no row, no number: keep reading the table
            while not self._stop.is_set():
                readable, _, _ = select.select([connection], [], [], 1.0)
                if not readable:
                    continue
                connection.poll()  # raises when the server went away
                newest = max((int(note.payload) for note in connection.notifies), default=None)
                connection.notifies.clear()
                if newest is not None:
                    with self._lock:
                        self._version = max(self._version, newest)
                        self._listening = True
        finally:
            pooled.close()


EXTENSION_KEY = "content_version_listener"
_listeners = PerProcess(EXTENSION_KEY, ContentVersionListener)


def listener_for(extensions: dict, engine: Engine) -> ContentVersionListener | None:
    """This process's listener (PostgreSQL only); a forked child gets its own, threads do not survive fork."""
    if engine.dialect.name != "postgresql":
        return None
    return _listeners.get(extensions, engine)


@sa.event.listens_for(Session, "after_commit")
def _note_own_commit(_session: Session) -> None:
    for listener in _listeners.built_here():
        listener.committed()


def stop_all(timeout: float = 5.0) -> None:
    """Stop every listener in this process (tests)."""
    _listeners.stop_all(timeout)
