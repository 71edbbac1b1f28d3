"""The group's commands in a bound chat: ``/random N``, ``/add <Kinopoisk link or title>``, ``/library``.

They act only in a chat the owner connected (telegram/binding.py); elsewhere they answer how to connect.
Run by the background worker inside the transaction that marks the update handled (telegram/updates.py);
replies are outbox rows. Links are built from SITE_URL (no request here to build them from).

``/random`` creates the poll with polls.create_poll, which commits (a fresh random id, retried on the rare
collision); the update's «handled» mark commits with it, so the poll and the mark exist together.
``/add`` never waits on Kinopoisk: a link takes the movie from the search cache when someone searched it
recently, else it is kept under a placeholder title with its Kinopoisk id (the library page's «Найти на
Кинопоиске» refreshes it by that id).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from movie_lottery.core.errors import DomainError
from movie_lottery.core.extensions import db
from movie_lottery.core.kept_movies import find_same_movie
from movie_lottery.core.models import LibraryMovie
from movie_lottery.core.validation import load_movie
from movie_lottery.integrations.kinopoisk import parse_kinopoisk_ref
from movie_lottery.library import picks
from movie_lottery.library.filters import (
    RANDOM_DEFAULT,
    RANDOM_DEFAULT_STATUSES,
    RANDOM_MAX,
    RANDOM_MIN,
    LibraryFilter,
    pick_random,
    utc_today,
)
from movie_lottery.library.movies import apply_details
from movie_lottery.polls import service as polls
from movie_lottery.search.service import cached_movie
from movie_lottery.telegram import binding, outbox
from movie_lottery.telegram.chats import is_bound

NOT_BOUND = (
    "Этот чат не подключён к Кинолотерее, поэтому команды здесь не работают. Подключить его может владелец "
    "сайта кнопкой «Подключить чат» на своей странице."
)
NO_SITE = "Адрес сайта не задан (SITE_URL), поэтому ссылку дать не могу."
TITLE_MAX = 200


def _site(context: dict) -> str | None:
    site = context.get("site_url")
    return str(site).rstrip("/") if site else None


def _link_button(text: str, url: str) -> dict[str, Any]:
    return {"reply_markup": {"inline_keyboard": [[{"text": text, "url": url}]]}}


def _only_in_bound_chats(handler: Callable[[int, str, dict], None]) -> Callable[[int, str, dict], None]:
    def guarded(chat_id: int, argument: str, context: dict) -> None:
        if not is_bound(chat_id):
            outbox.send_message(chat_id, NOT_BOUND)
            return
        handler(chat_id, argument, context)

    return guarded


def _random(chat_id: int, argument: str, context: dict) -> None:
    word = argument.split()[0] if argument.split() else ""
    n = int(word) if word.isdigit() and len(word) <= 3 else (RANDOM_DEFAULT if not word else None)
    if n is None or not RANDOM_MIN <= n <= RANDOM_MAX:
        outbox.send_message(
            chat_id, f"Сколько фильмов предложить? Число от {RANDOM_MIN} до {RANDOM_MAX}: /random 5"
        )
        return
    today = utc_today()
    chosen = pick_random(LibraryFilter(statuses=RANDOM_DEFAULT_STATUSES), n, today)
    if len(chosen) < RANDOM_MIN:
        outbox.send_message(
            chat_id,
            "В «хочу посмотреть» меньше двух фильмов — голосовать не из чего. "
            "Добавьте фильмы: /add <название>",
        )
        return
    candidates = [
        {key: value for key, value in pick.candidate.items() if key != "library_id"}
        for pick in picks.picked([movie.id for movie in chosen], today)
    ]
    created = polls.create_poll(candidates)
    names = "\n".join(f"• {c['name']}" + (f" ({c['year']})" if c.get("year") else "") for c in candidates)
    short = f" (нашлось только {len(candidates)})" if len(candidates) < n else ""
    text = f"Голосование: что смотрим?{short}\n\n{names}"
    site = _site(context)
    if site is None:
        outbox.send_message(chat_id, f"{text}\n\n{NO_SITE}")
        return
    outbox.send_message(chat_id, text, **_link_button("Голосовать", f"{site}/p/{created.poll.id}"))


def _add(chat_id: int, argument: str, context: dict) -> None:
    text = " ".join(argument.split())
    if not text:
        outbox.send_message(chat_id, "Что добавить? Ссылка на Кинопоиск или название: /add Брат 2")
        return
    kinopoisk_id = parse_kinopoisk_ref(text)
    if kinopoisk_id is not None:
        raw = cached_movie(kinopoisk_id) or {"name": f"Кинопоиск № {kinopoisk_id}"}
        raw = {**raw, "kinopoisk_id": kinopoisk_id}
    else:
        raw = {"name": text[:TITLE_MAX]}
    try:
        data = load_movie(raw)
    except DomainError as exc:
        outbox.send_message(chat_id, f"Не добавил: {exc.message}")
        return
    same = find_same_movie(data["kinopoisk_id"], data["name"], data["year"])
    if same is not None:
        outbox.send_message(chat_id, f"«{same.name}» уже есть в библиотеке.")
        return
    movie = LibraryMovie(name=data["name"], genres=[], countries=[], details={})
    db.session.add(movie)
    apply_details(movie, data)
    db.session.flush()
    words = f"Добавил в «хочу посмотреть»: «{movie.name}»" + (f" ({movie.year})" if movie.year else "") + "."
    site = _site(context)
    extra = _link_button("Библиотека", f"{site}/library") if site else {}
    outbox.send_message(chat_id, words, **extra)


def _library(chat_id: int, argument: str, context: dict) -> None:
    site = _site(context)
    if site is None:
        outbox.send_message(chat_id, NO_SITE)
        return
    outbox.send_message(
        chat_id,
        "Библиотека: что хотим посмотреть, что смотрели и как оценили.",
        **_link_button("Открыть", f"{site}/library"),
    )


BOUND_CHAT_COMMANDS: dict[str, Callable[[int, str, dict], None]] = {
    "random": _only_in_bound_chats(_random),
    "add": _only_in_bound_chats(_add),
    "library": _only_in_bound_chats(_library),
}

GONE = ("left", "kicked")


def bot_membership_changed(change: dict) -> None:
    """``my_chat_member``: the bot removed from a chat (left, kicked) unbinds it; nothing is sent there."""
    chat, new = change.get("chat"), change.get("new_chat_member")
    if not isinstance(chat, dict) or not isinstance(chat.get("id"), int) or not isinstance(new, dict):
        return
    if new.get("status") in GONE:
        binding.unbind(chat["id"])
