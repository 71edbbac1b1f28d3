"""Telegram-verified voters in backups (issue 24): a Telegram-only poll, its Mini App ballots and ratings come
back with their Telegram accounts, so after a restore each account still has its one ballot and rating; a
file that gives one account two ballots is refused; files from before read as open polls of web voters."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from movie_lottery.core.errors import InvalidInput
from movie_lottery.core.extensions import db
from movie_lottery.core.models import PollBallot, Rating
from tests.backup.test_backup_export_import import export_text, run_import, wipe
from tests.support.telegram_init_data import TEST_BOT_TOKEN, signed_init_data, telegram_user, tma_header

MOVIES = [{"name": "Сталкер", "year": 1979}, {"name": "Солярис", "year": 1972}]


@pytest.fixture
def app(make_app):
    return make_app(TELEGRAM_BOT_TOKEN=TEST_BOT_TOKEN)


def as_telegram(user_id: int, first_name: str) -> dict:
    return tma_header(signed_init_data(user=telegram_user(user_id, first_name)))


@pytest.fixture
def night(app, client) -> dict:
    """A Telegram-only poll with two Mini App voters, closed, watched and rated by one of them."""
    poll = client.post("/api/polls", json={"movies": MOVIES, "verification": "telegram"}).get_json()
    for user_id, name in ((501, "Аня"), (502, "Боря")):
        cast = app.test_client().put(
            f"/api/polls/{poll['id']}/ballot", json={"approve": [0]}, headers=as_telegram(user_id, name)
        )
        assert cast.status_code == 200
    client.post(f"/api/polls/{poll['id']}/close", json={"token": poll["manage_token"]})
    client.post(f"/api/polls/{poll['id']}/watched", json={})
    rated = app.test_client().put(
        f"/api/ratings/poll/{poll['id']}", json={"score": 9}, headers=as_telegram(501, "Аня")
    )
    assert rated.status_code == 200
    return poll


def accounts(app) -> tuple[list, list]:
    with app.app_context():
        return (
            sorted(db.session.scalars(sa.select(PollBallot.telegram_user_id)), key=str),
            sorted(db.session.scalars(sa.select(Rating.telegram_user_id)), key=str),
        )


def test_the_export_carries_the_polls_verification_and_each_rows_telegram_account(app, night):
    document = json.loads(export_text(app))
    (poll,) = document["polls"]
    assert poll["verification"] == "telegram"
    assert [b["telegram_user_id"] for b in poll["ballots"]] == [501, 502]
    (movie,) = document["library"]
    assert [r["telegram_user_id"] for r in movie["ratings"]] == [501]


def test_a_restore_brings_back_each_accounts_ballot_and_rating_and_they_stay_one_per_account(app, night):
    text = export_text(app)
    wipe(app)
    run_import(app, text)
    assert accounts(app) == ([501, 502], [501])
    assert export_text(app) == text  # the same bytes: nothing lost or changed
    again = app.test_client().put(
        f"/api/ratings/poll/{night['id']}", json={"score": 3}, headers=as_telegram(501, "Аня")
    )
    assert again.get_json()["count"] == 1 and again.get_json()["mine"] == {"name": "Аня", "score": 3}
    refused = app.test_client().put(f"/api/polls/{night['id']}/ballot", json={"approve": [1], "name": "Вася"})
    assert refused.status_code in (403, 409)  # closed, and Telegram-only anyway


def test_a_file_giving_one_telegram_account_two_ballots_is_refused(app, night):
    document = json.loads(export_text(app))
    document["polls"][0]["ballots"][1]["telegram_user_id"] = 501
    wipe(app)
    with pytest.raises(InvalidInput, match="Telegram 501"):
        run_import(app, document)


def test_a_file_from_before_reads_as_a_poll_open_to_anyone_with_web_voters(app, night):
    document = json.loads(export_text(app))
    del document["polls"][0]["verification"]
    for ballot in document["polls"][0]["ballots"]:
        del ballot["telegram_user_id"]
    for rating in document["library"][0]["ratings"]:
        del rating["telegram_user_id"]
    wipe(app)
    run_import(app, document)
    assert accounts(app) == ([None, None], [None])
    assert json.loads(export_text(app))["polls"][0]["verification"] == "none"
