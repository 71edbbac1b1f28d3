"""Bursts: the ballots (or ratings) that came from one place close together, shown to the owner as one group.

Pure: plain values in, plain values out. An entry is (id, origin, arrived_at): ``origin`` the keyed hash of
the client address it came from (core/rate_limit.Origin), ``arrived_at`` when its participant first came.
A burst is a run of entries of one origin, in arrival order, each at most ``BURST_GAP`` after the one before;
only runs of two or more are groups (one ballot from an address is just a voter). Twelve friends on one
home Wi-Fi are a group too — the owner recognises their names and leaves it; a script's invented names are
one group the owner removes with one action. Entries without an origin (made before origins were kept, or
restored from a backup) are never grouped.

A group's id is ``<origin>-<first id>``: stable while the burst grows, and it names nothing but a hash.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

BURST_GAP = timedelta(minutes=10)


@dataclass(frozen=True)
class Entry:
    id: int
    origin: str | None
    arrived_at: datetime | None


@dataclass(frozen=True)
class Burst:
    id: str
    ids: tuple[int, ...]
    first: datetime
    last: datetime


def bursts(entries: Iterable[Entry], gap: timedelta = BURST_GAP) -> list[Burst]:
    """The groups of two or more, in the order their first entry arrived."""
    by_origin: dict[str, list[Entry]] = {}
    for entry in entries:
        if entry.origin and entry.arrived_at is not None:
            by_origin.setdefault(entry.origin, []).append(entry)
    found: list[Burst] = []
    for origin, runs in by_origin.items():
        runs.sort(key=lambda e: (e.arrived_at, e.id))
        current: list[Entry] = []
        for entry in runs:
            if current and entry.arrived_at - current[-1].arrived_at > gap:
                found.extend(_as_burst(origin, current))
                current = []
            current.append(entry)
        found.extend(_as_burst(origin, current))
    return sorted(found, key=lambda b: (b.first, b.ids[0]))


def _as_burst(origin: str, run: list[Entry]) -> list[Burst]:
    if len(run) < 2:
        return []
    return [Burst(f"{origin}-{run[0].id}", tuple(e.id for e in run), run[0].arrived_at, run[-1].arrived_at)]
