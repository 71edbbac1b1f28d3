"""The drill of issue 24's «Done when»: a poll night runs while Telegram is black-holed (every call hangs) and
then answers 429. The pages and the API stay fast, since no request waits on Telegram; and when Telegram
comes back, every message the night stored is sent exactly once, by the real background worker loop."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from datetime import timedelta

import pytest
import sqlalchemy as sa

from movie_lottery.core.extensions import db
from movie_lottery.telegram import outbox
from movie_lottery.telegram.dispatcher import HOW_TO_CONNECT
from movie_lottery.telegram.models import BoundChat, OutgoingMessage
from movie_lottery.telegram.worker import worker_for
from tests.telegram.conftest import secret_of, start_update

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

CHAT = -100555
MOVIES = [
    {"name": "Сталкер", "year": 1979},
    {"name": "Солярис", "year": 1972},
    {"name": "Зеркало", "year": 1975},
]
NIGHT = ["Голосование открыто: выбираем фильм на пятницу", "Осталось полчаса — кто ещё не проголосовал?"]
FAST = 1.0  # every page and API answer while Telegram misbehaves


class Timed:
    """A test client whose every answer is timed: the slowest is what the drill is about."""

    def __init__(self, app) -> None:
        self.app, self.client, self.slowest = app, app.test_client(), (0.0, "")

    def __call__(self, method: str, path: str, *, as_new_visitor: bool = False, **kwargs):
        client = self.app.test_client() if as_new_visitor else self.client
        started = time.perf_counter()
        response = getattr(client, method)(path, **kwargs)
        took = time.perf_counter() - started
        self.slowest = max(self.slowest, (took, f"{method.upper()} {path}"))
        assert response.status_code < 400, (path, response.status_code, response.get_data(as_text=True)[:300])
        return response


def wait_until(condition: Callable[[], bool], seconds: float, what: str) -> None:
    """Polls the condition (the worker runs in its own thread); fails after ``seconds``."""
    deadline, tick = time.monotonic() + seconds, threading.Event()
    while not condition():
        assert time.monotonic() < deadline, f"not within {seconds} s: {what}"
        tick.wait(0.05)


def test_a_poll_night_with_telegram_black_holed_then_429_stays_fast_and_loses_nothing(
    make_app, bot_config, telegram, monkeypatch
):
    monkeypatch.setattr(
        outbox, "GROUP_GAP", timedelta(milliseconds=50)
    )  # the pace is not this drill's subject
    monkeypatch.setattr(outbox, "BACKOFF_SECONDS", (0.2,))
    # A read bound of 1 s: a timed-out call may have been delivered and is sent again (outbox.py), so on a
    # loaded machine a tighter bound could turn a slow «ok» into a duplicate this drill would count.
    drill = {"TELEGRAM_WORKER_AUTOSTART": True, "TELEGRAM_IDLE_SECONDS": 0.2, "TELEGRAM_READ_TIMEOUT": 1.0}
    app = make_app(**{**bot_config, **drill})
    with app.app_context():
        db.session.add(BoundChat(chat_id=CHAT, title="Кино по пятницам"))
        db.session.commit()
    http, worker = Timed(app), worker_for(app)
    webhook = {"X-Telegram-Bot-Api-Secret-Token": secret_of(app)}

    def attempted() -> Callable[[], bool]:
        """From now on, the worker tries to send one of the night's messages."""
        count = len(telegram.attempts)
        return lambda: any(c.method in {"sendPoll", "sendMessage"} for c in telegram.attempts[count:])

    # Black-holed: every call hangs (the client gives up after its 0.5 s bound and backs off).
    telegram.mode = "hang"
    poll = http(
        "post", "/api/polls", json={"movies": MOVIES, "telegram_poll": True, "results": "live"}
    ).get_json()
    with app.app_context():
        for text in NIGHT:  # what the night's posts would store (the cards are another branch's)
            outbox.send_message(CHAT, text)
        db.session.commit()
    hung = attempted()
    worker.wake()
    for name in ("Вика", "Гоша", "Даша"):
        ballot = {"approve": [0, 2], "name": name}
        http("put", f"/api/polls/{poll['id']}/ballot", json=ballot, as_new_visitor=True)
        http("get", f"/p/{poll['id']}")
        http("get", f"/api/polls/{poll['id']}")
    http("post", "/telegram/webhook", json=start_update(1, chat_id=CHAT), headers=webhook)
    http("get", "/status")
    wait_until(hung, 10, "the worker tried to send while Telegram hung")
    http("get", f"/p/{poll['id']}")

    # Then Telegram answers 429 (retry_after 1 s): the chat is held, the rows wait, the pages don't.
    telegram.mode = "429"
    refused = attempted()
    wait_until(refused, 10, "the worker met a 429")
    http("get", f"/api/polls/{poll['id']}")
    http("get", f"/p/{poll['id']}")
    assert http.slowest[0] < FAST, http.slowest

    # Back: everything stored goes out, once.
    telegram.mode = "ok"
    worker.wake()

    def states() -> Counter:
        with app.app_context():
            try:
                return Counter(db.session.scalars(sa.select(OutgoingMessage.state)))
            finally:
                db.session.remove()

    wait_until(lambda: states() == Counter(sent=4), 10, "every stored message sent")
    http("post", f"/api/polls/{poll['id']}/close", json={"token": poll["manage_token"]}, as_new_visitor=True)
    worker.wake()
    wait_until(lambda: telegram.sent("stopPoll"), 5, "the Telegram poll stopped")
    worker.stop()
    texts = Counter(payload["text"] for payload in telegram.sent("sendMessage"))
    assert texts == Counter([*NIGHT, HOW_TO_CONNECT])  # each exactly once
    assert len(telegram.sent("sendPoll")) == 1 and len(telegram.sent("stopPoll")) == 1
    assert http.slowest[0] < FAST, http.slowest
