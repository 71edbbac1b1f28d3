"""`make bench BENCH_ARGS=--page-cost`: what each page costs in CPU with and without the page cache, and
what a visitor waits for it on Render's free budget (a tenth of a core).

A throwaway PostgreSQL holds a group's worth of data (bench/group_seed.py). Two one-worker gunicorns serve
it with gunicorn_config.py, one with the cache and one with ``PAGE_CACHE_ENABLED = False``; the client asks
each page one request at a time, taking turns between the servers. The CPU is the worker's own (summed
over its threads from /proc/<pid>/task/*/schedstat, nanoseconds); PostgreSQL's is not counted, as on
Render where the database is another service.

The budget: when this machine lets root write its cgroup v1 cpu controller, both servers are moved into a
cgroup with a 10 ms quota per 100 ms period (external-facts.md), PostgreSQL stays outside, and a visitor
asks each page with a pause between requests so every request finds the quota as an idle site would.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import statistics
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from bench import budget
from bench.budget import PERIOD_US, QUOTA_US
from bench.group_seed import GroupIds, seed_group
from tests.support.gunicorn_server import GunicornServer

CGROUP_NAME = "ml-page-cost"
PAGES = [
    ("/health", "reference: no database, no template"),
    ("/", "builder"),
    ("/library", "library, first page (24 cards)"),
    ("/history", "history, first page"),
    ("/l/{waiting}", "a lottery's waiting page"),
    ("/l/{drawn}", "a lottery's result page"),
    ("/p/{poll}", "an open poll with ballots"),
    ("/api/lotteries/{waiting}", "polled by the waiting page (If-None-Match: 304)"),
    ("/api/polls/{poll}", "polled by the poll page (If-None-Match: 304)"),
]


def create_app_without_cache():
    """The app with every page rendered afresh (gunicorn's app spec for the server without the cache)."""
    from movie_lottery import create_app

    return create_app({"PAGE_CACHE_ENABLED": False})


def cpu_ns(pid: int) -> int:
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(FileNotFoundError):
            total += int((task / "schedstat").read_text().split()[0])
    return total


@dataclass
class Client:
    """One kept-alive connection, as a browser keeps it; the ETag remembered per path, as a polling page."""

    port: int
    connection: http.client.HTTPConnection | None = None

    def __post_init__(self) -> None:
        self.etags: dict[str, str] = {}

    def get(self, path: str, fresh_connection: bool = False) -> int:
        if fresh_connection or self.connection is None:
            if self.connection is not None:
                self.connection.close()
            self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        headers = {"If-None-Match": self.etags[path]} if path in self.etags else {}
        try:
            self.connection.request("GET", path, headers=headers)
            response = self.connection.getresponse()
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
            # The server closed a connection left idle past its keep-alive while the other one had its turn.
            self.connection.close()
            self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            self.connection.request("GET", path, headers=headers)
            response = self.connection.getresponse()
        response.read()
        if path.startswith("/api/") and response.getheader("ETag"):
            self.etags[path] = response.getheader("ETag")
        if response.status not in (200, 304):
            raise RuntimeError(f"{path}: {response.status}")
        return response.status


def cpu_per_request(server: GunicornServer, client: Client, path: str, requests: int) -> float:
    """Milliseconds of the worker's CPU per request, over ``requests`` requests one after another."""
    (worker,) = server.worker_pids()
    before = cpu_ns(worker)
    for _ in range(requests):
        client.get(path)
    return (cpu_ns(worker) - before) / requests / 1e6


def visitor_wait(client: Client, path: str, visits: int, pause: float) -> float:
    """Median milliseconds from asking to the last byte, each visit on a new connection after a pause."""
    waits = []
    for _ in range(visits):
        time.sleep(pause)
        started = time.perf_counter()
        client.get(path, fresh_connection=True)
        waits.append((time.perf_counter() - started) * 1000)
    return statistics.median(waits)


def budget_available() -> bool:
    return budget.available(("cpu",))


@contextlib.contextmanager
def render_budget(servers: list[GunicornServer]) -> Iterator[None]:
    """Every process of ``servers`` inside a cgroup with a tenth of a core; the cgroup removed after."""
    with budget.Budget(CGROUP_NAME, ("cpu",)) as group:
        try:
            for server in servers:
                for pid in [server.process.pid, *server.worker_pids()]:
                    group.move(pid)
            yield
        finally:
            for server in servers:
                server.stop()


@dataclass(frozen=True)
class Row:
    path: str
    what: str
    cpu_without: float
    cpu_with: float
    wait_without: float | None
    wait_with: float | None


def measure(
    database_url: str, ids: GroupIds, workdir: Path, requests: int, rounds: int, visits: int, pause: float
) -> list[Row]:
    names = {"waiting": ids.waiting_lottery, "drawn": ids.drawn_lottery, "poll": ids.open_poll}
    paths = [(path.format(**names), what) for path, what in PAGES]
    specs = {"without": "bench.page_cost:create_app_without_cache()", "with": "movie_lottery:create_app()"}
    with contextlib.ExitStack() as stack:
        servers = {
            name: stack.enter_context(
                GunicornServer(database_url, workers=1, app_spec=spec, log_path=workdir / f"{name}.log")
            )
            for name, spec in specs.items()
        }
        clients = {name: Client(server.port) for name, server in servers.items()}
        for client in clients.values():  # warm: imports, templates, the pool, the cache
            for path, _ in paths:
                for _ in range(5):
                    client.get(path)
        cpu: dict[tuple[str, str], list[float]] = {}
        for _ in range(rounds):
            for path, _ in paths:
                for name, server in servers.items():
                    cpu.setdefault((name, path), []).append(
                        cpu_per_request(server, clients[name], path, requests)
                    )
        waits: dict[tuple[str, str], float] = {}
        if budget_available():
            with render_budget(list(servers.values())):
                for path, _ in paths:
                    for name in servers:
                        waits[(name, path)] = visitor_wait(clients[name], path, visits, pause)
        for name in servers:
            text = (workdir / f"{name}.log").read_text()
            if "Traceback" in text:
                raise RuntimeError(f"the {name} server logged a traceback:\n{text[-3000:]}")
    rows = []
    for path, what in paths:
        medians = [statistics.median(cpu[(name, path)]) for name in ("without", "with")]
        rows.append(Row(path, what, *medians, waits.get(("without", path)), waits.get(("with", path))))
    return rows


def _ms(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


def report(rows: list[Row], args, load_before: str, load_after: str, seed_seconds: float) -> str:
    lines = [
        "# Benchmark: what each page costs, with and without the page cache",
        "",
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC · {len(os.sched_getaffinity(0))} cores · "
        f"load average before {load_before}, after {load_after} · PostgreSQL (throwaway, on loopback) · "
        "gunicorn gevent, 1 worker per server · loopback address, so the site counts the client as its owner",
        "",
        "Data: 400 library movies, 150 lotteries and 50 polls (6 ballots each), every night watched and "
        f"rated by 2–5 people; seeded through the domain in {seed_seconds:.0f} s.",
        "",
        f"CPU: the worker's own, median of {args.rounds} rounds of {args.requests} requests one after "
        "another on a kept-alive connection (the servers take turns). Wait: at a tenth of a core (cgroup "
        f"quota {QUOTA_US // 1000} ms per {PERIOD_US // 1000} ms), median of {args.visits} visits on new "
        f"connections, {args.pause:g} s apart.",
        "",
        "| Page | What | CPU ms, no cache | CPU ms, cache hit | wait ms at 0.1 CPU, no cache "
        "| wait ms at 0.1 CPU, cache hit |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for row in rows:
        lines.append(
            f"| `{row.path}` | {row.what} | {row.cpu_without:.2f} | {row.cpu_with:.2f} | "
            f"{_ms(row.wait_without)} | {_ms(row.wait_with)} |"
        )
    if rows[0].wait_with is None:
        lines += ["", "No wait figures: the cgroup v1 cpu controller is not writable here (needs root)."]
    lines += ["", "Reproduce: `make bench BENCH_ARGS=--page-cost`.", ""]
    return "\n".join(lines)


def run(args) -> str:
    from bench.__main__ import database, migrate

    load_before = Path("/proc/loadavg").read_text().split()[0]
    with tempfile.TemporaryDirectory(prefix="ml-page-cost-") as tmp, database(False, Path(tmp)) as url:
        if not url.startswith("postgresql"):
            raise SystemExit("--page-cost needs PostgreSQL (initdb and pg_ctl): the figures are for prod")
        print("seeding a group's data …", flush=True)
        migrate(url)
        started = time.monotonic()
        ids = seed_group(url)
        seed_seconds = time.monotonic() - started
        print("measuring …", flush=True)
        rows = measure(url, ids, Path(tmp), args.requests, args.rounds, args.visits, args.pause)
    load_after = Path("/proc/loadavg").read_text().split()[0]
    return report(rows, args, load_before, load_after, seed_seconds)
