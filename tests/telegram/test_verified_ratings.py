"""A poll that takes ballots only from Telegram takes its ratings only from Telegram too: a web rating under
an invented name would undo what its verified ballots promise."""

from __future__ import annotations

import pytest

from tests.support.telegram_init_data import TEST_BOT_TOKEN, signed_init_data, telegram_user, tma_header

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

MOVIES = [{"name": "Сталкер", "year": 1979}, {"name": "Солярис", "year": 1972}]


def as_telegram(user_id: int, first_name: str) -> dict:
    return tma_header(signed_init_data(user=telegram_user(user_id, first_name)))


def watched_poll(client, **settings) -> str:
    poll = client.post("/api/polls", json={"movies": MOVIES, **settings}).get_json()
    vote = client.put(f"/api/polls/{poll['id']}/ballot", json={"approve": [0]}, headers=as_telegram(7, "Аня"))
    assert vote.status_code == 200, vote.get_json()
    closed = client.post(f"/api/polls/{poll['id']}/close", json={"token": poll["manage_token"]})
    assert closed.status_code == 200
    assert client.post(f"/api/polls/{poll['id']}/watched", json={}).status_code == 200
    return poll["id"]


def test_a_telegram_only_poll_refuses_web_ratings_and_takes_telegram_ones(make_app):
    app = make_app(TELEGRAM_BOT_TOKEN=TEST_BOT_TOKEN)
    poll_id = watched_poll(app.test_client(), verification="telegram")
    path = f"/api/ratings/poll/{poll_id}"
    refused = app.test_client().put(path, json={"score": 9, "name": "Вася"})
    assert refused.status_code == 403, refused.get_json()
    assert refused.get_json()["error"]["code"] == "telegram_required"
    assert "Telegram" in refused.get_json()["error"]["message"]
    taken = app.test_client().put(path, json={"score": 8}, headers=as_telegram(7, "Аня"))
    assert taken.status_code == 200 and taken.get_json()["count"] == 1


def test_an_open_poll_still_takes_web_ratings(make_app):
    app = make_app(TELEGRAM_BOT_TOKEN=TEST_BOT_TOKEN)
    poll_id = watched_poll(app.test_client())
    rated = app.test_client().put(f"/api/ratings/poll/{poll_id}", json={"score": 9, "name": "Вася"})
    assert rated.status_code == 200, rated.get_json()
