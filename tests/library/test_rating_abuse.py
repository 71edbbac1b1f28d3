"""Ratings get the polls' protection (issue 21, item 5): new raters per address per night at a person's pace,
and the owner removes what one address sent in a burst with one action."""

from __future__ import annotations

from movie_lottery.library import ratings

MOVIES = [{"name": "Сталкер", "year": 1979}, {"name": "Солярис", "year": 1972}]


def watched_lottery(client) -> dict:
    created = client.post("/api/lotteries", json={"movies": MOVIES}).get_json()
    drawn = client.post(
        f"/api/lotteries/{created['id']}/draw", json={"token": created["play_token"]}
    ).get_json()
    assert client.post(f"/api/lotteries/{drawn['id']}/watched", json={}).status_code == 200
    return drawn


def phone(app, address: str):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def rate(client, night: dict, name: str, score: int):
    return client.put(f"/api/ratings/lottery/{night['id']}", json={"name": name, "score": score})


def test_twenty_invented_raters_cannot_pull_a_movie_down_in_seconds(app, client):
    night = watched_lottery(client)  # the owner's machine: not counted
    assert rate(client, night, "Аня", 10).status_code == 200
    script = [rate(phone(app, "203.0.113.66"), night, f"Бот {i}", 1) for i in range(20)]
    statuses = [answer.status_code for answer in script]
    assert statuses == [200] * ratings.NEW_RATERS_PER_WINDOW + [429] * (20 - ratings.NEW_RATERS_PER_WINDOW)
    refused = script[-1].get_json()["error"]
    assert refused["code"] == "too_many_requests" and "Подождите" in refused["message"]
    summary = client.get(f"/api/ratings/lottery/{night['id']}").get_json()
    assert summary["count"] == 1 + ratings.NEW_RATERS_PER_WINDOW


def test_the_admin_sees_a_burst_of_ratings_as_a_group_and_removes_it_at_once(app, client):
    night = watched_lottery(client)
    assert rate(phone(app, "198.51.100.1"), night, "Аня", 10).status_code == 200
    for i in range(5):
        assert rate(phone(app, "203.0.113.66"), night, f"Бот {i}", 1).status_code == 200
    stranger = phone(app, "198.51.100.1")
    assert stranger.get(f"/api/ratings/lottery/{night['id']}/groups").status_code in (401, 403)
    groups = client.get(f"/api/ratings/lottery/{night['id']}/groups").get_json()["groups"]
    assert [g["names"] for g in groups] == [[f"Бот {i}" for i in range(5)]]
    removed = client.delete(f"/api/ratings/lottery/{night['id']}/groups/{groups[0]['id']}", json={})
    assert removed.status_code == 200 and len(removed.get_json()["removed"]) == 5
    summary = client.get(f"/api/ratings/lottery/{night['id']}").get_json()
    assert (summary["count"], summary["average"]) == (1, 10.0)


def test_a_polls_creator_removes_a_burst_of_its_ratings_with_the_manage_token(app, client):
    poll = client.post("/api/polls", json={"movies": MOVIES}).get_json()
    token = poll["manage_token"]
    assert client.post(f"/api/polls/{poll['id']}/close", json={"token": token}).status_code == 200
    assert client.post(f"/api/polls/{poll['id']}/watched", json={}).status_code == 200
    for i in range(3):
        put = phone(app, "203.0.113.66").put(
            f"/api/ratings/poll/{poll['id']}", json={"name": f"Бот {i}", "score": 1}
        )
        assert put.status_code == 200
    creator = phone(app, "198.51.100.1")  # on the internet, with the manage link only
    assert creator.get(f"/api/ratings/poll/{poll['id']}/groups?token=wrong").status_code == 403
    (group,) = creator.get(f"/api/ratings/poll/{poll['id']}/groups?token={token}").get_json()["groups"]
    removed = creator.delete(f"/api/ratings/poll/{poll['id']}/groups/{group['id']}", json={"token": token})
    assert removed.status_code == 200 and len(removed.get_json()["removed"]) == 3
