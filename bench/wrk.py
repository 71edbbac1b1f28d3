"""Run wrk against a URL and read its figures."""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass

UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


@dataclass(frozen=True)
class Load:
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    requests: int
    non_2xx: int
    socket_errors: int


def available() -> bool:
    return shutil.which("wrk") is not None


def _ms(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(value) * UNITS[unit]


def run(url: str, connections: int, seconds: float, script: str | None = None) -> Load:
    """One wrk run; ``script`` is a Lua file that shapes the requests (a PUT with a body, a cookie)."""
    threads = min(2, connections)
    result = subprocess.run(
        ["wrk", f"-t{threads}", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--timeout", "10s",
         "--latency", *(["-s", script] if script else []), url],
        capture_output=True, text=True, timeout=seconds + 60, check=True,
    )  # fmt: skip
    out = result.stdout
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return Load(
        requests_per_second=float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        p50_ms=_ms(re.search(r"^\s+50%\s+(\S+)", out, re.MULTILINE).group(1)),
        p99_ms=_ms(re.search(r"^\s+99%\s+(\S+)", out, re.MULTILINE).group(1)),
        requests=int(re.search(r"(\d+) requests in", out).group(1)),
        non_2xx=int(non_2xx.group(1)) if non_2xx else 0,
        socket_errors=sum(int(n) for n in errors.groups()) if errors else 0,
    )


def median_run(url: str, connections: int, seconds: float, repeats: int, script: str | None = None) -> Load:
    """The median of `repeats` runs: one burst of noise on a shared machine cannot decide a row."""
    return median_of([run(url, connections, seconds, script) for _ in range(repeats)])


BALLOT_SCRIPT = """
wrk.method = "PUT"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Cookie"] = "{cookie}"
wrk.body = '{{"approve": [0, 2, 5], "veto": 7}}'
"""


def ballot_script(path: str, cookie: str) -> str:
    """A Lua file for wrk: every request replaces the same participant's ballot (the poll stays small)."""
    import tempfile

    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False, dir=path) as file:
        file.write(BALLOT_SCRIPT.format(cookie=cookie))
        return file.name


def median_of(runs: list[Load]) -> Load:
    """The median run's throughput and latency; errors and requests summed, so one failure anywhere shows."""
    runs = sorted(runs, key=lambda r: r.requests_per_second)
    middle = runs[len(runs) // 2]
    return Load(
        requests_per_second=middle.requests_per_second,
        p50_ms=middle.p50_ms,
        p99_ms=middle.p99_ms,
        requests=sum(r.requests for r in runs),
        non_2xx=sum(r.non_2xx for r in runs),
        socket_errors=sum(r.socket_errors for r in runs),
    )
