"""The poll page as a Telegram Mini App, in real Chromium at 390 px: opened with signed init data in the URL
fragment it votes without a name, under the Telegram name, in Telegram's colours with Telegram's back button;
forged init data are refused in words; no script or request ever goes to Telegram's servers."""

from __future__ import annotations

import json
import urllib.request
from urllib.parse import quote

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import PHONE
from tests.e2e.test_poll_flow import MOVIES, Voter, card
from tests.support.telegram_init_data import TEST_BOT_TOKEN, signed_init_data, telegram_user

pytestmark = pytest.mark.e2e

THEME = {"bg_color": "#17212b", "secondary_bg_color": "#232e3c", "text_color": "#f5f5f5",
         "hint_color": "#708499", "button_color": "#5288c1", "button_text_color": "#ffffff"}  # fmt: skip
# What a Telegram client provides to the page: it records what the page asks of it.
TELEGRAM_CLIENT = (
    "window.__events = [];"
    "window.TelegramWebviewProxy = { postEvent: (type, data) => window.__events.push([type, data]) };"
)


LIGHT_THEME = {"bg_color": "#ffffff", "secondary_bg_color": "#efeff3", "text_color": "#000000",
               "hint_color": "#707579", "button_color": "#3390ec",
               "button_text_color": "#ffffff"}  # fmt: skip


def mini_app_url(base: str, poll_id: str, init_data: str, theme: dict = THEME) -> str:
    fragment = (
        f"tgWebAppData={quote(init_data, safe='')}&tgWebAppVersion=7.10&tgWebAppPlatform=android"
        f"&tgWebAppThemeParams={quote(json.dumps(theme), safe='')}"
    )
    return f"{base}/p/{poll_id}#{fragment}"


def telegram_phone(browser):
    """A phone inside Telegram: the webview's proxy in place, every request off loopback recorded."""
    context = browser.new_context(locale="ru-RU", timezone_id="Europe/Moscow", viewport=PHONE, has_touch=True)
    context.add_init_script(TELEGRAM_CLIENT)
    page = context.new_page()
    page.outside = []
    page.on(
        "request",
        lambda r: (
            None if r.url.startswith("http://127.0.0.1") else page.outside.append((r.resource_type, r.url))
        ),
    )
    return page


@pytest.fixture
def site(start_server):
    """As deployed: a password, so a phone is a guest (not the owner the open local mode would make it)."""
    return start_server(TELEGRAM_BOT_TOKEN=TEST_BOT_TOKEN, ADMIN_PASSWORD="pw", API_TOKEN="bot")


