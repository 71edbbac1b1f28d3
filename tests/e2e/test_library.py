"""The library in a real browser: empty state, adding by hand, a magnet, a download whose badge moves."""

from __future__ import annotations

import re
import secrets
import time

import pytest
from playwright.sync_api import expect

from movie_lottery.downloads import status as torrent_status
from tests.conftest import require
from tests.library.test_library_api import TIHAYA
from tests.support.fakes.qbittorrent_fakes import refused_port
from tests.support.fakes.qbittorrent_nox import QbittorrentNox, available

pytestmark = pytest.mark.e2e

SHELF = [
    TIHAYA,
    {"name": "Гавань", "year": 2008, "rating": 6.8, "genres": ["детектив"], "countries": ["Франция"]},
    {"name": "Маяк на краю света", "year": 2021, "genres": ["приключения"]},
]


@pytest.fixture(scope="module")
def nox():
    require(available(), "qbittorrent-nox")
    with QbittorrentNox() as server:
        yield server


@pytest.fixture
def serve(start_server):
    """start_server, and stop the refreshers before the servers and databases go away."""
    yield start_server
    torrent_status.stop_all(timeout=10)


def nox_settings(nox: QbittorrentNox) -> dict:
    return {
        "QBIT_HOST": nox.host,
        "QBIT_PORT": nox.port,
        "QBIT_USERNAME": nox.username,
        "QBIT_PASSWORD": nox.password,
        "QBIT_ADD_PAUSED": True,
        "TORRENT_REFRESH_SECONDS": 0.5,
        "TORRENT_SEARCH_URL": "https://tracker.invalid/search?q={query}",
    }


def stock(server, movies=SHELF) -> list[dict]:
    api = server.app.test_client()
    return [api.post("/api/library", json=movie).get_json() for movie in movies]


def test_an_empty_library_says_what_to_do_and_a_movie_can_be_added_by_hand(
    serve, page, screenshot, no_dialogs
):
    server = serve()
    page.goto(server.url + "/library")
    expect(page.get_by_text("В библиотеке пока пусто.")).to_be_visible()
    expect(page.get_by_role("link", name="Добавить фильм")).to_be_visible()
    expect(page.locator("#torrent-status")).to_contain_text("qBittorrent не настроен")
    screenshot(page, "library-empty")

    page.get_by_role("link", name="Добавить фильм").click()
    page.get_by_label("Название").fill("Маяк на краю света")
    page.get_by_label("Год").fill("2021")
    page.get_by_test_id("library-add").click()
    card = page.locator(".library-card")
    expect(card).to_have_count(1)
    expect(card.locator(".library-card__title")).to_have_text("Маяк на краю света")
    expect(card.get_by_test_id("download")).to_have_count(0)  # no qBittorrent, no download button
    expect(page.locator(".flash--success")).to_contain_text("добавлен в библиотеку")


def test_set_a_magnet_press_download_and_watch_the_badge_change(nox, serve, page, screenshot, no_dialogs):
    server = serve(**nox_settings(nox))
    stock(server)
    page.goto(server.url + "/library")
    expect(page.locator("#torrent-status")).to_contain_text("qBittorrent на связи", timeout=10_000)
    expect(page.locator(".library-card")).to_have_count(3)
    card = page.locator(".library-card", has=page.get_by_role("heading", name="Гавань", exact=True))
    expect(card.locator(".poster")).to_have_class(re.compile(r"is-missing"))
    card.get_by_label("Ещё: «Гавань»").click()  # the magnet and the search: rare actions, behind «⋯»
    expect(card.get_by_role("link", name="Найти раздачу")).to_have_attribute(
        "href", "https://tracker.invalid/search?q=%D0%93%D0%B0%D0%B2%D0%B0%D0%BD%D1%8C%202008"
    )
    screenshot(page, "library-movies")

    # Set the magnet (a plain form: it works without JavaScript too).
    card.get_by_text("Добавить магнет").click()
    card.get_by_label("Магнет-ссылка").fill(f"magnet:?xt=urn:btih:{secrets.token_hex(20)}&dn=Gavan+2008")
    card.get_by_role("button", name="Сохранить").click()
    expect(page).to_have_url(re.compile(r"/library#movie-\d+$"))
    page.wait_for_load_state("load")  # the script takes the card forms over before «Скачать» is pressed
    expect(card.locator(".magnet-state")).to_have_text("Магнет есть")
    badge = card.get_by_test_id("torrent-badge")
    expect(badge).to_be_hidden()

    # Download: the page stays, the badge goes from the queue to qBittorrent's own word for the torrent.
    page.evaluate("window.stillTheSamePage = true")
    card.get_by_test_id("download").click()
    expect(badge).to_contain_text("в очереди")
    expect(badge).to_contain_text("пауза 0\u00a0%", timeout=15_000)  # a trackerless magnet, added paused
    expect(card.get_by_test_id("download")).to_be_hidden()
    assert page.evaluate("window.stillTheSamePage") is True  # changed by polling /api/torrents, no reload
    screenshot(page, "library-downloading")

    # Remove it again, files and all: «удаляется…» until the server has done it, then the badge goes and
    # the download button comes back.
    card.get_by_text("Убрать торрент").click()
    card.get_by_role("button", name="Вместе с файлами").click()
    expect(badge).to_contain_text("удаляется…")
    expect(badge).to_be_hidden(timeout=15_000)
    expect(card.get_by_test_id("download")).to_be_visible()
    assert page.evaluate("window.stillTheSamePage") is True


