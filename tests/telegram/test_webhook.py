"""POST /telegram/webhook: only Telegram (the registered secret) gets in; an update is stored, answered at
once, and acted on once however often Telegram delivers it. Without a token there is no bot at all."""

from __future__ import annotations

import sqlalchemy as sa

from movie_lottery.core.extensions import db
from movie_lottery.telegram.dispatcher import HOW_TO_CONNECT
from movie_lottery.telegram.models import OutgoingMessage, ReceivedUpdate
from movie_lottery.telegram.worker import worker_for
from tests.telegram.conftest import secret_of, start_update

HEADER = "X-Telegram-Bot-Api-Secret-Token"


def _stored(app) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(ReceivedUpdate))


def test_a_webhook_without_the_secret_is_refused_and_nothing_is_stored(bot_app):
    client = bot_app.test_client()
    assert client.post("/telegram/webhook", json=start_update(1)).status_code == 403
    assert (
        client.post("/telegram/webhook", json=start_update(2), headers={HEADER: "guess"}).status_code == 403
    )
    almost = secret_of(bot_app)[:-1] + ("A" if secret_of(bot_app)[-1] != "A" else "B")
    assert client.post("/telegram/webhook", json=start_update(3), headers={HEADER: almost}).status_code == 403
    assert _stored(bot_app) == 0


def test_an_update_with_the_secret_is_stored_and_answered_before_anything_is_sent(bot_app, telegram):
    response = bot_app.test_client().post(
        "/telegram/webhook", json=start_update(10), headers={HEADER: secret_of(bot_app)}
    )
    assert response.status_code == 200
    assert _stored(bot_app) == 1
    assert telegram.attempts == []  # the answer never waited on Telegram


def test_a_redelivered_update_is_acted_on_once(bot_app, telegram):
    client = bot_app.test_client()
    for _ in range(3):  # Telegram did not see the first 200 and sent it again, twice
        response = client.post(
            "/telegram/webhook", json=start_update(20), headers={HEADER: secret_of(bot_app)}
        )
        assert response.status_code == 200
    worker = worker_for(bot_app)
    worker.run_turn()
    worker.run_turn()
    assert _stored(bot_app) == 1
    replies = telegram.sent("sendMessage")
    assert replies == [{"chat_id": -1001, "text": HOW_TO_CONNECT}]


def test_start_without_a_valid_code_answers_how_to_connect(bot_app, telegram):
    client = bot_app.test_client()
    client.post(
        "/telegram/webhook",
        json=start_update(30, text="/start@kino_bot nope"),
        headers={HEADER: secret_of(bot_app)},
    )
    worker_for(bot_app).run_turn()
    assert [m["text"] for m in telegram.sent("sendMessage")] == [HOW_TO_CONNECT]


def test_without_a_token_every_telegram_route_is_404_and_nothing_calls_telegram(
    make_app, bot_config, telegram
):
    app = make_app(**{**bot_config, "TELEGRAM_BOT_TOKEN": None})
    client = app.test_client()
    assert client.post("/telegram/webhook", json=start_update(1), headers={HEADER: "x"}).status_code == 404
    assert client.get("/telegram/webhook").status_code == 404
    assert client.get("/telegram/anything").status_code == 404
    client.get("/status")
    worker = worker_for(app)
    worker.wake()
    worker.run_turn()
    assert not worker.thread_alive
    assert telegram.attempts == []
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(OutgoingMessage)) == 0


def test_two_workers_that_both_saw_an_update_act_on_it_once(make_app, bot_config, telegram):
    from movie_lottery.telegram import updates

    first, second = make_app(**bot_config), make_app(**bot_config)
    first.test_client().post("/telegram/webhook", json=start_update(40), headers={HEADER: secret_of(first)})
    acted = []
    for app in (first, second):  # both listed it as waiting before either acted
        with app.app_context():
            acted.append(updates.handle(40, {}))
    assert acted == [True, False]
    with first.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(OutgoingMessage)) == 1
