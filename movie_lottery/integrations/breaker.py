"""A circuit breaker that never makes one caller wait for another.

pybreaker holds its lock for the whole guarded call, so three concurrent 1 s calls finish at 1, 2 and 3 s.
Here the lock only guards a few fields: callers ask ``allow()``, make the call themselves, then report with
``record_success()`` or ``record_failure()``. While the breaker is open everyone is told "no" at once; when
the retry time comes exactly one caller (the probe) is let through, and everyone else keeps hearing "no"
until that probe reports.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

State = Literal["closed", "open", "half_open"]


@dataclass(frozen=True)
class BreakerState:
    state: State
    reason: str | None
    retry_at: datetime | None
    consecutive_failures: int


class CircuitBreaker:
    """Thread-safe breaker: opens after ``failure_threshold`` consecutive failures (or at once on demand).

    Each failed probe re-opens it for the next ``backoff`` step (the last step repeats). ``clock`` measures
    the waits (monotonic); ``wall_clock`` only turns the retry time into a datetime for people to read.
    A probe that never reports (its thread died) is given up on after ``probe_timeout`` seconds, so the
    breaker cannot stay half-open forever.
    """

    def __init__(
        self,
        failure_threshold: int = 3,
        backoff: Sequence[float] = (30, 60, 300, 900),
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
        probe_timeout: float = 120.0,
    ) -> None:
        if failure_threshold < 1:
            raise ValueError("failure_threshold must be at least 1")
        if not backoff or any(step < 0 for step in backoff):
            raise ValueError("backoff must be a non-empty sequence of non-negative seconds")
        self._threshold = failure_threshold
        self._backoff = tuple(float(step) for step in backoff)
        self._clock = clock
        self._wall_clock = wall_clock
        self._probe_timeout = probe_timeout
        self._lock = threading.Lock()
        self._reset_locked()

    def _reset_locked(self) -> None:
        self._state: State = "closed"
        self._reason: str | None = None
        self._failures = 0
        self._backoff_index = 0
        self._retry_at: float | None = None
        self._retry_at_wall: float | None = None
        self._probe_started: float | None = None

    def allow(self) -> bool:
        """May the caller try the guarded call now? Never blocks beyond a few field reads."""
        with self._lock:
            if self._state == "closed":
                return True
            now = self._clock()
            if self._state == "open":
                if self._retry_at is not None and now < self._retry_at:
                    return False
                self._state = "half_open"
                self._probe_started = now
                return True
            # half-open: a probe is in flight; let another through only if that one got lost.
            if self._probe_started is not None and now - self._probe_started >= self._probe_timeout:
                self._probe_started = now
                return True
            return False

    def record_success(self) -> None:
        with self._lock:
            self._reset_locked()

    def record_failure(self, reason: str, open_now: bool = False) -> None:
        """Count a failure. ``open_now`` opens at once (e.g. a rejected password must never be retried)."""
        with self._lock:
            self._failures += 1
            self._reason = reason
            if self._state == "half_open":
                # The probe failed: wait longer this time.
                self._backoff_index = min(self._backoff_index + 1, len(self._backoff) - 1)
                self._open_locked()
            elif self._state == "closed":
                if open_now or self._failures >= self._threshold:
                    self._backoff_index = 0
                    self._open_locked()
            elif open_now:
                # Already open: a straggler that started before the breaker opened. Only a hard refusal
                # restarts the wait; ordinary failures must not keep pushing the retry time away.
                self._open_locked()

    def _open_locked(self) -> None:
        delay = self._backoff[self._backoff_index]
        self._state = "open"
        self._retry_at = self._clock() + delay
        self._retry_at_wall = self._wall_clock() + delay
        self._probe_started = None

    def snapshot(self) -> BreakerState:
        with self._lock:
            retry_at = (
                datetime.fromtimestamp(self._retry_at_wall, tz=UTC)
                if self._state != "closed" and self._retry_at_wall is not None
                else None
            )
            return BreakerState(
                state=self._state,
                reason=self._reason,
                retry_at=retry_at,
                consecutive_failures=self._failures,
            )
