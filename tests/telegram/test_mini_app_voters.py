"""Inside Telegram the Mini App's signed init data make the Telegram user the participant: no name to type,
one ballot and one rating per account, under the Telegram name made unique in the night. Forged or stale
init data, or none on a Telegram-only poll, are refused in plain words."""

from __future__ import annotations

import time

import pytest
import sqlalchemy as sa

from movie_lottery.core.extensions import db
from movie_lottery.core.models import PollBallot, Rating
from tests.support.telegram_init_data import TEST_BOT_TOKEN, signed_init_data, telegram_user, tma_header

MOVIES = [
    {"name": "Сталкер", "year": 1979},
    {"name": "Солярис", "year": 1972},
    {"name": "Зеркало", "year": 1975},
]


@pytest.fixture
def app(make_app):
    return make_app(TELEGRAM_BOT_TOKEN=TEST_BOT_TOKEN)


def as_telegram(user_id: int, first_name: str = "Аня", **user) -> dict:
    return tma_header(signed_init_data(user=telegram_user(user_id, first_name, **user)))


def new_poll(client, **settings) -> dict:
    created = client.post("/api/polls", json={"movies": MOVIES, **settings})
    assert created.status_code == 201, created.get_json()
    return created.get_json()


def vote(client, poll_id: str, headers: dict | None = None, **body):
    return client.put(f"/api/polls/{poll_id}/ballot", json={"approve": [0], **body}, headers=headers or {})


def error_of(response) -> str:
    return response.get_json()["error"]["code"]


def test_a_telegram_user_votes_without_a_name_and_appears_under_their_telegram_name(app, client):
    poll = new_poll(client)
    cast = vote(app.test_client(), poll["id"], as_telegram(501, "Аня", last_name="Петрова"))
    assert cast.status_code == 200, cast.get_json()
    assert cast.get_json()["name"] == "Аня Петрова"
    assert "ml_browser" not in cast.headers.get("Set-Cookie", "")  # the account is the participant
    assert client.get(f"/api/polls/{poll['id']}").get_json()["voters"] == ["Аня Петрова"]
    with app.app_context():
        assert db.session.scalar(sa.select(PollBallot.telegram_user_id)) == 501


def test_one_ballot_per_telegram_account_whatever_device_or_name_it_sends(app, client):
    poll = new_poll(client)
    phone, laptop = app.test_client(), app.test_client()
    assert vote(phone, poll["id"], as_telegram(501), approve=[0]).status_code == 200
    again = vote(laptop, poll["id"], as_telegram(501), approve=[1, 2], name="Кто-то другой")
    assert again.status_code == 200 and again.get_json() == {"name": "Аня", "approve": [1, 2], "veto": None}
    read = client.get(f"/api/polls/{poll['id']}").get_json()
    assert read["voters"] == ["Аня"]
    own = laptop.get(f"/api/polls/{poll['id']}/ballot", headers=as_telegram(501))
    assert own.status_code == 200 and own.get_json()["approve"] == [1, 2]


def test_two_telegram_users_with_one_name_are_told_apart(app, client):
    poll = new_poll(client)
    assert vote(app.test_client(), poll["id"], as_telegram(1, "Аня")).get_json()["name"] == "Аня"
    second = vote(app.test_client(), poll["id"], as_telegram(2, "аня", username="anya_k")).get_json()
    assert second["name"] == "аня (@anya_k)"
    third = vote(app.test_client(), poll["id"], as_telegram(3, "Аня")).get_json()
    assert third["name"] == "Аня (2)"
    web = vote(app.test_client(), poll["id"], name="Аня (3)")  # a web voter's name is theirs, too
    assert web.status_code == 200
    assert vote(app.test_client(), poll["id"], as_telegram(4, "Аня")).get_json()["name"] == "Аня (4)"


@pytest.mark.parametrize(
    "init_data",
    [
        pytest.param(lambda: signed_init_data("42:another-bot"), id="signed-by-another-bot"),
        pytest.param(lambda: signed_init_data()[:-4] + "0000", id="forged-hash"),
        pytest.param(lambda: signed_init_data(auth_date=int(time.time()) - 2 * 24 * 3600), id="stale"),
        pytest.param(lambda: "user=%7B%7D", id="no-hash"),
    ],
)
def test_forged_or_stale_init_data_is_a_401_and_stores_nothing(app, client, init_data):
    poll = new_poll(client)
    refused = vote(app.test_client(), poll["id"], tma_header(init_data()), name="Аня")
    assert refused.status_code == 401 and error_of(refused) == "telegram_unverified"
    assert "Telegram" in refused.get_json()["error"]["message"]
    assert client.get(f"/api/polls/{poll['id']}").get_json()["voters"] == []


