"""The whole lottery in a real browser: build by hand, share, spin in one context, watch in another."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import ON_POSTGRESQL

pytestmark = [pytest.mark.e2e, ON_POSTGRESQL]

FROM_ELSEWHERE = {"X-Forwarded-For": "203.0.113.7"}
MOVIES = [
    ("Тихая гавань", "2019", "https://posters.invalid/1.jpg"),
    ("Гавань", "2008", ""),
    ("Маяк на краю света", "", ""),
]


def add_by_hand(page, name: str, year: str = "", poster: str = "") -> None:
    page.get_by_label("Название").fill(name)
    page.get_by_label("Год").fill(year)
    page.get_by_label("Ссылка на постер").fill(poster)
    page.get_by_test_id("add-movie").click()


def test_build_share_spin_and_everyone_sees_the_same_winner(
    live_server, browser, screenshot, no_dialogs, page
):
    page.goto(live_server.url + "/")
    expect(page.get_by_test_id("create-lottery")).to_be_disabled()
    screenshot(page, "builder-empty")
    for name, year, poster in MOVIES:
        add_by_hand(page, name, year, poster)
    expect(page.locator(".candidate")).to_have_count(3)

    # The draft survives a reload.
    page.reload()
    expect(page.locator(".candidate")).to_have_count(3)
    screenshot(page, "builder-filled")

    page.get_by_test_id("create-lottery").click()
    page.wait_for_url(re.compile(r"/l/[\w-]+$"))
    wait_url = page.url
    expect(page.get_by_test_id("copy-play-link")).to_be_visible()
    play_url = page.locator("#play-link").input_value()
    assert "/play/" in play_url
    expect(page.locator("#telegram-share")).to_have_attribute(
        "href", re.compile(r"^https://t\.me/share/url\?url=")
    )
    screenshot(page, "waiting")

    # Someone else, on another machine, holds only the waiting link (on the owner's own machine every browser
    # is the admin; the header is what a proxy in front adds for a visitor).
    watcher = browser.new_context(locale="ru-RU", extra_http_headers=FROM_ELSEWHERE).new_page()
    watcher.goto(wait_url)
    expect(watcher.get_by_role("heading", name="Ждём розыгрыша…")).to_be_visible()
    expect(watcher.locator("#share-panel")).to_be_hidden()  # the play link is not shown to everyone

    # The friend with the play link spins.
    player = browser.new_context(locale="ru-RU").new_page()
    player.goto(play_url)
    screenshot(player, "play")
    player.get_by_test_id("draw-button").click()
    winner = player.locator("#winner-slot").get_by_test_id("winner-name")
    expect(winner).to_be_visible(timeout=15_000)
    winner_name = winner.text_content()
    assert winner_name in {m[0] for m in MOVIES}
    has_poster = bool(next(poster for name, _year, poster in MOVIES if name == winner_name))
    # The revealed card draws a poster (a title card, as this one cannot load) only when the winner has one:
    # otherwise it would repeat the heading beside it.
    expect(player.locator("#winner-slot .poster")).to_have_count(1 if has_poster else 0)
    screenshot(player, "play-finished")

    # The watcher sees the same winner appear without reloading.
    expect(watcher.locator("#winner-slot").get_by_test_id("winner-name")).to_have_text(
        winner_name, timeout=10_000
    )

    # Opening the play link again shows the result; it never spins again.
    player.goto(play_url)
    expect(player.get_by_test_id("draw-button")).to_have_count(0)
    expect(player.get_by_test_id("winner-name")).to_have_text(winner_name)

    # The result page checks the draw in the browser.
    page.goto(wait_url)
    expect(page.locator("#verdict")).to_have_attribute("data-state", "ok")
    expect(page.locator("#verdict")).to_have_text("✓ Честно: проверено в этом браузере")
    screenshot(page, "result")

    page.goto(live_server.url + "/history")
    expect(page.locator(".history__item")).to_have_count(1)
    expect(page.locator(".history__title")).to_have_text(winner_name)
    screenshot(page, "history")


def test_duplicate_and_invalid_movies_are_refused_with_a_message(live_server, page):
    page.goto(live_server.url + "/")
    add_by_hand(page, "Гавань", "2008")
    add_by_hand(page, "  гавань ", "2008")
    expect(page.locator("#movie-form-error")).to_contain_text("уже есть в списке")
    add_by_hand(page, "Фильм", "1700")
    expect(page.locator("#movie-form-error")).to_contain_text("Год")
    add_by_hand(page, "Фильм", "", "javascript:alert(1)")
    expect(page.locator("#movie-form-error")).to_contain_text("http")
    expect(page.locator(".candidate")).to_have_count(1)


def test_broken_posters_become_title_cards(live_server, page):
    page.goto(live_server.url + "/")
    add_by_hand(page, "Без постера", "2001", "https://posters.invalid/missing.jpg")
    poster = page.locator(".candidate .poster").first
    expect(poster).to_have_class(re.compile(r"is-broken"))
    expect(poster.locator(".poster__title")).to_have_text("Без постера")


def test_history_is_empty_state_with_a_call_to_action(live_server, page, screenshot):
    page.goto(live_server.url + "/history")
    expect(page.get_by_text("Пока ни одной лотереи.")).to_be_visible()
    expect(page.get_by_role("link", name="Собрать первую")).to_be_visible()
    screenshot(page, "history-empty")


def test_unknown_lottery_is_a_friendly_page(live_server, page, screenshot):
    page.goto(live_server.url + "/l/nope1234")
    expect(page.get_by_role("heading", name="Страница не найдена")).to_be_visible()
    screenshot(page, "not-found")
