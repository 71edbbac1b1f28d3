"""`make bench`: how fast, how small, and whether a dead qBittorrent slows anything — against a floor.

Seeds a fresh database (a throwaway PostgreSQL cluster, or SQLite with --sqlite), serves the app with the
settings of gunicorn_config.py on loopback, loads it with wrk, and measures a hello-world Flask app under the
same settings in the same run. Prints one Markdown report and writes it to bench/results/latest.md.
"""

from __future__ import annotations

import argparse
import contextlib
import platform
import re
import statistics
import sys
import tempfile
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from bench import counting, seed, wrk
from tests.support.fakes import qbittorrent_nox
from tests.support.fakes.qbittorrent_fakes import BlackHoleServer, refused_port
from tests.support.gunicorn_server import GunicornServer
from tests.support.postgres import PostgresCluster, create_database

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
PAGES = ["/health", "/", "/history", "/library", "/api/lotteries/{id}", "/api/torrents", "/p/{poll}",
         "/api/polls/{poll}"]  # fmt: skip
HTML_PAGES = ["/", "/history", "/library", "/p/{poll}"]
CONNECTIONS = (1, 10)
WORKERS = 2  # one per core of a 2-core bench machine: throughput figures (the deploy runs 1, see Cold start)


@contextlib.contextmanager
def database(use_sqlite: bool, workdir: Path) -> Iterator[str]:
    cluster = PostgresCluster()
    if use_sqlite or not cluster.available:
        yield f"sqlite:///{workdir / 'bench.sqlite3'}"
        return
    admin_url = cluster.start()
    try:
        yield create_database(admin_url, "ml_bench")
    finally:
        cluster.stop()


def migrate(database_url: str) -> None:
    import subprocess

    env = {"DATABASE_URL": database_url, "SECRET_KEY": "bench", "PATH": "/usr/bin:/bin"}
    subprocess.run(
        [sys.executable, "-m", "flask", "--app", "movie_lottery", "db", "upgrade"],
        cwd=ROOT, env=env, check=True, capture_output=True,
    )  # fmt: skip


