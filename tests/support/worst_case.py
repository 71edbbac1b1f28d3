"""Worst-case input: long runs that a backtracking pattern could split many ways, refused only at their end.

Values grow in steps up to 1 MB and each step must cost under BOUND_SECONDS of CPU: linear work on 1 MB takes
milliseconds, so the bound is many times the normal cost and cannot flake, while anything super-linear
fails at a small step within about a second instead of holding the test for hours (the old `VISIBLE`
pattern needed 19 s for 80 KB).
"""

from __future__ import annotations

import gc
import itertools
import time
from collections.abc import Callable, Iterator
from copy import deepcopy
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
    """The result and the CPU seconds this thread spent on it. The app runs in the calling thread (test
    client, WSGI call), so that is the work the input caused; whatever else a shared machine is running
    cannot move it, as it would move a wall clock. The garbage collector is held off meanwhile: late in a full
    run a collection walks the whole test process's heap — the likeliest reason a call that costs under 0.15 s
    alone took 1.3 s there — which is the suite's cost, not the input's; anything super-linear still shows."""
    gc_was_on = gc.isenabled()
    gc.disable()
    try:
        started = time.thread_time()
        result = call()
        return result, time.thread_time() - started
    finally:
        if gc_was_on:
            gc.enable()


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


# ---- walking an OpenAPI document: a body of the right shape, and every place in it a value can go -------


def resolve(document: dict, node: dict) -> dict:
    while "$ref" in node:
        target = document
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def minimal(document: dict, node: dict):
    """A small value of the schema's shape: required properties only, the fewest list items."""
    node = resolve(document, node)
    kind = node.get("type")
    if kind == "object":
        required = node.get("required", [])
        return {k: minimal(document, p) for k, p in node.get("properties", {}).items() if k in required}
    if kind == "array":
        return [minimal(document, node["items"]) for _ in range(node.get("minItems", 0))]
    return {"string": "Фильм", "integer": node.get("minimum", 1), "number": 1, "boolean": False}.get(kind)


def places(document: dict, node: dict, path: tuple = ()):
    """Every place in a body a value can go: each property, each list's first item, at every depth."""
    node = resolve(document, node)
    if path:
        yield path
    if node.get("type") == "object":
        for key, child in node.get("properties", {}).items():
            yield from places(document, child, (*path, key))
    elif node.get("type") == "array":
        yield from places(document, node["items"], (*path, 0))


def put(body, path: tuple, value):
    body = deepcopy(body)
    node = body
    for here, below in itertools.pairwise(path):
        if isinstance(node, list):
            while len(node) <= here:
                node.append({} if isinstance(below, str) else [])
            if not isinstance(node[here], (dict, list)):
                node[here] = {} if isinstance(below, str) else []
        elif not isinstance(node.get(here), (dict, list)):
            node[here] = {} if isinstance(below, str) else []
        node = node[here]
    last = path[-1]
    if isinstance(node, list):
        while len(node) <= last:
            node.append(None)
    node[last] = value
    return body
