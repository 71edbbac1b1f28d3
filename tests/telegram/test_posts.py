"""The bot posts a night sent to the chat: its card, its result, the winner's download as one message
edited as it moves and «готово», and a 1–10 keyboard after «Посмотрели» whose presses are ratings. Each post
is stored once (in the transaction of what it announces) and sent once by the worker; nothing without a
bound chat or without «Отправить в чат»."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from movie_lottery.core.extensions import db
from movie_lottery.core.models import Download, LibraryMovie, Rating, utcnow
from movie_lottery.downloads.status import _announce_progress
from movie_lottery.telegram.models import BoundChat, ChatPace, NightPost, OutgoingMessage
from movie_lottery.telegram.worker import worker_for
from tests.support.telegram_init_data import signed_init_data, telegram_user, tma_header
from tests.telegram.conftest import SITE, TOKEN, secret_of

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

CHAT = -1001
MOVIES = [{"name": "Сталкер", "year": 1979}, {"name": "Солярис", "year": 1972}]
HASH = "a" * 40


@pytest.fixture
def chat(bot_app):
    with bot_app.app_context():
        db.session.add(BoundChat(chat_id=CHAT, title="Кино по пятницам"))
        db.session.commit()
    return CHAT


def deliver(app) -> None:
    """Run the worker (stored updates, then the outbox) as if every chat's pace and back-off were over, with
    no sleeps, until nothing waits."""
    worker = worker_for(app)
    for _ in range(10):
        with app.app_context():
            db.session.execute(sa.delete(ChatPace))
            db.session.execute(
                sa.update(OutgoingMessage)
                .where(OutgoingMessage.state == "pending")
                .values(next_attempt_at=utcnow() - timedelta(seconds=1))
            )
            db.session.commit()
        worker.run_turn()
        with app.app_context():
            waiting = db.session.scalar(
                sa.select(sa.func.count()).where(OutgoingMessage.state.in_(("pending", "sending")))
            )
        if not waiting:
            return
    raise AssertionError("the outbox did not drain")


def outbox_rows(app) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(OutgoingMessage))


def new_lottery(client, **settings) -> dict:
    made = client.post("/api/lotteries", json={"movies": MOVIES, **settings})
    assert made.status_code == 201, made.get_json()
    return made.get_json()


def drawn_lottery(client) -> dict:
    lottery = new_lottery(client, send_to_chat=True)
    drawn = client.post(f"/api/lotteries/{lottery['id']}/draw", json={"token": lottery["play_token"]})
    assert drawn.status_code == 200, drawn.get_json()
    return {**lottery, **drawn.get_json()}


def test_a_lottery_sent_to_the_chat_gets_one_card_with_its_candidates_and_a_button(bot_app, chat, telegram):
    client = bot_app.test_client()
    lottery = new_lottery(client, send_to_chat=True)
    deliver(bot_app)
    deliver(bot_app)
    (card,) = telegram.sent("sendMessage")
    assert card["chat_id"] == CHAT
    assert "«Сталкер» (1979)" in card["text"] and "«Солярис» (1972)" in card["text"]
    (button,) = card["reply_markup"]["inline_keyboard"][0]
    assert button["url"] == f"{SITE}/l/{lottery['id']}"


def test_with_a_mini_app_the_card_opens_the_poll_inside_telegram(make_app, bot_config, telegram):
    app = make_app(**bot_config, TELEGRAM_MINI_APP="kino")
    with app.app_context():
        db.session.add(BoundChat(chat_id=CHAT, title="Кино по пятницам"))
        db.session.commit()
    client = app.test_client()
    deliver(app)  # the worker asks getMe: the bot's name makes the direct link
    poll = client.post("/api/polls", json={"movies": MOVIES, "send_to_chat": True}).get_json()
    deliver(app)
    (card,) = telegram.sent("sendMessage")
    (button,) = card["reply_markup"]["inline_keyboard"][0]
    assert button["url"] == f"https://t.me/kino_bot/kino?startapp=p-{poll['id']}"
    # Telegram opens the Mini App's address with the start parameter; the poll's own page follows.
    opened = client.get(f"/telegram/app?tgWebAppStartParam=p-{poll['id']}&tgWebAppVersion=8.0")
    assert (opened.status_code, opened.headers["Location"]) == (302, f"/p/{poll['id']}")
    for junk in ("", "x-1", "p-", "p-../../admin", "l-" + "a" * 40):
        opened = client.get(f"/telegram/app?tgWebAppStartParam={junk}")
        assert (opened.status_code, opened.headers["Location"]) == (302, "/"), junk


def test_nothing_is_stored_without_send_to_chat_or_without_a_bound_chat(bot_app, telegram):
    client = bot_app.test_client()
    new_lottery(client, send_to_chat=True)  # no chat bound yet
    with bot_app.app_context():
        db.session.add(BoundChat(chat_id=CHAT, title="Кино"))
        db.session.commit()
    new_lottery(client)  # bound, but not asked for
    lottery = new_lottery(client)
    client.post(f"/api/lotteries/{lottery['id']}/draw", json={"token": lottery["play_token"]})
    assert outbox_rows(bot_app) == 0


def test_without_a_bot_token_a_bound_chat_gets_nothing_stored(make_app):
    app = make_app()  # a chat restored from a backup, the token not set (yet)
    with app.app_context():
        db.session.add(BoundChat(chat_id=CHAT, title="Кино"))
        db.session.commit()
    lottery = new_lottery(app.test_client(), send_to_chat=True)
    app.test_client().post(f"/api/lotteries/{lottery['id']}/draw", json={"token": lottery["play_token"]})
    assert outbox_rows(app) == 0


def test_send_to_chat_is_validated_like_the_other_fields(bot_app, chat):
    refused = bot_app.test_client().post("/api/lotteries", json={"movies": MOVIES, "send_to_chat": "да"})
    assert refused.status_code == 400
    assert "Отправить в чат" in refused.get_json()["error"]["message"]


def test_the_draw_is_posted_once_with_the_winner_and_the_link_to_the_check(bot_app, chat, telegram):
    client = bot_app.test_client()
    lottery = drawn_lottery(client)
    again = client.post(f"/api/lotteries/{lottery['id']}/draw", json={"token": lottery["play_token"]})
    assert again.status_code == 200
    deliver(bot_app)
    _card, result = telegram.sent("sendMessage")
    winner = again.get_json()["winner"]
    assert f"Барабан выбрал «{winner['name']}» ({winner['year']})" in result["text"]
    (button,) = result["reply_markup"]["inline_keyboard"][0]
    assert button == {"text": "Как проверить", "url": f"{SITE}/l/{lottery['id']}"}


def test_a_closed_poll_with_a_tie_posts_the_reels_winner_and_the_tie_reel_link(bot_app, chat, telegram):
    client = bot_app.test_client()
    made = client.post("/api/polls", json={"movies": MOVIES, "send_to_chat": True})
    assert made.status_code == 201, made.get_json()
    poll = made.get_json()
    for name, choice in (("Аня", 0), ("Боря", 1)):
        voter = bot_app.test_client()
        cast = voter.put(f"/api/polls/{poll['id']}/ballot", json={"approve": [choice], "name": name})
        assert cast.status_code == 200, cast.get_json()
    close = {"token": poll["manage_token"]}
    assert client.post(f"/api/polls/{poll['id']}/close", json=close).status_code == 200
    client.post(f"/api/polls/{poll['id']}/close", json=close)
    deliver(bot_app)
    card, result = telegram.sent("sendMessage")
    assert "Голосуем" in card["text"]
    assert card["reply_markup"]["inline_keyboard"][0][0]["url"] == f"{SITE}/p/{poll['id']}"
    assert "ничья между 2 фильмами" in result["text"] and "Барабан выбрал" in result["text"]
    assert result["reply_markup"]["inline_keyboard"][0][0] == {
        "text": "Барабан ничьей",
        "url": f"{SITE}/p/{poll['id']}",
    }


def _winner_downloading(app, client) -> str:
    lottery = drawn_lottery(client)
    winner = lottery["winner"]
    with app.app_context():
        movie = LibraryMovie(name=winner["name"], year=winner["year"])
        db.session.add(movie)
        db.session.flush()
        db.session.add(Download(movie_id=movie.id, kind="download", status="sent", info_hash=HASH, magnet=""))
        db.session.commit()
    return lottery["id"]


def listed(app, progress: float, minutes_later: int = 0) -> None:
    """The torrent refresher read qBittorrent's list; ``minutes_later``: the last post is that much older."""
    with app.app_context():
        if minutes_later:
            db.session.execute(
                sa.update(NightPost)
                .where(NightPost.progress_at.is_not(None))
                .values(progress_at=utcnow() - timedelta(minutes=minutes_later))
            )
            db.session.commit()
        _announce_progress([SimpleNamespace(info_hash=HASH, progress=progress)])