def test_the_page_says_when_qbittorrent_is_down_and_when_it_tries_next(serve, page, screenshot):
    with refused_port() as port:
        server = serve(
            QBIT_HOST="127.0.0.1",
            QBIT_PORT=port,
            QBIT_USERNAME="u",
            QBIT_PASSWORD="p",
            TORRENT_REFRESH_SECONDS=0.2,
        )
        movies = stock(server)
        api = server.app.test_client()
        api.put(f"/api/library/{movies[0]['id']}/magnet", json={"magnet": f"magnet:?xt=urn:btih:{'a' * 40}"})
        api.post(f"/api/library/{movies[0]['id']}/download", json={})
        page.goto(server.url + "/library")
        status = page.locator("#torrent-status")
        expect(status).to_contain_text(
            re.compile(r"qBittorrent недоступен — следующая попытка через \d+\u00a0(с|мин)"), timeout=10_000
        )
        expect(status).to_contain_text("(нет связи)")
        card = page.locator(f"#movie-{movies[0]['id']}")
        expect(card.get_by_test_id("torrent-badge")).to_contain_text("в очереди")
        screenshot(page, "library-qbittorrent-down")

        # Queued but never sent: it can be called off, and there are no files to offer to delete.
        card.get_by_text("Отменить", exact=True).click()
        expect(card.get_by_role("button", name="Вместе с файлами")).to_be_hidden()
        card.get_by_role("button", name="Да, отменить").click()
        expect(card.get_by_test_id("torrent-badge")).to_be_hidden()
        expect(card.get_by_test_id("download")).to_be_visible()
        assert api.get(f"/api/library/{movies[0]['id']}").get_json()["download"] is None


def test_a_removal_asked_while_qbittorrent_is_down_says_removing_until_it_is_back(
    nox, serve, page, screenshot, no_dialogs
):
    server = serve(**nox_settings(nox), TORRENT_BREAKER_BACKOFF=(0.5, 0.5, 0.5))
    movie = stock(server, SHELF[:1])[0]
    api = server.app.test_client()
    api.put(
        f"/api/library/{movie['id']}/magnet", json={"magnet": f"magnet:?xt=urn:btih:{secrets.token_hex(20)}"}
    )
    api.post(f"/api/library/{movie['id']}/download", json={})
    page.goto(server.url + "/library")
    card = page.locator(f"#movie-{movie['id']}")
    badge = card.get_by_test_id("torrent-badge")
    expect(badge).to_contain_text("пауза 0\u00a0%", timeout=15_000)

    nox.stop()
    try:
        deadline = time.monotonic() + 30
        while api.get("/api/torrents").get_json()["available"] and time.monotonic() < deadline:
            time.sleep(0.1)  # the server notices first; an idle page asks only every 30 s
        page.reload()
        expect(page.locator("#torrent-status")).to_contain_text("qBittorrent недоступен")
        card.get_by_text("Убрать торрент").click()
        card.get_by_role("button", name="Только торрент").click()
        expect(page.locator(".toast")).to_contain_text("как только qBittorrent ответит")
        expect(badge).to_contain_text("удаляется…")
        page.reload()  # the page says the same from the server: the wish is stored, not in a worker's memory
        expect(badge).to_contain_text("удаляется…")
        expect(card.get_by_test_id("download")).to_be_visible()  # pressing it would call the removal off
        screenshot(page, "library-removing-while-down")
    finally:
        nox.start()
    expect(badge).to_be_hidden(timeout=30_000)
    assert api.get(f"/api/library/{movie['id']}").get_json()["removal"]["status"] == "done"


def test_the_winner_goes_to_the_library_from_the_result_page(serve, page, screenshot, no_dialogs):
    server = serve()
    api = server.app.test_client()
    created = api.post("/api/lotteries", json={"movies": SHELF[:2]}).get_json()
    api.post(f"/api/lotteries/{created['id']}/draw", json={"token": created["play_token"]})
    page.goto(server.url + f"/l/{created['id']}")
    button = page.get_by_test_id("winner-to-library")
    button.click()
    expect(button).to_have_text("В библиотеке ✓")
    expect(page.locator(".toast")).to_contain_text("добавлен в библиотеку")
    screenshot(page, "result-to-library")
    winner = page.get_by_test_id("winner-name").text_content()

    page.get_by_role("link", name="Открыть библиотеку").click()
    expect(page.locator(".library-card__title")).to_have_text([winner])
