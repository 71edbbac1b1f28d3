"""Polls on /history: the night they were watched, and a passed deadline never listed as still voting."""

from __future__ import annotations

import time
from datetime import timedelta

from movie_lottery.core.models import utcnow
from movie_lottery.polls import service as polls

MOVIES = [{"name": "Сталкер", "year": 1979}, {"name": "Солярис", "year": 1972}]
OWNER = {"REMOTE_ADDR": "127.0.0.1"}


def history(app) -> str:
    """The page as a browser of its own reads it (a page visit gives the API client a CSRF session)."""
    return app.test_client().get("/history", environ_base=OWNER).get_data(as_text=True)


def test_a_watched_poll_shows_its_night_on_the_history(app, client):
    poll = client.post("/api/polls", json={"movies": MOVIES}).get_json()
    client.put(f"/api/polls/{poll['id']}/ballot", json={"name": "Аня", "approve": [1]})
    client.post(f"/api/polls/{poll['id']}/close", json={"token": poll["manage_token"]})
    assert "✓ посмотрели" not in history(app)
    answer = client.post(f"/api/polls/{poll['id']}/watched", json={"date": "2026-12-05"})
    assert answer.status_code in (200, 201), answer.get_json()
    page = history(app)
    assert 'data-testid="history-watched">✓ посмотрели 5\u00a0декабря<' in page


def test_a_poll_whose_deadline_passed_is_listed_closed_with_its_winner(app, client):
    with app.app_context():
        created = polls.create_poll(
            MOVIES, deadline=utcnow() - timedelta(hours=1), now=utcnow() - timedelta(hours=2)
        ).poll.id
    page = history(app)
    assert "идёт голосование" not in page
    with app.app_context():
        poll = polls.get_poll(created)
        assert poll.closed_by == "deadline" and poll.result is not None
        assert poll.movies[poll.winner_position].name in page


def test_a_cached_history_is_read_afresh_once_an_open_polls_deadline_passes(app, client):
    deadline = utcnow() + timedelta(seconds=3)
    with app.app_context():
        polls.create_poll(MOVIES, deadline=deadline)
    assert "идёт голосование" in history(app)  # and now kept by the page cache
    time.sleep(max(0.0, (deadline - utcnow()).total_seconds()) + 0.2)
    assert "идёт голосование" not in history(app)
