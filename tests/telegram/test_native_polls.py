"""A poll can also be Telegram's own poll in the bound chat: posted by the worker (never inside the request),
each person's answer there is their ballot in the same count as the web's, a changed answer replaces it and
a retracted one withdraws it, and closing on the site stops it. Offered only where it keeps the poll's
promises: approval, results visible while voting, Telegram's option limit, a bot and a bound chat."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from movie_lottery.core.extensions import db
from movie_lottery.core.models import Poll, utcnow
from movie_lottery.telegram import native_polls
from movie_lottery.telegram.models import BoundChat, ChatPace, NativePoll, OutgoingMessage
from movie_lottery.telegram.native_polls import CANCELLED, OPTION_LIMIT
from movie_lottery.telegram.worker import worker_for
from tests.telegram.conftest import secret_of

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

CHAT = -100777
MOVIES = [
    {"name": "Сталкер", "year": 1979},
    {"name": "Солярис", "year": 1972},
    {"name": "Зеркало", "year": 1975},
]
NATIVE = {"telegram_poll": True, "results": "live"}


def bind_chat(app, chat_id: int = CHAT) -> None:
    with app.app_context():
        db.session.add(BoundChat(chat_id=chat_id, title="Кино по пятницам"))
        db.session.commit()


def new_poll(client, **settings) -> dict:
    created = client.post("/api/polls", json={"movies": MOVIES, **settings})
    assert created.status_code == 201, created.get_json()
    return created.get_json()


class Chat:
    """People answering the Telegram poll: poll_answer updates through the webhook, as Telegram posts them."""

    def __init__(self, app, telegram_poll_id: str) -> None:
        self.client, self.secret, self.poll_id, self.next_id = (
            app.test_client(),
            secret_of(app),
            telegram_poll_id,
            1,
        )

    def answer(self, user_id: int, first_name: str, option_ids: list[int]) -> None:
        update = {
            "update_id": self.next_id,
            "poll_answer": {
                "poll_id": self.poll_id,
                "user": {"id": user_id, "is_bot": False, "first_name": first_name},
                "option_ids": option_ids,
            },
        }
        self.next_id += 1
        headers = {"X-Telegram-Bot-Api-Secret-Token": self.secret}
        assert self.client.post("/telegram/webhook", json=update, headers=headers).status_code == 200


def chat_may_speak(app) -> None:
    """The chat's pace (a message every 3 s in a group) is the sender's tests' subject, not these."""
    with app.app_context():
        db.session.execute(sa.update(ChatPace).values(next_at=utcnow()))
        db.session.commit()


def tally(client, poll_id: str) -> tuple[list[int], list[str]]:
    read = client.get(f"/api/polls/{poll_id}").get_json()
    return read["result"]["counts"], sorted(read["voters"])


def test_answers_in_the_telegram_poll_count_with_the_web_ballots_and_the_close_stops_it(bot_app, telegram):
    bind_chat(bot_app)
    client, worker = bot_app.test_client(), worker_for(bot_app)
    poll = new_poll(client, **NATIVE)
    assert telegram.sent("sendPoll") == []  # the request only stored it
    worker.run_turn()
    (sent,) = telegram.sent("sendPoll")
    assert (
        sent["chat_id"] == CHAT and sent["is_anonymous"] is False and sent["allows_multiple_answers"] is True
    )
    assert [option["text"] for option in sent["options"]] == [
        "Сталкер (1979)",
        "Солярис (1972)",
        "Зеркало (1975)",
    ]
    with bot_app.app_context():
        native = db.session.scalars(sa.select(NativePoll)).one()
        telegram_poll_id, message_id = native.telegram_poll_id, native.message_id
    assert telegram_poll_id and message_id

    chat = Chat(bot_app, telegram_poll_id)
    chat.answer(501, "Аня", [0, 2])
    chat.answer(502, "Боря", [1])
    web = bot_app.test_client().put(f"/api/polls/{poll['id']}/ballot", json={"approve": [0], "name": "Вика"})
    assert web.status_code == 200
    worker.run_turn()
    assert tally(client, poll["id"]) == ([2, 1, 1], ["Аня", "Боря", "Вика"])

    chat.answer(501, "Аня", [1])  # changed her mind: the answer replaces her ballot
    chat.answer(502, "Боря", [])  # retracted: his ballot is withdrawn
    worker.run_turn()
    assert tally(client, poll["id"]) == ([1, 1, 0], ["Аня", "Вика"])

    closed = client.post(f"/api/polls/{poll['id']}/close", json={"token": poll["manage_token"]})
    assert closed.status_code == 200
    chat_may_speak(bot_app)
    worker.run_turn()
    worker.run_turn()
    assert telegram.sent("stopPoll") == [{"chat_id": CHAT, "message_id": message_id}]  # once
    chat.answer(503, "Гена", [0])  # a late answer (the stop crossing it) counts for nothing
    worker.run_turn()
    assert tally(client, poll["id"]) == ([1, 1, 0], ["Аня", "Вика"])
    assert len(telegram.sent("sendPoll")) == 1


