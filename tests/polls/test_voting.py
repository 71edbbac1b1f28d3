"""How a poll is counted: the rules as examples, then thousands of random ballot sets against a 2nd count."""

from __future__ import annotations

import itertools
import random
import time

from hypothesis import given, settings
from hypothesis import strategies as st

from movie_lottery.polls.voting import (
    APPROVAL,
    RANKED,
    Ballot,
    break_tie,
    count,
    pairwise_table,
    schulze_winners,
)

A, B, C, D, E = range(5)


def ranked(*orders: tuple[int, tuple[int, ...]]) -> list[Ballot]:
    """(times, ranking) pairs as ballots."""
    return [Ballot(ranking=ranking) for times, ranking in orders for _ in range(times)]


def approving(*sets: set[int], veto: int | None = None) -> list[Ballot]:
    return [Ballot(approve=frozenset(chosen), veto=veto) for chosen in sets]


# ---- approval ---------------------------------------------------------------------------------------


def test_the_movie_with_most_yes_wins():
    result = count(APPROVAL, 3, approving({A, B}, {B}, {B, C}, {C}))
    assert result.counts == (1, 3, 2)
    assert result.tied == (B,)


def test_movies_with_as_many_yes_are_tied_in_list_order():
    result = count(APPROVAL, 4, approving({D, B}, {B, D}, {A}))
    assert result.tied == (B, D)


def test_a_poll_nobody_voted_in_is_a_tie_of_every_movie():
    assert count(APPROVAL, 3, []).tied == (A, B, C)
    assert count(RANKED, 3, []).tied == (A, B, C)


# ---- ranked: Schulze --------------------------------------------------------------------------------


def test_a_movie_that_beats_every_other_head_to_head_wins_though_another_has_more_first_places():
    ballots = ranked((4, (A, B, C)), (3, (B, C, A)), (2, (C, B, A)))
    first_places = [sum(1 for b in ballots if b.ranking[0] == movie) for movie in (A, B, C)]
    assert first_places == [4, 3, 2]  # A is first most often …
    result = count(RANKED, 3, ballots)
    assert result.pairwise[B][A] == 5 and result.pairwise[A][B] == 4  # … but B beats A 5 to 4
    assert result.pairwise[B][C] == 7 and result.pairwise[C][B] == 2  # and C 7 to 2
    assert result.tied == (B,)


def test_without_a_head_to_head_winner_the_strongest_chains_decide():
    # The Schulze method's textbook example (45 voters, 5 candidates, no Condorcet winner): E wins.
    ballots = ranked(
        (5, (A, C, B, E, D)),
        (5, (A, D, E, C, B)),
        (8, (B, E, D, A, C)),
        (3, (C, A, B, E, D)),
        (7, (C, A, E, B, D)),
        (2, (C, B, A, D, E)),
        (7, (D, C, E, B, A)),
        (8, (E, B, A, D, C)),
    )
    result = count(RANKED, 5, ballots)
    d = result.pairwise
    assert not any(all(d[x][y] > d[y][x] for y in range(5) if y != x) for x in range(5))
    assert result.tied == (E,)


def test_unranked_movies_share_the_place_below_every_ranked_one():
    table = pairwise_table(4, [(C,), (C, A)])
    assert table[C] == [2, 2, 0, 2]  # C above everyone on both ballots
    assert table[A] == [0, 1, 0, 1]  # A above B and D on the second ballot only
    assert table[B][D] == 0 and table[D][B] == 0  # never ranked: no preference between them


def test_a_perfect_head_to_head_tie_is_a_tie():
    result = count(RANKED, 3, ranked((1, (A, B, C)), (1, (B, A, C))))
    assert result.tied == (A, B)


# ---- vetoes -----------------------------------------------------------------------------------------


def test_a_vetoed_movie_cannot_win_even_with_most_yes():
    ballots = [*approving({A, B}, {A, B}, {A}), *approving({B}, veto=A)]
    result = count(APPROVAL, 3, ballots)
    assert result.counts[A] == 3 and result.counts[B] == 3
    assert result.vetoes == (1, 0, 0)
    assert result.excluded == (A,)
    assert result.tied == (B,)


def test_a_vetoed_movie_cannot_win_a_ranked_poll():
    ballots = [*ranked((3, (A, B, C))), Ballot(ranking=(C, B), veto=A)]
    result = count(RANKED, 3, ballots)
    assert result.tied == (B,)


def test_when_every_movie_is_vetoed_none_is_left_out():
    ballots = [*approving({A}, veto=B), *approving({A}, veto=A)]
    result = count(APPROVAL, 2, ballots)
    assert result.excluded == ()
    assert result.tied == (A,)


# ---- the tie-break ----------------------------------------------------------------------------------

SEED = "a" * 64
NAMES = ["Тихая гавань", "Гавань", "Маяк", "Зеркало"]


def test_a_tie_is_broken_by_the_reel_as_hand_computed():
    # printf '%s\n%s\n%s\n%s\n%s' SEED PoLl5678 "Тихая гавань" Гавань Маяк | sha256sum
    #   -> 78310d0c1fcf…1ab5a3; in bc: that number % 3 = 1, the second tied name: Гавань (position 1)
    assert break_tie(SEED, "PoLl5678", NAMES, [2, 1, 0]) == 1  # given in any order: list order counts