def test_the_winners_download_is_one_message_edited_as_it_moves_then_done(bot_app, chat, telegram):
    _winner_downloading(bot_app, bot_app.test_client())
    deliver(bot_app)
    telegram.reset()
    listed(bot_app, 0.12)
    deliver(bot_app)
    (progress,) = telegram.sent("sendMessage")
    assert "Скачивается" in progress["text"] and "12\u00a0%" in progress["text"]
    listed(bot_app, 0.35)  # a minute has not passed: nothing new
    listed(bot_app, 0.36, minutes_later=2)
    listed(bot_app, 0.58, minutes_later=2)  # the edit for 36 % still waits: it gets the newer words
    with bot_app.app_context():
        edits = db.session.scalar(
            sa.select(sa.func.count()).where(OutgoingMessage.method == "editMessageText")
        )
    assert edits == 1
    deliver(bot_app)
    (edit,) = telegram.sent("editMessageText")
    assert "58\u00a0%" in edit["text"]
    assert len(telegram.sent("sendMessage")) == 1  # edited, not sent again
    listed(bot_app, 0.52, minutes_later=2)  # the same tenth (a torrent re-checked): nothing to say
    assert outbox_rows(bot_app) == 4  # the card, the result, the progress message, its one edit: no more
    listed(bot_app, 1.0)
    listed(bot_app, 1.0)
    deliver(bot_app)
    assert "100\u00a0%" in telegram.sent("editMessageText")[-1]["text"]
    done = telegram.sent("sendMessage")[-1]
    assert done["text"].startswith("✅ Готово:")
    assert len(telegram.sent("sendMessage")) == 2 and len(telegram.sent("editMessageText")) == 2


