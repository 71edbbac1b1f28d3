"""`make bench BENCH_ARGS=--cold-start`: what a visitor waits when Render's free plan wakes the service.

Two subjects, side by side in one run, start after start (site, floor, site, floor, …):

- **the site**, started with exactly render.yaml's ``startCommand`` (``sh -c`` in a copy of the repository,
  see below; the venv's bin first on PATH), on a throwaway PostgreSQL seeded with bench/group_seed.py and
  migrated to head before the runs, so the start finds the schema at head as on every wake;
- **the floor**: bench/floor_app.py's hello-world under the same gunicorn and gevent (``--worker-class
  gevent --preload``) with as many workers, and nothing of the site's: not its settings file either, which
  imports parts of the site.

Each start runs in fresh cgroups (bench/budget.py): 0.1 CPU, cpuacct for the CPU-seconds, 512 MB. The
shell writes its pid into them and then execs the command, so every child is born inside; PostgreSQL and
this client stay outside. render.yaml binds 0.0.0.0:$PORT: ``GUNICORN_CMD_ARGS="--bind 127.0.0.1:<port>"``
keeps it on loopback (gunicorn applies GUNICORN_CMD_ARGS after the config file, and the bench checks that
nothing listens on another address before it measures).

The environment of a start is built, not inherited: PATH, LANG, a throwaway HOME (gunicorn's control socket
goes to ``$HOME/.gunicorn``), DATABASE_URL, SECRET_KEY, PORT, WEB_CONCURRENCY (render.yaml's, or --workers),
GUNICORN_CMD_ARGS and ``PROXY_HOPS=1`` (Render's default: each phone below is its own ``X-Forwarded-For``
address, so twelve phones are twelve addresses, not one over the per-address limit); no PYTHON* settings.

Each start runs in a fresh copy of the repository's files (``git ls-files``: tracked and untracked, not
ignored, so no ``__pycache__``): a woken free instance starts from the deploy's files, and what a start
writes is gone by the next wake. Before each start, outside the cgroups and not timed, the copy gets what
render.yaml's ``buildCommand`` makes of it: every step but ``pip install`` (the venv is installed already,
its libraries compiled by pip, as there), so the site's modules and templates come compiled as the build
leaves them. ``--no-build`` skips those steps: a start as the deploy before issue 22 had it.

The owner's pages (/, /library, /history) are asked from this machine without a proxy header: with no
ADMIN_PASSWORD the site serves its own machine as the owner (as --page-cost). Phones send ``X-Forwarded-For``.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import re
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import yaml

from bench import budget
from bench.group_seed import GroupIds, seed_group
from bench.write_cost import Browser, git_commit
from tests.support.postgres import free_port

ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent
FLOOR_COMMAND = 'gunicorn --worker-class gevent --preload "bench.floor_app:create_app()"'
# The same, after importing the site's libraries: how much of the site's boot is theirs (boot figures only).
LIBRARIES_COMMAND = 'gunicorn --worker-class gevent --preload "bench.floor_app:create_library_stack_app()"'
BOOT_CAP = 60.0  # seconds: no 200 on /health by then is a failed start
UPGRADE_CAP = 120.0
POLL_EVERY = 0.02
CONTROLLERS = ("cpu", "cpuacct", "memory")
WARM_PAGES = [  # (path, who asks): the owner from this machine, or a phone through the proxy
    ("/", "owner"),
    ("/library", "owner"),
    ("/history", "owner"),
    ("/p/{poll}", "phone"),
    ("/api/polls/{poll}", "phone"),
]
BALLOT = "PUT /api/polls/{poll}/ballot"
PHONES = 12
PHONE_POLLS = 3  # GET /api/polls/<poll> with the ETag, after the ballot, as the open page does
OK = (200, 201, 204, 304)
# Unrecorded visits per page before the warm figures, back to back: each worker has then most likely met
# each page (a worker's first visit of a page is the first-page figure's business, not the warm one's).
WARM_UP_VISITS = 6


# --- the start command ------------------------------------------------------------------------------------


LAUNCHER = "movie_lottery.ops.launch"


@dataclass(frozen=True)
class Blueprint:
    start_command: str
    build_command: str
    workers: int | None  # WEB_CONCURRENCY as render.yaml sets it

    @property
    def upgrade_step(self) -> str:
        """What the start does before the server: the launcher given ``true`` instead of the server
        (ops/launch.py), or the part before the first ``&&`` (``flask … db upgrade``) in an older form."""
        words = shlex.split(self.start_command)
        if LAUNCHER in words:
            return shlex.join([*words[: words.index(LAUNCHER) + 1], "true"])
        return self.start_command.split("&&")[0].strip()

    @property
    def build_steps(self) -> list[str]:
        """The build command's steps but ``pip install``: what the build makes of the repository's files."""
        steps = [step.strip() for step in self.build_command.split("&&")]
        return [step for step in steps if step and not step.startswith("pip install")]


def read_blueprint(path: Path = ROOT / "render.yaml") -> Blueprint:
    data = yaml.safe_load(path.read_text())
    web = next(service for service in data["services"] if service.get("type") == "web")
    workers = next(
        (
            int(v["value"])
            for v in web.get("envVars", [])
            if v.get("key") == "WEB_CONCURRENCY" and "value" in v
        ),
        None,
    )
    return Blueprint(web["startCommand"], web.get("buildCommand", ""), workers)


def start_env(database_url: str, port: int, workers: int | None, home: Path) -> dict[str, str]:
    env = {
        "PATH": f"{VENV_BIN}:/usr/local/bin:/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "HOME": str(home),
        "DATABASE_URL": database_url,
        "SECRET_KEY": "bench-cold-start",
        "PORT": str(port),
        "GUNICORN_CMD_ARGS": f"--bind 127.0.0.1:{port}",
        "PROXY_HOPS": "1",
    }
    if workers is not None:
        env["WEB_CONCURRENCY"] = str(workers)
    return env


def fresh_tree(dest: Path) -> Path:
    """The repository's files as a deploy has them (tracked and untracked, not ignored) copied to ``dest``."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT, capture_output=True, check=True,
    ).stdout.decode()  # fmt: skip
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if source.is_file():  # a deleted file not yet committed is listed but gone
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / name)
    return dest


