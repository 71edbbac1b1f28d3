"""Each movie night keeps its own viewing (migration 0011): a lottery and a poll won by the same movie and
watched the same day are two viewings; correcting one night's day never touches the other's, its ratings or
its history line; both count, and both survive a backup. On SQLite and PostgreSQL."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from movie_lottery.backup.check import check_document
from movie_lottery.backup.transfer import dumps_backup, export_data, import_data
from movie_lottery.core.errors import InvalidInput
from movie_lottery.core.extensions import db
from movie_lottery.core.models import (
    Download,
    LibraryMovie,
    Lottery,
    LotteryMovie,
    Poll,
    PollBallot,
    PollMovie,
    Rating,
    Viewing,
)

MOVIES = [{"name": "Сталкер", "year": 1979}, {"name": "Солярис", "year": 1972}]
EVENING, DAY_BEFORE = "2026-12-01", "2026-11-30"


def drawn_lottery(client) -> dict:
    created = client.post("/api/lotteries", json={"movies": MOVIES}).get_json()
    drawn = client.post(f"/api/lotteries/{created['id']}/draw", json={"token": created["play_token"]})
    return drawn.get_json()


def poll_won_by(app, client, position: int) -> dict:
    """A closed poll over MOVIES that ``position`` won (one voter approved only it)."""
    poll = client.post("/api/polls", json={"movies": MOVIES}).get_json()
    voter = app.test_client()
    cast = voter.put(f"/api/polls/{poll['id']}/ballot", json={"name": "Аня", "approve": [position]})
    assert cast.status_code == 200
    closed = client.post(f"/api/polls/{poll['id']}/close", json={"token": poll["manage_token"]})
    assert closed.status_code == 200
    return closed.get_json()


def same_winner_nights(app, client) -> tuple[dict, dict]:
    lottery = drawn_lottery(client)
    position = next(i for i, m in enumerate(lottery["movies"]) if m["name"] == lottery["winner"]["name"])
    return lottery, poll_won_by(app, client, position)


def watched(client, kind: str, night_id: str, day: str):
    answer = client.post(f"/api/{kind}/{night_id}/watched", json={"date": day})
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()


def movie_days(client, movie_id: int) -> list[str]:
    return client.get(f"/api/library/{movie_id}").get_json()["viewings"]


def test_moving_the_polls_day_leaves_the_lotterys_night_its_ratings_and_its_history_line(app, client):
    lottery, poll = same_winner_nights(app, client)
    movie = watched(client, "lotteries", lottery["id"], EVENING)
    watched(client, "polls", poll["id"], EVENING)
    watched(client, "polls", poll["id"], DAY_BEFORE)  # the poll's day corrected

    assert movie_days(client, movie["id"]) == [EVENING, DAY_BEFORE]
    rated = client.put(f"/api/ratings/lottery/{lottery['id']}", json={"name": "Боря", "score": 8})
    assert rated.status_code == 200  # not «409 not_watched»: the lottery still has its night
    with app.app_context():
        nights = {
            (v.lottery_id, v.poll_id): v.watched_on.isoformat()
            for v in db.session.scalars(sa.select(Viewing))
        }
    assert nights == {(lottery["id"], None): EVENING, (None, poll["id"]): DAY_BEFORE}
    history = client.get("/history").get_data(as_text=True)
    assert "посмотрели 1\u00a0декабря" in history  # the lottery's line still says when it was watched


def test_two_nights_of_one_movie_on_one_day_both_count_and_correcting_one_keeps_the_other(app, client):
    lottery, poll = same_winner_nights(app, client)
    movie = watched(client, "lotteries", lottery["id"], EVENING)
    watched(client, "polls", poll["id"], EVENING)
    assert movie_days(client, movie["id"]) == [EVENING, EVENING]
    winner = {"name": lottery["winner"]["name"], "year": lottery["winner"]["year"]}
    notes = client.post("/api/library/notes", json={"movies": [winner]})
    assert notes.get_json()["notes"][0]["times_watched"] == 2  # the builder's note counts both nights

    deleted = client.delete(f"/api/library/{movie['id']}/viewings/{EVENING}")
    assert deleted.status_code == 204
    assert movie_days(client, movie["id"]) == [EVENING]  # one viewing of that day per call
    assert client.delete(f"/api/lotteries/{lottery['id']}").status_code in (200, 204)
    assert client.delete(f"/api/polls/{poll['id']}").status_code in (200, 204)
    assert movie_days(client, movie["id"]) == [EVENING]


@pytest.fixture
def two_nights_one_day(app, client) -> dict:
    lottery, poll = same_winner_nights(app, client)
    movie = watched(client, "lotteries", lottery["id"], EVENING)
    watched(client, "polls", poll["id"], EVENING)
    return {"lottery": lottery["id"], "poll": poll["id"], "movie": movie["id"]}


def wipe() -> None:
    for model in (
        Download,
        Rating,
        Viewing,
        LotteryMovie,
        Lottery,
        LibraryMovie,
        PollBallot,
        PollMovie,
        Poll,
    ):
        db.session.execute(sa.delete(model))
    db.session.commit()


def test_two_nights_on_one_day_come_back_from_a_backup_as_they_were(app, two_nights_one_day):
    with app.app_context():
        exported = dumps_backup(export_data())
        viewings = export_data()["library"][0]["viewings"]
        assert viewings == [
            {"date": EVENING, "lottery_id": None, "poll_id": two_nights_one_day["poll"]},
            {"date": EVENING, "lottery_id": two_nights_one_day["lottery"], "poll_id": None},
        ]
        wipe()
        import_data(json.loads(exported))
        assert dumps_backup(export_data()) == exported


def test_an_older_backups_viewing_of_a_lottery_and_a_poll_comes_back_as_two_nights(app, two_nights_one_day):
    with app.app_context():
        document = export_data()
        entry = document["library"][0]
        entry["viewings"] = [  # as an export before 0011 wrote the night they shared
            {
                "date": EVENING,
                "lottery_id": two_nights_one_day["lottery"],
                "poll_id": two_nights_one_day["poll"],
            }
        ]
        expected = dumps_backup(export_data())
        wipe()
        import_data(document)
        assert dumps_backup(export_data()) == expected
        assert export_data()["library"][0]["viewings"] == [
            {"date": EVENING, "lottery_id": None, "poll_id": two_nights_one_day["poll"]},
            {"date": EVENING, "lottery_id": two_nights_one_day["lottery"], "poll_id": None},
        ]


def test_a_backup_day_may_hold_several_nights_but_one_viewing_recorded_by_hand():
    entry = {"name": "Зеркало", "year": 1975, "added_at": "2026-01-01T00:00:00.000000Z"}
    nights = [
        {"date": EVENING, "lottery_id": "lot1", "poll_id": None},
        {"date": EVENING, "lottery_id": None, "poll_id": "poll1"},
        {"date": EVENING, "lottery_id": None, "poll_id": None},
    ]
    document = {"format": "movie-lottery-backup", "version": 3, "lotteries": [], "polls": []}
    checked = check_document({**document, "library": [{**entry, "viewings": nights}]})
    assert len(checked.library[0]["viewings"]) == 3
    by_hand_twice = [{"date": EVENING}, {"date": EVENING}]
    with pytest.raises(InvalidInput, match=f"просмотр {EVENING} .*встречается дважды"):
        check_document({**document, "library": [{**entry, "viewings": by_hand_twice}]})
