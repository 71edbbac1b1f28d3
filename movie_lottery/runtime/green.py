"""psycopg2 under gevent: waits on PostgreSQL in the event loop, and a connect still gives up in time.

psycopg2 is C: without a wait callback a query blocks the whole gevent worker (every greenlet, /health too)
for as long as PostgreSQL takes. With one, libpq runs asynchronously and this callback waits on its socket,
so other requests go on meanwhile.

Why not psycogreen's callback: asynchronous libpq does not keep ``connect_timeout`` (the synchronous
connect does), so with it a connect to a black-holed database waited for the kernel's TCP give-up, minutes,
instead of 5 s (config.engine_options_for) — and the doctor and the outage drills rely on that bound.
"""

from __future__ import annotations

import time
import weakref

import psycopg2
from psycopg2 import extensions

# Connections that finished connecting: their later waits (queries) have no deadline, as with blocking
# psycopg2. A WeakSet, so a closed connection is forgotten with its object.
_connected: weakref.WeakSet = weakref.WeakSet()


def make_psycopg2_green() -> None:
    """From now on, in this process and the ones it forks, psycopg2 waits cooperatively."""
    extensions.set_wait_callback(wait_cooperatively)


def connect_timeout_of(connection) -> float | None:
    """The ``connect_timeout`` the connection was opened with (seconds), as libpq reads it; None: none."""
    value = extensions.parse_dsn(connection.dsn).get("connect_timeout")
    try:
        seconds = float(value) if value is not None else 0.0
    except ValueError:
        return None
    return seconds if seconds > 0 else None  # libpq: 0 or absent waits for ever


def wait_cooperatively(connection, timeout: float | None = None) -> None:
    """psycopg2's wait callback: poll libpq, yielding to other greenlets while its socket is not ready."""
    from gevent.socket import wait_read, wait_write

    connecting = connection not in _connected
    limit = connect_timeout_of(connection) if connecting else None
    deadline = time.monotonic() + limit if limit is not None else None
    while True:
        state = connection.poll()
        if state == extensions.POLL_OK:
            if connecting:
                _connected.add(connection)
            return
        if state == extensions.POLL_READ:
            wait = wait_read
        elif state == extensions.POLL_WRITE:
            wait = wait_write
        else:
            raise psycopg2.OperationalError(f"unexpected state from psycopg2's poll(): {state!r}")
        remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
        try:
            wait(connection.fileno(), timeout=remaining, timeout_exc=_ConnectTimedOut(limit))
        except BaseException:
            # The deadline passed, or the greenlet was killed mid-wait (a worker's graceful timeout): libpq
            # is mid-exchange, so the connection cannot be reused; closed, the pool opens a fresh one.
            connection.close()
            raise


class _ConnectTimedOut(psycopg2.OperationalError):
    """What a blocking psycopg2 raises when ``connect_timeout`` passes (an OperationalError), in words."""

    def __init__(self, seconds: float | None) -> None:
        super().__init__(f"timeout expired: no connection to PostgreSQL within {seconds or 0:g} s")


class TakeTurns:
    """WSGI middleware for gevent workers: a request first lets every connection that is ready go ahead.

    A greenlet never yields while it has work: when a kept-alive client's next request is already in the
    socket's buffer, the stock worker reads and serves it at once, again and again, and the worker's other
    connections wait — measured with 10 kept-alive connections, p99 several times gthread's. Waiting for
    the event loop to be idle (gevent's public ``gevent.idle``) puts this request behind the others that
    are ready, as gthread's poller did. A middleware rather than a subclass of gunicorn's worker, whose
    private methods would be a cost every gunicorn upgrade pays.
    """

    def __init__(self, app) -> None:
        self.app = app

    def __call__(self, environ, start_response):
        import gevent

        gevent.idle()
        return self.app(environ, start_response)