# --- one start in its cgroups -----------------------------------------------------------------------------


@dataclass
class Running:
    process: subprocess.Popen
    group: budget.Budget
    launched: float
    launched_at: float  # the same moment, wall clock (for the log's timestamps)
    port: int
    log_path: Path


_groups = iter(range(1, 10**6))


@contextlib.contextmanager
def in_budget(command: str, env: dict[str, str], log_path: Path, build_steps: list[str]) -> Iterator[Running]:
    """``command`` run by ``sh -c`` in a fresh copy of the repository made by ``build_steps``, inside fresh
    groups; stopped, and the groups and the copy removed, on the way out."""
    n = next(_groups)
    group = budget.Budget(f"ml-cold-start-{os.getpid()}-{n}", CONTROLLERS)
    tree = log_path.parent / f"tree-{n}"
    with group, open(log_path, "w") as log:
        process = None
        try:
            fresh_tree(tree)
            for step in build_steps:  # what the build makes of the files: outside the groups, not measured
                subprocess.run(["sh", "-c", step], cwd=tree, env=env, check=True, capture_output=True)
            launched, launched_at = time.monotonic(), time.time()
            process = subprocess.Popen(
                ["sh", "-c", group.shell_prefix() + "exec sh -c " + shlex.quote(command)],
                cwd=tree, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
            yield Running(process, group, launched, launched_at, int(env.get("PORT", 0)), log_path)
        finally:
            stop(process, group)
            shutil.rmtree(tree, ignore_errors=True)


def stop(process: subprocess.Popen | None, group: budget.Budget) -> None:
    """SIGTERM to the process group, wait, SIGKILL what is left (Budget.remove then removes the groups)."""
    group.unthrottle()  # the stop is not measured
    if process is None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and (process.poll() is None or group.pids()):
        time.sleep(0.05)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def wait_for_health(running: Running, cap: float = BOOT_CAP) -> float:
    """Seconds from exec to the first 200 on /health, polled every 20 ms from outside the cgroups."""
    while (elapsed := time.monotonic() - running.launched) < cap:
        if running.process.poll() is not None:
            raise StartFailed(f"exited with {running.process.returncode} after {elapsed:.1f} s")
        # Once connected, wait for the answer: the socket is bound before a worker can answer.
        connection = http.client.HTTPConnection("127.0.0.1", running.port, timeout=max(0.1, cap - elapsed))
        try:
            connection.request("GET", "/health")
            response = connection.getresponse()
            response.read()
            if response.status == 200:
                return time.monotonic() - running.launched
        except OSError:
            pass
        finally:
            connection.close()
        time.sleep(POLL_EVERY)
    raise StartFailed(f"no 200 on /health within {cap:.0f} s")


class StartFailed(RuntimeError):
    pass


def listening_elsewhere(port: int) -> list[str]:
    """Listening sockets on ``port`` bound to anything but 127.0.0.1 (from /proc/net/tcp and tcp6)."""
    found = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(FileNotFoundError):
            for line in Path(table).read_text().splitlines()[1:]:
                local, state = line.split()[1], line.split()[3]
                address, port_hex = local.rsplit(":", 1)
                if state == "0A" and int(port_hex, 16) == port and address != "0100007F":
                    found.append(f"{table.rsplit('/', 1)[1]} {address}:{port}")
    return found


def gunicorn_pids(group: budget.Budget) -> list[int]:
    pids = []
    for pid in group.pids():
        with contextlib.suppress(FileNotFoundError, ProcessLookupError):
            if b"gunicorn" in Path(f"/proc/{pid}/cmdline").read_bytes():
                pids.append(pid)
    return pids


def pss_mb(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
        total += int(re.search(r"^Pss:\s+(\d+)", rollup, re.MULTILINE).group(1))
    return total / 1024


def settings_line(log_path: Path) -> str | None:
    found = re.findall(r"gunicorn settings in force: (.*)", log_path.read_text())
    return found[-1].strip() if found else None


APP_TIME = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}) ")  # the app's log lines (local time)
GUNICORN_TIME = re.compile(r"^\[(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d [+-]\d{4})\]")  # gunicorn's, to the second
TIMELINE = re.compile(r"ready in|\bboot|Starting gunicorn|Listening at|Booting worker|Running upgrade", re.I)


