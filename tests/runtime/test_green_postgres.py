"""psycopg2 under gevent (runtime/green.py): a worker's other requests go on while one waits on PostgreSQL,
and a connect to a database that never answers still gives up after ``connect_timeout``.

Each case runs in a child process patched as gunicorn_config.py patches the master: the wait callback is
process-wide and would turn every later test's psycopg2 asynchronous.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

from tests.support.fakes.qbittorrent_fakes import BlackHoleServer
from tests.support.gunicorn_server import ROOT

GREEN_CHILD = textwrap.dedent(
    """
    from gevent import monkey
    monkey.patch_all()
    import json, sys, time
    import gevent, psycopg2
    from movie_lottery.runtime.green import make_psycopg2_green
    make_psycopg2_green()

    ticks = []
    def ticker():  # another request of the same worker, wanting the event loop now and then
        while True:
            ticks.append(time.monotonic())
            gevent.sleep(0.05)
    gevent.spawn(ticker)
    gevent.sleep(0)

    started = time.monotonic()
    try:
        connection = psycopg2.connect(sys.argv[1], connect_timeout=1)
        with connection.cursor() as cursor:
            cursor.execute(sys.argv[2])
            cursor.execute("SELECT 41 + 1")
            result = cursor.fetchone()[0]
        error = None
    except psycopg2.OperationalError as exc:
        result, error = None, str(exc)
    elapsed = time.monotonic() - started
    print(json.dumps({"elapsed": elapsed, "result": result, "error": error,
                      "ticks": sum(1 for t in ticks if t > started)}))
    """
)


def run_green(dsn: str, statement: str = "SELECT 1") -> dict:
    done = subprocess.run(
        [sys.executable, "-c", GREEN_CHILD, dsn, statement],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_a_database_that_never_answers_fails_the_connect_after_connect_timeout_and_the_worker_goes_on():
    with BlackHoleServer() as hole:
        outcome = run_green(f"host=127.0.0.1 port={hole.port} dbname=x user=x")
    assert outcome["error"] and "timeout expired" in outcome["error"]
    assert 0.9 <= outcome["elapsed"] < 3.0  # connect_timeout=1, as a blocking psycopg2 keeps it
    assert outcome["ticks"] >= 10  # the rest of the worker ran meanwhile


def test_a_slow_query_lets_the_worker_serve_others_and_is_not_cut_by_the_connect_deadline(postgres_admin_url):
    outcome = run_green(postgres_admin_url, "SELECT pg_sleep(1.5)")  # longer than connect_timeout=1
    assert outcome["error"] is None and outcome["result"] == 42
    assert outcome["ticks"] >= 15  # ~1.5 s of 50 ms ticks while the query ran
