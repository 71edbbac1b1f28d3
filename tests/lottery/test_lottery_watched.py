"""«Посмотрели» on a drawn lottery: the winner goes into the library (if it is not there by the one "same
movie" rule), gets a viewing dated today or the day given, and becomes «посмотрели»; the history shows it.
Before the draw it is a 409. Only the admin may do it."""

from __future__ import annotations

import pytest

from movie_lottery.lottery.service import winner_index
from tests.library.test_library_statuses import add, patch
from tests.support.days import today


def drawn_lottery(client, movies: list[dict], headers: dict | None = None) -> tuple[dict, dict]:
    """A lottery over ``movies``, drawn; (the lottery, its winner)."""
    created = client.post("/api/lotteries", json={"movies": movies}, headers=headers or {}).get_json()
    drawn = client.post(
        f"/api/lotteries/{created['id']}/draw", json={"token": created["play_token"]}, headers=headers or {}
    ).get_json()
    return drawn, drawn["winner"]


def watched(client, lottery_id: str, **body):
    return client.post(f"/api/lotteries/{lottery_id}/watched", json=body)


def library(client) -> list[dict]:
    return client.get("/api/library?status=all").get_json()["movies"]


def test_a_winner_not_in_the_library_goes_in_watched_today(client):
    lottery, winner = drawn_lottery(
        client, [{"name": "Сталкер", "year": 1979}, {"name": "Солярис", "year": 1972}]
    )
    response = watched(client, lottery["id"])
    assert response.status_code == 200
    movie = response.get_json()
    assert (movie["name"], movie["year"]) == (winner["name"], winner["year"])
    day = today().isoformat()
    assert (movie["status"], movie["viewings"], movie["last_watched"]) == ("watched", [day], day)
    assert [m["name"] for m in library(client)] == [winner["name"]]  # the loser is not added


def test_the_same_movie_rule_finds_the_winner_whichever_candidate_wins(client):
    """Every candidate is in the library under another spelling or title: whoever wins, that movie is
    the one marked, with its own details, and no copy is made."""
    stored = [
        add(client, "ЁЛКИ", year=2010, description="Своё описание"),
        add(client, "Брат (реставрация)", year=1997, kinopoisk_id=41519),
        add(client, "всё путём", year=2001),
    ]
    candidates = [
        {"name": "Елки", "year": 2010},
        {"name": "Брат", "year": 1997, "kinopoisk_id": 41519},
        {"name": "Все  путем", "year": 2001},
    ]
    lottery, winner = drawn_lottery(client, candidates)
    movie = watched(client, lottery["id"], date="2025-11-29").get_json()
    index = [c["name"] for c in candidates].index(winner["name"])
    assert movie["id"] == stored[index]["id"] and movie["name"] == stored[index]["name"]
    assert movie["viewings"] == ["2025-11-29"] and movie["status"] == "watched"
    assert len(library(client)) == 3


def test_marking_again_with_another_day_moves_that_nights_viewing(client):
    lottery, _ = drawn_lottery(client, [{"name": "Сталкер"}, {"name": "Солярис"}])
    watched(client, lottery["id"], date="2025-11-29")
    same = watched(client, lottery["id"], date="2025-11-29").get_json()
    assert same["viewings"] == ["2025-11-29"]
    moved = watched(client, lottery["id"], date="2025-11-30").get_json()
    assert moved["viewings"] == ["2025-11-30"]  # a corrected day, not a second night


def test_an_earlier_viewing_of_the_winner_is_kept(client):
    kept = add(client, "Сталкер")
    client.post(f"/api/library/{kept['id']}/viewings", json={"date": "2020-05-05"})
    other = add(client, "Солярис")
    client.post(f"/api/library/{other['id']}/viewings", json={"date": "2020-05-05"})
    lottery, _ = drawn_lottery(client, [{"name": "Сталкер"}, {"name": "Солярис"}])
    movie = watched(client, lottery["id"], date="2025-11-29").get_json()
    assert movie["viewings"] == ["2025-11-29", "2020-05-05"]


def test_an_excluded_winner_becomes_watched(client):
    for name in ("Сталкер", "Солярис"):
        patch(client, add(client, name), status="excluded")
    lottery, _ = drawn_lottery(client, [{"name": "Сталкер"}, {"name": "Солярис"}])
    movie = watched(client, lottery["id"]).get_json()
    assert (movie["status"], movie["excluded_until"]) == ("watched", None)


def test_a_lottery_not_drawn_yet_is_a_409_and_nothing_is_added(client):
    created = client.post("/api/lotteries", json={"movies": [{"name": "А"}, {"name": "Б"}]}).get_json()
    response = watched(client, created["id"])
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "not_drawn"
    assert "не разыграна" in response.get_json()["error"]["message"]
    assert library(client) == []


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"date": "2025-02-30"}, 400, "invalid_date"),
        ({"date": "вчера"}, 400, "invalid_date"),
        ({"date": "2999-01-01"}, 400, "invalid_date"),
    ],
)
def test_a_bad_day_is_a_400(client, body, status, code):
    lottery, _ = drawn_lottery(client, [{"name": "А"}, {"name": "Б"}])
    response = watched(client, lottery["id"], **body)
    assert response.status_code == status and response.get_json()["error"]["code"] == code
    assert library(client) == []


def test_an_unknown_lottery_is_a_404(client):
    response = watched(client, "nosuchid")
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "lottery_not_found"


def test_the_history_shows_the_night_next_to_its_lottery(app, client):
    lottery, _ = drawn_lottery(client, [{"name": "Сталкер"}, {"name": "Солярис"}])
    other, _ = drawn_lottery(client, [{"name": "Зеркало"}, {"name": "Брат"}])
    watched(client, lottery["id"], date="2025-12-02")
    with app.app_context():
        from movie_lottery.library.history import history_page

        days = {item.id: item.watched_on for item in history_page().items}
    assert str(days[lottery["id"]]) == "2025-12-02" and days[other["id"]] is None


def test_deleting_the_lottery_keeps_the_movie_night_in_the_library(client):
    lottery, _ = drawn_lottery(client, [{"name": "Сталкер"}, {"name": "Солярис"}])
    movie = watched(client, lottery["id"], date="2025-12-02").get_json()
    assert client.delete(f"/api/lotteries/{lottery['id']}").status_code == 204
    assert client.get(f"/api/library/{movie['id']}").get_json()["viewings"] == ["2025-12-02"]


def test_only_the_admin_may_mark_a_winner_watched(make_app):
    app = make_app(ADMIN_PASSWORD="correct horse", API_TOKEN="bot-token")
    bot = {"Authorization": "Bearer bot-token"}
    client = app.test_client()
    lottery, _ = drawn_lottery(client, [{"name": "Сталкер"}, {"name": "Солярис"}], headers=bot)
    anonymous = client.post(f"/api/lotteries/{lottery['id']}/watched", json={})
    assert anonymous.status_code == 401
    assert client.get("/api/library", headers=bot).get_json()["movies"] == []
    assert client.post(f"/api/lotteries/{lottery['id']}/watched", json={}, headers=bot).status_code == 200


def test_the_draw_formula_is_untouched_by_the_library(client):
    """Marking a winner watched changes nothing about the lottery or its verifiable draw."""
    lottery, winner = drawn_lottery(client, [{"name": "Сталкер"}, {"name": "Солярис"}])
    watched(client, lottery["id"])
    again = client.get(f"/api/lotteries/{lottery['id']}").get_json()
    names = [movie["name"] for movie in again["movies"]]
    assert again["winner"] == winner
    assert names[winner_index(again["seed"], again["id"], names)] == winner["name"]
