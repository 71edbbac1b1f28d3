"""Worst-case input: long runs that a backtracking pattern could split many ways, refused only at their end.

Values grow in steps up to 1 MB and each step must come back within BOUND_SECONDS: linear work on 1 MB takes
milliseconds, so the bound is many times the normal cost and cannot flake, while anything super-linear
fails at a small step within about a second instead of holding the test for hours (the old `VISIBLE`
pattern needed 19 s for 80 KB).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

SIZE = 1_000_000
STEPS = (32_000, SIZE)  # the old VISIBLE took 5 s at 32 KB: it fails the first step
BOUND_SECONDS = 1.0

CONTROL = "\x01"
# The run's character and what follows it: a control at the end is refused everywhere, but only there.
RUNS = {
    "letters": ("", "a", CONTROL),
    "spaces": ("", " ", CONTROL),
    "spaces then a letter": ("", " ", "a" + CONTROL),
    "no-break spaces": ("", "\u00a0", CONTROL),
    "tabs and newlines": ("", "\t\n", CONTROL),
    "digits": ("", "7", CONTROL),
    "host labels": ("http://", "a.", CONTROL),
    "long host label": ("http://", "ab", CONTROL),
    "hyphens": ("http://a", "-a", CONTROL),
    "url path": ("https://example.org/", "a/", CONTROL),
    "kinopoisk path": ("https://www.kinopoisk.ru/film/1234/", "a", " x"),
    "magnet": ("magnet:?xt=urn:btih:", "a&", CONTROL),
    "brackets": ("", "[", ""),
    "quotes": ("", '"', CONTROL),
}


def worst_value(kind: str, size: int = SIZE) -> str:
    prefix, unit, end = RUNS[kind]
    return prefix + unit * ((size - len(prefix) - len(end)) // len(unit)) + end


def worst_values(size: int = SIZE) -> Iterator[tuple[str, str]]:
    for kind in RUNS:
        yield kind, worst_value(kind, size)


T = TypeVar("T")


def timed(call: Callable[[], T]) -> tuple[T, float]:
    started = time.perf_counter()
    result = call()
    return result, time.perf_counter() - started


def within_bound_at_every_step(
    prepare: Callable[[int], Callable[[], T]], what: str, bound: float = BOUND_SECONDS
) -> T:
    """At each step, ``prepare(size)`` builds the input (untimed) and returns the call that is timed; fail
    at the first step over the bound. Returns the last call's result."""
    result: Any = None
    for size in STEPS:
        result, seconds = timed(prepare(size))
        assert seconds < bound, f"{what}: {seconds:.2f} s at {size:,} characters"
    return result
