"""What the bot posts of a night sent to the chat («Отправить в чат»): its card, its result, the winner's
download progress (one message, edited), and a 1–10 keyboard for ratings after «Посмотрели».

The domain announces what happened through core.events (it may not import this package: telegram sits
above lottery, polls, library and downloads); the listeners here run inside the domain's transaction and
only add rows: outbox messages and the night's NightPost. Each later step is taken once per chat by a
conditional UPDATE of its NightPost column. No bound chat or no bot token: nothing is stored.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app, has_app_context

from movie_lottery.core import events
from movie_lottery.core.config import telegram_configured
from movie_lottery.core.extensions import db
from movie_lottery.core.kept_movies import find_same_movie
from movie_lottery.core.models import (
    RATING_MAX,
    RATING_MIN,
    Download,
    Lottery,
    LotteryMovie,
    Poll,
    PollMovie,
    utcnow,
)
from movie_lottery.telegram import outbox, profile
from movie_lottery.telegram.chats import bound_chat_ids
from movie_lottery.telegram.models import NightPost, OutgoingMessage

PROGRESS_STEPS = 10  # the progress message moves in tenths
PROGRESS_GAP = timedelta(seconds=60)  # and at most once a minute: well within a group's 20 a minute
PROGRESS_HORIZON = timedelta(days=14)  # nights older than this are not followed any more
RATING_PREFIX = "rate"  # callback data: "rate:<l|p>:<night id>:<score>", at most 30 bytes
KIND_LETTER = {"lottery": "l", "poll": "p"}
LETTER_KIND = {letter: kind for kind, letter in KIND_LETTER.items()}
NBSP = "\u00a0"


# ---- words and links ----------------------------------------------------------------------------------


def night_url(kind: str, night_id: str) -> str:
    """The night's page (the waiting page of a lottery, a poll's page) for a URL button, which works in groups
    (a web_app button does not). With TELEGRAM_MINI_APP and the bot's name known, the Mini App's direct link:
    the page opens inside Telegram, its voters verified (web/pages/telegram.py's /telegram/app forwards)."""
    app_name, bot = current_app.config.get("TELEGRAM_MINI_APP"), profile.bot_username()
    if app_name and bot:
        return f"https://t.me/{bot}/{app_name}?startapp={start_param(kind, night_id)}"
    site = (current_app.config.get("SITE_URL") or "").rstrip("/")
    return f"{site}/l/{night_id}" if kind == "lottery" else f"{site}/p/{night_id}"


def start_param(kind: str, night_id: str) -> str:
    """``l-<id>`` or ``p-<id>``: Telegram's startapp allows A-Z a-z 0-9 _ -, and so do the nights' ids."""
    return f"{'l' if kind == 'lottery' else 'p'}-{night_id}"


def page_for_start_param(value: str) -> tuple[str, str] | None:
    """("lottery"|"poll", id) named by a start parameter, or None for anything else."""
    kind, _, night_id = value.partition("-")
    if kind not in ("l", "p") or not re.fullmatch(r"[A-Za-z0-9_-]{1,16}", night_id):
        return None
    return ("lottery" if kind == "l" else "poll"), night_id


def movie_line(name: str, year: int | None) -> str:
    return f"«{name}» ({year})" if year else f"«{name}»"


def url_button(text: str, url: str) -> dict:
    return {"inline_keyboard": [[{"text": text, "url": url}]]}


def rating_data(kind: str, night_id: str, score: int) -> str:
    return f"{RATING_PREFIX}:{KIND_LETTER[kind]}:{night_id}:{score}"


def parse_rating_data(data: object) -> tuple[str, str, int] | None:
    """("poll", "abc", 7) from "rate:p:abc:7"; None for anything else."""
    if not isinstance(data, str) or len(data.encode()) > 64:
        return None
    parts = data.split(":")
    if len(parts) != 4 or parts[0] != RATING_PREFIX or parts[1] not in LETTER_KIND or not parts[3].isdigit():
        return None
    return LETTER_KIND[parts[1]], parts[2], int(parts[3])


def rating_keyboard(kind: str, night_id: str) -> dict:
    scores = list(range(RATING_MIN, RATING_MAX + 1))
    half = math.ceil(len(scores) / 2)
    rows = [scores[:half], scores[half:]]
    return {
        "inline_keyboard": [
            [{"text": str(score), "callback_data": rating_data(kind, night_id, score)} for score in row]
            for row in rows
        ]
    }


def progress_text(title: str, fraction: float) -> str:
    percent = max(0, min(99, round(fraction * 100)))  # 100 % is «Скачано», said once
    filled = percent // 10
    bar = "▓" * filled + "░" * (10 - filled)
    return f"Скачивается {title}\n{bar} {percent}{NBSP}%"


# ---- who is told ---------------------------------------------------------------------------------------


def _posting() -> bool:
    return has_app_context() and telegram_configured(current_app.config)


def _wake_after_commit() -> None:
    """The worker sends at once after the commit (before it the row is invisible to it)."""
    from movie_lottery.telegram.worker import worker_for

    app = current_app._get_current_object()
    sa.event.listen(db.session(), "after_commit", lambda _session: worker_for(app).wake(), once=True)


def _take(post_id: int, *conditions: Any, **values: Any) -> bool:
    """Mark one step of a post as done, once across workers: True when this call took it."""
    taken = db.session.execute(
        sa.update(NightPost)
        .where(NightPost.id == post_id, *conditions)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return taken.rowcount == 1


def _posts(kind: str, night_id: str) -> list[NightPost]:
    return list(
        db.session.scalars(sa.select(NightPost).where(NightPost.kind == kind, NightPost.night_id == night_id))
    )


# ---- the listeners --------------------------------------------------------------------------------------


def on_night_created(
    kind: str, night_id: str, movies: Sequence[Mapping[str, Any]], send_to_chat: bool = False
) -> None:
    if not send_to_chat or not _posting():
        return
    chats = bound_chat_ids()
    if not chats:
        return
    lines = "\n".join(f"• {movie_line(m['name'], m.get('year'))}" for m in movies)
    if kind == "lottery":
        text = f"🎬 Лотерея на вечер! Кандидаты:\n{lines}\n\nБарабан покажет победителя всем сразу."
        button = url_button("Смотреть барабан", night_url(kind, night_id))
    else:
        text = f"🗳 Голосуем за фильм на вечер! Кандидаты:\n{lines}"
        button = url_button("Голосовать", night_url(kind, night_id))
    for chat_id in chats:
        outbox.send_message(chat_id, text, reply_markup=button)
        db.session.add(NightPost(kind=kind, night_id=night_id, chat_id=chat_id, created_at=utcnow()))
    _wake_after_commit()


def _winner(model: Any, night_id: str, position: int | None) -> Any:
    """The night's candidate at ``position`` (LotteryMovie or PollMovie)."""
    if position is None:
        return None
    night = model.lottery_id if model is LotteryMovie else model.poll_id
    return db.session.scalar(sa.select(model).where(night == night_id, model.position == position))


def on_lottery_drawn(lottery_id: str, winner_position: int) -> None:
    if not _posting():
        return
    winner = _winner(LotteryMovie, lottery_id, winner_position)
    if winner is None:
        return
    text = f"🎉 Барабан выбрал {movie_line(winner.name, winner.year)}!\nЧестно и проверяемо — ссылка ниже."
    button = url_button("Как проверить", night_url("lottery", lottery_id))
    _post_result("lottery", lottery_id, text, button)


def on_poll_result(poll_id: str, result: Mapping[str, Any]) -> None:
    if not _posting():
        return
    winner = _winner(PollMovie, poll_id, result.get("winner"))
    tied = result.get("tied") or []
    if winner is None:
        text = "Голосование закрыто, но победителя нет: ни один фильм не прошёл."
    elif len(tied) > 1:
        text = (
            f"🗳 Голосование закрыто: ничья между {len(tied)} фильмами. "
            f"Барабан выбрал {movie_line(winner.name, winner.year)}!"
        )
    else:
        text = f"🗳 Голосование закрыто. Победил {movie_line(winner.name, winner.year)}!"
    label = "Барабан ничьей" if winner is not None and len(tied) > 1 else "Итоги"
    _post_result("poll", poll_id, text, url_button(label, night_url("poll", poll_id)))


def _post_result(kind: str, night_id: str, text: str, button: dict) -> None:
    _post_once(_posts(kind, night_id), "result_at", text, button)


def _post_once(posts: Sequence[NightPost], step: str, text: str, reply_markup: dict) -> None:
    """Post ``text`` in each chat whose ``step`` column is still empty, taking the column first (once
    across workers)."""
    posted = False
    for post in posts:
        if _take(post.id, getattr(NightPost, step).is_(None), **{step: utcnow()}):
            outbox.send_message(post.chat_id, text, reply_markup=reply_markup)
            posted = True
    if posted:
        _wake_after_commit()


def on_night_watched(kind: str, night_id: str) -> None:
    if not _posting():
        return
    posts = _posts(kind, night_id)
    if not posts:
        return
    winner = _night_winner(kind, night_id)
    title = movie_line(winner.name, winner.year) if winner is not None else "фильм"
    text = f"🍿 Посмотрели {title}. Как вам? Оценка от {RATING_MIN} до {RATING_MAX}:"
    _post_once(posts, "keyboard_at", text, rating_keyboard(kind, night_id))


def _night_winner(kind: str, night_id: str) -> Any:
    night = db.session.get(Lottery if kind == "lottery" else Poll, night_id)
    if night is None:
        return None
    return _winner(LotteryMovie if kind == "lottery" else PollMovie, night_id, night.winner_position)


def on_torrents_listed(progress: Mapping[str, float]) -> None:
    """The winners' downloads of nights sent to the chat: one message per chat, edited as it moves (a step
    of a tenth, at most once a minute, one edit waiting at a time), and «готово» at the end."""
    if not _posting() or not progress:
        return
    now = utcnow()
    followed = db.session.scalars(
        sa.select(NightPost).where(
            NightPost.result_at.is_not(None),
            NightPost.done_at.is_(None),
            NightPost.created_at >= now - PROGRESS_HORIZON,
        )
    ).all()
    posted = False
    for post in followed:
        winner = _night_winner(post.kind, post.night_id)
        if winner is None:
            continue
        movie = find_same_movie(winner.kinopoisk_id, winner.name, winner.year)
        download = None
        if movie is not None:
            download = db.session.scalar(
                sa.select(Download).where(Download.movie_id == movie.id, Download.kind == "download")
            )
        if download is None or not download.info_hash or download.info_hash not in progress:
            continue
        posted |= _announce(post, movie_line(winner.name, winner.year), progress[download.info_hash], now)
    if posted:
        _wake_after_commit()


def _announce(post: NightPost, title: str, fraction: float, now: datetime) -> bool:
    if fraction >= 1.0:
        if not _take(post.id, NightPost.done_at.is_(None), done_at=now):
            return False
        if post.progress_id is not None:
            _edit_progress(post, f"Скачано: {title}\n{'▓' * 10} 100{NBSP}%")
        outbox.send_message(post.chat_id, f"✅ Готово: {title} скачан — можно смотреть!")
        return True
    step = int(fraction * PROGRESS_STEPS)
    if not _take(
        post.id,
        NightPost.progress_step < step,
        sa.or_(NightPost.progress_at.is_(None), NightPost.progress_at <= now - PROGRESS_GAP),
        progress_step=step,
        progress_at=now,
    ):
        return False
    text = progress_text(title, fraction)
    if post.progress_id is None:
        row = outbox.send_message(post.chat_id, text)
        db.session.flush()
        _take(post.id, progress_id=row.id)
    else:
        _edit_progress(post, text)
    return True


def _edit_progress(post: NightPost, text: str) -> None:
    """Coalesced: an edit still waiting for its turn gets the newer words instead of a second edit (a
    conditional UPDATE: an edit the worker claimed meanwhile is left alone, and a new one follows it)."""
    waiting = db.session.scalar(
        sa.select(OutgoingMessage.id).where(
            OutgoingMessage.edits_id == post.progress_id, OutgoingMessage.state == "pending"
        )
    )
    if waiting is not None:
        rewritten = db.session.execute(
            sa.update(OutgoingMessage)
            .where(OutgoingMessage.id == waiting, OutgoingMessage.state == "pending")
            .values(payload={"text": text})
            .execution_options(synchronize_session=False)
        )
        if rewritten.rowcount == 1:
            return
    original = db.session.get(OutgoingMessage, post.progress_id)
    if original is not None:
        outbox.edit_message(original, text)


def listen() -> None:
    """Connect the listeners (idempotent; called when the app is made)."""
    events.listen(events.NIGHT_CREATED, on_night_created)
    events.listen(events.LOTTERY_DRAWN, on_lottery_drawn)
    events.listen(events.POLL_RESULT, on_poll_result)
    events.listen(events.NIGHT_WATCHED, on_night_watched)
    events.listen(events.TORRENTS_LISTED, on_torrents_listed)