def rss_mb(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmRSS:\s+(\d+)", status).group(1)) / 1024


def pss_mb(pid: int) -> float:
    """Proportional set size: shared pages count by the share, so it is what one more worker costs."""
    rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
    return int(re.search(r"^Pss:\s+(\d+)", rollup, re.MULTILINE).group(1)) / 1024


# The libraries every worker must hold before a line of ours runs (the brief's stack), measured bare.
LIBRARY_STACK = (
    "import flask, flask_sqlalchemy, flask_wtf.csrf, psycopg2, sqlalchemy.dialects.postgresql.psycopg2, "
    "gunicorn.workers.gthread, gunicorn.app.wsgiapp, re, pathlib; "
    "print(re.search(r'VmRSS:\\s+(\\d+)', pathlib.Path('/proc/self/status').read_text()).group(1))"
)


def library_stack_rss_mb() -> float:
    import subprocess

    output = subprocess.run([sys.executable, "-c", LIBRARY_STACK], capture_output=True, text=True, check=True)
    return int(output.stdout.strip()) / 1024


def warm_up(base: str, paths: list[str]) -> None:
    for _ in range(20):
        for path in paths:
            with contextlib.suppress(OSError), urllib.request.urlopen(base + path, timeout=10) as response:
                response.read()


def measure_start(database_url: str, env: dict, runs: int = 5) -> list[float]:
    times = []
    for _ in range(runs):
        with GunicornServer(database_url, workers=WORKERS, env=env) as server:
            times.append(server.started_in)
    return times


def load_pages(server: GunicornServer, paths: list[str], seconds: float, repeats: int) -> dict:
    return {
        (path, c): wrk.median_run(server.url + path, c, seconds, repeats)
        for path in paths
        for c in CONNECTIONS
    }


def qbit_env(port: int, username: str = "u", password: str = "p") -> dict[str, str]:
    return {
        "QBIT_HOST": "127.0.0.1",
        "QBIT_PORT": str(port),
        "QBIT_USERNAME": username,
        "QBIT_PASSWORD": password,
    }


def row(*cells) -> str:
    return "| " + " | ".join(str(cell) for cell in cells) + " |"


def share(value: float, of: float) -> str:
    return f"{fmt(value, 0)} ({value / of:.0%})"


def run_mode(
    database_url: str, env: dict, paths: list[str], load: tuple[float, int], workdir: Path, name: str,
    ballot: tuple[str, str] | None = None,
):  # fmt: skip
    log = workdir / f"gunicorn-{name}.log"
    with GunicornServer(database_url, workers=WORKERS, env=env, log_path=log) as server:
        warm_up(server.url, paths)
        rss = [rss_mb(pid) for pid in server.worker_pids()]
        pss = [pss_mb(pid) for pid in server.worker_pids()]
        figures = load_pages(server, paths, *load)
        if ballot is not None:  # PUT /api/polls/<id>/ballot, replacing one participant's ballot each time
            path, script = ballot
            for c in CONNECTIONS:
                figures[(f"PUT {path}", c)] = wrk.median_run(server.url + path, c, load[0], load[1], script)
    text = log.read_text()
    return {"figures": figures, "rss": rss, "pss": pss, "worker_timeouts": text.count("WORKER TIMEOUT"),
            "tracebacks": text.count("Traceback")}  # fmt: skip


def run_modes_side_by_side(
    database_url: str, envs: dict[str, dict], paths: list[str], load: tuple[float, int], workdir: Path,
    configs: dict[str, str] | None = None,
) -> dict[str, dict]:  # fmt: skip
    """Serve every mode at once and take turns, run by run: a slow minute on a shared machine then hits
    every mode alike instead of deciding a comparison between them. ``configs``: a gunicorn settings file
    per mode (default: gunicorn_config.py)."""
    seconds, repeats = load
    with contextlib.ExitStack() as stack:
        servers = {}
        for name, env in envs.items():
            log = workdir / f"gunicorn-{name}.log"
            config = (configs or {}).get(name, "gunicorn_config.py")
            servers[name] = stack.enter_context(
                GunicornServer(database_url, workers=WORKERS, env=env, log_path=log, config=config)
            )
            warm_up(servers[name].url, paths)
        runs: dict[str, dict] = {name: {} for name in envs}
        for path in paths:
            for c in CONNECTIONS:
                for _ in range(repeats):
                    for name, server in servers.items():
                        runs[name].setdefault((path, c), []).append(wrk.run(server.url + path, c, seconds))
    results = {}
    for name in envs:
        text = (workdir / f"gunicorn-{name}.log").read_text()
        results[name] = {
            "figures": {key: wrk.median_of(loads) for key, loads in runs[name].items()},
            "worker_timeouts": text.count("WORKER TIMEOUT"),
            "tracebacks": text.count("Traceback"),
        }
    return results


WORKER_CONFIGS = {"gthread": "bench/gthread_config.py", "gevent": "gunicorn_config.py"}


def compare_workers(database_url: str, paths: list[str], load: tuple[float, int], workdir: Path) -> dict:
    """The deploy's gevent worker and the threaded one it replaced, served side by side, taking turns."""
    envs = {name: {} for name in WORKER_CONFIGS}
    return run_modes_side_by_side(database_url, envs, paths, load, workdir, WORKER_CONFIGS)


def worker_lines(workers: dict) -> list[str]:
    gthread, gevent = workers["gthread"], workers["gevent"]
    lines = [
        "## gevent (deployed) and gthread (2 × 4 threads, before), side by side",
        "",
        "Both servers run at once and take turns run by run; qBittorrent not configured.",
        "",
        "| Path | Conns | gthread req/s | gevent req/s | gevent/gthread | gthread p99 ms | gevent p99 ms "
        "| non-2xx |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for key, before in gthread["figures"].items():
        after = gevent["figures"][key]
        ratio = after.requests_per_second / before.requests_per_second
        cells = [f"`{key[0]}`", key[1], fmt(before.requests_per_second, 0), fmt(after.requests_per_second, 0)]
        cells += [f"{ratio:.2f}", fmt(before.p99_ms, 2), fmt(after.p99_ms, 2), before.non_2xx + after.non_2xx]
        lines.append(row(*cells))
    timeouts = sum(mode["worker_timeouts"] for mode in workers.values())
    tracebacks = sum(mode["tracebacks"] for mode in workers.values())
    return [*lines, "", f"`WORKER TIMEOUT` lines: {timeouts}; tracebacks: {tracebacks}.", ""]


def fmt(value: float, digits: int = 1) -> str:
    return f"{value:,.{digits}f}".replace(",", " ")


def describe_run(args, database_url: str) -> str:
    return (
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC · {platform.processor() or platform.machine()} · "
        f"{len(__import__('os').sched_getaffinity(0))} cores · Python {platform.python_version()} · "
        f"database: {'PostgreSQL' if database_url.startswith('postgresql') else 'SQLite'} · "
        f"gunicorn gevent, {WORKERS} workers · "
        f"wrk: median of {args.repeats} runs of {args.seconds:g} s per row"
    )


def report(args, start_times, floor, normal, baseline, baseline_name, faults, database_url: str,
           stack_rss: float, floor_rss: list[float], votes: counting.CountingFigures,
           html_pages: list[str] = HTML_PAGES) -> str:  # fmt: skip
    lines = [
        "# Benchmark",
        "",
        describe_run(args, database_url),
        "",
        "## Start and memory",
        "",
        "| Figure | Value | Target |",
        "| --- | --- | --- |",
        row(
            f"exec → first 200 on /health (median of {len(start_times)})",
            f"{statistics.median(start_times):.2f} s "
            f"(min {min(start_times):.2f}, max {max(start_times):.2f} s)",
            "≤ 1.0 s",
        ),
        row(
            "worker RSS after warm-up, qBittorrent not configured",
            ", ".join(fmt(r) for r in normal["rss"]) + " MB",
            "≤ 60 MB",
        ),
        row(
            "worker PSS (shared pages counted by share: what one more worker costs)",
            ", ".join(fmt(r) for r in normal["pss"]) + " MB",
            "",
        ),
        row(
            "for reference: the library stack alone, bare Python (Flask, Flask-SQLAlchemy, Flask-WTF, "
            "psycopg2, gunicorn)",
            f"{fmt(stack_rss)} MB",
            "",
        ),
        row(
            "for reference: a hello-world Flask worker under the same settings",
            ", ".join(fmt(r) for r in floor_rss) + " MB",
            "",
        ),
        "",
        "## Throughput and latency (qBittorrent not configured)",
        "",
        "| Path | Conns | req/s | × floor | p50 ms | p99 ms | non-2xx |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for c in CONNECTIONS:
        f = floor[("/health", c)]
        lines.append(f"| floor: hello-world Flask | {c} | {fmt(f.requests_per_second, 0)} | 1.00 | "
                     f"{fmt(f.p50_ms, 2)} | {fmt(f.p99_ms, 2)} | {f.non_2xx} |")  # fmt: skip
    for (path, c), load in normal["figures"].items():
        ratio = load.requests_per_second / floor[("/health", c)].requests_per_second
        lines.append(f"| `{path}` | {c} | {fmt(load.requests_per_second, 0)} | {ratio:.2f} | "
                     f"{fmt(load.p50_ms, 2)} | {fmt(load.p99_ms, 2)} | {load.non_2xx} |")  # fmt: skip
    lines += [
        "",
        "## qBittorrent configured: healthy, a black hole, refusing connections",
        "",
        f"Baseline: {baseline_name}. The three servers run side by side and take turns run by run. "
        "Percentages are of the baseline's throughput.",
        "",
        "| Path | Conns | baseline req/s | black hole req/s | refused req/s | black hole p99 ms | non-2xx |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for key, load in baseline["figures"].items():
        hole, refused = faults["black hole"]["figures"][key], faults["refused"]["figures"][key]
        normal_rps = load.requests_per_second
        cells = [f"`{key[0]}`", key[1], fmt(normal_rps, 0), share(hole.requests_per_second, normal_rps)]
        cells += [share(refused.requests_per_second, normal_rps), fmt(hole.p99_ms, 2)]
        lines.append(row(*cells, hole.non_2xx + refused.non_2xx))
    timeouts = sum(m["worker_timeouts"] for m in [normal, baseline, *faults.values()])
    tracebacks = sum(m["tracebacks"] for m in [normal, baseline, *faults.values()])
    lines += ["", f"`WORKER TIMEOUT` lines in the logs: {timeouts}; tracebacks: {tracebacks}.", ""]
    lines += counting.report_lines(votes)
    lines += ["## Targets", "", *targets(start_times, floor, normal, baseline, faults, html_pages), ""]
    lines += [
        "Reproduce: `make bench` (options: `make bench BENCH_ARGS='--seconds 5 --repeats 5 --sqlite'`).",
        "",
    ]
    return "\n".join(lines)


def targets(start_times, floor, normal, baseline, faults, html_pages=HTML_PAGES) -> list[str]:
    def mark(ok: bool) -> str:
        return "✅" if ok else "❌"

    one = {path: load for (path, c), load in normal["figures"].items() if c == 1}
    floor_1 = floor[("/health", 1)].requests_per_second
    rows = [
        f"- {mark(statistics.median(start_times) <= 1.0)} first 200 within 1.0 s",
        f"- {mark(max(normal['rss']) <= 60)} worker RSS ≤ 60 MB (qBittorrent not configured)",
        f"- {mark(one['/health'].requests_per_second >= 0.7 * floor_1)} `/health` ≥ 70 % of the floor",
    ]
    for path in html_pages:
        load = one[path]
        ok = load.requests_per_second >= 0.35 * floor_1 and load.p99_ms <= 50 and load.non_2xx == 0
        rows.append(f"- {mark(ok)} `{path}` ≥ 35 % of the floor with p99 ≤ 50 ms on one connection")
    worst = min(
        faults["black hole"]["figures"][key].requests_per_second / load.requests_per_second
        for key, load in baseline["figures"].items()
    )
    errors = sum(load.non_2xx for mode in faults.values() for load in mode["figures"].values())
    timeouts = sum(mode["worker_timeouts"] for mode in faults.values())
    ok = worst >= 0.9 and errors == 0 and timeouts == 0
    rows.append(
        f"- {mark(ok)} qBittorrent a black hole: every page within 10 % of a healthy qBittorrent "
        f"(worst {worst:.0%}), {errors} non-2xx, {timeouts} WORKER TIMEOUT"
    )
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=3, help="wrk duration of one run, whole seconds")
    parser.add_argument("--repeats", type=int, default=3, help="runs per row; the median one is reported")
    parser.add_argument("--sqlite", action="store_true", help="use SQLite instead of a throwaway PostgreSQL")
    parser.add_argument("--workers-only", action="store_true",
                        help="only the gevent/gthread side-by-side table (about 5 minutes)")  # fmt: skip
    parser.add_argument("--page-cost", action="store_true",
                        help="only each page's CPU with and without the page cache, and its wait at 0.1 CPU "
                             "(PostgreSQL; about 2 minutes)")  # fmt: skip
    parser.add_argument("--write-cost", action="store_true",
                        help="only the guarded writes' CPU and wait: a ballot PUT (new and changed), "
                             "a library add (new and again) and a full export (PostgreSQL)")  # fmt: skip
    parser.add_argument("--write-scale", type=float, default=1.0,
                        help="--write-cost: the seeded group's size (1 = as --page-cost; 0.05 to check "
                             "it runs)")  # fmt: skip
    parser.add_argument("--exports", type=int, default=5, help="--write-cost: exports per round")
    parser.add_argument("--requests", type=int, default=40,
                        help="--page-cost, --write-cost: requests per round")  # fmt: skip
    parser.add_argument("--rounds", type=int, default=3,
                        help="--page-cost, --write-cost: rounds; the median is reported")  # fmt: skip
    parser.add_argument("--visits", type=int, default=9, help="--page-cost: visits per page at 0.1 CPU")
    parser.add_argument("--pause", type=float, default=0.3,
                        help="--page-cost, --cold-start: seconds between visits")  # fmt: skip
    parser.add_argument(
        "--phone",
        action="store_true",
        help="each page's first view in Chromium at 390x844, CPU 4x slower, slow 4G: bytes, "
        "requests, time until usable, with and without compression (bench/phone.py)",
    )
    parser.add_argument("--phone-runs", type=int, default=3, help="--phone: visits per page and server")
    parser.add_argument("--cold-start", action="store_true",
                        help="only a wake on Render's free budget (0.1 CPU, 512 MB cgroups): "
                             "render.yaml's start command and the hello-world floor, side by side "
                             "(root; about 5 minutes)")  # fmt: skip
    parser.add_argument("--starts", type=int, default=3, help="--cold-start: starts per subject")
    parser.add_argument("--no-warm", action="store_true",
                        help="--cold-start: only the boot, the first pages and memory")  # fmt: skip
    parser.add_argument("--workers", type=int, default=None,
                        help="--cold-start: WEB_CONCURRENCY of both subjects "
                             "(default: render.yaml's)")  # fmt: skip
    parser.add_argument("--no-build", action="store_true",
                        help="--cold-start: skip the build's compile steps before each start (as a wake "
                             "was before issue 22)")  # fmt: skip
    parser.add_argument("--warm-visits", type=int, default=15,
                        help="--cold-start: visits per warm page, spread over the starts")  # fmt: skip
    args = parser.parse_args()
    if args.phone:
        from bench import phone

        return finish(phone.run(args), "phone.md")
    if args.cold_start:
        from bench import cold_start

        return finish(cold_start.run(args), "cold-start.md")
    if args.page_cost:
        from bench import page_cost

        return finish(page_cost.run(args), "page-cost.md")
    if args.write_cost:
        from bench import write_cost

        return finish(write_cost.run(args), "write-cost.md")
    if not wrk.available():
        print("wrk is missing: install it with `apt-get install wrk` (Debian package) and run again.")
        return 2
    with tempfile.TemporaryDirectory(prefix="ml-bench-") as tmp, database(args.sqlite, Path(tmp)) as url:
        workdir = Path(tmp)
        print(f"seeding {url.split('@')[-1]} …", flush=True)
        migrate(url)
        lottery_id = seed.seed(url)
        poll_id = seed.seed_poll(url)
        load = (args.seconds, args.repeats)
        paths = [p.format(id=lottery_id, poll=poll_id) for p in PAGES]
        html_pages = [p.format(poll=poll_id) for p in HTML_PAGES]
        cookie = seed.bench_cookie(url)
        ballot = (f"/api/polls/{poll_id}/ballot", wrk.ballot_script(tmp, cookie))
        print("gevent and gthread, side by side …", flush=True)
        workers = worker_lines(compare_workers(url, paths, load, workdir))
        if args.workers_only:
            text = "\n".join(["# Benchmark: workers", "", describe_run(args, url), "", *workers])
            return finish(text)
        print("measuring start-up …", flush=True)
        start_times = measure_start(url, {})
        print("floor …", flush=True)
        with GunicornServer(url, workers=WORKERS, app_spec="bench.floor_app:create_app()") as floor_server:
            warm_up(floor_server.url, ["/health"])
            floor_rss = [rss_mb(pid) for pid in floor_server.worker_pids()]
            floor = load_pages(floor_server, ["/health"], args.seconds, args.repeats)
        stack_rss = library_stack_rss_mb()
        print("qBittorrent not configured …", flush=True)
        normal = run_mode(url, {}, paths, load, workdir, "normal", ballot)
        with contextlib.ExitStack() as stack:
            envs = {}
            if qbittorrent_nox.available():
                nox = stack.enter_context(qbittorrent_nox.QbittorrentNox())
                envs["healthy"] = qbit_env(nox.port, nox.username, nox.password)
                baseline_name = "a healthy qbittorrent-nox on loopback"
            else:
                envs["healthy"] = {}
                baseline_name = "qBittorrent not configured (qbittorrent-nox is not installed)"
            envs["black hole"] = qbit_env(stack.enter_context(BlackHoleServer()).port)
            envs["refused"] = qbit_env(stack.enter_context(refused_port()))
            print("qBittorrent healthy, a black hole and refusing, served side by side …", flush=True)
            modes = run_modes_side_by_side(url, envs, paths, load, workdir)
        baseline = modes.pop("healthy")
        faults = modes
        print("counting a poll …", flush=True)
        votes = counting.measure()
        text = report(
            args, start_times, floor, normal, baseline, baseline_name, faults, url, stack_rss, floor_rss,
            votes, html_pages,
        )  # fmt: skip
        text += "\n" + "\n".join(workers)
    return finish(text)


def finish(text: str, name: str = "latest.md") -> int:
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / name).write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
