"""`make bench BENCH_ARGS=--write-cost`: what the writes issue 21 guards cost — a ballot (a new participant,
and a change of one's own), a library add (a new movie, and the same movie again), and a full export.

A throwaway PostgreSQL holds a group's worth of data (bench/group_seed.py, as --page-cost). One one-worker
gunicorn serves it with gunicorn_config.py, with an admin password and an API token (the owner's writes carry
the token, as a script's would). Each request is one at a time on a kept-alive connection; the figures are
the worker's own CPU (from /proc, as --page-cost; PostgreSQL's is not counted) and the wait from asking to
the last byte, each the median over the requests of all rounds.

Every new participant arrives from an address of its own (``X-Forwarded-For`` behind ``PROXY_HOPS=1``), as
friends on their own phones do: a limit on new participants per address is not what is measured. Run it on
the old code and the new one; the difference is the price of the checks.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import statistics
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.cookies import SimpleCookie
from pathlib import Path

from bench.group_seed import GroupIds, seed_group
from bench.page_cost import cpu_ns
from tests.support.gunicorn_server import GunicornServer

TOKEN = "bench-write-cost-token"
OWNER = {"Authorization": f"Bearer {TOKEN}", "X-Forwarded-For": "10.0.0.1"}


@dataclass
class Browser:
    """One kept-alive connection with the cookies the server set, as a phone keeps them."""

    port: int
    address: str
    connection: http.client.HTTPConnection | None = None
    cookies: dict[str, str] = field(default_factory=dict)

    def send(self, method: str, path: str, body: dict | None = None, headers: dict | None = None) -> bytes:
        status, _, data = self.request(method, path, body, headers)
        if status >= 400:
            raise RuntimeError(f"{method} {path}: {status} {data[:300]!r}")
        return data

    def request(
        self, method: str, path: str, body: dict | None = None, headers: dict | None = None
    ) -> tuple[int, http.client.HTTPMessage, bytes]:
        """Status, headers and body of one request; a kept-alive connection the server had closed meanwhile
        is opened again once, as a browser does."""
        sent = {"X-Forwarded-For": self.address} if self.address else {}  # "": the owner, on the machine
        sent.update(headers or {})
        if body is not None:
            sent["Content-Type"] = "application/json"
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        payload = None if body is None else json.dumps(body).encode()
        reused = self.connection is not None
        if self.connection is None:
            self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            self.connection.request(method, path, body=payload, headers=sent)
            response = self.connection.getresponse()
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
            if not reused:
                raise
            self.connection.close()
            self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            self.connection.request(method, path, body=payload, headers=sent)
            response = self.connection.getresponse()
        data = response.read()
        for header in response.headers.get_all("Set-Cookie") or ():
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        return response.status, response.headers, data

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None


@dataclass(frozen=True)
class Row:
    what: str
    cpu_ms: float
    wait_ms: float
    requests: int


class Operations:
    """Each write as the site receives it; every call is one request and makes something new."""

    def __init__(self, port: int, ids: GroupIds) -> None:
        self.port, self.ids = port, ids
        self.owner = Browser(port, "10.0.0.1")
        self.counter = 0
        self.voter: Browser | None = None

    def _next(self) -> int:
        self.counter += 1
        return self.counter

    def new_voter(self) -> Browser:
        n = self._next()
        return Browser(self.port, f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256 or 1}")

    def ballot_new(self) -> Browser:
        voter = self.new_voter()
        body = {"name": f"Гость {self.counter} 🍿", "approve": [self.counter % 8]}
        voter.send("PUT", f"/api/polls/{self.ids.open_poll}/ballot", body)
        return voter

    def ballot_change(self) -> None:
        if self.voter is None:
            self.voter = self.ballot_new()
        n = self._next()
        self.voter.send("PUT", f"/api/polls/{self.ids.open_poll}/ballot", {"approve": [n % 8, (n + 3) % 8]})

    def library_add_new(self) -> None:
        n = self._next()
        movie = {"name": f"Новый фильм {n} 👩‍💻", "year": 2000 + n % 25, "genres": ["драма"]}
        self.owner.send("POST", "/api/library", movie, OWNER)

    def library_add_again(self) -> None:
        movie = {"name": "Тот же фильм 👩‍💻", "year": 2020, "description": f"Правка {self._next()}"}
        self.owner.send("POST", "/api/library", movie, OWNER)

    def export(self) -> None:
        self.owner.send("GET", "/library/backup.json", None, OWNER)


def timed(worker: int, operation, requests: int) -> tuple[list[float], list[float]]:
    cpu, wait = [], []
    for _ in range(requests):
        before, started = cpu_ns(worker), time.perf_counter()
        operation()
        wait.append((time.perf_counter() - started) * 1000)
        cpu.append((cpu_ns(worker) - before) / 1e6)
    return cpu, wait


def measure(database_url: str, ids: GroupIds, workdir: Path, requests: int, rounds: int, exports: int):
    env = {"ADMIN_PASSWORD": "bench-password", "API_TOKEN": TOKEN, "PROXY_HOPS": "1"}
    log_path = workdir / "write-cost.log"
    with GunicornServer(database_url, workers=1, env=env, log_path=log_path) as server:
        (worker,) = server.worker_pids()
        ops = Operations(server.port, ids)
        cases = [
            ("ballot PUT, a new participant", ops.ballot_new, requests),
            ("ballot PUT, changing one's own", ops.ballot_change, requests),
            ("POST /api/library, a new movie", ops.library_add_new, requests),
            ("POST /api/library, the same movie again", ops.library_add_again, requests),
            ("full export (GET /library/backup.json)", ops.export, exports),
        ]
        for _, operation, _ in cases:  # warm: imports, templates, the pool
            for _ in range(2):
                operation()
        samples: dict[str, tuple[list[float], list[float]]] = {what: ([], []) for what, _, _ in cases}
        for _ in range(rounds):
            for what, operation, count in cases:
                cpu, wait = timed(worker, operation, count)
                samples[what][0].extend(cpu)
                samples[what][1].extend(wait)
        text = log_path.read_text()
        if "Traceback" in text:
            raise RuntimeError(f"the server logged a traceback:\n{text[-3000:]}")
    return [
        Row(what, statistics.median(cpu), statistics.median(wait), len(cpu))
        for what, (cpu, wait) in samples.items()
    ]


def report(rows: list[Row], args, load_before: str, load_after: str, seed_seconds: float, commit: str) -> str:
    lines = [
        "# Benchmark: what the guarded writes cost (ballot, library add, export)",
        "",
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC · code {commit} · load average before {load_before}, after "
        f"{load_after} · PostgreSQL (throwaway, on loopback) · gunicorn gevent, 1 worker",
        "",
        f"Data: bench/group_seed.py at scale {args.write_scale:g} (1 = 400 library movies, 150 lotteries, "
        f"50 polls, each night watched and rated); seeded in {seed_seconds:.0f} s.",
        "",
        f"Median over {args.rounds} rounds of {args.requests} requests one after another ({args.exports} per "
        "round for the export), the worker's own CPU and the wait to the last byte.",
        "",
        "| Request | CPU ms | wait ms | requests |",
        "| --- | --- | --- | --- |",
    ]
    lines += [f"| {r.what} | {r.cpu_ms:.2f} | {r.wait_ms:.1f} | {r.requests} |" for r in rows]
    lines += ["", "Reproduce: `make bench BENCH_ARGS=--write-cost` (old and new code, same machine).", ""]
    return "\n".join(lines)


def git_commit() -> str:
    import subprocess

    with contextlib.suppress(OSError, subprocess.CalledProcessError):
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
    return "unknown"


def run(args) -> str:
    from bench.__main__ import database, migrate

    load_before = Path("/proc/loadavg").read_text().split()[0]
    with tempfile.TemporaryDirectory(prefix="ml-write-cost-") as tmp, database(False, Path(tmp)) as url:
        if not url.startswith("postgresql"):
            raise SystemExit("--write-cost needs PostgreSQL (initdb and pg_ctl): the figures are for prod")
        print("seeding a group's data …", flush=True)
        migrate(url)
        scale = args.write_scale
        started = time.monotonic()
        ids = seed_group(
            url, library=max(10, round(400 * scale)), lotteries=max(2, round(150 * scale)),
            polls=max(2, round(50 * scale)),
        )  # fmt: skip
        seed_seconds = time.monotonic() - started
        print("measuring …", flush=True)
        rows = measure(url, ids, Path(tmp), args.requests, args.rounds, args.exports)
    load_after = Path("/proc/loadavg").read_text().split()[0]
    return report(rows, args, load_before, load_after, seed_seconds, git_commit())
