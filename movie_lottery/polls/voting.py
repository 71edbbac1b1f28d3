"""Counting a poll: plain values in, plain values out — no database, no Flask.

Candidates are their 0-based positions in the poll's list.
- Approval («за что готовы смотреть»): each ballot says «да» to some movies; the most «да» wins.
- Ranked («по местам»): each ballot orders as many movies as it likes, best first; the unranked ones share the
  place below every ranked one. The Schulze method decides, on the head-to-head table
  ``pairwise[a][b]`` = how many ballots put ``a`` above ``b``: a movie that beats every other one head to
  head always wins, and otherwise the strongest chains of head-to-head wins do (winning votes; see
  ``schulze_winners`` for why not py-vote-core). The table is packed into integers: 25 movies × 1,000
  ballots in a few milliseconds, where building it ballot by ballot takes 0.15 s.
- Vetoes: each ballot may veto one movie. A vetoed movie cannot win — it is left out of the count — unless
  every movie is vetoed, and then nobody is left out.
- The movies that share first place are ``tied``; ``break_tie`` picks one of them with the reel (reel.py):
  ``tied[int(sha256(seed + "\\n" + poll_id + "\\n" + "\\n".join(tied names)), 16) % len(tied)]``, the tied
  names in the order of the list. With one movie in first place that is the movie itself.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from movie_lottery.core.reel import pick_index

APPROVAL = "approval"
RANKED = "ranked"
METHODS = (APPROVAL, RANKED)


@dataclass(frozen=True)
class Ballot:
    """One participant's ballot, already checked: positions are in range and appear once."""

    approve: frozenset[int] = frozenset()  # approval: the movies marked «да»
    ranking: tuple[int, ...] = ()  # ranked: best first; the movies left out share the place below
    veto: int | None = None


@dataclass(frozen=True)
class Count:
    """What the ballots say, before any tie is broken."""

    method: str
    ballots: int
    tied: tuple[int, ...]  # the movies sharing first place, in list order (one when there is a clear winner)
    vetoes: tuple[int, ...]  # per movie, the ballots that vetoed it
    excluded: tuple[int, ...]  # the vetoed movies left out of the count (none when every movie is vetoed)
    counts: tuple[int, ...] | None = None  # approval: «да» per movie
    pairwise: tuple[tuple[int, ...], ...] | None = field(default=None)  # ranked: ballots putting a above b


def count(method: str, candidates: int, ballots: Iterable[Ballot]) -> Count:
    """Count ``ballots`` over ``candidates`` movies (positions 0 … candidates − 1)."""
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}")
    if candidates < 1:
        raise ValueError("a poll needs candidates")
    ballots = list(ballots)
    vetoes = veto_counts(candidates, ballots)
    eligible = [p for p in range(candidates) if not vetoes[p]] or list(range(candidates))
    excluded = tuple(p for p in range(candidates) if p not in eligible)
    if method == APPROVAL:
        counts = approval_counts(candidates, ballots)
        best = max(counts[p] for p in eligible)
        tied = tuple(p for p in eligible if counts[p] == best)
        return Count(method, len(ballots), tied, tuple(vetoes), excluded, counts=tuple(counts))
    pairwise = pairwise_table(candidates, (ballot.ranking for ballot in ballots))
    tied = tuple(sorted(schulze_winners(eligible, pairwise)))
    table = tuple(tuple(row) for row in pairwise)
    return Count(method, len(ballots), tied, tuple(vetoes), excluded, pairwise=table)


def veto_counts(candidates: int, ballots: Iterable[Ballot]) -> list[int]:
    vetoes = [0] * candidates
    for ballot in ballots:
        if ballot.veto is not None:
            vetoes[ballot.veto] += 1
    return vetoes


def approval_counts(candidates: int, ballots: Iterable[Ballot]) -> list[int]:
    counts = [0] * candidates
    for ballot in ballots:
        for position in ballot.approve:
            counts[position] += 1
    return counts


def pairwise_table(candidates: int, rankings: Iterable[Sequence[int]]) -> list[list[int]]:
    """``table[a][b]``: how many rankings put ``a`` above ``b`` (a ranked movie is above every unranked one).

    Each row is one integer holding a cell per movie, every cell wide enough for the number of rankings, so
    a ranking adds to a row with one addition instead of one per movie below; identical rankings are
    added once, multiplied. Walking a ranking from its end, ``below`` holds the movies under the current one.
    """
    grouped = Counter(tuple(ranking) for ranking in rankings)
    width = max(1, sum(grouped.values())).bit_length()  # a cell never exceeds the number of rankings
    unit = [1 << (width * b) for b in range(candidates)]
    everyone = sum(unit)
    rows = [0] * candidates
    for ranking, times in grouped.items():
        below = everyone - sum(unit[c] for c in ranking)  # the unranked movies
        for a in reversed(ranking):
            rows[a] += below * times
            below += unit[a]
    mask = (1 << width) - 1
    return [[(row >> (width * b)) & mask for b in range(candidates)] for row in rows]


def schulze_winners(candidates: Sequence[int], pairwise: Sequence[Sequence[int]]) -> set[int]:
    """Every Schulze winner among ``candidates`` (more than one is a tie): widest paths over winning-votes
    links (Floyd–Warshall), and a winner is a movie whose path to each rival is at least as strong as back.

    Not py-vote-core: its Schulze declares an unbeaten movie the sole winner before looking at paths, which
    is wrong when pairs tie (hypothesis found a poll where a movie tied with three others, who are Schulze
    winners too, came out alone). Twenty lines here are cheaper than a wrong count.
    """
    strength = {
        (a, b): pairwise[a][b] if pairwise[a][b] > pairwise[b][a] else 0
        for a in candidates
        for b in candidates
        if a != b
    }
    for via in candidates:
        for a in candidates:
            if a == via:
                continue
            through = strength[a, via]
            if not through:
                continue
            for b in candidates:
                if b != a and b != via:
                    widest = min(through, strength[via, b])
                    if widest > strength[a, b]:
                        strength[a, b] = widest
    return {a for a in candidates if all(strength[a, b] >= strength[b, a] for b in candidates if b != a)}


def break_tie(seed: str, poll_id: str, names: Sequence[str], tied: Sequence[int]) -> int:
    """The winner among the ``tied`` positions: the reel's pick over their names, in list order."""
    if not tied:
        raise ValueError("nothing to choose from")
    ordered = sorted(tied)
    return ordered[pick_index(seed, poll_id, [names[p] for p in ordered])]
