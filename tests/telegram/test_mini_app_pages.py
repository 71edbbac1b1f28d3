"""The pages' side of the Mini App: the builder offers «Только через Telegram» only when a bot is set up, and
no page or script loads anything from Telegram's servers."""

from __future__ import annotations

import re
from pathlib import Path

from tests.support.telegram_init_data import TEST_BOT_TOKEN

STATIC = Path(__file__).resolve().parents[2] / "movie_lottery"


def test_the_builder_offers_a_telegram_only_poll_only_when_a_bot_is_set_up(make_app):
    with_bot = make_app(TELEGRAM_BOT_TOKEN=TEST_BOT_TOKEN).test_client().get("/").get_data(as_text=True)
    without = make_app(TELEGRAM_BOT_TOKEN=None).test_client().get("/").get_data(as_text=True)
    assert 'id="poll-telegram-only"' in with_bot and "Только через Telegram" in with_bot
    assert 'id="poll-telegram-only"' not in without


def test_no_template_or_script_loads_telegrams_web_app_script():
    files = [*STATIC.glob("templates/**/*.html"), *STATIC.glob("static/js/**/*.js")]
    assert files
    for path in files:
        text = path.read_text()
        assert not re.search(r"telegram\.org/js|telegram-web-app\.js", text), path