def test_a_telegram_poll_is_refused_where_it_cannot_keep_the_poll_s_promises(make_app, bot_app):
    client = bot_app.test_client()

    def refused(movies=MOVIES, **settings) -> str:
        answer = client.post("/api/polls", json={"movies": movies, **NATIVE, **settings})
        assert answer.status_code == 400, answer.get_json()
        assert answer.get_json()["error"]["code"] == "telegram_poll_unavailable"
        return answer.get_json()["error"]["message"]

    assert "Подключить чат" in refused()  # no chat bound yet
    bind_chat(bot_app)
    assert "live" in refused(results="after_close")  # Telegram shows the tally while voting
    assert "по местам" in refused(method="ranked")
    many = [{"name": f"Фильм {n}", "year": 2000 + n} for n in range(OPTION_LIMIT + 1)]
    assert str(OPTION_LIMIT) in refused(movies=many)
    new_poll(client, movies=many[:OPTION_LIMIT], **NATIVE)  # the limit itself is fine
    with bot_app.app_context():
        assert (
            db.session.scalar(sa.select(sa.func.count()).select_from(Poll)) == 1
        )  # the refused stored nothing
        assert db.session.scalar(sa.select(sa.func.count()).select_from(OutgoingMessage)) == 1
    no_bot = (
        make_app(TELEGRAM_BOT_TOKEN=None).test_client().post("/api/polls", json={"movies": MOVIES, **NATIVE})
    )
    assert no_bot.status_code == 400 and no_bot.get_json()["error"]["code"] == "telegram_poll_unavailable"


def test_a_poll_closed_before_its_telegram_poll_could_leave_is_never_posted(bot_app, telegram):
    bind_chat(bot_app)
    client = bot_app.test_client()
    poll = new_poll(client, **NATIVE)
    client.post(f"/api/polls/{poll['id']}/close", json={"token": poll["manage_token"]})
    worker_for(bot_app).run_turn()
    assert telegram.sent("sendPoll") == [] and telegram.sent("stopPoll") == []
    with bot_app.app_context():
        row = db.session.scalars(sa.select(OutgoingMessage).where(OutgoingMessage.method == "sendPoll")).one()
        assert (row.state, row.last_error) == ("failed", CANCELLED)


def test_a_passed_deadline_stops_the_telegram_poll_though_nobody_opened_the_site(bot_app, telegram):
    bind_chat(bot_app)
    deadline = utcnow() + timedelta(hours=1)
    poll = new_poll(bot_app.test_client(), deadline=deadline.isoformat(), **NATIVE)
    worker_for(bot_app).run_turn()
    assert len(telegram.sent("sendPoll")) == 1
    with bot_app.app_context():
        assert native_polls.stop_closed(now=deadline + timedelta(seconds=1)) == 1
        assert native_polls.stop_closed(now=deadline + timedelta(seconds=2)) == 0  # once
        stop = db.session.scalars(
            sa.select(OutgoingMessage).where(OutgoingMessage.method == "stopPoll")
        ).one()
        assert (stop.chat_id, stop.state) == (CHAT, "pending")
        assert db.session.get(Poll, poll["id"]).closed_by == "deadline"


def test_a_deleted_poll_s_telegram_poll_is_cancelled_before_it_leaves(bot_app, telegram):
    bind_chat(bot_app)
    client = bot_app.test_client()
    poll = new_poll(client, **NATIVE)
    assert client.delete(f"/api/polls/{poll['id']}").status_code == 204
    worker_for(bot_app).run_turn()
    assert telegram.sent("sendPoll") == []
