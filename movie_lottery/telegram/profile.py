"""What the bot is (getMe: its username, for «Подключить чат»'s link) and the commands it offers
(setMyCommands, with Russian descriptions), both done by the background worker, never inside a request.

Kept in telegram_state "me" with a fingerprint of the token and of the command list: a new token (another
bot) or a changed list asks again; otherwise once. A failed attempt is tried again after a few minutes.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from movie_lottery.core.config import telegram_configured
from movie_lottery.core.models import utcnow
from movie_lottery.integrations.telegram import TelegramClient, TelegramError
from movie_lottery.telegram import bot_state

STATE = "me"
RETRY_AFTER = timedelta(minutes=5)
COMMANDS = [
    {"command": "random", "description": "Голосование из N случайных фильмов «хочу посмотреть»"},
    {"command": "add", "description": "Добавить фильм: ссылка на Кинопоиск или название"},
    {"command": "library", "description": "Открыть библиотеку фильмов"},
    {"command": "help", "description": "Что умеет бот"},
]


def _fingerprint(config: Mapping[str, Any]) -> str:
    return bot_state.fingerprint(
        str(config.get("TELEGRAM_BOT_TOKEN") or "") + json.dumps(COMMANDS, ensure_ascii=False)
    )


def due(config: Mapping[str, Any]) -> bool:
    if not telegram_configured(config):
        return False
    row = bot_state.read(STATE)
    if row is None:
        return True
    value = row.value or {}
    if value.get("for") != _fingerprint(config):
        return True
    return not (value.get("username") and value.get("commands")) and utcnow() - row.at >= RETRY_AFTER


def learn(client: TelegramClient, config: Mapping[str, Any]) -> dict:
    """getMe and setMyCommands; what was learned is kept (a failure too, with its reason)."""
    value: dict[str, Any] = {"for": _fingerprint(config), "username": None, "commands": False, "error": None}
    try:
        me = client.get_me() or {}
        value["username"] = me.get("username") if isinstance(me, dict) else None
        client.set_my_commands(COMMANDS)
        value["commands"] = True
    except TelegramError as exc:
        value["error"] = exc.reason
    bot_state.keep(STATE, value)
    return value


def bot_username() -> str | None:
    """The bot's @username as getMe gave it; None until the worker has asked."""
    row = bot_state.read(STATE)
    return (row.value or {}).get("username") if row is not None else None
