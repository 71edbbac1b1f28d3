"""Every page at a phone's width and a desktop's: nothing scrolls sideways, and a screenshot of each to
look at (test-artifacts/screenshots/page-*)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from movie_lottery.core.extensions import db
from movie_lottery.lottery.service import create_lottery, draw
from tests.e2e.conftest import DESKTOP, PHONE
from tests.support.backup_collection import LIBRARY

pytestmark = [pytest.mark.e2e, pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]

CANDIDATES = [
    {"name": "Тихая гавань", "year": 2019, "poster": "https://posters.invalid/1.jpg", "rating": 7.4},
    {"name": "Человеконенавистничество", "year": 2021},
    {"name": "Маяк на краю света", "genres": ["драма"], "countries": ["Россия"]},
]


def sideways_overflow(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


def look_at(page, screenshot, name: str) -> None:
    for size in (PHONE, DESKTOP):
        page.set_viewport_size(size)
        page.evaluate("() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))")
        assert sideways_overflow(page) <= 0, (name, size)
    screenshot(page, f"page-{name}")


def lotteries(server) -> tuple[str, str, str]:
    with server.app.app_context():
        waiting = create_lottery(CANDIDATES)
        drawn = create_lottery(CANDIDATES[::-1])
        draw(drawn.lottery.id, drawn.play_token)
        ids = waiting.lottery.id, waiting.play_token, drawn.lottery.id
        db.session.remove()
    return ids


def test_every_page_of_the_open_site(live_server, page, screenshot):
    waiting_id, token, drawn_id = lotteries(live_server)
    script = live_server.app.test_client()  # this machine, no password: the open site
    for movie in LIBRARY:
        assert script.post("/api/library", json=movie).status_code == 201

    page.goto(live_server.url + "/")
    look_at(page, screenshot, "builder-empty")
    page.evaluate("(movies) => localStorage.setItem('ml:draft', JSON.stringify(movies))", CANDIDATES)
    page.reload()
    expect(page.locator(".candidate")).to_have_count(3)
    look_at(page, screenshot, "builder")
    for path, name in (
        (f"/l/{waiting_id}", "waiting"),
        (f"/l/{waiting_id}/play/{token}", "play"),
        (f"/l/{drawn_id}", "result"),
        ("/history", "history"),
        ("/library", "library"),
        ("/l/nope1234", "error"),
        ("/api/docs", "api-docs"),
    ):
        page.goto(live_server.url + path)
        look_at(page, screenshot, name)


def test_every_page_a_visitor_of_a_locked_site_sees(start_server, page, screenshot):
    server = start_server(ADMIN_PASSWORD="correct horse")
    waiting_id, _, drawn_id = lotteries(server)
    page.goto(server.url + "/login")
    look_at(page, screenshot, "login")
    for path, name in (
        (f"/l/{waiting_id}", "waiting-visitor"),
        (f"/l/{drawn_id}", "result-visitor"),
        (f"/l/{drawn_id}/play/mistyped", "error-visitor"),
    ):
        page.goto(server.url + path)
        look_at(page, screenshot, name)
