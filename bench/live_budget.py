"""Event streams on Render's free budget: one gevent worker inside the 0.1-CPU cgroup (bench/budget.py), 0 /
10 / 50 / 200 open streams on one lottery, the worker's CPU per second while they are parked, /health, and how
long a draw takes to reach them all. Root only. Run: ``.venv/bin/python -m bench.live_budget``
(README, «Live updates»).
"""

import os
import sys
import tempfile
import time
from pathlib import Path

from bench import budget
from tests.conftest import migrate
from tests.drills.test_live_streams_drill import Tab, best_of, request_json
from tests.support.gunicorn_server import GunicornServer

if not budget.available(("cpu", "cpuacct")):
    sys.exit("needs root and writable cgroup v1 cpu, cpuacct")
d = tempfile.mkdtemp()
url = f"sqlite:///{d}/t.sqlite3"
migrate(url)
with GunicornServer(url, workers=1, log_path=Path(d) / "log") as server:
    lottery = request_json(server.url + "/api/lotteries", {"movies": [{"name": f"M{i}"} for i in range(5)]})
    events = f"/api/lotteries/{lottery['id']}/events"
    (worker,) = server.worker_pids()
    tabs = []
    with budget.Budget(f"ml-live-{os.getpid()}", ("cpu", "cpuacct")) as group:
        group.move(worker)
        for n in (0, 10, 50, 200):
            while len(tabs) < n:
                t = Tab(server.port, events)
                t.next_event(timeout=60)
                tabs.append(t)
            time.sleep(2)
            c0 = group.cpu_seconds()
            time.sleep(10)
            c1 = group.cpu_seconds()
            h = best_of(server.url + "/health")
            print(
                f"{n} streams: worker CPU {(c1 - c0) / 10 * 1000:.1f} ms/s, /health best {h * 1000:.1f} ms",
                flush=True,
            )
        started = time.monotonic()
        request_json(f"{server.url}/api/lotteries/{lottery['id']}/draw", {"token": lottery["play_token"]})
        for t in tabs:
            t.next_event(timeout=60)
        print(f"draw reached all {len(tabs)} in {time.monotonic() - started:.2f} s")
        for t in tabs:
            t.close()
        group.unthrottle()
