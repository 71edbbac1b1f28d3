"""The whole night of issue 24's «Done when», in real Chromium against the fake Bot API: the owner's code
binds the group through the real ``/start <code>`` update; a poll made with «Отправить в чат» is announced
there with the Mini App's direct link; three Telegram users vote inside Telegram (signed init data in the
fragment, no name typed) and one friend on the web under a typed name; the owner closes it; the result,
naming the winner, is posted to the chat. The worker is driven by hand (``deliver``), so nothing sleeps."""

from __future__ import annotations

import json
import re
import urllib.request
from urllib.parse import quote

import pytest
from playwright.sync_api import expect

from movie_lottery.core.extensions import db
from movie_lottery.telegram import binding
from movie_lottery.telegram.models import BoundChat
from tests.e2e.test_mini_app import mini_app_url, new_poll, telegram_phone
from tests.e2e.test_poll_flow import Voter, card, enter_name
from tests.support.fake_telegram import FakeTelegram
from tests.support.telegram_init_data import TEST_BOT_TOKEN, signed_init_data, telegram_user
from tests.telegram.conftest import secret_of
from tests.telegram.test_posts import deliver

pytestmark = pytest.mark.e2e

GROUP = -100555
SITE = "https://kino.example"


def post_update(site, update: dict) -> None:
    """What Telegram does: POST the update to the webhook with the secret the site registered."""
    request = urllib.request.Request(
        site.url + "/telegram/webhook",
        data=json.dumps(update, ensure_ascii=False).encode(),
        headers={"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": secret_of(site.app)},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200


def start_in_group(update_id: int, text: str) -> dict:
    return {
        "update_id": update_id,
        "message": {
            "message_id": 1,
            "date": 1765000000,
            "chat": {"id": GROUP, "type": "supergroup", "title": "Кино по пятницам"},
            "from": {"id": 700, "is_bot": False, "first_name": "Хозяин"},
            "text": text,
        },
    }


def opened_by_telegram(site, direct_link: str, init_data: str) -> str:
    """The address Telegram opens for a direct Mini App link: the Mini App's URL (/telegram/app) with the
    link's start parameter in the query and the signed init data in the fragment."""
    start = re.fullmatch(r"https://t\.me/kino_bot/kino\?startapp=([\w-]+)", direct_link).group(1)
    fragment = mini_app_url("", "", init_data).split("#", 1)[1]
    return f"{site.url}/telegram/app?tgWebAppStartParam={quote(start)}#{fragment}"


def test_a_poll_night_in_the_chat_bound_announced_voted_in_telegram_and_on_the_web_closed_and_posted(
    start_server, browser, page
):
    with FakeTelegram(token=TEST_BOT_TOKEN) as telegram:
        site = start_server(
            TELEGRAM_BOT_TOKEN=TEST_BOT_TOKEN,
            TELEGRAM_API_URL=telegram.url,
            TELEGRAM_MINI_APP="kino",
            SITE_URL=SITE,
            TELEGRAM_WORKER_AUTOSTART=False,
            ADMIN_PASSWORD="pw",
            API_TOKEN="bot",
        )
        deliver(site.app)  # the worker learns the bot's name (getMe): the direct links need it

        # The owner's «Подключить чат» code; Telegram adds the bot to the group and sends /start <code>.
        with site.app.app_context():
            code = binding.new_code().code
            db.session.commit()
        post_update(site, start_in_group(1, f"/start@kino_bot {code}"))
        deliver(site.app)
        with site.app.app_context():
            assert [c.chat_id for c in db.session.query(BoundChat)] == [GROUP]
        assert telegram.sent("sendMessage")[-1]["text"].startswith("Готово: этот чат подключён")

        # The poll, sent to the chat: a card with the candidates and a button that opens it inside Telegram.
        poll = new_poll(site, send_to_chat=True, verification="none")
        deliver(site.app)
        announced = telegram.sent("sendMessage")[-1]
        assert announced["chat_id"] == GROUP and "«Тихая гавань» (2019)" in announced["text"]
        (button,) = announced["reply_markup"]["inline_keyboard"][0]
        assert button == {"text": "Голосовать", "url": f"https://t.me/kino_bot/kino?startapp=p-{poll['id']}"}

        # Three Telegram users press it: the page knows them by their signed init data, no name to type.
        ballots = {
            (801, "Аня"): ("да", "нет", "да"),
            (802, "Боря"): ("нет", "нет", "да"),
            (803, "Вера"): ("да", "да", "да"),
        }
        for (user_id, name), answers in ballots.items():
            phone = telegram_phone(browser)
            init_data = signed_init_data(TEST_BOT_TOKEN, user=telegram_user(user_id, name))
            phone.goto(opened_by_telegram(site, button["url"], init_data))
            expect(phone).to_have_url(re.compile(rf"/p/{poll['id']}#tgWebAppData="))
            expect(phone.locator("#voting-as")).to_have_text(f"Вы — {name}")
            expect(phone.locator("#name-panel")).to_be_hidden()
            for movie, answer in zip(("Тихая гавань", "Гавань", "Маяк на краю света"), answers, strict=True):
                card(phone, movie).get_by_role("button", name=f"«{movie}» — {answer}").click()
            phone.get_by_test_id("submit-ballot").click()
            expect(phone.locator("#ballot-saved")).to_be_visible()
            phone.context.close()

        # One friend without Telegram votes on the web, under a typed name.
        page.goto(f"{site.url}/p/{poll['id']}")
        enter_name(page, "Дима")
        for movie, answer in (("Тихая гавань", "нет"), ("Гавань", "да"), ("Маяк на краю света", "да")):
            card(page, movie).get_by_role("button", name=f"«{movie}» — {answer}").click()
        page.get_by_test_id("submit-ballot").click()
        expect(page.locator("#ballot-saved")).to_be_visible()
        assert sorted(Voter(site.url).call("GET", f"/api/polls/{poll['id']}")[1]["voters"]) == [
            "Аня",
            "Боря",
            "Вера",
            "Дима",
        ]

        # The owner closes it on the manage page; «Маяк на краю света» has all four «да».
        page.goto(f"{site.url}/p/{poll['id']}/manage/{poll['manage_token']}")
        page.get_by_test_id("close-poll").click()
        page.get_by_role("dialog").get_by_role("button", name="Закрыть и подсчитать").click()
        expect(page.locator("#result-winner").get_by_test_id("winner-name")).to_have_text(
            "Маяк на краю света"
        )

        deliver(site.app)
        result = telegram.sent("sendMessage")[-1]
        assert result["chat_id"] == GROUP
        assert result["text"] == "🗳 Голосование закрыто. Победил «Маяк на краю света»!"
        assert result["reply_markup"]["inline_keyboard"][0][0]["text"] == "Итоги"
        assert len(telegram.sent("sendMessage")) == 3  # greeting, card, result: each once
