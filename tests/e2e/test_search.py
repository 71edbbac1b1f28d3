"""Kinopoisk search in the builder: type, pick, and the movie joins the candidate list."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.conftest import kinopoisk_settings

pytestmark = pytest.mark.e2e


@pytest.fixture
def search_server(start_server, fake_kinopoisk):
    return start_server(**kinopoisk_settings(fake_kinopoisk))


def test_type_a_title_pick_a_result_and_it_lands_in_the_list(search_server, page, screenshot, no_dialogs):
    page.goto(search_server.url + "/")
    page.get_by_label("Найти в библиотеке или на Кинопоиске").fill("тихая гавань")
    results = page.locator(".search-result")
    expect(results).to_have_count(3)
    expect(results.first).to_contain_text("Тихая гавань")
    expect(results.first).to_contain_text("2019")
    screenshot(page, "builder-search")
    page.get_by_role("button", name="Добавить «Тихая гавань 2»").click()
    expect(page.locator(".candidate__name")).to_have_text(["Тихая гавань 2"])
    # Picking it again is refused with a message, not a second copy.
    page.get_by_role("button", name="Добавить «Тихая гавань 2»").click()
    expect(page.locator(".toast--error")).to_contain_text("уже есть в списке")
    expect(page.locator(".candidate")).to_have_count(1)


def test_keyboard_reaches_the_results(search_server, page):
    page.goto(search_server.url + "/")
    box = page.get_by_label("Найти в библиотеке или на Кинопоиске")
    box.fill("гавань")
    expect(page.locator(".search-result")).to_have_count(3)
    box.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    expect(page.locator(".candidate__name")).to_have_text(["Тихая гавань 2"])


def test_a_pasted_kinopoisk_link_adds_the_movie_at_once(search_server, page):
    page.goto(search_server.url + "/")
    page.get_by_label("Найти в библиотеке или на Кинопоиске").fill(
        "https://www.kinopoisk.ru/film/1000001/?from=share"
    )
    expect(page.locator(".candidate__name")).to_have_text(["Тихая гавань"])
    expect(page.get_by_label("Найти в библиотеке или на Кинопоиске")).to_have_value("")


def test_nothing_found_and_quota_errors_are_explained(search_server, page, fake_kinopoisk, screenshot):
    page.goto(search_server.url + "/")
    box = page.get_by_label("Найти в библиотеке или на Кинопоиске")
    box.fill("несуществующий фильм")
    expect(page.locator(".search__status")).to_contain_text("Ничего не нашлось")
    fake_kinopoisk.mode = "403"
    box.fill("другой запрос")
    expect(page.locator(".search__status")).to_contain_text("лимит Кинопоиска исчерпан")
    screenshot(page, "builder-search-quota")
