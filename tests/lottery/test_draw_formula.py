"""The published draw formula, checked against values computed with coreutils' sha256sum and bc."""

from movie_lottery.lottery.service import commitment_for, winner_index

SEED = "a" * 64
NAMES = ["Тихая гавань", "Гавань", "Маяк"]


def test_commitment_is_sha256_of_the_seed_text():
    # printf '%s' aaaa…a | sha256sum
    assert commitment_for(SEED) == "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb"


def test_winner_matches_a_hand_computed_draw():
    # printf '%s\n%s\n%s\n%s\n%s' SEED AbCd1234 "Тихая гавань" Гавань Маяк | sha256sum
    #   -> 1135614416a8…946b03; in bc: that number % 3 = 1
    assert winner_index(SEED, "AbCd1234", NAMES) == 1


def test_winner_depends_on_the_order_of_candidates():
    reordered = list(reversed(NAMES))
    winners = [NAMES[winner_index(SEED, f"id{i}", NAMES)] for i in range(30)]
    winners_reordered = [reordered[winner_index(SEED, f"id{i}", reordered)] for i in range(30)]
    assert set(winners) == set(NAMES)  # every position can win
    assert winners != winners_reordered  # the listed order is part of the published input


def test_winner_is_spread_evenly_over_many_seeds():
    counts = [0, 0, 0, 0]
    for i in range(4000):
        counts[winner_index(f"{i:064x}", "x", ["a", "b", "c", "d"])] += 1
    assert all(900 < count < 1100 for count in counts), counts
