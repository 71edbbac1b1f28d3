"""Gunicorn settings for Render and local runs: gevent, so a slow client costs a greenlet, not a thread.

Start with ``gunicorn -c gunicorn_config.py "movie_lottery:create_app()"``. A bare ``gunicorn`` start reads
``gunicorn.conf.py``, which imports this file, so the settings cannot be lost by a forgotten ``-c``
(without them gunicorn's 30 s default timeout kills a worker on any slow request).

Why gevent (README, "Slow clients"): with gthread, 8 connections that send half their headers, or a body
trickling a byte a second, held all 2 × 4 threads and /health stopped answering. Under gevent a waiting
connection is a greenlet parked in the event loop, up to ``worker_connections`` per worker.
"""

# No garbage collection while the app's long-lived objects are imported and built: it only slowed the start
# (~10 %). gunicorn_common.py does the same for every configuration; here it also precedes gevent.
import gc

gc.disable()

# The app is built in the master (preload_app) and workers fork from it, so the master must be green before
# anything imports socket, ssl, threading or psycopg2: a module that bound the blocking versions first would
# keep them in every worker. gunicorn's own worker patches again after fork; that is a no-op by then.
from gevent import monkey  # noqa: E402

monkey.patch_all()

from movie_lottery.runtime.green import TakeTurns, make_psycopg2_green  # noqa: E402  (after patching, on purpose)

make_psycopg2_green()

from gunicorn_common import *  # noqa: E402, F403
from gunicorn_common import post_fork, post_worker_init  # noqa: E402, F401  (hooks: keep them explicit)
from gunicorn_common import when_ready as _shared_when_ready  # noqa: E402

worker_class = "gevent"
# Connections one worker holds at once (gunicorn's default): waiting ones cost ~a greenlet each. The
# database pool, not this, bounds how many requests reach PostgreSQL together.
worker_connections = 1000


def when_ready(server) -> None:
    _shared_when_ready(server)
    # Kept-alive connections take turns (green.TakeTurns; guarded by
    # tests/runtime/test_kept_alive_connections_take_turns.py).
    app = server.app.wsgi()
    app.wsgi_app = TakeTurns(app.wsgi_app)
