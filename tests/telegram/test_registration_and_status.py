"""The webhook registers itself in the background, again when the address or token changes; /status and
``flask doctor`` say whether Telegram reaches the site and what to do; the token shows up nowhere."""

from __future__ import annotations

import logging
import re
from datetime import timedelta

import sqlalchemy as sa

from movie_lottery.core.extensions import db
from movie_lottery.core.models import utcnow
from movie_lottery.telegram import outbox
from movie_lottery.telegram.models import OutgoingMessage
from movie_lottery.telegram.worker import worker_for
from tests.telegram.conftest import SITE, TOKEN, secret_of

ADMIN = {"ADMIN_PASSWORD": None, "OPEN_SITE": True}


def _checks_text(app) -> str:
    html = app.test_client().get("/status").get_data(as_text=True)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_the_first_turn_registers_the_webhook_with_its_secret_and_later_turns_do_not(bot_app, telegram):
    worker = worker_for(bot_app)
    worker.run_turn()
    worker.run_turn()
    with bot_app.app_context():  # hours later, nothing changed: nothing to register
        db.session.execute(sa.text("UPDATE telegram_state SET at = :t"), {"t": utcnow() - timedelta(hours=5)})
        db.session.commit()
    worker.run_turn()
    assert telegram.sent("setWebhook") == [
        {
            "url": f"{SITE}/telegram/webhook",
            "secret_token": secret_of(bot_app),
            "allowed_updates": ["message", "callback_query", "my_chat_member", "chat_member", "poll_answer"],
        }
    ]
    assert re.fullmatch(r"[A-Za-z0-9_-]{1,256}", secret_of(bot_app))


def test_a_new_address_or_token_registers_again(make_app, bot_config, telegram):
    worker_for(make_app(**bot_config)).run_turn()
    worker_for(make_app(**{**bot_config, "SITE_URL": "https://new.example"})).run_turn()
    assert [p["url"] for p in telegram.sent("setWebhook")] == [
        f"{SITE}/telegram/webhook",
        "https://new.example/telegram/webhook",
    ]


def test_a_derived_secret_changes_with_the_token_and_a_configured_one_is_used_as_is(make_app, bot_config):
    first = secret_of(make_app(**bot_config))
    other_token = secret_of(make_app(**{**bot_config, "TELEGRAM_BOT_TOKEN": "123456:another"}))
    given = secret_of(make_app(**{**bot_config, "TELEGRAM_WEBHOOK_SECRET": "my_own-secret"}))
    assert first != other_token and given == "my_own-secret"
    assert TOKEN.split(":")[1] not in first


def test_status_says_telegram_reaches_the_site(make_app, bot_config, telegram):
    app = make_app(**bot_config, **ADMIN)
    worker_for(app).run_turn()
    assert "Telegram достаёт до сайта" in _checks_text(app)


def test_status_says_what_to_do_when_telegram_cannot_reach_the_site(make_app, bot_config, telegram):
    telegram.last_error_message, telegram.pending_update_count = "Connection timed out", 4
    app = make_app(**bot_config, **ADMIN)
    worker_for(app).run_turn()
    words = _checks_text(app)
    assert "Telegram не может достучаться до сайта" in words and "Connection timed out" in words
    assert "в очереди у Telegram: 4" in words
    assert "SITE_URL открывается из интернета" in words


def test_a_message_unsent_for_hours_is_shown_to_the_owner(make_app, bot_config, telegram):
    app = make_app(**bot_config, **ADMIN)
    worker_for(app).run_turn(send=False)
    with app.app_context():
        row = outbox.send_message(7, "Результат опроса")
        db.session.flush()
        row.created_at = utcnow() - timedelta(hours=3)
        row.last_error = "нет связи с Telegram"
        db.session.commit()
    words = _checks_text(app)
    assert "1 сообщ. не отправлено больше часа (нет связи с Telegram)" in words


def test_the_token_is_in_no_log_line_and_not_on_status(make_app, bot_config, telegram, caplog):
    caplog.set_level(logging.DEBUG)
    app = make_app(**bot_config, **ADMIN)
    with app.app_context():
        outbox.send_message(7, "x")
        db.session.commit()
    worker = worker_for(app)
    for mode in ("5xx", "hang", "429", "ok"):
        telegram.mode = mode
        with app.app_context():
            db.session.query(OutgoingMessage).update({"next_attempt_at": utcnow()})
            db.session.commit()
        worker.run_turn()
    page = app.test_client().get("/status").get_data(as_text=True)
    secret = TOKEN.split(":")[1]
    assert secret not in page and secret_of(app) not in page
    from movie_lottery.runtime.log_masking import mask_secrets

    assert secret not in mask_secrets(caplog.text)
    assert "TELEGRAM_BOT_TOKEN" in page  # the setting is listed, as «задан»


def test_without_a_token_status_says_the_bot_is_off(make_app, telegram):
    app = make_app(**ADMIN)
    assert "бот не настроен" in _checks_text(app)
    assert telegram.attempts == []


def test_flask_telegram_setup_registers_by_hand(bot_app, telegram):
    result = bot_app.test_cli_runner().invoke(args=["telegram", "setup"])
    assert result.exit_code == 0, result.output
    assert "вебхук зарегистрирован: https://kino.example/telegram/webhook" in result.output
    assert "Telegram достаёт до сайта" in result.output
    assert [c.method for c in telegram.calls] == ["setWebhook", "getWebhookInfo"]


def test_the_worker_thread_answers_a_webhook_update_by_itself(make_app, bot_config, telegram):
    app = make_app(**{**bot_config, "TELEGRAM_WORKER_AUTOSTART": True})
    from tests.telegram.conftest import start_update

    response = app.test_client().post(
        "/telegram/webhook",
        json=start_update(77, chat_id=5),
        headers={"X-Telegram-Bot-Api-Secret-Token": secret_of(app)},
    )
    assert response.status_code == 200
    import time

    deadline = time.monotonic() + 10
    while not telegram.sent("sendMessage") and time.monotonic() < deadline:
        time.sleep(0.05)
    assert [p["chat_id"] for p in telegram.sent("sendMessage")] == [5]
    assert telegram.sent("setWebhook")  # the first request started the worker, which registered


def test_a_webhook_telegram_forgot_is_shown_and_registered_again(bot_app, telegram, make_app, bot_config):
    worker = worker_for(bot_app)
    worker.run_turn()
    telegram.webhook = {}  # deleted by hand, or another copy of the site took the token
    with bot_app.app_context():  # ten minutes later: time to ask Telegram again
        db.session.execute(
            sa.text("UPDATE telegram_state SET at = :t"), {"t": utcnow() - timedelta(minutes=11)}
        )
        db.session.commit()
    worker.run_turn()
    status = _checks_text(make_app(**bot_config, **ADMIN))
    assert "Telegram шлёт обновления не сюда: вебхук снят" in status
    with bot_app.app_context():
        db.session.execute(
            sa.text("UPDATE telegram_state SET at = :t"), {"t": utcnow() - timedelta(minutes=6)}
        )
        db.session.commit()
    worker.run_turn()
    assert len(telegram.sent("setWebhook")) == 2
