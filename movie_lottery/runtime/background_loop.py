"""A process's background thread that starts on first need and is woken when there is work: the torrent
refresher and the Telegram worker. Each turn says how long to sleep; a wake ends the sleep early; a failed
turn is logged and the next one tries again, so the thread outlives any bug or outage. Requests only start
or wake it: they never wait for it.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable

log = logging.getLogger("movie_lottery.background")


class BackgroundLoop:
    def __init__(self, name: str, turn: Callable[[], float], failure_delay: Callable[[], float]) -> None:
        self.name = name
        self._turn = turn
        self._failure_delay = failure_delay
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    @property
    def stopped(self) -> bool:
        return self._stop.is_set()

    def start(self) -> None:
        """Start the thread unless it runs or was stopped (safe from any number of requests at once)."""
        if self.alive or self._stop.is_set():
            return
        with self._lock:
            if self.alive or self._stop.is_set():
                return
            self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
            self._thread.start()

    def wake(self) -> None:
        """End the current sleep: the next turn starts now."""
        self._wake.set()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop for good (tests; a worker simply exits). Waits for an in-flight turn to end."""
        self._stop.set()
        self._wake.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    def _run(self) -> None:
        log.info("%s started in process %s", self.name, os.getpid())
        while not self._stop.is_set():
            try:
                delay = self._turn()
            except Exception:  # the loop must outlive any bug or outage; the next turn tries again
                log.exception("%s: a turn failed; carrying on", self.name)
                delay = self._failure_delay()
            if self._stop.is_set():
                break
            self._wake.wait(delay)
            self._wake.clear()
        log.info("%s stopped", self.name)
