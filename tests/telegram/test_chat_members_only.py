"""A poll «only for the chat's members» (issue 24, item 6): Mini App ballots from accounts the bot has seen in
the connected chat cost no call; an account not seen yet is asked about once (getChatMember, bounded) and a
«yes» remembered; someone outside the chat gets 403; when Telegram cannot answer, a 503 in Russian comes
within about two seconds, and after three failures at once (the breaker)."""

from __future__ import annotations

import time

import pytest
import sqlalchemy as sa

from movie_lottery.core.extensions import db
from movie_lottery.core.models import PollBallot
from movie_lottery.telegram import binding
from movie_lottery.telegram.worker import worker_for
from tests.support.telegram_init_data import signed_init_data, telegram_user, tma_header
from tests.telegram.conftest import TOKEN, secret_of, start_update

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

GROUP = -100777
MOVIES = [{"name": "Сталкер", "year": 1979}, {"name": "Солярис", "year": 1972}]


def _as(user_id: int, name: str = "Аня") -> dict:
    return tma_header(signed_init_data(TOKEN, user=telegram_user(user_id, name)))


def _bind(app) -> None:
    with app.app_context():
        assert binding.bind_with_code(binding.new_code().code, GROUP, "Кино")
        db.session.commit()


def _poll(app, **extra) -> dict:
    body = {"movies": MOVIES, "verification": "telegram", "members_of_chat": True, **extra}
    return app.test_client().post("/api/polls", json=body)


def _vote(app, poll_id: str, user_id: int):
    return app.test_client().put(f"/api/polls/{poll_id}/ballot", json={"approve": [0]}, headers=_as(user_id))


def _ballots(app) -> list[int]:
    with app.app_context():
        return sorted(db.session.scalars(sa.select(PollBallot.telegram_user_id)))


def _member_checks(telegram) -> int:
    return sum(call.method == "getChatMember" for call in telegram.attempts)


@pytest.fixture
def members_poll(bot_app) -> str:
    _bind(bot_app)
    created = _poll(bot_app)
    assert created.status_code == 201, created.get_json()
    return created.get_json()["id"]


def test_members_only_needs_telegram_verification_and_a_connected_chat(bot_app):
    refused = _poll(bot_app)
    assert (refused.status_code, refused.get_json()["error"]["code"]) == (400, "no_bound_chat")
    _bind(bot_app)
    refused = _poll(bot_app, verification="none")
    assert (refused.status_code, refused.get_json()["error"]["code"]) == (400, "members_need_telegram")


def test_someone_the_bot_saw_in_the_chat_votes_without_a_call_and_is_forgotten_when_they_leave(
    bot_app, members_poll, telegram
):
    headers = {"X-Telegram-Bot-Api-Secret-Token": secret_of(bot_app)}
    message = start_update(1, GROUP, "/library")
    message["message"]["from"]["id"] = 501
    bot_app.test_client().post("/telegram/webhook", json=message, headers=headers)
    worker_for(bot_app).run_turn(send=False)
    assert _vote(bot_app, members_poll, 501).status_code == 200
    assert _member_checks(telegram) == 0
    left = {
        "update_id": 2,
        "chat_member": {
            "chat": {"id": GROUP, "type": "supergroup"},
            "from": {"id": 501, "is_bot": False, "first_name": "Аня"},
            "date": 1765000000,
            "old_chat_member": {"status": "member", "user": {"id": 501, "is_bot": False}},
            "new_chat_member": {"status": "left", "user": {"id": 501, "is_bot": False}},
        },
    }
    bot_app.test_client().post("/telegram/webhook", json=left, headers=headers)
    worker_for(bot_app).run_turn(send=False)
    refused = _vote(bot_app, members_poll, 501)  # Telegram, asked now, says «left»
    assert (refused.status_code, refused.get_json()["error"]["code"]) == (403, "not_chat_member")


def test_an_unseen_member_is_asked_about_once_and_an_outsider_is_refused(bot_app, members_poll, telegram):
    telegram.chat_members[(GROUP, 502)] = "member"
    assert _vote(bot_app, members_poll, 502).status_code == 200
    assert _vote(bot_app, members_poll, 502).status_code == 200  # the ballot replaced: known by now
    assert _member_checks(telegram) == 1
    refused = _vote(bot_app, members_poll, 503)
    assert (refused.status_code, refused.get_json()["error"]["code"]) == (403, "not_chat_member")
    assert "участники чата" in refused.get_json()["error"]["message"]
    assert _ballots(bot_app) == [502]


def test_when_telegram_hangs_the_ballot_gets_a_503_in_about_two_seconds_then_at_once(
    bot_app, members_poll, telegram
):
    telegram.mode, telegram.hang_seconds = "hang", 5
    for attempt in range(4):
        started = time.monotonic()
        refused = _vote(bot_app, members_poll, 600 + attempt)
        took = time.monotonic() - started
        assert (refused.status_code, refused.get_json()["error"]["code"]) == (503, "telegram_unavailable")
        assert took < 2.0
    assert took < 0.2  # the breaker opened after three failures: nobody waits on Telegram any more
    assert "Telegram сейчас не отвечает" in refused.get_json()["error"]["message"]
    assert _member_checks(telegram) == 3 and _ballots(bot_app) == []
