"""«Подключить чат»: the owner's one-time code, the chat it binds, and the unbinding.

The owner's page makes a code (``new_code``): a random ``startgroup`` parameter of which only the SHA-256
digest is stored, valid for an hour, usable once. The link ``https://t.me/<bot>?startgroup=<code>`` lets the
owner pick a group; Telegram adds the bot and sends ``/start <code>`` there. The background worker then
binds the chat (``bind_with_code``): one conditional UPDATE takes the code (unused, not expired), so two
deliveries or two workers bind once; the greeting is an outbox row in the same transaction. The bot removed
from a chat (``my_chat_member``: left or kicked) unbinds it; so does the owner's «Отключить».

Nothing here calls Telegram: the bot's username, needed for the link, is what the worker learned with getMe
(telegram/profile.py).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from movie_lottery.core.extensions import db
from movie_lottery.core.models import utcnow
from movie_lottery.telegram import outbox
from movie_lottery.telegram.chats import bound_chats
from movie_lottery.telegram.models import BoundChat, ConnectCode
from movie_lottery.telegram.outbox import insert_for

CODE_LIFETIME = timedelta(hours=1)
CONNECT_LINK_SESSION_KEY = "telegram_connect_link"  # the owner's page shows the link once
TITLE_MAX = 255
GREETING = (
    "Готово: этот чат подключён к Кинолотерее. Сюда будут приходить лотереи, голосования и их результаты.\n\n"
    "Команды: /random 5 — голосование из пяти случайных фильмов «хочу посмотреть», "
    "/add <ссылка на Кинопоиск или название> — добавить фильм, /library — открыть библиотеку."
)


def digest_of(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


@dataclass(frozen=True)
class NewCode:
    code: str  # shown once, in the link; never stored
    expires_at: datetime


def new_code(now: datetime | None = None) -> NewCode:
    """A fresh code (32 of A-Z a-z 0-9 _ -, Telegram's alphabet for the parameter); the caller commits.
    Codes that ran out are forgotten here, so the table stays a handful of rows."""
    now = now or utcnow()
    db.session.execute(sa.delete(ConnectCode).where(ConnectCode.expires_at < now - CODE_LIFETIME))
    code = secrets.token_urlsafe(24)
    db.session.add(ConnectCode(digest=digest_of(code), created_at=now, expires_at=now + CODE_LIFETIME))
    return NewCode(code=code, expires_at=now + CODE_LIFETIME)


def connect_link(bot_username: str, code: str) -> str:
    return f"https://t.me/{bot_username}?startgroup={code}"


def bind_with_code(code: str, chat_id: int, title: str, now: datetime | None = None) -> bool:
    """Take the code for this chat and bind it, greeting the chat; False when the code is unknown, used or
    expired (nothing changes). In the caller's transaction."""
    now = now or utcnow()
    if not code or len(code) > 64:
        return False
    taken = db.session.execute(
        sa.update(ConnectCode)
        .where(
            ConnectCode.digest == digest_of(code),
            ConnectCode.used_at.is_(None),
            ConnectCode.expires_at > now,
        )
        .values(used_at=now, chat_id=chat_id)
        .execution_options(synchronize_session=False)
    )
    if taken.rowcount != 1:
        return False
    title = (title or "")[:TITLE_MAX]
    insert = insert_for(db.session.get_bind().dialect.name)
    db.session.execute(
        insert(BoundChat)
        .values(chat_id=chat_id, title=title, bound_at=now)
        .on_conflict_do_update(index_elements=["chat_id"], set_={"title": title})
    )
    outbox.send_message(chat_id, GREETING)
    return True


def unbind(chat_id: int) -> bool:
    """Forget the chat (the caller commits); False when it was not bound."""
    gone = db.session.execute(
        sa.delete(BoundChat).where(BoundChat.chat_id == chat_id).execution_options(synchronize_session=False)
    )
    return gone.rowcount == 1


def panel_facts() -> dict:
    """What the owner's page shows: the bot's username (None until the worker asked getMe) and the chats."""
    from movie_lottery.telegram.profile import bot_username

    return {
        "bot_username": bot_username(),
        "chats": [{"chat_id": c.chat_id, "title": c.title, "bound_at": c.bound_at} for c in bound_chats()],
    }
