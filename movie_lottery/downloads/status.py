"""qBittorrent status per worker process: one client, one breaker, the latest snapshot and one refresher.

Requests call ``snapshot()`` and ``wake()``: memory reads and an ``Event.set()``. What they want done (a
download, a removal) they store first as a row of the queue in downloads.py, so it survives this process.
Only the refresher thread (and the ``flask torrents`` CLI through ``run_cycle()``) talks to qBittorrent, so
no request ever waits on it, whatever state it is in; and the refresher never holds a database transaction
open while it waits on qBittorrent: it reads what it needs and ends the transaction, calls, then writes each
result in a short transaction of its own.

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
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from flask import Flask, current_app
from sqlalchemy.exc import SQLAlchemyError

from movie_lottery.core import events
from movie_lottery.core.config import qbit_configured, qbit_verify_tls
from movie_lottery.core.extensions import db
from movie_lottery.core.models import Lottery, Poll
from movie_lottery.downloads import queue as downloads
from movie_lottery.integrations.breaker import BreakerState, CircuitBreaker
from movie_lottery.integrations.magnet import InvalidMagnet
from movie_lottery.integrations.qbittorrent import (
    TorrentCertificateUntrusted,
    TorrentClient,
    TorrentClientError,
    TorrentLoginRejected,
    TorrentStatus,
)
from movie_lottery.runtime.background_loop import BackgroundLoop
from movie_lottery.runtime.per_process import PerProcess, real_app

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
CERTIFICATE_NOTE = "для домашнего сервера с самоподписанным сертификатом задайте QBIT_VERIFY_TLS=false"
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


@dataclass(frozen=True)
class _Removal:
    id: int
    info_hash: str
    delete_files: bool
    status: str  # pending: to send; sent: to confirm from the list


@dataclass(frozen=True)
class _Work:
    """What one cycle does, as read from the database before any call (plain values, no ORM rows)."""

    downloads: list[_Pending]
    removals: list[_Removal]
    keep: frozenset[str]  # hashes another movie's download wants: never removed


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
        verify_certificate=qbit_verify_tls(config),
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
        app = real_app(app)
        config = app.config
        self.app = app
        self.pid = os.getpid()
        self.configured = qbit_configured(config)
        # Test knobs come through app.config only (never the environment); the defaults are production's.
        self.interval = float(config.get("TORRENT_REFRESH_SECONDS", REFRESH_SECONDS))
        self.idle_after = float(config.get("TORRENT_IDLE_AFTER_SECONDS", IDLE_AFTER_SECONDS))
        self.idle_check = float(config.get("TORRENT_IDLE_CHECK_SECONDS", IDLE_CHECK_SECONDS))
        self.add_paused = bool(config.get("QBIT_ADD_PAUSED", False))
        self.verify_tls = qbit_verify_tls(config)
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
        self._cycle_lock = threading.Lock()
        self._refresher = BackgroundLoop(THREAD_NAME, self._tick, failure_delay=lambda: self.interval)
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
            self._refresher.wake()  # it may be asleep: refresh now rather than in half a minute
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
        self._refresher.wake()

    # -- the refresher thread ------------------------------------------------------------------------

    @property
    def thread_alive(self) -> bool:
        return self._refresher.alive

    def _ensure_thread(self) -> None:
        if self.autostart:
            self._refresher.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the refresher (tests; a worker simply exits). Waits for an in-flight call to end."""
        self._refresher.stop(timeout)

    def _tick(self) -> float:
        """One turn of the loop; returns how long to sleep."""
        if self.login_rejected or not self._wanted():
            return self.idle_check
        report = self.run_cycle()
        return min(self.interval, AFTER_SEND_SECONDS) if report.sent else self.interval

    def _wanted(self) -> bool:
        """Idle unless someone looked at the status within a minute, or something waits to be done."""
        watched = self._last_asked is not None and self._clock() - self._last_asked < self.idle_after
        if watched:
            return True
        with self.app.app_context():
            try:
                return downloads.has_pending()
            finally:
                db.session.remove()

    # -- one cycle: the only code that calls qBittorrent ---------------------------------------------

    def run_cycle(self) -> CycleReport:
        """Remove what was asked, refresh the snapshot, send pending downloads, mark what is done.

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
        work = self._read_work()  # its transaction is over before the first call below
        try:
            client = self._get_client()
            removed, sent_removals = self._remove(client, work)
            torrents = client.list_torrents()
            listed_at = _now()  # what the list shows is as of now; what is sent below is newer
            listed = {torrent.info_hash for torrent in torrents}
            sent = self._send(client, work.downloads, listed)
        except TorrentLoginRejected as exc:
            self.login_rejected = True
            self.breaker.record_failure(exc.reason, open_now=True)
            self._publish_failure(f"{exc.reason} — {LOGIN_REJECTED_NOTE}")
            log.error("qBittorrent refused the login (%s); no more automatic attempts", exc.reason)
            return CycleReport(attempted=True, ok=False, error=exc.reason)
        except TorrentClientError as exc:
            reason = exc.reason
            if isinstance(exc, TorrentCertificateUntrusted) and self.verify_tls:
                reason = f"{reason} — {CERTIFICATE_NOTE}"
            self.breaker.record_failure(reason)
            self._publish_failure(reason)
            log.warning("qBittorrent unavailable: %s", reason)
            return CycleReport(attempted=True, ok=False, error=reason)
        self.breaker.record_success()
        self._snapshot = Snapshot(
            configured=True, available=True, reason=None, checked_at=listed_at, torrents=tuple(torrents)
        )
        finished = self._db(
            lambda: downloads.mark_finished(t.info_hash for t in torrents if t.progress >= 1.0), 0
        )
        self._db(lambda: _announce_progress(torrents), None)
        self._confirm_removals(work, sent_removals, listed)
        return CycleReport(attempted=True, ok=True, sent=sent, finished=finished, removed=removed)

    def _get_client(self) -> TorrentClient:
        if self._client is None:
            self._client = self._client_factory()
        return self._client

    def _publish_failure(self, reason: str) -> None:
        self._snapshot = Snapshot(configured=True, available=False, reason=reason, checked_at=_now())

    def _db(self, action: Callable, default):
        """Database work in a cycle, in a transaction of its own that is over when this returns (so none is
        open while qBittorrent is called). An outage is logged and never counted against qBittorrent."""
        try:
            return action()
        except SQLAlchemyError:
            log.exception("torrent refresher: database error")
            return default
        finally:
            db.session.rollback()  # a read leaves its transaction open; a write has committed already

    def _read_work(self) -> _Work:
        def load() -> _Work:
            pending = [
                _Pending(
                    id=item.id,
                    info_hash=item.info_hash,
                    magnet=item.magnet,
                    tag=torrent_tag(item.movie.kinopoisk_id if item.movie else None, item.movie_id or 0),
                )
                for item in downloads.pending_downloads()
            ]
            removals = [
                _Removal(
                    id=item.id, info_hash=item.info_hash, delete_files=item.delete_files, status=item.status
                )
                for item in downloads.removals_in_progress()
            ]
            keep = downloads.hashes_still_wanted(r.info_hash for r in removals if r.status == "pending")
            return _Work(downloads=pending, removals=removals, keep=frozenset(keep))

        return self._db(load, _Work(downloads=[], removals=[], keep=frozenset()))

    def _remove(self, client: TorrentClient, work: _Work) -> tuple[int, set[int]]:
        """Send each pending removal once; returns (torrents deleted, removals now sent).

        A failure to reach qBittorrent leaves the rest pending (and is raised to the breaker); a torrent
        qBittorrent no longer has, or that is not ours, costs one look and no delete.
        """
        removed, sent = 0, set()
        for item in work.removals:
            if item.status != "pending":
                continue
            if item.info_hash in work.keep:
                self._db(lambda i=item: downloads.skip_removal(i.id, i.info_hash, i.delete_files), False)
                continue
            removed += int(client.delete(item.info_hash, delete_files=item.delete_files))
            log.info("asked qBittorrent to remove %s (files too: %s)", item.info_hash, item.delete_files)
            if self._db(lambda i=item: downloads.mark_removal_sent(i.id, i.info_hash, i.delete_files), False):
                sent.add(item.id)
        return removed, sent

    def _confirm_removals(self, work: _Work, sent_now: set[int], listed: set[str]) -> None:
        """A sent removal whose torrent is not in the list is done; one sent in an earlier cycle and still
        listed was lost by qBittorrent and goes pending again. Nothing to decide: no write at all."""
        earlier = {item.id: item.info_hash for item in work.removals if item.status == "sent"}
        hashes = {**earlier, **{item.id: item.info_hash for item in work.removals if item.id in sent_now}}
        gone = [removal_id for removal_id, info_hash in hashes.items() if info_hash not in listed]
        lost = [removal_id for removal_id, info_hash in earlier.items() if info_hash in listed]
        if gone or lost:
            self._db(lambda: downloads.finish_removals(gone, lost), 0)

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
            elif item.info_hash not in known and self._db(
                lambda i=item: downloads.unwanted_after_send(i.id, i.info_hash), False
            ):
                # Called off while it was being added: take out what this very call put in (its files are
                # a few seconds old at most; they stay all the same, as nobody asked to delete them).
                client.delete(item.info_hash, delete_files=False)
                log.info("took %s out again: the download was called off meanwhile", item.info_hash)
        return sent

    def _note_failure(self, item: _Pending, reason: str, **kind: bool) -> None:
        self._db(lambda: downloads.record_failure(item.id, reason, **kind), None)


# ---- one service per app and process ----------------------------------------------------------------

_services = PerProcess(EXTENSION_KEY, TorrentStatusService)


def _announce_progress(torrents: list[TorrentStatus]) -> None:
    """Tell whoever listens (the bot's download-progress message) what the list showed, and commit what
    they stored: the listener decides, with conditional writes, whether anything moved enough to say."""
    events.emit(events.TORRENTS_LISTED, progress={t.info_hash: t.progress for t in torrents})
    db.session.commit()


def service_for(app: Flask) -> TorrentStatusService:
    """This process's service for ``app``; a forked child gets a fresh one (threads do not survive fork)."""
    app = real_app(app)
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


def queue_auto_download(lottery: Lottery | Poll) -> None:
    """The draw's or poll's "download the winner" option: store the wish, wake the refresher. Never raises,
    so a problem here can never spoil the draw itself (which is already committed)."""
    app = real_app(current_app)
    if not qbit_configured(app.config):
        log.info(
            "%s %s wants its winner downloaded, but qBittorrent is not configured",
            lottery.__tablename__,
            lottery.id,
        )
        return
    try:
        if downloads.queue_winner_download(lottery) is not None:
            service_for(app).wake()
    except Exception:
        log.exception("%s %s: could not queue the winner's download", lottery.__tablename__, lottery.id)
        db.session.rollback()
