"""The outbox's sender: each stored message goes out once across workers and instances, at Telegram's pace,
honouring 429's retry_after, and a hanging Telegram costs a bounded wait and loses nothing."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
import sqlalchemy as sa

from movie_lottery.core.extensions import db
from movie_lottery.core.models import utcnow
from movie_lottery.telegram import outbox
from movie_lottery.telegram.models import OutgoingMessage
from movie_lottery.telegram.worker import worker_for


def _store(app, *messages: tuple[int, str]) -> list[int]:
    with app.app_context():
        rows = [outbox.send_message(chat_id, text) for chat_id, text in messages]
        db.session.commit()
        return [row.id for row in rows]


def _row(app, row_id: int) -> OutgoingMessage:
    with app.app_context():
        row = db.session.get(OutgoingMessage, row_id)
        db.session.expunge(row)
        return row


def test_each_stored_message_is_sent_once_by_two_app_instances_at_once(make_app, bot_config, telegram):
    first, second = make_app(**bot_config), make_app(**bot_config)
    texts = [f"Сообщение {n}" for n in range(24)]
    _store(first, *[(1000 + n, text) for n, text in enumerate(texts)])  # one chat each: no pacing in the way
    start = threading.Barrier(2)

    def drain(app):
        worker = worker_for(app)
        start.wait()
        for _ in range(5):
            worker.run_turn()

    threads = [threading.Thread(target=drain, args=(app,)) for app in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    sent = sorted(payload["text"] for payload in telegram.sent("sendMessage"))
    assert sent == sorted(texts)
    with first.app_context():
        states = set(db.session.scalars(sa.select(OutgoingMessage.state)))
    assert states == {"sent"}


def test_429_is_honoured_the_message_waits_retry_after_then_goes_once(bot_app, telegram):
    telegram.mode, telegram.retry_after = "429", 1
    (row_id,) = _store(bot_app, (7, "Опрос закрыт"))
    worker = worker_for(bot_app)
    worker.run_turn()
    first_try = telegram.attempts[-1].at
    row = _row(bot_app, row_id)
    assert row.state == "pending" and "подождать" in row.last_error
    telegram.mode = "ok"
    worker.run_turn()  # too early: Telegram asked for a second
    assert telegram.sent("sendMessage") == []
    time.sleep(1.05)
    worker.run_turn()
    assert [p["text"] for p in telegram.sent("sendMessage")] == ["Опрос закрыт"]
    assert telegram.calls[-1].at - first_try >= 1.0
    assert _row(bot_app, row_id).state == "sent"


def test_a_hanging_telegram_costs_a_bounded_wait_and_the_message_goes_when_it_answers(
    bot_app, telegram, monkeypatch
):
    worker = worker_for(bot_app)
    worker.run_turn(send=False)  # the webhook registered while Telegram answered
    telegram.mode = "hang"
    row_id, _ = _store(bot_app, (7, "Готово"), (8, "В другой чат"))
    started = time.monotonic()
    worker.run_turn()
    assert time.monotonic() - started < 2.5  # connect 0.5 + read 0.5, and the turn stops at the first hang
    assert (
        len([a for a in telegram.attempts if a.method == "sendMessage"]) == 1
    )  # the other message waits for the back-off, not for another hang
    row = _row(bot_app, row_id)
    assert row.state == "pending" and row.last_error == "Telegram не ответил вовремя"
    telegram.mode = "ok"
    monkeypatch.setattr(outbox, "BACKOFF_SECONDS", (0,))
    with bot_app.app_context():  # the back-off is over
        db.session.execute(sa.update(OutgoingMessage).values(next_attempt_at=utcnow() - timedelta(seconds=1)))
        db.session.execute(sa.text("UPDATE telegram_chat_pace SET next_at = :t"), {"t": utcnow()})
        db.session.commit()
    worker.run_turn()
    assert [p["text"] for p in telegram.sent("sendMessage")] == ["Готово", "В другой чат"]


def test_a_5xx_leaves_the_message_waiting_with_a_back_off(bot_app, telegram):
    telegram.mode = "5xx"
    (row_id,) = _store(bot_app, (7, "Лотерея"))
    worker_for(bot_app).run_turn()
    row = _row(bot_app, row_id)
    assert row.state == "pending" and row.attempts == 1
    assert row.next_attempt_at > utcnow() + timedelta(seconds=3)


def test_a_refused_message_fails_is_shown_and_is_not_sent_again(make_app, bot_config, telegram):
    app = make_app(**{**bot_config, "TELEGRAM_BOT_TOKEN": "999:revoked-token"})  # Telegram answers 401
    (row_id,) = _store(app, (7, "x"))
    worker = worker_for(app)
    worker.run_turn()
    row = _row(app, row_id)
    assert row.state == "failed" and "401" in row.last_error
    tries = len(telegram.attempts)
    worker.run_turn()
    assert len([a for a in telegram.attempts[tries:] if a.method == "sendMessage"]) == 0
    with app.app_context():
        assert outbox.outbox_counts().failed == 1


def test_messages_to_one_chat_are_spaced_a_second_apart(bot_app, telegram):
    _store(bot_app, (7, "первое"), (7, "второе"))
    worker = worker_for(bot_app)
    worker.run_turn()
    assert [p["text"] for p in telegram.sent("sendMessage")] == ["первое"]
    worker.run_turn()
    assert len(telegram.sent("sendMessage")) == 1  # the chat's next slot is a second away
    time.sleep(1.05)
    worker.run_turn()
    assert [p["text"] for p in telegram.sent("sendMessage")] == ["первое", "второе"]
    first, second = (c.at for c in telegram.calls if c.method == "sendMessage")
    assert second - first >= 1.0


@pytest.mark.parametrize("chat_id, gap", [(7, 1), (-1001, 3)])
def test_a_group_gets_at_most_20_messages_a_minute(chat_id, gap):
    assert outbox.gap_for(chat_id) == timedelta(seconds=gap)


def test_an_edit_waits_for_its_message_and_edits_it_by_telegrams_id(bot_app, telegram):
    with bot_app.app_context():
        progress = outbox.send_message(7, "Скачивается: 10 %")
        outbox.edit_message(progress, "Скачивается: 60 %")
        db.session.commit()
        progress_id = progress.id
    worker = worker_for(bot_app)
    worker.run_turn()
    assert [p["text"] for p in telegram.sent("sendMessage")] == ["Скачивается: 10 %"]
    assert telegram.sent("editMessageText") == []  # the chat's next slot is a second away
    time.sleep(1.05)
    worker.run_turn()
    (edit,) = telegram.sent("editMessageText")
    message_id = _row(bot_app, progress_id).message_id
    assert message_id is not None
    assert edit == {"chat_id": 7, "text": "Скачивается: 60 %", "message_id": message_id}


def test_a_claimed_message_cannot_be_claimed_again_even_when_its_chat_is_free(bot_app):
    (row_id,) = _store(bot_app, (7, "x"))
    with bot_app.app_context():
        assert outbox.claim(row_id) is not None
        db.session.execute(sa.text("UPDATE telegram_chat_pace SET next_at = :t"), {"t": utcnow()})
        db.session.commit()
        assert outbox.claim(row_id) is None  # another worker: the row is "sending", its claim still runs
        later = utcnow() + outbox.CLAIM + timedelta(seconds=1)
        assert outbox.claim(row_id, now=later) is not None  # the first worker died: after the claim, anyone


def test_a_message_that_cannot_go_yet_is_not_due_before_it_can_so_the_worker_sleeps(bot_app, telegram):
    telegram.mode = "5xx"
    with bot_app.app_context():
        progress = outbox.send_message(7, "Скачивается: 10 %")
        outbox.edit_message(progress, "Скачивается: 60 %")
        db.session.commit()
    worker = worker_for(bot_app)
    worker.run_turn()  # the message meets a 5xx and backs off (the turn stops there)
    worker.run_turn()  # its edit cannot go before it: it waits as long, rather than being due at once
    with bot_app.app_context():
        rows = {row.method: row for row in db.session.scalars(sa.select(OutgoingMessage))}
        assert rows["editMessageText"].next_attempt_at >= rows["sendMessage"].next_attempt_at
        assert outbox.next_due_at() > utcnow() + timedelta(seconds=3)