def timeline(log_path: Path, launched_at: float, until: float | None) -> list[str]:
    """Where the boot went: the log's telling lines up to the first 200, each at its second after exec
    (gunicorn stamps whole seconds, the app milliseconds)."""
    lines = []
    for line in log_path.read_text().splitlines():
        if not TIMELINE.search(line):
            continue
        if found := APP_TIME.match(line):
            at = datetime.strptime(found.group(1), "%Y-%m-%d %H:%M:%S,%f").timestamp() - launched_at
            when = f"+{at:4.1f} s     "
        elif found := GUNICORN_TIME.match(line):
            at = datetime.strptime(found.group(1), "%Y-%m-%d %H:%M:%S %z").timestamp() - launched_at
            when = f"+{max(at, 0):4.1f}–{at + 1:4.1f} s"  # within that second
        else:
            continue
        if until is not None and at > until + 1:
            break
        lines.append(f"{when}  {line[found.end() :].strip()[:150]}")
    if until is not None:
        lines.append(f"+{until:4.1f} s       first 200 on /health")
    return lines


# --- requests ---------------------------------------------------------------------------------------------


class Phones:
    """A new phone each time: its own address and name, unique over the whole run."""

    def __init__(self, port: int, first: int) -> None:
        self.port, self.n = port, first

    def new(self) -> tuple[Browser, str]:
        self.n += 1
        n = self.n
        return Browser(self.port, f"10.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}"), f"Гость {n}"


