"""/api/polls as the issue fixes it: create, vote with the participant cookie, read (ETag), close, remove."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

import pytest

from movie_lottery.core.reel import commitment_for
from movie_lottery.polls.voting import break_tie

MOVIES = [
    {"name": "Солярис", "year": 1972, "kinopoisk_id": 43911},
    {"name": "Сталкер", "year": 1979},
    {"name": "Зеркало", "year": 1975},
]


MOSCOW = timezone(timedelta(hours=3))


def in_days(days: int) -> datetime:
    """A deadline this many days ahead, at 21:00 Moscow time, whole seconds."""
    return (datetime.now(UTC) + timedelta(days=days)).astimezone(MOSCOW).replace(hour=21, minute=0, second=0,
                                                                                 microsecond=0)  # fmt: skip


def create(client, **settings) -> dict:
    response = client.post("/api/polls", json={"movies": MOVIES, **settings})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def participant(app):
    """A browser of its own: its own cookie jar."""
    return app.test_client()


def test_creating_a_poll_answers_with_both_links_and_the_commitment(client):
    deadline = in_days(30)
    poll = create(client, method="ranked", veto=True, results="live", deadline=deadline.isoformat())
    assert re.fullmatch(r"[A-Za-z0-9_-]{8}", poll["id"])
    assert poll["poll_url"].endswith(f"/p/{poll['id']}")
    assert poll["manage_url"].endswith(f"/p/{poll['id']}/manage/{poll['manage_token']}")
    assert len(poll["manage_token"]) >= 32
    assert poll["method"] == "ranked" and poll["veto"] is True and poll["results"] == "live"
    assert poll["deadline"] == deadline.astimezone(UTC).isoformat()  # 18:00 UTC
    assert poll["status"] == "open" and poll["seed"] is None and poll["voters"] == []
    assert [m["position"] for m in poll["movies"]] == [0, 1, 2]


def test_the_defaults_are_approval_no_deadline_results_after_close_no_veto(client):
    poll = create(client)
    assert (poll["method"], poll["deadline"], poll["results"], poll["veto"]) == (
        "approval",
        None,
        "after_close",
        False,
    )


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"movies": MOVIES[:1]}, "too_few_movies"),
        ({"movies": [MOVIES[0], MOVIES[0]]}, "duplicate_movie"),
        ({"movies": MOVIES, "method": "borda"}, "invalid_method"),
        ({"movies": MOVIES, "deadline": "2099-12-31T21:00:00"}, "invalid_deadline"),
        ({"movies": MOVIES, "deadline": "2099-12-31T21:00:00+03:00"}, "invalid_deadline"),
        ({"movies": MOVIES, "deadline": "2001-01-01T21:00:00+03:00"}, "invalid_deadline"),
        ({"movies": MOVIES, "results": "never"}, "invalid_results"),
        ({"movies": MOVIES, "veto": "yes"}, "invalid_veto"),
    ],
)
def test_a_bad_poll_is_refused_in_russian(client, body, code):
    response = client.post("/api/polls", json=body)
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == code
    assert re.search("[а-яА-Я]", error["message"])


def test_the_browser_cookie_is_random_httponly_and_one_for_every_poll(app, client):
    poll = create(client)
    anna = participant(app)
    response = anna.put(f"/api/polls/{poll['id']}/ballot", json={"name": "Аня", "approve": [0, 2]})
    assert response.status_code == 200
    assert response.get_json() == {"name": "Аня", "approve": [0, 2], "veto": None}
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("ml_browser=")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/" in cookie
    value = cookie.split(";")[0].split("=", 1)[1]
    assert len(value) >= 32
    other = participant(app).put(f"/api/polls/{poll['id']}/ballot", json={"name": "Боря", "approve": []})
    assert other.headers["Set-Cookie"].split(";")[0].split("=", 1)[1] != value
    second = create(client)
    again = anna.put(f"/api/polls/{second['id']}/ballot", json={"name": "Аня", "approve": [1]})
    renewed = again.headers.getlist("Set-Cookie")
    assert len(renewed) == 1 and renewed[0].split(";")[0] == cookie.split(";")[0]  # the same, renewed


def test_a_later_put_with_the_cookie_replaces_the_ballot_without_the_name(app, client):
    poll = create(client)
    anna = participant(app)
    anna.put(f"/api/polls/{poll['id']}/ballot", json={"name": "Аня", "approve": [0]})
    again = anna.put(f"/api/polls/{poll['id']}/ballot", json={"approve": [1, 2]})
    assert again.status_code == 200 and again.get_json()["name"] == "Аня"
    assert anna.get(f"/api/polls/{poll['id']}/ballot").get_json() == {
        "name": "Аня",
        "approve": [1, 2],
        "veto": None,
    }
    assert client.get(f"/api/polls/{poll['id']}").get_json()["voters"] == ["Аня"]


def test_without_the_cookie_the_name_is_needed_and_a_taken_one_is_refused(app, client):
    poll = create(client)
    participant(app).put(f"/api/polls/{poll['id']}/ballot", json={"name": "Аня", "approve": [0]})
    stranger = participant(app)
    nameless = stranger.put(f"/api/polls/{poll['id']}/ballot", json={"approve": [1]})
    assert nameless.status_code == 400 and nameless.get_json()["error"]["code"] == "name_required"
    taken = stranger.put(f"/api/polls/{poll['id']}/ballot", json={"name": "АНЯ", "approve": [1]})
    assert taken.status_code == 409 and taken.get_json()["error"]["code"] == "name_taken"
    assert client.get(f"/api/polls/{poll['id']}").get_json()["voters"] == ["Аня"]


@pytest.mark.parametrize(
    ("ballot", "status", "code"),
    [
        ({"name": "Аня", "approve": [5]}, 400, "unknown_movie"),
        ({"name": "Аня", "approve": [1, 1]}, 400, "duplicate_choice"),
        ({"name": "Аня", "ranking": [0]}, 400, "wrong_ballot"),
        ({"name": "Аня", "approve": [0], "veto": [1, 2]}, 400, "two_vetoes"),
        ({"name": "Аня", "approve": [0], "veto": 1}, 400, "veto_not_allowed"),
        ({"name": "", "approve": [0]}, 400, "invalid_name"),
        ({"name": "А" * 41, "approve": [0]}, 400, "invalid_name"),
        ({"name": "Аня/Боря", "approve": [0]}, 400, "invalid_name"),
        ({"name": "Аня", "approve": ["0"]}, 400, "invalid_ballot"),
    ],
)
def test_a_bad_ballot_gets_a_russian_message_and_changes_nothing(app, client, ballot, status, code):
    poll = create(client)
    response = participant(app).put(f"/api/polls/{poll['id']}/ballot", json=ballot)
    assert response.status_code == status
    error = response.get_json()["error"]
    assert error["code"] == code, error
    assert re.search("[а-яА-Я]", error["message"])
    assert "Set-Cookie" not in response.headers
    assert client.get(f"/api/polls/{poll['id']}").get_json()["voters"] == []


def test_results_stay_hidden_until_the_close_then_everyone_gets_the_same(app, client):
    poll = create(client)
    for name, approve in [("Аня", [0, 1]), ("Боря", [1]), ("Вера", [2, 1])]:
        participant(app).put(f"/api/polls/{poll['id']}/ballot", json={"name": name, "approve": approve})
    before = client.get(f"/api/polls/{poll['id']}").get_json()
    assert before["voters"] == ["Аня", "Боря", "Вера"] and before["result"] is None and before["seed"] is None
    closed = client.post(f"/api/polls/{poll['id']}/close", json={"token": poll["manage_token"]})
    assert closed.status_code == 200
    result = closed.get_json()
    assert result["status"] == "closed" and result["closed_by"] == "creator"
    assert result["result"]["winner"] == 1 and result["result"]["counts"] == [1, 3, 1]
    assert commitment_for(result["seed"]) == poll["commitment"]
    again = client.post(f"/api/polls/{poll['id']}/close", json={"token": poll["manage_token"]}).get_json()
    seen_by_another = participant(app).get(f"/api/polls/{poll['id']}").get_json()
    assert again["result"] == result["result"] == seen_by_another["result"]
    assert seen_by_another["seed"] == result["seed"]


def test_a_ballot_after_the_close_is_refused(app, client):
    poll = create(client)
    anna = participant(app)
    anna.put(f"/api/polls/{poll['id']}/ballot", json={"name": "Аня", "approve": [0]})
    client.post(f"/api/polls/{poll['id']}/close", json={"token": poll["manage_token"]})
    late = anna.put(f"/api/polls/{poll['id']}/ballot", json={"approve": [1]})
    assert late.status_code == 409 and late.get_json()["error"]["code"] == "poll_closed"
    assert anna.delete(f"/api/polls/{poll['id']}/ballot").status_code == 409
    closed = client.get(f"/api/polls/{poll['id']}").get_json()
    assert closed["result"]["counts"] == [1, 0, 0]


def test_closing_needs_the_manage_token_on_a_locked_site(make_app):
    app = make_app(ADMIN_PASSWORD="pw", API_TOKEN="bot")
    admin = {"Authorization": "Bearer bot"}
    poll = app.test_client().post("/api/polls", json={"movies": MOVIES}, headers=admin).get_json()
    visitor = app.test_client()
    assert visitor.post("/api/polls", json={"movies": MOVIES}).status_code == 401
    assert visitor.get(f"/api/polls/{poll['id']}").status_code == 200
    assert "manage_token" not in visitor.get(f"/api/polls/{poll['id']}").get_json()
    assert (
        visitor.put(f"/api/polls/{poll['id']}/ballot", json={"name": "Аня", "approve": [0]}).status_code
        == 200
    )
    refused = visitor.post(f"/api/polls/{poll['id']}/close", json={"token": "guess"})
    assert refused.status_code == 403 and refused.get_json()["error"]["code"] == "bad_token"
    assert visitor.delete(f"/api/polls/{poll['id']}/ballots/Аня", json={"token": "guess"}).status_code == 403
    assert (
        visitor.post(f"/api/polls/{poll['id']}/close", json={"token": poll["manage_token"]}).status_code
        == 200
    )


def test_the_creator_removes_a_ballot_by_name(app, client):
    poll = create(client)
    participant(app).put(f"/api/polls/{poll['id']}/ballot", json={"name": "Алёна", "approve": [0]})
    participant(app).put(f"/api/polls/{poll['id']}/ballot", json={"name": "Боря", "approve": [1]})
    url = f"/api/polls/{poll['id']}/ballots/алена"
    assert client.delete(url, json={"token": poll["manage_token"]}).status_code == 204
    assert client.get(f"/api/polls/{poll['id']}").get_json()["voters"] == ["Боря"]
    gone = client.delete(url, json={"token": poll["manage_token"]})
    assert gone.status_code == 404 and gone.get_json()["error"]["code"] == "ballot_not_found"


def test_a_participant_withdraws_their_ballot(app, client):
    poll = create(client)
    anna = participant(app)
    anna.put(f"/api/polls/{poll['id']}/ballot", json={"name": "Аня", "approve": [0]})
    assert anna.delete(f"/api/polls/{poll['id']}/ballot").status_code == 204
    assert client.get(f"/api/polls/{poll['id']}").get_json()["voters"] == []
    assert anna.get(f"/api/polls/{poll['id']}/ballot").status_code == 404


def test_the_poll_answers_304_while_nothing_changed_and_200_after_a_ballot(app, client):
    poll = create(client)
    first = client.get(f"/api/polls/{poll['id']}")
    etag = first.headers["ETag"]
    assert client.get(f"/api/polls/{poll['id']}", headers={"If-None-Match": etag}).status_code == 304
    participant(app).put(f"/api/polls/{poll['id']}/ballot", json={"name": "Аня", "approve": [0]})
    changed = client.get(f"/api/polls/{poll['id']}", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.get_json()["voters"] == ["Аня"]


def test_a_kept_answer_does_not_outlive_the_deadline(app, client, monkeypatch):
    from movie_lottery.polls import service as polls
    from movie_lottery.web.rendering import page_cache

    poll = create(client, deadline=in_days(30).isoformat())
    participant(app).put(f"/api/polls/{poll['id']}/ballot", json={"name": "Аня", "approve": [2]})
    assert client.get(f"/api/polls/{poll['id']}").get_json()["status"] == "open"  # now kept in the cache
    after = polls.utcnow() + timedelta(days=31)
    monkeypatch.setattr(polls, "utcnow", lambda: after)
    monkeypatch.setattr(page_cache, "utcnow", lambda: after)
    data = client.get(f"/api/polls/{poll['id']}").get_json()
    assert data["status"] == "closed" and data["closed_by"] == "deadline" and data["result"]["winner"] == 2


def test_a_ranked_poll_shows_the_head_to_head_table_and_its_tie_break(app, client):
    poll = create(client, method="ranked")
    participant(app).put(f"/api/polls/{poll['id']}/ballot", json={"name": "Аня", "ranking": [0, 1, 2]})
    participant(app).put(f"/api/polls/{poll['id']}/ballot", json={"name": "Боря", "ranking": [1, 0, 2]})
    result = client.post(f"/api/polls/{poll['id']}/close", json={"token": poll["manage_token"]}).get_json()
    assert result["result"]["pairwise"] == [[0, 1, 2], [1, 0, 2], [0, 0, 0]]
    assert result["result"]["tied"] == [0, 1]
    names = [m["name"] for m in MOVIES]
    assert result["result"]["winner"] == break_tie(result["seed"], poll["id"], names, [0, 1])


def test_an_unknown_poll_is_a_404_in_russian(client):
    response = client.get("/api/polls/nosuchpoll")
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "poll_not_found"


def test_the_poll_page_is_public_and_a_wrong_manage_token_is_no_page(make_app):
    app = make_app(ADMIN_PASSWORD="pw", API_TOKEN="bot")
    poll = app.test_client().post(
        "/api/polls", json={"movies": MOVIES}, headers={"Authorization": "Bearer bot"}
    )
    poll = poll.get_json()
    visitor = app.test_client()
    page = visitor.get(f"/p/{poll['id']}")
    assert page.status_code == 200 and "Что смотрим? Голосуем!" in page.get_data(as_text=True)
    assert poll["manage_token"] not in page.get_data(as_text=True)
    manage = visitor.get(f"/p/{poll['id']}/manage/{poll['manage_token']}")
    assert manage.status_code == 200 and "Вы управляете голосованием" in manage.get_data(as_text=True)
    assert visitor.get(f"/p/{poll['id']}/manage/{poll['manage_token']}x").status_code == 404
    assert visitor.get("/p/nosuchpoll").status_code == 404


def test_the_kept_poll_page_shows_a_new_voter_and_closes_at_its_deadline(app, client, monkeypatch):
    from movie_lottery.polls import service as polls
    from movie_lottery.web.rendering import page_cache

    poll = create(client, deadline=in_days(30).isoformat())
    assert "Пока никто" in client.get(f"/p/{poll['id']}").get_data(as_text=True)
    participant(app).put(f"/api/polls/{poll['id']}/ballot", json={"name": "Аня", "approve": [1]})
    page = client.get(f"/p/{poll['id']}").get_data(as_text=True)
    assert "Аня" in page and "Голосование закрыто" not in page
    after = polls.utcnow() + timedelta(days=31)
    monkeypatch.setattr(polls, "utcnow", lambda: after)
    monkeypatch.setattr(page_cache, "utcnow", lambda: after)
    assert "Голосование закрыто" in client.get(f"/p/{poll['id']}").get_data(as_text=True)


def test_a_name_can_be_checked_before_the_ballot_is_filled_in(app, client):
    poll = client.post("/api/polls", json={"movies": [{"name": "А"}, {"name": "Б"}]}).get_json()
    anya = app.test_client()
    voted = anya.put(f"/api/polls/{poll['id']}/ballot", json={"name": "Аня", "approve": [0]})
    assert voted.status_code == 200
    check = f"/api/polls/{poll['id']}/names"
    # The ballot's own rule: case, spacing and ё/е don't matter.
    assert client.post(check, json={"name": "  аня "}).get_json() == {"taken": True}
    assert client.post(check, json={"name": "Боря"}).get_json() == {"taken": False}
    assert anya.post(check, json={"name": "Аня"}).get_json() == {"taken": False}  # her own name
    refused = client.post(check, json={})
    assert refused.status_code == 400 and refused.get_json()["error"]["code"] == "invalid_name"
    assert client.post("/api/polls/nosuchpoll/names", json={"name": "Аня"}).status_code == 404
