"""The owner's flow: one «Поделиться» for the right link, «Крутить здесь» on the owner's waiting page, and a
builder that finds the library's movies as the owner types."""

from __future__ import annotations

import json
import re
import urllib.parse
import urllib.request

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import PHONE

pytestmark = pytest.mark.e2e

GUEST = {"X-Forwarded-For": "203.0.113.7"}  # a friend's phone behind the proxy, not the owner's machine
# A phone's share sheet, stubbed: it records what the page asked to share (and shares nothing).
SHARE_SHEET = "window.shared = []; navigator.share = async (data) => { window.shared.push(data); };"
NO_SHARE_SHEET = "delete Navigator.prototype.share; delete navigator.share;"


def create_lottery(base: str) -> dict:
    body = {"movies": [{"name": "Тихая гавань", "year": 2019}, {"name": "Маяк", "year": 2021}]}
    request = urllib.request.Request(
        base + "/api/lotteries", data=json.dumps(body).encode(), method="POST",
        headers={"Content-Type": "application/json"},
    )  # fmt: skip
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def shared_by_telegram(href: str) -> str:
    """The link a t.me/share/url address passes on (a plain link: nothing is loaded from Telegram)."""
    parts = urllib.parse.urlsplit(href)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "t.me", "/share/url")
    return urllib.parse.parse_qs(parts.query)["url"][0]


@pytest.fixture
def phone(browser):
    """The owner's phone (the server's own machine: the owner, with no password set)."""
    context = browser.new_context(locale="ru-RU", viewport=PHONE, has_touch=True, is_mobile=True)
    yield context
    context.close()


def test_share_uses_the_phones_share_sheet_with_the_right_link_and_falls_back_to_telegram_and_copy(
    live_server, phone, browser, screenshot
):
    lottery = create_lottery(live_server.url)
    waiting = f"{live_server.url}/l/{lottery['id']}"

    phone.add_init_script(SHARE_SHEET)
    owner = phone.new_page()
    owner.goto(waiting)
    play = owner.get_by_test_id("share-play")
    expect(play.get_by_role("button", name="Поделиться")).to_be_visible()
    expect(play.get_by_test_id("copy-play-link")).to_be_hidden()  # the sheet has its own «copy»
    expect(play.locator("#telegram-share")).to_be_hidden()
    play.get_by_role("button", name="Поделиться").click()
    owner.get_by_test_id("share-wait").get_by_role("button", name="Поделиться").click()
    owner.wait_for_function("window.shared.length === 2")
    spinner_link, friends_link = owner.evaluate("window.shared")
    assert spinner_link["url"] == lottery["play_url"]  # the spinner gets the play link
    assert friends_link["url"] == lottery["wait_url"]  # friends get the waiting page
    screenshot(owner, "owner-waiting-share-sheet")

    # A browser without a share sheet (a desktop, Chromium on Linux): the copy field and Telegram instead.
    context = browser.new_context(locale="ru-RU", viewport=PHONE)
    context.add_init_script(NO_SHARE_SHEET)
    desk = context.new_page()
    desk.goto(waiting)
    play = desk.get_by_test_id("share-play")
    expect(play.get_by_role("button", name="Поделиться")).to_be_hidden()
    expect(desk.locator("#play-link")).to_have_value(lottery["play_url"])
    telegram = play.locator("#telegram-share")
    expect(telegram).to_be_visible()
    assert shared_by_telegram(telegram.get_attribute("href")) == lottery["play_url"]
    expect(desk.locator("#wait-link")).to_have_value(lottery["wait_url"])
    desk.get_by_test_id("copy-wait-link").click()
    expect(desk.get_by_test_id("copy-wait-link")).to_have_text("Скопировано ✓")
    screenshot(desk, "owner-waiting-fallbacks")
    context.close()