def timed(browser: Browser, method: str, path: str, body: dict | None = None, headers=None):
    """(milliseconds, status or the error's name, response headers, body) of one request."""
    started = time.perf_counter()
    try:
        status, response_headers, data = browser.request(method, path, body, headers)
    except OSError as exc:
        return (time.perf_counter() - started) * 1000, f"{type(exc).__name__}", None, b""
    return (time.perf_counter() - started) * 1000, status, response_headers, data


CSRF_META = re.compile(rb'<meta name="csrf-token" content="([^"]+)"')


@dataclass
class Samples:
    ms: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def add(self, ms: float, status, what: str) -> None:
        self.ms.append(ms)
        if status not in OK:
            self.errors.append(f"{what}: {status}")


def first_pages(port: int, poll: str, phones: Phones) -> dict[str, Samples]:
    """The first friend's wait: each page's first visit after the boot."""
    figures = {"/library": Samples(), "/p/<poll>": Samples()}
    ms, status, *_ = timed(Browser(port, ""), "GET", "/library")
    figures["/library"].add(ms, status, "GET /library")
    browser, _ = phones.new()
    ms, status, *_ = timed(browser, "GET", f"/p/{poll}")
    figures["/p/<poll>"].add(ms, status, f"GET /p/{poll}")
    return figures


def warm(
    port: int, poll: str | None, phones: Phones, visits: int, pause: float, into: dict[str, Samples],
    ballots_first: bool = False,
) -> None:  # fmt: skip
    """Each page asked one at a time on a new connection, ``pause`` apart, the pages taking turns, and the
    ballots. Not mixed: a ballot moves the content version, and every kept page renders afresh after it."""
    pages = [("/health", "owner")] + ([(p.format(poll=poll), who) for p, who in WARM_PAGES] if poll else [])

    def ask_pages() -> None:
        for _ in range(visits):
            for path, who in pages:
                time.sleep(pause)
                browser = Browser(port, "") if who == "owner" else phones.new()[0]
                ms, status, *_ = timed(browser, "GET", path)
                browser.close()
                key = path.replace(poll or "<none>", "<poll>")
                into.setdefault(key, Samples()).add(ms, status, f"GET {path}")

    def vote() -> None:
        for _ in range(visits if poll else 0):
            time.sleep(pause)
            browser, name = phones.new()
            body = {"name": name, "approve": [phones.n % 8]}
            ms, status, *_ = timed(browser, "PUT", f"/api/polls/{poll}/ballot", body)
            browser.close()
            into.setdefault(BALLOT.replace("{poll}", "<poll>"), Samples()).add(ms, status, "PUT ballot")

    for step in (vote, ask_pages) if ballots_first else (ask_pages, vote):
        step()


@dataclass
class Night:
    wall_s: float
    samples: Samples


