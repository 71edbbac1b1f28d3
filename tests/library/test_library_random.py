"""«Случайные N»: the server picks N distinct movies from the current filter, with `secrets`.

Default: five from «хочу посмотреть». An excluded movie never comes out, whatever the filter; one whose
exclusion has ended is «хочу посмотреть» again and may. Watched ones only when the filter asks. Fewer when
fewer match. The library is not loaded to pick: the ids are selected in SQL, the chosen movies loaded.
"""

from __future__ import annotations

import re
import secrets

import pytest

from tests.library.test_library_statuses import add, end_exclusions_yesterday, next_year, patch
from tests.web.test_query_counts import counting_statements


def pick(client, query: str = "") -> list[dict]:
    response = client.get(f"/api/library/random?{query}")
    assert response.status_code == 200, response.get_json()
    return response.get_json()["movies"]


@pytest.fixture
def shelf(client) -> dict[str, list[dict]]:
    """Eight to watch, three watched, three excluded (one for good, two until next year)."""
    want = [
        add(client, f"Хочу {n}", year=1990 + n, genres=["драма" if n % 2 else "комедия"]) for n in range(8)
    ]
    watched = [add(client, f"Видели {n}", year=2000 + n) for n in range(3)]
    for movie in watched:
        client.post(f"/api/library/{movie['id']}/viewings", json={"date": "2025-01-01"})
    excluded = [add(client, f"Нет {n}") for n in range(3)]
    patch(client, excluded[0], status="excluded")
    for movie in excluded[1:]:
        patch(client, movie, status="excluded", excluded_until=next_year())
    return {"want": want, "watched": watched, "excluded": excluded}


def test_five_distinct_movies_to_watch_by_default(client, shelf):
    wanted = {movie["id"] for movie in shelf["want"]}
    for _ in range(10):
        picked = pick(client)
        ids = [movie["id"] for movie in picked]
        assert len(ids) == 5 and len(set(ids)) == 5
        assert set(ids) <= wanted
        assert all(movie["status"] == "want" for movie in picked)


def test_fewer_come_when_fewer_match(client, shelf):
    assert len(pick(client, "n=25")) == 8
    assert len(pick(client, "n=25&status=watched")) == 3
    assert len(pick(client, "n=25&status=want,watched")) == 11
    assert pick(client, "genre=мюзикл") == []


def test_an_excluded_movie_never_comes_out_but_an_ended_exclusion_does(app, client, shelf):
    excluded = {movie["id"] for movie in shelf["excluded"]}
    for query in ("n=25", "n=25&status=all", "n=25&status=want,watched"):
        assert not {movie["id"] for movie in pick(client, query)} & excluded, query
    end_exclusions_yesterday(app)
    back = {movie["id"] for movie in pick(client, "n=25")}
    assert back & excluded == {movie["id"] for movie in shelf["excluded"][1:]}  # not the one for good


def test_watched_movies_come_only_when_the_filter_asks(client, shelf):
    watched = {movie["id"] for movie in shelf["watched"]}
    assert not {m["id"] for m in pick(client, "n=25")} & watched
    assert {m["id"] for m in pick(client, "n=25&status=watched")} == watched


def test_the_pick_follows_the_other_filters_too(client, shelf):
    dramas = pick(client, "n=25&genre=Драма&year_from=1993")
    assert sorted(movie["name"] for movie in dramas) == ["Хочу 3", "Хочу 5", "Хочу 7"]


def test_the_choice_is_the_servers_from_secrets(client, shelf, monkeypatch):
    chosen_by = []

    class Recorded(secrets.SystemRandom):
        def sample(self, population, k, **kwargs):
            chosen_by.append(sorted(population))
            return sorted(population, reverse=True)[:k]  # a choice we can tell apart

    monkeypatch.setattr(secrets, "SystemRandom", Recorded)
    picked = pick(client, "n=3")
    wanted = sorted(movie["id"] for movie in shelf["want"])
    assert chosen_by == [wanted]  # the sample was drawn over exactly the matching ids
    assert [movie["id"] for movie in picked] == wanted[::-1][:3]  # in the order it was drawn


def test_over_many_picks_every_matching_movie_comes_out(client, shelf):
    seen = set()
    for _ in range(40):
        seen |= {movie["id"] for movie in pick(client, "n=2")}
    assert seen == {movie["id"] for movie in shelf["want"]}  # 8 movies, 80 draws: missing one is ~1e-4


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("n=1", "invalid_n"),
        ("n=26", "invalid_n"),
        ("n=five", "invalid_n"),
        ("n=2.5", "invalid_n"),
        ("status=excluded", "invalid_status"),
        ("status=want,excluded", "invalid_status"),
        ("status=seen", "invalid_status"),
        ("year_from=2000&year_to=1990", "invalid_year_range"),
    ],
)
def test_a_bad_request_is_a_400_in_russian(client, shelf, query, code):
    response = client.get(f"/api/library/random?{query}")
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == code and error["message"], error


def test_a_pick_costs_the_same_statements_for_a_small_and_a_large_library(app, client):
    for n in range(3):
        add(client, f"Фильм {n}")

    def statements() -> list[str]:
        with counting_statements(app) as seen:
            assert len(pick(client, "n=2")) == 2
        return [statement for statement in seen if "content_version" not in statement]

    few = statements()
    for n in range(3, 60):
        add(client, f"Фильм {n}")
    many = statements()
    assert len(few) == len(many) <= 3  # the ids, the chosen movies with their downloads, their viewings
    loads = [s for s in many if "FROM library_movie" in s and "library_movie.name" in s]
    assert len(loads) == 1  # the movies are loaded once, and only the two chosen ones
    chosen = re.search(r"library_movie\.id IN \((.*?)\)\s*$", loads[0])
    assert chosen and chosen.group(1).count(",") == 1, loads[0]


def test_random_picks_for_a_poll_open_the_builder_with_the_poll_chosen(client, shelf):
    answer = client.get("/library/random?n=3&kind=poll")
    assert answer.status_code == 302 and "kind=poll" in answer.headers["Location"]
    builder = client.get(answer.headers["Location"]).get_data(as_text=True)
    assert re.search(r'value="poll" checked', builder) and 'id="poll-settings" >' in builder
    lottery = client.get(client.get("/library/random?n=3").headers["Location"]).get_data(as_text=True)
    assert re.search(r'value="lottery" checked', lottery) and 'id="poll-settings" hidden' in lottery


def test_too_few_for_a_poll_says_so_in_the_polls_words(client, shelf):
    answer = client.get("/library/random?n=3&kind=poll&genre=мюзикл", follow_redirects=True)
    assert "для голосования нужно хотя бы два" in answer.get_data(as_text=True)


def test_the_library_says_how_many_fit_before_the_press_and_the_builder_says_all_were_taken(client, shelf):
    def hint(query: str = "") -> str:
        html = client.get(f"/library?{query}").get_data(as_text=True)
        return re.search(r'<span class="hint random-pick__from">([^<]+)</span>', html).group(1)

    assert hint() == "из «хочу посмотреть»: подходят 8"
    assert hint("genre=драма") == "из «хочу посмотреть», с фильтром: подходят 4"
    assert hint("q=Хочу 7") == "из «хочу посмотреть», с фильтром: подходит 1 — для случайных нужно хотя бы 2"
    answer = client.get("/library/random?n=25", follow_redirects=True).get_data(as_text=True)
    assert "Подходят только 8 из 25 — взяли все" in answer
