"""Honesty in one line: friends read «Честно»; the seed, fingerprint and formula appear only on asking."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import PHONE
from tests.support.site_api import call

pytestmark = pytest.mark.e2e

GUEST = {"X-Forwarded-For": "203.0.113.7"}  # a friend's phone behind the proxy, not the owner's machine
JARGON = re.compile(r"seed|commitment|SHA-256|sha256|mod \d", re.IGNORECASE)
HONEST = "✓ Честно: проверено в этом браузере"


def visible_text(page) -> str:
    return page.locator("main").inner_text()  # what is rendered: a closed <details> shows only its summary


def open_how_to_check(page) -> None:
    page.get_by_text("Как проверить", exact=True).click()
    expect(page.get_by_test_id("how-to-check")).to_have_attribute("open", "")


@pytest.fixture
def guest(browser):
    context = browser.new_context(locale="ru-RU", viewport=PHONE, extra_http_headers=GUEST)
    yield context.new_page()
    context.close()


def test_a_guest_sees_no_seed_commitment_or_formula_until_asking_how_to_check(live_server, guest, screenshot):
    movies = [{"name": "Тихая гавань", "year": 2019}, {"name": "Маяк", "year": 2021}, {"name": "Причал"}]
    lottery = call(live_server.url, "POST", "/api/lotteries", {"movies": movies})
    waiting = f"{live_server.url}/l/{lottery['id']}"

    guest.goto(waiting)
    expect(guest.get_by_role("heading", name="Ждём розыгрыша…")).to_be_visible()
    expect(guest.get_by_text("Победитель уже выбран и запечатан")).to_be_visible()
    assert not JARGON.search(visible_text(guest)), visible_text(guest)
    open_how_to_check(guest)
    expect(guest.locator("#commitment")).to_have_text(lottery["commitment"])
    screenshot(guest, "waiting-how-to-check")

    call(live_server.url, "POST", f"/api/lotteries/{lottery['id']}/draw", {"token": lottery["play_token"]})
    guest.goto(waiting)  # the result page
    expect(guest.locator("#verdict")).to_have_text(HONEST)
    assert not JARGON.search(visible_text(guest)), visible_text(guest)
    screenshot(guest, "result-honest")
    open_how_to_check(guest)
    drawn = call(live_server.url, "GET", f"/api/lotteries/{lottery['id']}")
    expect(guest.get_by_test_id("how-to-check")).to_contain_text(drawn["seed"])


def test_a_closed_polls_page_says_honest_in_one_line_and_explains_on_asking(live_server, guest):
    movies = [{"name": "Тихая гавань"}, {"name": "Маяк"}]
    poll = call(live_server.url, "POST", "/api/polls", {"movies": movies})
    closed = call(live_server.url, "POST", f"/api/polls/{poll['id']}/close", {"token": poll["manage_token"]})
    assert closed["status"] == "closed"

    guest.goto(poll["poll_url"])
    expect(guest.locator("#verdict")).to_have_text(HONEST)
    assert not JARGON.search(visible_text(guest)), visible_text(guest)
    open_how_to_check(guest)
    expect(guest.locator("#seed")).to_be_visible()
