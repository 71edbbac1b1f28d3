"""qBittorrent status per worker process: one client, one breaker, the latest snapshot and one refresher.

Requests call ``snapshot()``, ``wake()`` and ``queue_removal()``: memory reads, a deque append and an
``Event.set()``. Only the refresher thread (and the ``flask torrents`` CLI through ``run_cycle()``) talks to
qBittorrent, so no request ever waits on it, whatever state it is in.

The thread starts lazily, inside the first request that reads the status or asks for a download, so the
gunicorn master (which never serves a request) never runs one and every worker gets its own. It refreshes
about every 5 s while somebody has looked at the status in the last minute or something is pending, and
otherwise sleeps without calling anyone. A rejected password stops all automatic calls in this process:
qBittorrent bans an address after 5 failed logins, and a password does not fix itself.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from flask import Flask, current_app
from sqlalchemy.exc import SQLAlchemyError

from . import downloads
from .config import qbit_configured
from .extensions import db
from .integrations.breaker import BreakerState, CircuitBreaker
from .integrations.magnet import InvalidMagnet
from .integrations.qbittorrent import TorrentClient, TorrentClientError, TorrentLoginRejected, TorrentStatus
from .models import Lottery
from .per_process import PerProcess

log = logging.getLogger("movie_lottery.torrents")

EXTENSION_KEY = "torrent_status"
THREAD_NAME = "torrent-refresher"
REFRESH_SECONDS = 5.0
IDLE_AFTER_SECONDS = 60.0
IDLE_CHECK_SECONDS = 30.0
AFTER_SEND_SECONDS = 1.0  # a just-added torrent shows up in qBittorrent's list a moment later
BREAKER_BACKOFF = (30.0, 60.0, 300.0, 900.0)
# TorrentClient.add_magnet's words when qBittorrent answered "Fails." and does not have the torrent.
REFUSED_REASON = "ошибка qBittorrent: торрент не добавлен"
NOT_CONFIGURED_REASON = "qBittorrent не настроен"
LOGIN_REJECTED_NOTE = "автоматических попыток больше не будет: исправьте логин/пароль и перезапустите сайт"


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Snapshot:
    """What this process last learned from qBittorrent. Immutable: readers never see half an update."""

    configured: bool
    available: bool
    reason: str | None
    checked_at: datetime | None
    torrents: tuple[TorrentStatus, ...] = ()

    def by_hash(self) -> dict[str, TorrentStatus]:
        return {torrent.info_hash: torrent for torrent in self.torrents}


@dataclass(frozen=True)
class CycleReport:
    attempted: bool  # False: not configured, breaker open, or the password was refused earlier
    ok: bool
    sent: int = 0
    finished: int = 0
    removed: int = 0
    error: str | None = None
    seconds: float = 0.0


@dataclass(frozen=True)
class _Pending:
    id: int
    info_hash: str
    magnet: str
    tag: str


def torrent_tag(kinopoisk_id: int | None, movie_id: int) -> str:
    """The tag that lets the owner find a movie's torrent in qBittorrent: ``kp-<id>`` or ``movie-<id>``."""
    return f"kp-{kinopoisk_id}" if kinopoisk_id else f"movie-{movie_id}"


def client_from_config(config) -> TorrentClient:
    return TorrentClient(
        config["QBIT_HOST"],
        config.get("QBIT_PORT"),
        config["QBIT_USERNAME"],
        config["QBIT_PASSWORD"],
        category=config.get("QBIT_CATEGORY") or "movie-lottery",
        connect_timeout=float(config.get("QBIT_CONNECT_TIMEOUT", 2.0)),
        read_timeout=float(config.get("QBIT_READ_TIMEOUT", 3.0)),
    )