def test_spin_here_is_on_the_owners_waiting_page_and_not_on_a_friends(
    live_server, phone, browser, screenshot
):
    lottery = create_lottery(live_server.url)
    waiting = f"{live_server.url}/l/{lottery['id']}"

    friend_context = browser.new_context(locale="ru-RU", viewport=PHONE, extra_http_headers=GUEST)
    friend = friend_context.new_page()
    friend.goto(waiting)
    expect(friend.get_by_role("heading", name="Ждём розыгрыша…")).to_be_visible()
    expect(friend.get_by_test_id("spin-here")).to_be_hidden()
    assert lottery["play_token"] not in friend.content()  # the play link stays the owner's
    expect(friend.locator("#wait-link")).to_have_value(lottery["wait_url"])  # friends may invite friends
    screenshot(friend, "friend-waiting")

    owner = phone.new_page()
    owner.goto(waiting)
    spin = owner.get_by_role("link", name="Крутить здесь")
    expect(spin).to_be_visible()
    box = spin.bounding_box()
    assert box["y"] + box["height"] <= PHONE["height"] and box["height"] >= 44  # first screen, tappable
    spin.click()
    owner.wait_for_url(lottery["play_url"])  # this very tab, nothing pasted
    expect(owner.get_by_test_id("draw-button")).to_be_visible()
    friend_context.close()


def test_typing_a_library_title_in_the_builder_offers_the_library_movie_with_its_data(
    live_server, page, screenshot, no_dialogs
):
    api = live_server.app.test_client()
    brat = {
        "name": "Брат", "year": 1997, "genres": ["драма", "криминал"], "countries": ["Россия"],
        "rating": 8.3, "poster": "https://example.invalid/brat.jpg",
    }  # fmt: skip
    api.post("/api/library", json=brat)
    api.post("/api/library", json={"name": "Брат 2", "year": 2000, "genres": ["боевик"]})
    api.post("/api/library", json={"name": "Сталкер", "year": 1979, "genres": ["фантастика"]})

    page.set_viewport_size(PHONE)
    page.goto(live_server.url + "/")
    page.get_by_label("Найти в библиотеке").fill("брат")
    name = page.locator(".search-result__name", has_text=re.compile("^Брат$"))
    hit = page.locator(".search-result", has=name)
    expect(hit.locator(".search-result__meta")).to_contain_text("1997")
    expect(hit.locator(".search-result__meta")).to_contain_text("драма, криминал")
    expect(hit.locator(".search-result__meta")).to_contain_text("8.3")
    expect(hit.locator(".search-result__note")).to_have_text("В библиотеке: хочу посмотреть")
    names = page.locator(".search-result__name")
    expect(names).to_have_text(["Брат", "Брат 2"])  # the title typed first, then «Брат 2»; not «Сталкер»
    screenshot(page, "builder-library-suggestions")
    page.get_by_label("Найти в библиотеке").fill("сталкер")
    page.get_by_role("button", name="Добавить «Сталкер»").click()
    # Typed by hand, in capitals: still the library's «Брат», with its data.
    page.get_by_label("Название").fill("БРАТ")
    page.get_by_label("Год").fill("1997")
    page.get_by_test_id("add-movie").click()
    expect(page.locator(".candidate__name")).to_have_text(["Сталкер", "Брат"])
    expect(page.locator(".candidate", has_text="Брат").locator(".candidate__meta")).to_contain_text("драма")
    page.get_by_test_id("create-lottery").click()
    page.wait_for_url(re.compile(r"/l/[\w-]+$"))

    lottery_id = page.url.rsplit("/", 1)[1]
    movies = api.get(f"/api/lotteries/{lottery_id}").get_json()["movies"]
    brat_candidate = next(movie for movie in movies if movie["name"] == "Брат")  # the library's spelling
    assert brat_candidate["year"] == 1997
    assert brat_candidate["genres"] == ["драма", "криминал"]
    assert brat_candidate["rating"] == 8.3 and brat_candidate["countries"] == ["Россия"]
    stalker = next(movie for movie in movies if movie["name"] == "Сталкер")  # picked from the suggestions
    assert (stalker["year"], stalker["genres"]) == (1979, ["фантастика"])
