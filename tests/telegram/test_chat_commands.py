"""The group's commands in a bound chat: /random N makes a poll from «хочу посмотреть» and posts its link,
/add keeps a Kinopoisk link (with its id) or a title in the library without asking Kinopoisk, /library links
the library. In a chat nobody connected they only say how to connect."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from movie_lottery.core.extensions import db
from movie_lottery.core.models import LibraryMovie, Poll
from movie_lottery.library.movies import add_movie
from movie_lottery.telegram import binding, commands
from movie_lottery.telegram.worker import worker_for
from tests.telegram.conftest import SITE, secret_of, start_update

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

HEADER = "X-Telegram-Bot-Api-Secret-Token"
GROUP = -100777


@pytest.fixture
def group_app(bot_app):
    with bot_app.app_context():
        assert binding.bind_with_code(binding.new_code().code, GROUP, "Кино")
        for name, year in [("Брат", 1997), ("Сталкер", 1979), ("Жмурки", 2005), ("Солярис", 1972)]:
            add_movie({"name": name, "year": year})
        watched = add_movie({"name": "Игла", "year": 1988}).movie
        db.session.get(LibraryMovie, watched.id).status = "watched"
        db.session.commit()
    worker_for(bot_app).run_turn()  # the greeting goes first
    return bot_app


def _say(app, text: str, chat_id: int = GROUP, update_id: int = 1) -> None:
    """The command as Telegram delivers it, acted on and answered by one worker turn."""
    app.test_client().post(
        "/telegram/webhook", json=start_update(update_id, chat_id, text), headers={HEADER: secret_of(app)}
    )
    with (
        app.app_context()
    ):  # Telegram's pace of a group (a message every 3 s) is not what these tests are about
        db.session.execute(sa.text("DELETE FROM telegram_chat_pace"))
        db.session.commit()
    worker_for(app).run_turn()


def _replies(telegram, chat_id: int = GROUP) -> list[dict]:
    return [
        m for m in telegram.sent("sendMessage") if m["chat_id"] == chat_id and m["text"] != binding.GREETING
    ]


def test_random_n_makes_a_poll_of_n_wanted_movies_and_posts_its_link(group_app, telegram):
    _say(group_app, "/random@kino_bot 3", update_id=1)
    _say(group_app, "/random 5", update_id=2)  # only four are wanted: all four
    with group_app.app_context():
        polls = db.session.scalars(sa.select(Poll).order_by(Poll.created_at)).all()
        names = [{movie.name for movie in poll.movies} for poll in polls]
        first = polls[0].id
    assert len(names[0]) == 3 and names[1] == {"Брат", "Сталкер", "Жмурки", "Солярис"}  # not watched «Игла»
    cards = _replies(telegram)
    assert all(name in cards[0]["text"] for name in names[0]) and "нашлось только 4" in cards[1]["text"]
    button = {"text": "Голосовать", "url": f"{SITE}/p/{first}"}
    assert cards[0]["reply_markup"] == {"inline_keyboard": [[button]]}


def test_random_asks_for_a_sensible_number(group_app, telegram):
    _say(group_app, "/random сто")
    with group_app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Poll)) == 0
    assert "Число от 2 до 25" in _replies(telegram)[0]["text"]


def test_add_keeps_a_kinopoisk_link_by_its_id_and_a_title_as_typed(group_app, telegram):
    _say(group_app, "/add https://www.kinopoisk.ru/film/41519/", update_id=1)
    _say(group_app, "/add Кин-дза-дза!", update_id=2)
    _say(group_app, "/add кин-дза-дза!", update_id=3)  # already there
    with group_app.app_context():
        kept = {m.name: m.kinopoisk_id for m in db.session.scalars(sa.select(LibraryMovie))}
    assert kept["Кинопоиск № 41519"] == 41519 and kept["Кин-дза-дза!"] is None
    assert len(kept) == 7  # five before, two added
    texts = [m["text"] for m in _replies(telegram)]
    assert texts[1] == "Добавил в «хочу посмотреть»: «Кин-дза-дза!»."
    assert texts[2] == "«Кин-дза-дза!» уже есть в библиотеке."


def test_library_links_the_library(group_app, telegram):
    _say(group_app, "/library")
    (reply,) = _replies(telegram)
    assert reply["reply_markup"]["inline_keyboard"][0][0]["url"] == f"{SITE}/library"


def test_commands_in_a_chat_nobody_connected_only_say_how_to_connect(group_app, telegram):
    _say(group_app, "/random 3", chat_id=-100999)
    _say(group_app, "/add Брат 2", chat_id=-100999, update_id=2)
    with group_app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Poll)) == 0
        assert db.session.scalar(sa.select(sa.func.count()).select_from(LibraryMovie)) == 5
    assert [m["text"] for m in _replies(telegram, -100999)] == [commands.NOT_BOUND] * 2