class TorrentStatusService:
    """Everything this process knows and does about qBittorrent. Built by ``service_for(app)``."""

    def __init__(
        self,
        app: Flask,
        client_factory: Callable[[], TorrentClient] | None = None,
        clock: Callable[[], float] = time.monotonic,
        autostart: bool = True,
    ) -> None:
        # The refresher thread has no app context: keep the real app, never the ``current_app`` proxy.
        app = _real_app(app)
        config = app.config
        self.app = app
        self.pid = os.getpid()
        self.configured = qbit_configured(config)
        # Test knobs come through app.config only (never the environment); the defaults are production's.
        self.interval = float(config.get("TORRENT_REFRESH_SECONDS", REFRESH_SECONDS))
        self.idle_after = float(config.get("TORRENT_IDLE_AFTER_SECONDS", IDLE_AFTER_SECONDS))
        self.idle_check = float(config.get("TORRENT_IDLE_CHECK_SECONDS", IDLE_CHECK_SECONDS))
        self.add_paused = bool(config.get("QBIT_ADD_PAUSED", False))
        backoff: Sequence[float] = config.get("TORRENT_BREAKER_BACKOFF") or BREAKER_BACKOFF
        self.breaker = CircuitBreaker(failure_threshold=3, backoff=backoff)
        self._client_factory = client_factory or (lambda: client_from_config(config))
        self._client: TorrentClient | None = None
        self._clock = clock
        self._snapshot = Snapshot(
            configured=self.configured,
            available=False,
            reason=None if self.configured else NOT_CONFIGURED_REASON,
            checked_at=None,
        )
        self._last_asked: float | None = None
        self.login_rejected = False
        self._removals: deque[tuple[str, bool]] = deque()
        self._lock = threading.Lock()
        self._cycle_lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.autostart = autostart  # False: no thread, tests and the CLI call run_cycle() themselves

    # -- what requests call: memory only -------------------------------------------------------------

    def snapshot(self) -> Snapshot:
        """The latest status. Counts as "somebody is watching" and starts or wakes the refresher."""
        if not self.configured:
            return self._snapshot
        now = self._clock()
        was_idle = self._last_asked is None or now - self._last_asked >= self.idle_after
        self._last_asked = now
        self._ensure_thread()
        if was_idle:
            self._wake.set()  # the refresher may be asleep: refresh now rather than in half a minute
        return self._snapshot

    def peek(self) -> Snapshot:
        """The latest status without counting as a viewer (tests, CLI)."""
        return self._snapshot

    def breaker_state(self) -> BreakerState:
        state = self.breaker.snapshot()
        if self.login_rejected:  # no probe will come: do not promise one
            return replace(state, state="open", retry_at=None)
        return state

    def wake(self) -> None:
        """Something was queued: send it now (starts the refresher if needed)."""
        if not self.configured:
            return
        self._ensure_thread()
        self._wake.set()

    def queue_removal(self, info_hash: str, delete_files: bool) -> None:
        with self._lock:
            self._removals.append((info_hash, bool(delete_files)))
        self.wake()

    # -- the refresher thread ------------------------------------------------------------------------

    @property
    def thread_alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _ensure_thread(self) -> None:
        if self.thread_alive or self._stop.is_set() or not self.autostart:
            return
        with self._lock:
            if self.thread_alive or self._stop.is_set():
                return
            self._thread = threading.Thread(target=self._loop, name=THREAD_NAME, daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the refresher (tests; a worker simply exits). Waits for an in-flight call to end."""
        self._stop.set()
        self._wake.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    def _loop(self) -> None:
        log.info("torrent refresher started in process %s", os.getpid())
        while not self._stop.is_set():
            delay = self.interval
            try:
                delay = self._tick()
            except Exception:  # the refresher must outlive any bug or outage; the next tick tries again
                log.exception("torrent refresher tick failed; carrying on")
            if self._stop.is_set():
                break
            self._wake.wait(delay)
            self._wake.clear()
        log.info("torrent refresher stopped")

    def _tick(self) -> float:
        """One turn of the loop; returns how long to sleep."""
        if self.login_rejected or not self._wanted():
            return self.idle_check
        report = self.run_cycle()
        return min(self.interval, AFTER_SEND_SECONDS) if report.sent else self.interval

    def _wanted(self) -> bool:
        """Idle unless someone looked at the status within a minute, or something waits to be done."""
        watched = self._last_asked is not None and self._clock() - self._last_asked < self.idle_after
        if watched or self._removals:
            return True
        with self.app.app_context():
            try:
                return downloads.has_pending()
            finally:
                db.session.remove()

    # -- one cycle: the only code that calls qBittorrent ---------------------------------------------

    def run_cycle(self) -> CycleReport:
        """Remove what was asked, refresh the snapshot, send pending downloads, mark finished ones.

        Synchronous, one at a time per process; the refresher calls it, and so can tests and the CLI.
        """
        if not self.configured:
            return CycleReport(attempted=False, ok=False, error=NOT_CONFIGURED_REASON)
        with self._cycle_lock, self.app.app_context():
            started = self._clock()
            try:
                report = self._cycle()
            finally:
                db.session.remove()
            return replace(report, seconds=self._clock() - started)

    def _cycle(self) -> CycleReport:
        if self.login_rejected or not self.breaker.allow():
            return CycleReport(attempted=False, ok=False, error=self.breaker.snapshot().reason)
        pending = self._load_pending()
        try:
            client = self._get_client()
            removed = self._remove_queued(client)
            torrents = client.list_torrents()
            listed_at = _now()  # what the list shows is as of now; what is sent below is newer
            sent = self._send(client, pending, {torrent.info_hash for torrent in torrents})
        except TorrentLoginRejected as exc:
            self.login_rejected = True
            self.breaker.record_failure(exc.reason, open_now=True)
            self._publish_failure(f"{exc.reason} — {LOGIN_REJECTED_NOTE}")
            log.error("qBittorrent refused the login (%s); no more automatic attempts", exc.reason)
            return CycleReport(attempted=True, ok=False, error=exc.reason)
        except TorrentClientError as exc:
            self.breaker.record_failure(exc.reason)
            self._publish_failure(exc.reason)
            log.warning("qBittorrent unavailable: %s", exc.reason)
            return CycleReport(attempted=True, ok=False, error=exc.reason)
        self.breaker.record_success()
        self._snapshot = Snapshot(
            configured=True, available=True, reason=None, checked_at=listed_at, torrents=tuple(torrents)
        )
        finished = self._db(
            lambda: downloads.mark_finished(t.info_hash for t in torrents if t.progress >= 1.0), 0
        )
        return CycleReport(attempted=True, ok=True, sent=sent, finished=finished, removed=removed)

    def _get_client(self) -> TorrentClient:
        if self._client is None:
            self._client = self._client_factory()
        return self._client

    def _publish_failure(self, reason: str) -> None:
        self._snapshot = Snapshot(configured=True, available=False, reason=reason, checked_at=_now())

    def _db(self, action: Callable, default):
        """Database work in a cycle: an outage is logged and never counted against qBittorrent."""
        try:
            return action()
        except SQLAlchemyError:
            log.exception("torrent refresher: database error")
            db.session.rollback()
            return default

    def _load_pending(self) -> list[_Pending]:
        def load() -> list[_Pending]:
            return [
                _Pending(
                    id=item.id,
                    info_hash=item.info_hash,
                    magnet=item.magnet,
                    tag=torrent_tag(item.movie.kinopoisk_id, item.movie_id),
                )
                for item in downloads.pending_downloads()
            ]

        return self._db(load, [])

    def _remove_queued(self, client: TorrentClient) -> int:
        removed = 0
        while True:
            with self._lock:
                if not self._removals:
                    return removed
                info_hash, delete_files = self._removals.popleft()
            try:
                removed += int(client.delete(info_hash, delete_files=delete_files))
            except TorrentClientError:
                with self._lock:
                    self._removals.appendleft((info_hash, delete_files))
                raise

    def _send(self, client: TorrentClient, pending: list[_Pending], known: set[str]) -> int:
        """Send each pending download; one already in qBittorrent counts as sent and is not added again."""
        sent = 0
        for item in pending:
            if item.info_hash not in known:
                try:
                    client.add_magnet(item.magnet, tags=[item.tag], paused=self.add_paused)
                except InvalidMagnet as exc:
                    self._note_failure(item, exc.message, permanent=True)
                    continue
                except TorrentLoginRejected:
                    raise
                except TorrentClientError as exc:
                    refused = exc.reason == REFUSED_REASON
                    self._note_failure(item, exc.reason, refused=refused)
                    if refused:
                        continue  # qBittorrent is fine; it just would not take this one
                    raise
                log.info("sent %s to qBittorrent", item.info_hash)
            if self._db(lambda i=item: downloads.mark_sent(i.id, i.info_hash), False):
                sent += 1
        return sent

    def _note_failure(self, item: _Pending, reason: str, **kind: bool) -> None:
        self._db(lambda: downloads.record_failure(item.id, reason, **kind), None)


# ---- one service per app and process ----------------------------------------------------------------

_services = PerProcess(EXTENSION_KEY, TorrentStatusService)


def _real_app(app: Flask) -> Flask:
    unwrap = getattr(app, "_get_current_object", None)
    return unwrap() if unwrap is not None else app


def service_for(app: Flask) -> TorrentStatusService:
    """This process's service for ``app``; a forked child gets a fresh one (threads do not survive fork)."""
    app = _real_app(app)
    return _services.get(app.extensions, app)


def stop_all(timeout: float = 10.0) -> None:
    """Stop every refresher in this process (tests)."""
    _services.stop_all(timeout)


def status_summary(service: TorrentStatusService) -> dict:
    """The status fields every view shows, from memory only."""
    snapshot = service.peek()
    breaker = service.breaker_state()
    return {
        "configured": snapshot.configured,
        "available": snapshot.available,
        "reason": snapshot.reason,
        "checked_at": snapshot.checked_at.isoformat() if snapshot.checked_at else None,
        "breaker": {
            "state": breaker.state,
            "retry_at": breaker.retry_at.isoformat() if breaker.retry_at else None,
        },
    }


def queue_auto_download(lottery: Lottery) -> None:
    """The draw's "download the winner" option: store the wish and wake the refresher. Never raises,
    so a problem here can never spoil the draw itself (which is already committed)."""
    app = _real_app(current_app)
    if not qbit_configured(app.config):
        log.info("lottery %s wants its winner downloaded, but qBittorrent is not configured", lottery.id)
        return
    try:
        if downloads.queue_winner_download(lottery) is not None:
            service_for(app).wake()
    except Exception:
        log.exception("lottery %s: could not queue the winner's download", lottery.id)
        db.session.rollback()