def poll_night(port: int, poll: str, phones: Phones) -> Night:
    """Twelve phones at once: the page, a ballot, then the polled API with its ETag a few times."""
    samples = Samples()
    lock = threading.Lock()
    crowd = [phones.new() for _ in range(PHONES)]
    released: list[float] = []
    barrier = threading.Barrier(PHONES, action=lambda: released.append(time.perf_counter()))

    def phone(browser: Browser, name: str, k: int) -> None:
        barrier.wait()
        page = timed(browser, "GET", f"/p/{poll}")
        results = [(*page, "GET /p")]
        token = CSRF_META.search(page[3])  # the page's script sends it with the session cookie the page set
        headers = {"X-CSRFToken": token.group(1).decode()} if token else None
        body = {"name": name, "approve": [k % 8, (k + 3) % 8]}
        results.append((*timed(browser, "PUT", f"/api/polls/{poll}/ballot", body, headers), "PUT ballot"))
        etag = None
        for _ in range(PHONE_POLLS):
            result = timed(
                browser, "GET", f"/api/polls/{poll}", None, {"If-None-Match": etag} if etag else None
            )
            if result[2] is not None and result[2].get("ETag"):
                etag = result[2].get("ETag")
            results.append((*result, "GET /api/polls"))
        browser.close()
        with lock:
            for ms, status, _, _, what in results:
                samples.add(ms, status, what)

    threads = [threading.Thread(target=phone, args=(b, n, k)) for k, (b, n) in enumerate(crowd)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return Night(time.perf_counter() - released[0], samples)


# --- the runs ---------------------------------------------------------------------------------------------


@dataclass
class Start:
    boot_s: float | None = None
    cpu_s: float | None = None
    failure: str | None = None
    first: dict[str, Samples] = field(default_factory=dict)
    night: Night | None = None
    pss_mb: float | None = None
    processes: int = 0
    peak_mb: float | None = None
    settings: str | None = None
    timeline: list[str] = field(default_factory=list)
    tracebacks: int = 0


def run_start(
    command: str, env: dict, log_path: Path, after_boot: Callable[[Running, Start], None], build: list[str]
) -> Start:
    start = Start()
    launched_at = time.time()
    try:
        with in_budget(command, env, log_path, build) as running:
            launched_at = running.launched_at
            try:
                start.boot_s = wait_for_health(running)
                start.cpu_s = running.group.cpu_seconds()
                if stray := listening_elsewhere(running.port):
                    raise StartFailed(f"listening beyond loopback: {', '.join(stray)}")
                after_boot(running, start)
                pids = gunicorn_pids(running.group)
                start.processes, start.pss_mb = len(pids), pss_mb(pids)
                start.peak_mb = running.group.memory_peak_mb()
            except StartFailed as failed:
                start.failure = str(failed)
    finally:
        if log_path.exists():
            start.settings = settings_line(log_path)
            start.timeline = timeline(log_path, launched_at, start.boot_s)
            start.tracebacks = log_path.read_text().count("Traceback")
    if start.failure:
        tail = log_path.read_text()[-1500:]
        print(f"  start failed: {start.failure}\n{tail}", flush=True)
    return start


def run_upgrade(command: str, env: dict, log_path: Path, build: list[str]) -> tuple[float, float]:
    """The schema step alone in the same kind of groups: wall seconds and CPU-seconds."""
    with in_budget(command, env, log_path, build) as running:
        try:
            running.process.wait(timeout=UPGRADE_CAP)
        except subprocess.TimeoutExpired as exc:
            raise StartFailed(f"`{command}` still running after {UPGRADE_CAP:.0f} s") from exc
        wall = time.monotonic() - running.launched
        if running.process.returncode != 0:
            raise StartFailed(
                f"`{command}` exited with {running.process.returncode}:\n{log_path.read_text()}"
            )
        return wall, running.group.cpu_seconds()


@dataclass
class Results:
    site: list[Start] = field(default_factory=list)
    floor: list[Start] = field(default_factory=list)
    libraries: list[Start] = field(default_factory=list)
    upgrade: list[tuple[float, float]] = field(default_factory=list)
    warm_site: dict[str, Samples] = field(default_factory=dict)
    warm_floor: dict[str, Samples] = field(default_factory=dict)
    warm_up: dict[str, Samples] = field(default_factory=dict)  # not reported but for its errors


def measure(args, blueprint: Blueprint, database_url: str, ids: GroupIds, workdir: Path) -> Results:
    workers = args.workers if args.workers is not None else blueprint.workers
    build = [] if args.no_build else blueprint.build_steps
    results = Results()
    visits = max(1, -(-args.warm_visits // args.starts))  # ~15 visits per page over all the starts
    for n in range(1, args.starts + 1):
        phones = Phones(0, 1000 * n)

        def site_after_boot(running: Running, start: Start, phones=phones) -> None:
            phones.port = running.port
            start.first = first_pages(running.port, ids.open_poll, phones)
            if not args.no_warm:
                warm(running.port, ids.open_poll, phones, WARM_UP_VISITS, 0.0, results.warm_up, True)
                warm(running.port, ids.open_poll, phones, visits, args.pause, results.warm_site)
                start.night = poll_night(running.port, ids.open_poll, phones)

        def floor_after_boot(running: Running, start: Start) -> None:
            if not args.no_warm:
                warm(running.port, None, Phones(running.port, 0), WARM_UP_VISITS, 0.0, results.warm_up)
                warm(running.port, None, Phones(running.port, 0), visits, args.pause, results.warm_floor)

        for name, command, after, into in [
            ("site", blueprint.start_command, site_after_boot, results.site),
            ("floor", FLOOR_COMMAND, floor_after_boot, results.floor),
            ("libraries", LIBRARIES_COMMAND, lambda running, start: None, results.libraries),
        ]:
            print(f"start {n}/{args.starts}: {name} …", flush=True)
            env = start_env(database_url, free_port(), workers, workdir / "home")
            into.append(run_start(command, env, workdir / f"{name}-{n}.log", after, build))
            last = into[-1]
            if last.boot_s is not None:
                print(f"  boot {last.boot_s:.2f} s, {last.cpu_s:.2f} CPU-s", flush=True)
        print(f"start {n}/{args.starts}: the schema step alone …", flush=True)
        env = start_env(database_url, free_port(), workers, workdir / "home")
        log = workdir / f"upgrade-{n}.log"
        results.upgrade.append(run_upgrade(blueprint.upgrade_step, env, log, build))
        print(f"  {results.upgrade[-1][0]:.2f} s, {results.upgrade[-1][1]:.2f} CPU-s", flush=True)
    return results


# --- the report -------------------------------------------------------------------------------------------


def spread(values: list[float], unit: str = "s", digits: int = 2, scale: float = 1.0) -> str:
    if not values:
        return "—"
    values = [v * scale for v in values]
    median = statistics.median(values)
    if len(values) == 1:
        return f"{median:.{digits}f} {unit}"
    return f"{median:.{digits}f} {unit} ({min(values):.{digits}f}–{max(values):.{digits}f})"


def percentile(values: list[float], q: int) -> float:
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def good(starts: list[Start]) -> list[Start]:
    return [s for s in starts if s.failure is None]


def figure_rows(results: Results) -> list[str]:
    subjects = [good(results.site), good(results.floor), good(results.libraries)]

    def each(get, **kw) -> list[str]:
        return [spread([get(s) for s in starts if get(s) is not None], **kw) for starts in subjects]

    def site_only(value: str) -> list[str]:
        return [value, "—", "—"]

    def first(page: str) -> str:
        return spread([s.first[page].ms[0] for s in subjects[0] if page in s.first], "ms", 0)

    upgrade_wall = [wall for wall, _ in results.upgrade]
    upgrade_cpu = [cpu for _, cpu in results.upgrade]
    rows = [
        ("exec → first 200 on `/health`", *each(lambda s: s.boot_s)),
        ("CPU-seconds in the cgroup by then", *each(lambda s: s.cpu_s)),
        ("the schema step alone (schema at head), wall", *site_only(spread(upgrade_wall))),
        ("the schema step alone, CPU-seconds", *site_only(spread(upgrade_cpu))),
        ("first `GET /library` after the boot (owner)", *site_only(first("/library"))),
        ("then the first `GET /p/<poll>` (a phone)", *site_only(first("/p/<poll>"))),
        ("PSS, master + workers, at the end of the start", *each(lambda s: s.pss_mb, unit="MB", digits=0)),
        ("peak memory charged to the cgroup", *each(lambda s: s.peak_mb, unit="MB", digits=0)),
    ]
    return [
        "| Figure | the site | the floor | the floor with the site's libraries imported |",
        "| --- | --- | --- | --- |",
    ] + [f"| {what} | {a} | {b} | {c} |" for what, a, b, c in rows]


def warm_rows(results: Results) -> list[str]:
    lines = [
        "| Request | subject | p50 ms | p95 ms | requests | errors |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for subject, table in (("floor", results.warm_floor), ("site", results.warm_site)):
        for path, samples in table.items():
            if samples.ms:
                lines.append(
                    f"| `{path}` | {subject} | {statistics.median(samples.ms):.1f} | "
                    f"{percentile(samples.ms, 95):.1f} | {len(samples.ms)} | {len(samples.errors)} |"
                )
    return lines


def night_rows(results: Results) -> list[str]:
    nights = [s.night for s in good(results.site) if s.night]
    if not nights:
        return []
    all_ms = [ms for night in nights for ms in night.samples.ms]
    errors = [e for night in nights for e in night.samples.errors]
    lines = [
        "| Figure | value |",
        "| --- | --- |",
        f"| total wall time, first request to last answer | {spread([n.wall_s for n in nights])} |",
        f"| p50 / p95 per request (all nights pooled) | {statistics.median(all_ms):.0f} / "
        f"{percentile(all_ms, 95):.0f} ms |",
        f"| requests | {len(all_ms)} ({len(nights)} night(s) × {PHONES} phones × {3 + PHONE_POLLS - 1}) |",
        f"| errors (any status but 2xx/304, 429 included) | {len(errors)} |",
    ]
    if errors:
        lines += ["", "Errors: " + ", ".join(sorted(set(errors))[:10])]
    return lines


def targets(results: Results) -> list[str]:
    def mark(ok: bool) -> str:
        return "✅" if ok else "❌"

    site = [s.boot_s for s in good(results.site)]
    floor = [s.boot_s for s in good(results.floor)]
    failed = len(results.site) - len(site)
    lines = []
    if site and floor:
        boot, floor_boot = statistics.median(site), statistics.median(floor)
        lines.append(
            f"- {mark(boot <= 6 and boot <= 2 * floor_boot and not failed)} boot median ≤ 6 s and ≤ 2 × the "
            f"floor's: {boot:.2f} s, floor {floor_boot:.2f} s ({boot / floor_boot:.1f}×)"
            + (f", {failed} failed start(s)" if failed else "")
        )
    else:
        lines.append(f"- ❌ boot: {failed} of {len(results.site)} site starts failed")
    if results.upgrade:
        wall = statistics.median(w for w, _ in results.upgrade)
        lines.append(f"- {mark(wall < 1)} the schema step with the schema at head < 1 s: {wall:.2f} s")
    for page in ("/library", "/p/<poll>"):
        waits = [s.first[page].ms[0] for s in good(results.site) if page in s.first]
        if waits:
            wait = statistics.median(waits) / 1000
            lines.append(f"- {mark(wait <= 0.5)} first `{page}` after the boot ≤ 0.5 s: {wait:.2f} s")
    return lines


def report(
    args, blueprint: Blueprint, results: Results, load: tuple[str, str], seed_s: float, workers
) -> str:
    site = results.site[0] if results.site else Start()
    floor = results.floor[0] if results.floor else Start()
    lines = [
        "# Benchmark: a cold start on Render's free budget (0.1 CPU, 512 MB)",
        "",
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC · code {git_commit()} · "
        f"{len(os.sched_getaffinity(0))} cores · load average before {load[0]}, after {load[1]} · PostgreSQL "
        f"(throwaway, on loopback, outside the cgroup) · {workers} worker(s) "
        f"(WEB_CONCURRENCY{' from --workers' if args.workers else ', as render.yaml sets it'})",
        "",
        f"The site's start command, verbatim from render.yaml: `{blueprint.start_command}`  ",
        f"The floor's: `{FLOOR_COMMAND}`; with the libraries: `{LIBRARIES_COMMAND}`  ",
        f"The schema step alone: `{blueprint.upgrade_step}`  ",
        "Each start in a fresh copy of the repository's files "
        + (
            "with nothing compiled (`--no-build`: each start compiles the site's modules and templates, as "
            "a wake did before issue 22) "
            if args.no_build
            else "made by the build's own steps, `pip install` aside (untimed: "
            + "; ".join(f"`{step}`" for step in blueprint.build_steps)
            + ") "
        )
        + "and in fresh cgroups (cpu quota "
        f"{budget.QUOTA_US} µs per {budget.PERIOD_US} µs, cpuacct, memory limit "
        f"{budget.MEMORY_BYTES // 2**20} MB), `GUNICORN_CMD_ARGS=--bind 127.0.0.1:<port>`; gunicorn reported "
        f"`{site.settings or '—'}` (floor: `{floor.settings or '—'}`).",
        "",
        "Data: bench/group_seed.py (400 library movies, 150 lotteries, 50 polls), migrated to head and "
        f"seeded ({seed_s:.0f} s) before the runs. Median of "
        f"{args.starts} start(s) per subject, taking turns (range in brackets).",
        "",
        "## Waking up",
        "",
        *figure_rows(results),
        "",
        "Each start: " + "; ".join(
            f"{name} {s.boot_s:.1f} s" if s.boot_s else f"{name} failed ({s.failure})"
            for name, starts in (("site", results.site), ("floor", results.floor),
                                 ("libraries", results.libraries))
            for s in starts
        ) + ".",
        "",
    ]  # fmt: skip
    if not args.no_warm:
        lines += [
            "## Warm, on the budget",
            "",
            f"After {WARM_UP_VISITS} unrecorded visits per page back to back (so each worker has met each "
            f"page): one request at a time on a new connection, {args.pause:g} s apart (the quota as an idle "
            "site has it), the pages taking turns, pooled over the starts; each ballot `PUT` from a new "
            "phone (its own address and name, no cookie yet: a new participant, as --write-cost), after the "
            "pages (a ballot moves the content version: every kept page renders afresh after it). "
            f"Warm-up errors: {sum(len(s.errors) for s in results.warm_up.values())}.",
            "",
            *warm_rows(results),
            "",
            f"## A poll night: {PHONES} phones at once",
            "",
            f"Each phone (its own address, its cookies): `GET /p/<poll>`, `PUT` its ballot, then `GET "
            f"/api/polls/<poll>` {PHONE_POLLS} times with its ETag; all started together.",
            "",
            *night_rows(results),
            "",
        ]
    tracebacks = sum(s.tracebacks for s in results.site + results.floor)
    lines += [f"Tracebacks in the servers' logs: {tracebacks}.", ""]
    if site.timeline:
        lines += [
            "Where the site's first start went (its log, seconds after exec):",
            "",
            "```",
            *site.timeline,
            "```",
            "",
        ]
    lines += ["## Targets (issue 22)", "", *targets(results), ""]
    lines += [
        "Reproduce: `make bench BENCH_ARGS=--cold-start` "
        "(options: `--starts 1`, `--no-warm`, `--workers N`, `--no-build`).",
        "",
    ]
    return "\n".join(lines)


def run(args) -> str:
    from bench.__main__ import database, migrate

    if not budget.available(CONTROLLERS):
        raise SystemExit(
            "--cold-start needs root and writable cgroup v1 controllers (cpu, cpuacct, memory under "
            f"{budget.CGROUP_ROOT}): unthrottled, a cold start on this machine says nothing about Render's "
            "0.1 CPU."
        )
    # A SIGTERM (a CI timeout, `kill`) unwinds like Ctrl-C, so every `finally` stops its server and removes
    # its cgroups.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    blueprint = read_blueprint()
    workers = args.workers if args.workers is not None else blueprint.workers
    load_before = Path("/proc/loadavg").read_text().split()[0]
    with tempfile.TemporaryDirectory(prefix="ml-cold-start-") as tmp, database(False, Path(tmp)) as url:
        if not url.startswith("postgresql"):
            raise SystemExit("--cold-start needs PostgreSQL (initdb and pg_ctl): the figures are for prod")
        (Path(tmp) / "home").mkdir()
        print("seeding a group's data …", flush=True)
        migrate(url)
        started = time.monotonic()
        ids = seed_group(url)
        seed_s = time.monotonic() - started
        results = measure(args, blueprint, url, ids, Path(tmp))
    load_after = Path("/proc/loadavg").read_text().split()[0]
    return report(args, blueprint, results, (load_before, load_after), seed_s, workers)
