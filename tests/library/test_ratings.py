"""After the night: a watched winner — of a lottery or a poll — is rated 1–10 by everyone with the link, under
their name and the participant cookie; the library card shows the group's average and count. A poll's
winner gets the lottery winner's actions: «В библиотеку», «Посмотрели» (admin only on a locked site)."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from movie_lottery.core.extensions import db
from movie_lottery.core.models import Rating, Viewing

MOVIES = [{"name": "Сталкер", "year": 1979}, {"name": "Солярис", "year": 1972}]
ADMIN = {"Authorization": "Bearer bot"}


def drawn_lottery(client, headers: dict | None = None) -> dict:
    created = client.post("/api/lotteries", json={"movies": MOVIES}, headers=headers or {}).get_json()
    return client.post(
        f"/api/lotteries/{created['id']}/draw", json={"token": created["play_token"]}
    ).get_json()


def closed_poll(client, headers: dict | None = None, ballots: dict | None = None) -> dict:
    """A poll over MOVIES, closed; ``ballots`` maps a test client to (name, approvals)."""
    poll = client.post("/api/polls", json={"movies": MOVIES}, headers=headers or {}).get_json()
    for voter, (name, approve) in (ballots or {}).items():
        cast = voter.put(f"/api/polls/{poll['id']}/ballot", json={"name": name, "approve": approve})
        assert cast.status_code == 200
    closed = client.post(f"/api/polls/{poll['id']}/close", json={"token": poll["manage_token"]})
    assert closed.status_code == 200
    return closed.get_json()


def signed_in(app):
    """The admin in a browser: the session (pages) and the bearer token (the API's writes)."""
    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = "Bearer bot"
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    assert client.post("/login", data={"password": "pw", "csrf_token": token}).status_code == 302
    return client


def rate(client, kind: str, night_id: str, **body):
    return client.put(f"/api/ratings/{kind}/{night_id}", json=body)


def error_of(response) -> str:
    return response.get_json()["error"]["code"]


# ---- the API's contract ---------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["lottery", "poll"])
def test_a_winner_not_watched_yet_cannot_be_rated(app, client, kind):
    night = drawn_lottery(client) if kind == "lottery" else closed_poll(client)
    refused = rate(client, kind, night["id"], name="Аня", score=8)
    assert refused.status_code == 409 and error_of(refused) == "not_watched"
    assert "ещё не посмотрели" in refused.get_json()["error"]["message"]
    assert client.get(f"/api/ratings/{kind}/{night['id']}").get_json() == {
        "watched": False, "average": None, "count": 0, "text": None, "mine": None, "name": None,
    }  # fmt: skip


def test_everyone_rates_a_watched_lottery_winner_and_sees_the_average(app, client):
    lottery = drawn_lottery(client)
    assert client.post(f"/api/lotteries/{lottery['id']}/watched", json={}).status_code == 200
    anna, boris = app.test_client(), app.test_client()
    first = rate(anna, "lottery", lottery["id"], name=" Аня ", score=7)
    assert first.status_code == 200
    assert first.get_json() == {
        "watched": True, "average": 7.0, "count": 1, "text": "оценка группы 7 · 1\u00a0голос",
        "mine": {"name": "Аня", "score": 7}, "name": "Аня",
    }  # fmt: skip
    assert first.headers["Set-Cookie"].startswith("ml_browser=")
    assert "HttpOnly" in first.headers["Set-Cookie"]
    second = rate(boris, "lottery", lottery["id"], name="Боря", score=8).get_json()
    assert (second["average"], second["count"], second["mine"]["score"]) == (7.5, 2, 8)
    assert second["text"] == "оценка группы 7,5 · 2\u00a0голоса"
    seen = client.get(f"/api/ratings/lottery/{lottery['id']}").get_json()
    assert (seen["average"], seen["count"], seen["mine"], seen["name"]) == (7.5, 2, None, None)


def test_a_later_rating_with_the_cookie_replaces_the_score_and_may_omit_the_name(app, client):
    lottery = drawn_lottery(client)
    client.post(f"/api/lotteries/{lottery['id']}/watched", json={})
    anna = app.test_client()
    rate(anna, "lottery", lottery["id"], name="Аня", score=3)
    again = rate(anna, "lottery", lottery["id"], score=9)
    assert again.status_code == 200
    assert (again.get_json()["count"], again.get_json()["mine"]) == (1, {"name": "Аня", "score": 9})
    renamed = rate(anna, "lottery", lottery["id"], name="Анна", score=9).get_json()
    assert (renamed["count"], renamed["mine"]["name"]) == (1, "Анна")


def test_a_name_is_needed_without_the_cookie_and_taken_by_the_same_movie_rule(app, client):
    lottery = drawn_lottery(client)
    client.post(f"/api/lotteries/{lottery['id']}/watched", json={})
    rate(app.test_client(), "lottery", lottery["id"], name="Ёжик", score=5)
    nameless = rate(app.test_client(), "lottery", lottery["id"], score=5)
    assert nameless.status_code == 400 and error_of(nameless) == "name_required"
    taken = rate(app.test_client(), "lottery", lottery["id"], name="  ЕЖИК ", score=6)
    assert taken.status_code == 409 and error_of(taken) == "name_taken"
    assert "уже занято" in taken.get_json()["error"]["message"]
    assert client.get(f"/api/ratings/lottery/{lottery['id']}").get_json()["count"] == 1


@pytest.mark.parametrize(
    "name",
    ["\u200b", "\ufeff\u00ad", " \u2060 ", "Аня\u202e", "\u2067Боря"],
    ids=["zero-width-space", "bom-and-soft-hyphen", "word-joiner", "right-to-left-override", "isolate"],
)
def test_a_name_nobody_can_see_or_one_that_turns_the_line_around_is_refused(app, client, name):
    lottery = drawn_lottery(client)
    client.post(f"/api/lotteries/{lottery['id']}/watched", json={})
    refused = rate(app.test_client(), "lottery", lottery["id"], name=name, score=5)
    assert refused.status_code == 400 and error_of(refused) == "invalid_name"
    shown = rate(app.test_client(), "lottery", lottery["id"], name="Ма\u00adша 👩\u200d💻", score=5)
    assert shown.status_code == 200  # invisible marks inside a visible name are the writer's business


@pytest.mark.parametrize(
    "body",
    [{"score": 0}, {"score": 11}, {"score": "7"}, {"score": 7.5}, {"score": True}, {"score": None}, {}],
    ids=["zero", "eleven", "text", "fraction", "boolean", "null", "missing"],
)
def test_a_score_outside_1_to_10_is_a_400_in_plain_russian(app, client, body):
    lottery = drawn_lottery(client)
    client.post(f"/api/lotteries/{lottery['id']}/watched", json={})
    refused = rate(client, "lottery", lottery["id"], name="Аня", **body)
    assert refused.status_code == 400 and error_of(refused) == "invalid_score"
    assert refused.get_json()["error"]["message"] == "Оценка — целое число от 1 до 10"
    assert client.get(f"/api/ratings/lottery/{lottery['id']}").get_json()["count"] == 0


@pytest.mark.parametrize(
    ("path", "code"),
    [
        ("/api/ratings/lottery/nosuchid", "lottery_not_found"),
        ("/api/ratings/poll/nosuchid", "poll_not_found"),
        ("/api/ratings/movie/nosuchid", "not_found"),
    ],
)
def test_an_unknown_lottery_poll_or_kind_is_a_404(client, path, code):
    for response in (client.put(path, json={"name": "Аня", "score": 5}), client.get(path)):
        assert response.status_code == 404 and error_of(response) == code


# ---- polls: the winner's actions and the voters' cookie ---------------------------------------------------


def test_a_closed_polls_winner_is_marked_watched_into_the_library(client):
    poll = closed_poll(client)
    winner = poll["movies"][poll["result"]["winner"]]
    response = client.post(f"/api/polls/{poll['id']}/watched", json={"date": "2025-11-29"})
    assert response.status_code == 200
    movie = response.get_json()
    assert (movie["name"], movie["status"], movie["viewings"]) == (winner["name"], "watched", ["2025-11-29"])
    moved = client.post(f"/api/polls/{poll['id']}/watched", json={"date": "2025-11-30"}).get_json()
    assert moved["viewings"] == ["2025-11-30"]  # a corrected day, not a second night
    assert [m["name"] for m in client.get("/api/library?status=all").get_json()["movies"]] == [winner["name"]]


def test_an_open_poll_cannot_be_marked_watched(client):
    poll = client.post("/api/polls", json={"movies": MOVIES}).get_json()
    refused = client.post(f"/api/polls/{poll['id']}/watched", json={})
    assert refused.status_code == 409 and error_of(refused) == "not_closed"
    assert client.get("/api/library?status=all").get_json()["movies"] == []


def test_a_voter_rates_under_their_ballot_name_and_nobody_else_may_take_it(app, client):
    anna = app.test_client()
    poll = closed_poll(client, ballots={anna: ("Аня", [0])})
    client.post(f"/api/polls/{poll['id']}/watched", json={})
    assert anna.get(f"/api/ratings/poll/{poll['id']}").get_json()["name"] == "Аня"
    impostor = rate(app.test_client(), "poll", poll["id"], name="аня", score=1)  # before Anna rates
    assert impostor.status_code == 409 and error_of(impostor) == "name_taken"
    mine = rate(anna, "poll", poll["id"], score=9)
    assert mine.status_code == 200 and mine.get_json()["mine"] == {"name": "Аня", "score": 9}
    guest = rate(app.test_client(), "poll", poll["id"], name="Гость", score=6).get_json()
    assert (guest["average"], guest["count"]) == (7.5, 2)


def test_a_voter_cannot_rate_under_a_second_name_and_keep_a_stranger_from_theirs(app, client):
    anna = app.test_client()
    poll = closed_poll(client, ballots={anna: ("Аня", [0])})
    client.post(f"/api/polls/{poll['id']}/watched", json={})
    refused = rate(anna, "poll", poll["id"], name="Вася", score=2)
    assert refused.status_code == 409 and error_of(refused) == "ballot_name"
    assert "«Аня»" in refused.get_json()["error"]["message"]
    vasya = rate(app.test_client(), "poll", poll["id"], name="Вася", score=8)
    assert vasya.status_code == 200 and vasya.get_json()["mine"] == {"name": "Вася", "score": 8}
    same = rate(anna, "poll", poll["id"], name=" АНЯ ", score=6)  # her own name, written differently
    assert same.status_code == 200 and same.get_json()["count"] == 2


def test_on_a_locked_site_marking_watched_is_the_admins_and_rating_is_everyones(make_app):
    app = make_app(ADMIN_PASSWORD="pw", API_TOKEN="bot")
    admin = app.test_client()
    poll = closed_poll(admin, headers=ADMIN)
    lottery = drawn_lottery(admin, headers=ADMIN)
    visitor = app.test_client()
    for path in (f"/api/polls/{poll['id']}/watched", f"/api/lotteries/{lottery['id']}/watched"):
        assert visitor.post(path, json={}).status_code == 401
        assert admin.post(path, json={}, headers=ADMIN).status_code == 200
    assert rate(visitor, "poll", poll["id"], name="Аня", score=8).status_code == 200
    assert rate(visitor, "lottery", lottery["id"], name="Аня", score=6).status_code == 200


# ---- the library card ---------------------------------------------------------------------------------


def test_the_library_card_shows_the_groups_average_and_count(app, client):
    lottery = drawn_lottery(client)
    movie = client.post(f"/api/lotteries/{lottery['id']}/watched", json={}).get_json()
    assert movie["group_rating"] is None
    for name, score in (("Аня", 7), ("Боря", 8), ("Вера", 8), ("Гоша", 7)):
        rate(app.test_client(), "lottery", lottery["id"], name=name, score=score)
    assert client.get(f"/api/library/{movie['id']}").get_json()["group_rating"] == {
        "average": 7.5,
        "count": 4,
    }
    page = client.get("/library").get_data(as_text=True)
    assert "оценка группы 7,5 · 4\u00a0голоса" in page


def test_the_card_counts_every_night_of_the_movie_and_keeps_them_when_a_lottery_is_deleted(app, client):
    lottery = drawn_lottery(client)
    winner = lottery["winner"]
    movie = client.post(f"/api/lotteries/{lottery['id']}/watched", json={"date": "2025-01-01"}).get_json()
    rate(app.test_client(), "lottery", lottery["id"], name="Аня", score=10)
    for _ in range(40):  # another night that the same movie won (each draw picks it half the time)
        again = client.post("/api/lotteries", json={"movies": [winner, {"name": "Зеркало"}]}).get_json()
        drawn = client.post(f"/api/lotteries/{again['id']}/draw", json={"token": again["play_token"]})
        if drawn.get_json()["winner"]["name"] == winner["name"]:
            break
    else:
        pytest.fail("the same movie never won again")
    client.post(f"/api/lotteries/{again['id']}/watched", json={"date": "2025-02-01"})
    rate(app.test_client(), "lottery", again["id"], name="Аня", score=6)
    assert client.get(f"/api/library/{movie['id']}").get_json()["group_rating"] == {
        "average": 8.0,
        "count": 2,
    }
    assert client.delete(f"/api/lotteries/{lottery['id']}").status_code == 204
    assert client.get(f"/api/library/{movie['id']}").get_json()["group_rating"] == {
        "average": 8.0,
        "count": 2,
    }


def test_deleting_a_poll_keeps_its_night_and_ratings_on_the_movie_without_it(app, client):
    poll = closed_poll(client)
    movie = client.post(f"/api/polls/{poll['id']}/watched", json={"date": "2025-11-29"}).get_json()
    assert rate(app.test_client(), "poll", poll["id"], name="Дина", score=9).status_code == 200
    assert client.delete(f"/api/polls/{poll['id']}").status_code == 204
    kept = client.get(f"/api/library/{movie['id']}").get_json()
    assert kept["viewings"] == ["2025-11-29"] and kept["group_rating"] == {"average": 9.0, "count": 1}
    with app.app_context():  # no row points at the gone poll: a poll restored under its id starts clean
        pointing = (
            db.session.execute(
                sa.select(sa.func.count()).select_from(Viewing).where(Viewing.poll_id == poll["id"])
            ).scalar()
            + db.session.execute(
                sa.select(sa.func.count()).select_from(Rating).where(Rating.poll_id == poll["id"])
            ).scalar()
        )
        db.session.remove()
    assert pointing == 0


def test_deleting_the_movie_deletes_its_ratings(app, client):
    lottery = drawn_lottery(client)
    movie = client.post(f"/api/lotteries/{lottery['id']}/watched", json={}).get_json()
    rate(app.test_client(), "lottery", lottery["id"], name="Аня", score=10)
    assert client.delete(f"/api/library/{movie['id']}").status_code == 204
    again = client.post(f"/api/lotteries/{lottery['id']}/watched", json={}).get_json()
    assert again["group_rating"] is None


# ---- the pages ----------------------------------------------------------------------------------------


def test_the_result_page_shows_the_rating_to_everyone_once_watched(make_app):
    app = make_app(ADMIN_PASSWORD="pw", API_TOKEN="bot")
    admin = app.test_client()
    lottery = drawn_lottery(admin, headers=ADMIN)
    visitor = app.test_client()
    before = visitor.get(f"/l/{lottery['id']}").get_data(as_text=True)
    assert 'data-testid="rating"' not in before and "winner-watched" not in before
    admin.post(f"/api/lotteries/{lottery['id']}/watched", json={}, headers=ADMIN)
    after = visitor.get(f"/l/{lottery['id']}").get_data(as_text=True)
    assert f'data-api="/api/ratings/lottery/{lottery["id"]}"' in after
    assert after.count('class="rating__button"') == 10 and "winner-watched" not in after


def test_the_poll_results_carry_the_winners_actions_for_the_admin_and_then_the_rating(make_app):
    app = make_app(ADMIN_PASSWORD="pw", API_TOKEN="bot")
    admin = signed_in(app)
    poll = closed_poll(admin)
    visitor = app.test_client()
    seen = visitor.get(f"/p/{poll['id']}").get_data(as_text=True)
    assert "winner-to-library" not in seen and "winner-watched" not in seen
    page = admin.get(f"/p/{poll['id']}").get_data(as_text=True)
    assert 'data-testid="winner-to-library"' in page
    assert f'action="/p/{poll["id"]}/watched"' in page and f"POST /api/polls/{poll['id']}/watched" in page
    assert 'data-testid="rating"' not in page
    assert admin.post(f"/api/polls/{poll['id']}/watched", json={}).status_code == 200
    rated = visitor.get(f"/p/{poll['id']}").get_data(as_text=True)
    assert f'data-api="/api/ratings/poll/{poll["id"]}"' in rated


def test_the_poll_watched_form_marks_the_winner_and_says_so(client):
    poll = closed_poll(client)
    page = client.get(f"/p/{poll['id']}").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    form = {"date": "2025-11-29", "csrf_token": token}
    answer = client.post(f"/p/{poll['id']}/watched", data=form, follow_redirects=True)
    page = answer.get_data(as_text=True)
    assert "посмотрели — записано в библиотеке" in page
    assert 'data-testid="watched-state"' in page and "Посмотрели 29" in page
