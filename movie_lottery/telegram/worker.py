"""The bot's background worker: one daemon thread per worker process, the only code that calls Telegram.

Requests store rows (an update, an outgoing message) and ``wake()`` it: an ``Event.set()``, never a wait on
Telegram. Each turn it acts on stored updates, registers the webhook when the address or token changed, reads
getWebhookInfo now and then, and sends the due outbox rows, each claimed once across workers and instances
(outbox.claim) and each call bounded by the client's timeouts. It never holds a transaction open across a
call: it claims and commits, calls, then writes the result in a transaction of its own.

Started lazily by the first request a worker serves while a token is configured (so the gunicorn master never
runs one, and the webhook's registration does not wait for an update that cannot come before it). Without a
token nothing here is built: zero calls.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask
from sqlalchemy.exc import SQLAlchemyError

from movie_lottery.core.config import DEFAULT_TELEGRAM_API_URL, telegram_configured
from movie_lottery.core.extensions import db
from movie_lottery.core.models import utcnow
from movie_lottery.integrations.telegram import (
    TelegramClient,
    TelegramError,
    TelegramRefused,
    TelegramRetryAfter,
)
from movie_lottery.runtime.background_loop import BackgroundLoop
from movie_lottery.runtime.per_process import PerProcess, real_app
from movie_lottery.telegram import native_polls, outbox, profile, registration, updates
from movie_lottery.telegram.outbox import NOT_MODIFIED

log = logging.getLogger("movie_lottery.telegram")

EXTENSION_KEY = "telegram_worker"
THREAD_NAME = "telegram-worker"
IDLE_SECONDS = 30.0  # nothing due: look again this often (a wake comes sooner)
CONNECT_SECONDS = 3.0
READ_SECONDS = 10.0


def client_from_config(
    config, *, connect_timeout: float | None = None, read_timeout: float | None = None
) -> TelegramClient:
    """The configured bot's client; the worker's bounds unless a caller (a request) needs tighter ones."""
    if connect_timeout is None:
        connect_timeout = float(config.get("TELEGRAM_CONNECT_TIMEOUT", CONNECT_SECONDS))
    if read_timeout is None:
        read_timeout = float(config.get("TELEGRAM_READ_TIMEOUT", READ_SECONDS))
    return TelegramClient(
        config["TELEGRAM_BOT_TOKEN"],
        config.get("TELEGRAM_API_URL") or DEFAULT_TELEGRAM_API_URL,
        connect_timeout=connect_timeout,
        read_timeout=read_timeout,
    )


@dataclass(frozen=True)
class TurnReport:
    handled: int = 0
    sent: int = 0
    retried: int = 0
    failed: int = 0
    registered: bool = False


class TelegramWorker:
    def __init__(self, app: Flask, client_factory: Callable[[], TelegramClient] | None = None) -> None:
        self.app = app
        self.pid = os.getpid()
        config = app.config
        self.configured = telegram_configured(config)
        self.autostart = bool(config.get("TELEGRAM_WORKER_AUTOSTART", True))
        self.idle_seconds = float(config.get("TELEGRAM_IDLE_SECONDS", IDLE_SECONDS))
        self._client_factory = client_factory or (lambda: client_from_config(config))
        self._client: TelegramClient | None = None
        self._turn_lock = threading.Lock()
        self._loop = BackgroundLoop(
            THREAD_NAME, self._turn_and_sleep, failure_delay=lambda: self.idle_seconds
        )

    # -- what requests call ------------------------------------------------------------------------

    def wake(self) -> None:
        if not self.configured:
            return
        self.ensure_started()
        self._loop.wake()

    def ensure_started(self) -> None:
        if self.configured and self.autostart:
            self._loop.start()

    @property
    def thread_alive(self) -> bool:
        return self._loop.alive

    def stop(self, timeout: float = 10.0) -> None:
        self._loop.stop(timeout)

    # -- the thread ----------------------------------------------------------------------------------

    def _turn_and_sleep(self) -> float:
        self.run_turn()
        return self._sleep_for()

    def _sleep_for(self) -> float:
        with self.app.app_context():
            try:
                due = outbox.next_due_at()
            finally:
                db.session.remove()
        if due is None:
            return self.idle_seconds
        return min(self.idle_seconds, max(0.05, (due - utcnow()).total_seconds()))

    # -- one turn: synchronous, for the thread, tests and the CLI ------------------------------------

    def run_turn(self, *, send: bool = True) -> TurnReport:
        if not self.configured:
            return TurnReport()
        with self._turn_lock, self.app.app_context():
            try:
                return self._turn(send)
            finally:
                db.session.remove()

    def _turn(self, send: bool) -> TurnReport:
        handled = self._db(lambda: updates.handle_waiting(self._dispatch_context()), 0)
        registered = False
        if self._db(lambda: registration.registration_due(self.app.config), False):
            outcome = registration.register(self._get_client(), self.app.config)
            registered = bool(outcome.get("ok"))
            log.info("telegram webhook registration: %s", "ok" if registered else outcome.get("error"))
        if self._db(lambda: profile.due(self.app.config), False):  # the username for «Подключить чат»
            profile.learn(self._get_client(), self.app.config)
        if self._db(registration.info_due, False) and registration.wanted(self.app.config) is not None:
            registration.refresh_info(self._get_client(), self.app.config)
        self._db(native_polls.stop_closed, 0)  # a site poll closed: its Telegram polls are stopped
        sent = retried = failed = 0
        if send:
            sent, retried, failed = self._send_due()
        return TurnReport(handled, sent, retried, failed, registered)

    def _dispatch_context(self) -> dict:
        return {"bot_username": profile.bot_username(), "site_url": self.app.config.get("SITE_URL")}

    def _send_due(self) -> tuple[int, int, int]:
        sent = retried = failed = 0
        for message_id in self._db(outbox.due_ids, []):
            claimed = self._db(lambda m=message_id: outbox.claim(m), None)
            if claimed is None:
                continue
            outcome = self._send_one(claimed)
            if outcome == "sent":
                sent += 1
            elif outcome == "failed":
                failed += 1
            else:
                retried += 1
                if outcome == "down":
                    break  # Telegram is slow or down: the rest wait for the back-off, not for more timeouts
        return sent, retried, failed

    def _send_one(self, claimed: outbox.Claimed) -> str:
        """One call, then its outcome in a transaction of its own: "sent", "failed", "retry" or "down"."""
        try:
            result = self._get_client().call(claimed.method, claimed.payload)
        except TelegramError as exc:
            return self._after_failure(claimed, exc)
        message_id = result.get("message_id") if isinstance(result, dict) else None
        if claimed.method == "sendPoll":  # before it counts as sent: its answers name Telegram's poll id
            self._db(lambda: native_polls.remember_sent(claimed.id, result), None)
        self._db(lambda: outbox.mark_sent(claimed.id, message_id), None)
        return "sent"

    def _after_failure(self, claimed: outbox.Claimed, exc: TelegramError) -> str:
        if isinstance(exc, TelegramRetryAfter):
            wait = exc.retry_after
            self._db(lambda: outbox.hold_chat(claimed.chat_id, wait), None)
            self._db(lambda: outbox.retry_later(claimed.id, exc.reason, 0, after=wait), None)
            log.warning("telegram: 429 for chat %s, waiting %g s", claimed.chat_id, wait)
            return "retry"
        if isinstance(exc, TelegramRefused):
            if claimed.method == "editMessageText" and NOT_MODIFIED in exc.description:
                self._db(lambda: outbox.mark_sent(claimed.id, claimed.payload.get("message_id")), None)
                return "sent"
            self._db(lambda: outbox.mark_failed(claimed.id, exc.reason), None)
            log.warning("telegram refused message %s: %s", claimed.id, exc.reason)
            return "failed"
        attempts = self._db(lambda: outbox.attempts_of(claimed.id), 1)
        self._db(lambda: outbox.retry_later(claimed.id, exc.reason, attempts), None)
        log.warning("telegram unavailable: %s", exc.reason)
        return "down"

    def _get_client(self) -> TelegramClient:
        if self._client is None:
            self._client = self._client_factory()
        return self._client

    def _db(self, action: Callable, default):
        """Database work in a transaction of its own, over when this returns (none is open during a call).
        An outage is logged; the rows stay as they were and the next turn tries again."""
        try:
            return action()
        except SQLAlchemyError:
            log.exception("telegram worker: database error")
            return default
        finally:
            db.session.rollback()


# ---- one worker per app and process -----------------------------------------------------------------

_workers = PerProcess(EXTENSION_KEY, TelegramWorker)


def worker_for(app: Flask) -> TelegramWorker:
    app = real_app(app)
    return _workers.get(app.extensions, app)


def stop_all(timeout: float = 10.0) -> None:
    _workers.stop_all(timeout)
