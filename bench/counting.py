"""Counting a poll: 25 movies × 1,000 ballots, timed, and what counting costs a worker's memory.

Each figure is taken in a fresh Python process, so one import or one warm cache cannot flatter another.
Run alone: ``python -m bench.counting``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass

MOVIES = 25
BALLOTS = 1000
RUNS = 15
TARGET_MS = 50.0

# Times count() on fresh ballots each run (no grouping of identical ballots can help), median of RUNS.
_TIMING = """
import json, random, statistics, sys, time
from movie_lottery.polls.voting import APPROVAL, RANKED, Ballot, count
movies, ballots, runs, kind = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
rng = random.Random(13)
def ballot():
    if kind == "approval":
        chosen = frozenset(rng.sample(range(movies), rng.randint(0, movies)))
        return Ballot(approve=chosen, veto=rng.choice([None, 0]))
    k = movies if kind == "full" else rng.randint(1, movies)
    return Ballot(ranking=tuple(rng.sample(range(movies), k)), veto=rng.choice([None, None, 1]))
count(RANKED, 3, [Ballot(ranking=(0, 1))])  # warm-up: not timed
times = []
for _ in range(runs):
    sample = [ballot() for _ in range(ballots)]
    started = time.perf_counter()
    count(APPROVAL if kind == "approval" else RANKED, movies, sample)
    times.append((time.perf_counter() - started) * 1000)
print(json.dumps({"median": statistics.median(times), "max": max(times)}))
"""

# Resident memory before and after counting once, in a process that already
# holds the app's voting module (as a worker does).
_MEMORY = """
import json, pathlib, re, tracemalloc
def rss():
    return int(re.search(r"VmRSS:\\s+(\\d+)", pathlib.Path("/proc/self/status").read_text()).group(1)) / 1024
import random
from movie_lottery.polls.voting import RANKED, Ballot, count
rng = random.Random(1)
ballots = [Ballot(ranking=tuple(rng.sample(range(25), 25))) for _ in range(1000)]
tracemalloc.start()
count(RANKED, 25, ballots)
peak = tracemalloc.get_traced_memory()[1] / 1024 / 1024
print(json.dumps({"count_peak_mb": peak}))
"""


@dataclass(frozen=True)
class CountingFigures:
    full_ms: float
    full_max_ms: float
    partial_ms: float
    approval_ms: float
    count_peak_mb: float


def _run(script: str, *args: object) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", script, *map(str, args)], capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout)


def measure() -> CountingFigures:
    full = _run(_TIMING, MOVIES, BALLOTS, RUNS, "full")
    partial = _run(_TIMING, MOVIES, BALLOTS, RUNS, "partial")
    approval = _run(_TIMING, MOVIES, BALLOTS, RUNS, "approval")
    memory = _run(_MEMORY)
    return CountingFigures(
        full_ms=full["median"],
        full_max_ms=full["max"],
        partial_ms=partial["median"],
        approval_ms=approval["median"],
        count_peak_mb=memory["count_peak_mb"],
    )


def report_lines(figures: CountingFigures) -> list[str]:
    ok = "✅" if max(figures.full_ms, figures.partial_ms, figures.approval_ms) < TARGET_MS else "❌"
    return [
        f"## Counting a poll ({MOVIES} movies × {BALLOTS:_} ballots, median of {RUNS})".replace("_", " "),
        "",
        "| Figure | Value | Target |",
        "| --- | --- | --- |",
        f"| ranked, every ballot ranks all {MOVIES} (Schulze) | {figures.full_ms:.1f} ms "
        f"(max {figures.full_max_ms:.1f}) | < {TARGET_MS:g} ms |",
        f"| ranked, each ballot ranks 1–{MOVIES} | {figures.partial_ms:.1f} ms | < {TARGET_MS:g} ms |",
        f"| approval | {figures.approval_ms:.1f} ms | < {TARGET_MS:g} ms |",
        f"| peak memory of one ranked count (tracemalloc) | {figures.count_peak_mb:.2f} MB | |",
        "",
        f"- {ok} counting {MOVIES} movies × {BALLOTS:_} ballots under {TARGET_MS:g} ms".replace("_", " "),
        "",
    ]


if __name__ == "__main__":
    print("\n".join(report_lines(measure())))