def new_poll(site, **settings) -> dict:
    """Created by the owner's script (the bearer token)."""
    request = urllib.request.Request(
        site.url + "/api/polls",
        data=json.dumps({"movies": MOVIES, **settings}).encode(),
        headers={"Content-Type": "application/json", "Authorization": "Bearer bot"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def test_inside_telegram_the_poll_page_votes_without_a_name_under_the_telegram_name(
    site, browser, screenshot
):
    poll = new_poll(site, verification="telegram")
    anna = telegram_phone(browser)
    init_data = signed_init_data(TEST_BOT_TOKEN, user=telegram_user(501, "Аня", "Петрова", "anya_p"))
    anna.goto(mini_app_url(site.url, poll["id"], init_data))

    expect(anna.locator("#ballot-panel")).to_be_visible()
    expect(anna.locator("#name-panel")).to_be_hidden()
    expect(anna.locator("#voting-as")).to_have_text("Вы — Аня Петрова")
    expect(anna.locator("#poll-facts")).to_contain_text("Голосуют только через Telegram")
    # Telegram's colours and back button, through the client's own proxy.
    assert (
        anna.evaluate("getComputedStyle(document.documentElement).getPropertyValue('--bg').trim()")
        == "#17212b"
    )
    events = [name for name, _ in anna.evaluate("window.__events")]
    assert "web_app_setup_back_button" in events and "web_app_ready" in events
    screenshot(anna, "mini-app-poll")

    card(anna, "Тихая гавань").get_by_role("button", name="«Тихая гавань» — да").click()
    card(anna, "Гавань").get_by_role("button", name="«Гавань» — нет").click()
    card(anna, "Маяк на краю света").get_by_role("button", name="«Маяк на краю света» — да").click()
    anna.get_by_test_id("submit-ballot").click()
    expect(anna.locator("#ballot-saved")).to_be_visible()
    expect(anna.locator("#voting-as")).to_have_text("Вы — Аня Петрова")
    screenshot(anna, "mini-app-poll-voted")

    _, read = Voter(site.url).call("GET", f"/api/polls/{poll['id']}")
    assert read["voters"] == ["Аня Петрова"]
    # Opened again (another phone of hers): her ballot, not a second one.
    again = telegram_phone(browser)
    again.goto(mini_app_url(site.url, poll["id"], init_data))
    expect(again.locator("#ballot-saved")).to_be_visible()
    # No script from anywhere but the site, nothing at all to Telegram (the only other requests: the test
    # movies' posters, at an address that never resolves).
    for kind, url in anna.outside + again.outside:
        assert kind == "image" and "telegram" not in url and "t.me" not in url, url


def test_forged_init_data_and_a_telegram_only_poll_outside_telegram_are_told_in_words(site, browser, page):
    poll = new_poll(site, verification="telegram")
    forger = telegram_phone(browser)
    forged = signed_init_data("987654:someone-elses-bot", user=telegram_user(777, "Мэллори"))
    forger.goto(mini_app_url(site.url, poll["id"], forged))
    expect(forger.locator("#telegram-problem")).to_be_visible()
    expect(forger.locator("#telegram-problem")).to_contain_text("Не получилось проверить")
    expect(forger.locator("#ballot-panel")).to_be_hidden()

    page.goto(f"{site.url}/p/{poll['id']}")  # the plain link, in a browser
    expect(page.locator("#telegram-problem")).to_contain_text("только через Telegram")
    expect(page.locator("#name-panel")).to_be_hidden()
    assert Voter(site.url).call("GET", f"/api/polls/{poll['id']}")[1]["voters"] == []


def test_outside_telegram_the_poll_page_asks_for_a_name_as_before(site, page):
    poll = new_poll(site)
    page.goto(f"{site.url}/p/{poll['id']}")
    expect(page.locator("#name-panel")).to_be_visible()
    assert page.evaluate("document.documentElement.classList.contains('in-telegram')") is False
    assert page.evaluate("typeof window.Telegram") == "undefined"


def test_in_telegrams_light_theme_the_panels_are_light_with_dark_text(site, browser, screenshot):
    poll = new_poll(site)
    boris = telegram_phone(browser)
    init_data = signed_init_data(TEST_BOT_TOKEN, user=telegram_user(502, "Боря"))
    boris.goto(mini_app_url(site.url, poll["id"], init_data, LIGHT_THEME))
    expect(boris.locator("#voting-as")).to_have_text("Вы — Боря")
    panel = boris.locator("#ballot-panel")
    assert panel.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(239, 239, 243)"
    assert panel.evaluate("e => getComputedStyle(e).color") == "rgb(0, 0, 0)"
    screenshot(boris, "mini-app-poll-light")


def test_the_lottery_waiting_page_inside_telegram_reads_the_lottery_with_the_init_data(site, browser):
    request = urllib.request.Request(
        site.url + "/api/lotteries",
        data=json.dumps({"movies": MOVIES}).encode(),
        headers={"Content-Type": "application/json", "Authorization": "Bearer bot"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        lottery = json.loads(response.read())
    vera = telegram_phone(browser)
    refused = []
    vera.on("response", lambda r: refused.append(r.url) if r.status == 401 else None)
    init_data = signed_init_data(TEST_BOT_TOKEN, user=telegram_user(503, "Вера"))
    fragment = (
        f"tgWebAppData={quote(init_data, safe='')}&tgWebAppThemeParams={quote(json.dumps(THEME), safe='')}"
    )
    vera.goto(f"{site.url}/l/{lottery['id']}#{fragment}")
    expect(vera.locator("h1")).to_be_visible()
    vera.wait_for_load_state("networkidle")
    assert vera.evaluate("document.documentElement.classList.contains('in-telegram')") is True
    assert refused == []
