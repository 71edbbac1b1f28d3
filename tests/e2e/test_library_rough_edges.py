"""The library's rough edges a newcomer hit (issue 14), each where a person would notice it."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.conftest import kinopoisk_settings
from tests.e2e.conftest import PHONE

pytestmark = pytest.mark.e2e

SHELF = [
    {"name": "Сталкер", "year": 1979},
    {"name": "Андрей Рублёв", "year": 1966},
    {"name": "Зеркало", "year": 1975},
    {"name": "Солярис", "year": 1972},
    {"name": "Ностальгия", "year": 1983},
    {"name": "Жертвоприношение", "year": 1986},
]
# A bound, many times what a change of page takes here, for "nothing happened" to mean something.


def stock(server, movies=SHELF) -> None:
    api = server.app.test_client()
    for movie in movies:
        assert api.post("/api/library", json=movie).status_code == 201


def test_a_movie_picked_in_the_search_is_announced_on_the_page_that_shows_it(
    start_server, fake_kinopoisk, page, screenshot, no_dialogs
):
    """It used to say so in a toast and reload at once: the message died with the old page, unread."""
    server = start_server(**kinopoisk_settings(fake_kinopoisk))
    stock(server, SHELF[:1])
    page.goto(server.url + "/library")
    page.get_by_label("Найти на Кинопоиске").fill("тихая гавань")
    page.get_by_role("button", name="Добавить «Тихая гавань»", exact=True).click()
    added = page.locator(".library-card", has=page.get_by_role("heading", name="Тихая гавань", exact=True))
    expect(added).to_be_visible()
    expect(page).to_have_url(re.compile(r"/library#movie-\d+$"))  # the new page, at the new card
    expect(page.locator(".toast")).to_have_text("«Тихая гавань» добавлен в библиотеку")
    expect(added).to_be_in_viewport()
    screenshot(page, "library-search-added")


def test_choosing_a_sort_order_reorders_the_list_in_place(live_server, page, no_dialogs):
    """A change of context on input (WCAG 3.2.2) is what the select must not cause: the list below is
    updated in place, the page and the focus stay, and the address follows."""
    stock(live_server)
    page.goto(live_server.url + "/library")
    page.evaluate("window.stillTheSamePage = true")
    page.get_by_label("Порядок").focus()
    page.get_by_label("Порядок").select_option("title")
    expect(page).to_have_url(re.compile(r"[?&]sort=title"))
    expect(page.locator(".library-card__title")).to_have_text(sorted(movie["name"] for movie in SHELF))
    assert page.evaluate("window.stillTheSamePage") is True
    expect(page.get_by_label("Порядок")).to_be_focused()
    expect(page.get_by_label("Порядок")).to_have_value("title")


def test_on_a_phone_the_add_form_is_one_tap_from_the_top(live_server, page, screenshot, no_dialogs):
    """At 390 px the form sits below every card; the top of the page leads to it."""
    stock(live_server)
    page.set_viewport_size(PHONE)
    page.goto(live_server.url + "/library")
    form_heading = page.get_by_role("heading", name="Добавить вручную")
    expect(form_heading).not_to_be_in_viewport()
    jump = page.get_by_role("link", name="+ Добавить фильм")
    expect(jump).to_be_in_viewport()
    screenshot(page, "library-phone-top")
    jump.click()
    expect(form_heading).to_be_in_viewport()
    expect(page.get_by_label("Название")).to_be_in_viewport()
