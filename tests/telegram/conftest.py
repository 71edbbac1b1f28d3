"""A bot configured against the local fake Bot API; the worker driven by hand (``worker.run_turn()``)."""

from __future__ import annotations

import pytest

from movie_lottery.core.config import telegram_webhook_secret
from tests.support.fake_telegram import FakeTelegram

TOKEN = "123456:SECRET-bot-token_0123456789abcdef"
SITE = "https://kino.example"


@pytest.fixture
def telegram():
    with FakeTelegram(token=TOKEN) as fake:
        yield fake


@pytest.fixture
def bot_config(telegram):
    return {
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_URL": telegram.url,
        "SITE_URL": SITE,
        "TELEGRAM_WORKER_AUTOSTART": False,
        "TELEGRAM_CONNECT_TIMEOUT": 0.5,
        "TELEGRAM_READ_TIMEOUT": 0.5,
    }


@pytest.fixture
def bot_app(make_app, bot_config):
    return make_app(**bot_config)


def secret_of(app) -> str:
    return telegram_webhook_secret(app.config)


def start_update(update_id: int, chat_id: int = -1001, text: str = "/start") -> dict:
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": 1765000000,
            "chat": {"id": chat_id, "type": "group", "title": "Кино по пятницам"},
            "from": {"id": 42, "is_bot": False, "first_name": "Аня"},
            "text": text,
        },
    }