def test_without_a_bot_token_tma_is_refused_the_same_way(make_app):
    app = make_app(TELEGRAM_BOT_TOKEN=None)
    client = app.test_client()
    poll = new_poll(client)
    refused = vote(client, poll["id"], tma_header(signed_init_data()), name="Аня")
    assert refused.status_code == 401 and error_of(refused) == "telegram_unverified"


def test_a_telegram_only_poll_refuses_web_ballots_and_takes_telegram_ones(app, client):
    poll = new_poll(client, verification="telegram")
    assert poll["verification"] == "telegram"
    refused = vote(app.test_client(), poll["id"], name="Вася")
    assert refused.status_code == 403 and error_of(refused) == "telegram_required"
    assert "Telegram" in refused.get_json()["error"]["message"]
    assert vote(app.test_client(), poll["id"], as_telegram(7, "Вася")).status_code == 200
    assert client.get(f"/api/polls/{poll['id']}").get_json()["voters"] == ["Вася"]


def test_a_poll_is_open_to_anyone_unless_said_otherwise(client):
    assert new_poll(client)["verification"] == "none"


def test_a_telegram_only_poll_needs_a_bot(make_app):
    client = make_app(TELEGRAM_BOT_TOKEN=None).test_client()
    refused = client.post("/api/polls", json={"movies": MOVIES, "verification": "telegram"})
    assert refused.status_code == 400 and error_of(refused) == "telegram_not_configured"
    wrong = client.post("/api/polls", json={"movies": MOVIES, "verification": "everyone"})
    assert wrong.status_code == 400 and error_of(wrong) == "invalid_verification"


def closed_and_watched(client, poll_id: str, token: str) -> None:
    assert client.post(f"/api/polls/{poll_id}/close", json={"token": token}).status_code == 200
    assert client.post(f"/api/polls/{poll_id}/watched", json={}).status_code == 200


def test_a_telegram_voter_rates_under_their_ballot_name_once_per_account(app, client):
    poll = new_poll(client)
    vote(app.test_client(), poll["id"], as_telegram(501, "Аня"))
    closed_and_watched(client, poll["id"], poll["manage_token"])
    path = f"/api/ratings/poll/{poll['id']}"
    first = app.test_client().put(path, json={"score": 8}, headers=as_telegram(501, "Аня"))
    assert first.status_code == 200, first.get_json()
    assert first.get_json()["mine"] == {"name": "Аня", "score": 8}
    again = app.test_client().put(path, json={"score": 10, "name": "Другое"}, headers=as_telegram(501, "Аня"))
    assert again.get_json()["mine"] == {"name": "Аня", "score": 10} and again.get_json()["count"] == 1
    stranger = app.test_client().put(path, json={"score": 6}, headers=as_telegram(502, "Аня"))
    assert stranger.get_json()["mine"] == {"name": "Аня (2)", "score": 6}
    with app.app_context():
        assert sorted(db.session.scalars(sa.select(Rating.telegram_user_id))) == [501, 502]


def test_the_database_holds_one_ballot_per_telegram_account(app, client):
    poll = new_poll(client)
    vote(app.test_client(), poll["id"], as_telegram(501))
    with app.app_context():
        db.session.add(PollBallot(poll_id=poll["id"], participant="x" * 43, name="Другая", name_key="другая",
                                  choices=[0], telegram_user_id=501))  # fmt: skip
        with pytest.raises(sa.exc.IntegrityError):
            db.session.commit()
        db.session.rollback()


def test_a_telegram_name_taken_in_the_same_instant_gets_the_next_free_one(app, client, monkeypatch):
    from movie_lottery.polls import service

    poll = new_poll(client)
    assert vote(app.test_client(), poll["id"], name="Аня").status_code == 200
    real, calls = service._free_telegram_name, []

    def raced(poll_id, user):  # the first look saw «Аня» still free: another voter took it just after
        calls.append(user.id)
        return "Аня" if len(calls) == 1 else real(poll_id, user)

    monkeypatch.setattr(service, "_free_telegram_name", raced)
    cast = vote(app.test_client(), poll["id"], as_telegram(9, "Аня"))
    assert cast.status_code == 200 and cast.get_json()["name"] == "Аня (2)"
    assert calls == [9, 9]