def test_the_tie_break_uses_only_the_tied_names_in_list_order():
    assert break_tie(SEED, "PoLl5678", NAMES, (0, 1, 2)) == break_tie(SEED, "PoLl5678", NAMES[:3], [1, 2, 0])
    picks = {break_tie(f"{i:064x}", "poll", NAMES, [1, 3]) for i in range(40)}
    assert picks == {1, 3}  # either tied movie can be picked, never another


def test_a_clear_winner_is_its_own_tie_break():
    assert break_tie(SEED, "anything", NAMES, [2]) == 2


# ---- a second, independent count --------------------------------------------------------------------


def reference_pairwise(candidates: int, rankings: list[tuple[int, ...]]) -> list[list[int]]:
    """Ballot by ballot, pair by pair: the slow and obvious way."""
    table = [[0] * candidates for _ in range(candidates)]
    for ranking in rankings:
        place = {movie: i for i, movie in enumerate(ranking)}
        for a, b in itertools.permutations(range(candidates), 2):
            if place.get(a, candidates) < place.get(b, candidates):
                table[a][b] += 1
    return table


def reference_schulze(eligible: list[int], d: list[list[int]]) -> set[int]:
    """Schulze by its definition, computed another way than voting.py: the strongest path of each length is
    the (max, min) product of the links' matrix with the previous one, repeated until nothing grows."""
    link = {(i, j): (d[i][j] if d[i][j] > d[j][i] else 0) for i in eligible for j in eligible if i != j}
    p = dict(link)
    while True:
        longer = {
            (i, j): max([p[i, j]] + [min(p[i, k], link[k, j]) for k in eligible if k not in (i, j)])
            for (i, j) in p
        }
        if longer == p:
            break
        p = longer
    return {i for i in eligible if all(p[i, j] >= p[j, i] for j in eligible if j != i)}


def reference_count(method: str, candidates: int, ballots: list[Ballot]) -> tuple[int, ...]:
    vetoed = {b.veto for b in ballots if b.veto is not None}
    eligible = [m for m in range(candidates) if m not in vetoed] or list(range(candidates))
    if method == APPROVAL:
        yes = {m: sum(m in b.approve for b in ballots) for m in eligible}
        return tuple(m for m in eligible if yes[m] == max(yes.values()))
    table = reference_pairwise(candidates, [b.ranking for b in ballots])
    return tuple(sorted(reference_schulze(eligible, table)))


@st.composite
def polls(draw, method: str) -> tuple[int, list[Ballot]]:
    candidates = draw(st.integers(2, 7))
    movie = st.integers(0, candidates - 1)
    veto = st.none() | movie
    if method == RANKED:
        order = st.permutations(range(candidates)).flatmap(
            lambda perm: st.integers(0, candidates).map(lambda k: tuple(perm[:k]))
        )
        ballot = st.builds(lambda r, v: Ballot(ranking=r, veto=v), order, st.none() | veto)
    else:
        ballot = st.builds(lambda a, v: Ballot(approve=frozenset(a), veto=v), st.sets(movie), veto)
    # Few voters over few movies: ties and cycles are common, which is where counts go wrong.
    return candidates, draw(st.lists(ballot, max_size=25))


@settings(max_examples=400, deadline=None)
@given(polls(RANKED))
def test_schulze_agrees_with_its_definition_on_random_ballots(poll):
    candidates, ballots = poll
    result = count(RANKED, candidates, ballots)
    expected = reference_pairwise(candidates, [b.ranking for b in ballots])
    assert [list(row) for row in result.pairwise] == expected
    assert result.tied == reference_count(RANKED, candidates, ballots)


@settings(max_examples=400, deadline=None)
@given(polls(APPROVAL))
def test_approval_agrees_with_a_plain_count_on_random_ballots(poll):
    candidates, ballots = poll
    assert count(APPROVAL, candidates, ballots).tied == reference_count(APPROVAL, candidates, ballots)


@settings(max_examples=200, deadline=None)
@given(polls(RANKED))
def test_a_head_to_head_winner_always_wins(poll):
    candidates, ballots = poll
    d = reference_pairwise(candidates, [b.ranking for b in ballots])
    vetoed = {b.veto for b in ballots if b.veto is not None}
    eligible = [m for m in range(candidates) if m not in vetoed] or list(range(candidates))
    beats_all = [x for x in eligible if all(d[x][y] > d[y][x] for y in eligible if y != x)]
    if beats_all:
        assert count(RANKED, candidates, ballots).tied == (beats_all[0],)


def test_counting_25_movies_and_1000_full_rankings_is_quick():
    # `make bench` measures it (under 50 ms); here only a bound many times that, against a broken count.
    rng = random.Random(13)
    ballots = [Ballot(ranking=tuple(rng.sample(range(25), 25))) for _ in range(1000)]
    started = time.perf_counter()
    count(RANKED, 25, ballots)
    assert time.perf_counter() - started < 1.0


def test_an_unbeaten_movie_that_ties_a_cycle_shares_first_place_with_it():
    """Found by hypothesis: 5 loses to no one but only ties 0, 2 and 3, who beat each other round a cycle
    and everyone else. By their paths all four are Schulze winners (py-vote-core named 5 alone)."""
    table = [
        [0, 5, 3, 5, 5, 4],
        [5, 0, 4, 3, 5, 4],
        [5, 4, 0, 4, 5, 4],
        [4, 5, 5, 0, 5, 4],
        [2, 3, 3, 1, 0, 1],
        [4, 5, 4, 4, 5, 0],
    ]
    assert schulze_winners(range(6), table) == {0, 2, 3, 5}