def press(app, client, update_id: int, data: str, user_id: int = 501) -> None:
    update = {
        "update_id": update_id,
        "callback_query": {
            "id": f"q{update_id}",
            "from": {"id": user_id, "is_bot": False, "first_name": "Аня", "last_name": "Петрова"},
            "chat_instance": "1",
            "data": data,
        },
    }
    headers = {"X-Telegram-Bot-Api-Secret-Token": secret_of(app)}
    assert client.post("/telegram/webhook", json=update, headers=headers).status_code == 200


def test_after_watched_a_1_to_10_keyboard_whose_press_is_the_users_one_rating(bot_app, chat, telegram):
    client = bot_app.test_client()
    lottery = drawn_lottery(client)
    assert client.post(f"/api/lotteries/{lottery['id']}/watched", json={}).status_code == 200
    client.post(f"/api/lotteries/{lottery['id']}/watched", json={})  # again: no second keyboard
    deliver(bot_app)
    keyboard = telegram.sent("sendMessage")[-1]
    assert len(telegram.sent("sendMessage")) == 3 and "Оценка от 1 до 10" in keyboard["text"]
    buttons = [b for row in keyboard["reply_markup"]["inline_keyboard"] for b in row]
    assert [b["text"] for b in buttons] == [str(n) for n in range(1, 11)]
    assert all(len(b["callback_data"].encode()) <= 64 for b in buttons)
    seven, nine = buttons[6]["callback_data"], buttons[8]["callback_data"]
    press(bot_app, client, 9001, seven)
    press(bot_app, client, 9001, seven)  # Telegram redelivers
    press(bot_app, client, 9002, nine)  # the same account changes its mind
    deliver(bot_app)
    with bot_app.app_context():
        ratings = db.session.execute(sa.select(Rating.telegram_user_id, Rating.name, Rating.score)).all()
    assert ratings == [(501, "Аня Петрова", 9)]
    answers = telegram.sent("answerCallbackQuery")
    assert [a["callback_query_id"] for a in answers] == ["q9001", "q9002"]
    assert "Ваша оценка — 9" in answers[-1]["text"]


def test_a_press_before_watched_or_on_a_strange_button_is_answered_in_plain_words(bot_app, chat, telegram):
    client = bot_app.test_client()
    lottery = drawn_lottery(client)
    press(bot_app, client, 9101, f"rate:l:{lottery['id']}:7")
    press(bot_app, client, 9102, "something-else")
    deliver(bot_app)
    early, strange = telegram.sent("answerCallbackQuery")
    assert "ещё не" in early["text"].lower() or "посмотрели" in early["text"].lower()
    assert strange["text"] == "Эта кнопка больше ничего не делает."
    with bot_app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Rating)) == 0


def test_a_voter_rating_from_the_keyboard_rates_under_their_ballots_name(bot_app, chat, telegram):
    client = bot_app.test_client()
    poll = client.post("/api/polls", json={"movies": MOVIES, "send_to_chat": True}).get_json()
    anna = tma_header(signed_init_data(TOKEN, user=telegram_user(501, "Аня")))
    boris = tma_header(signed_init_data(TOKEN, user=telegram_user(502, "Аня")))  # the same name: «Аня (2)»
    for headers in (anna, boris):
        cast = bot_app.test_client().put(
            f"/api/polls/{poll['id']}/ballot", json={"approve": [0]}, headers=headers
        )
        assert cast.status_code == 200, cast.get_json()
    client.post(f"/api/polls/{poll['id']}/close", json={"token": poll["manage_token"]})
    assert client.post(f"/api/polls/{poll['id']}/watched", json={}).status_code == 200
    press(bot_app, client, 9201, f"rate:p:{poll['id']}:8", user_id=502)
    deliver(bot_app)
    with bot_app.app_context():
        ratings = db.session.execute(sa.select(Rating.telegram_user_id, Rating.name, Rating.score)).all()
    assert ratings == [(502, "Аня (2)", 8)]
