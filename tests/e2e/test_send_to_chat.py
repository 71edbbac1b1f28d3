"""«Отправить в чат» in the builder, in real Chromium: shown only while a Telegram chat is connected, and
the lottery it makes is announced there by the bot (through the fake Bot API)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from movie_lottery.core.extensions import db
from movie_lottery.telegram.models import BoundChat
from movie_lottery.telegram.worker import worker_for
from tests.e2e.test_lottery_flow import add_by_hand
from tests.support.fake_telegram import FakeTelegram

pytestmark = pytest.mark.e2e

TOKEN = "123456:SECRET-bot-token_0123456789abcdef"


def test_the_builders_send_to_chat_box_announces_the_lottery_in_the_bound_chat(start_server, page):
    with FakeTelegram(token=TOKEN) as telegram:
        site = start_server(
            TELEGRAM_BOT_TOKEN=TOKEN,
            TELEGRAM_API_URL=telegram.url,
            SITE_URL="https://kino.example",
            TELEGRAM_WORKER_AUTOSTART=False,
        )
        page.goto(site.url + "/")
        expect(page.get_by_test_id("create-lottery")).to_be_visible()
        expect(page.get_by_test_id("send-to-chat")).to_have_count(0)  # no chat connected: nowhere to send

        with site.app.app_context():
            db.session.add(BoundChat(chat_id=-1001, title="Кино по пятницам"))
            db.session.commit()
        page.reload()
        add_by_hand(page, "Сталкер", "1979")
        add_by_hand(page, "Солярис", "1972")
        page.get_by_label("Отправить в чат").check()
        page.get_by_test_id("create-lottery").click()
        page.wait_for_url(re.compile(r"/l/[\w-]+$"))
        lottery_id = page.url.rsplit("/", 1)[1]

        worker_for(site.app).run_turn()
        (card,) = telegram.sent("sendMessage")
        assert card["chat_id"] == -1001 and "«Сталкер» (1979)" in card["text"]
        assert card["reply_markup"]["inline_keyboard"][0][0]["url"] == f"https://kino.example/l/{lottery_id}"
