"""Titles and descriptions carrying HTML or JavaScript show as plain text on every lottery page."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

PAYLOADS = [
    "<img src=x onerror=alert(1)>",
    '"><script>alert(2)</script>',
    "</script><script>alert(3)</script>",
    "{{7*7}} ${alert(4)}",
]
UNICODE = ["Амели 🎬🍿", "שלום עולם", "Zalgo z̷̢̛a̸l̴g̵o̶"]


def test_payloads_stay_plain_text_from_builder_to_history(live_server, page, no_dialogs, screenshot):
    page.goto(live_server.url + "/")
    for text in PAYLOADS + UNICODE:
        page.get_by_label("Название").fill(text)
        page.get_by_label("Описание").fill(f"Описание: {text}")
        page.get_by_test_id("add-movie").click()
    expect(page.locator(".candidate")).to_have_count(len(PAYLOADS) + len(UNICODE))
    for text in PAYLOADS + UNICODE:
        expect(page.locator(".candidate__name", has_text=text)).to_have_count(1)

    # A toast carries user text too.
    page.get_by_role("button", name=f"Убрать «{PAYLOADS[0]}»").click()
    expect(page.locator(".toast")).to_contain_text(PAYLOADS[0])
    page.get_by_label("Название").fill(PAYLOADS[0])
    page.get_by_test_id("add-movie").click()

    page.get_by_test_id("create-lottery").click()
    page.wait_for_url("**/l/*")
    expect(page.locator(".poster-grid__name", has_text=PAYLOADS[1])).to_have_count(1)
    play_url = page.locator("#play-link").input_value()

    page.goto(play_url)
    expect(page.locator(".reel__item").first).to_be_visible()
    page.emulate_media(reduced_motion="reduce")
    page.get_by_test_id("draw-button").click()
    winner = page.locator("#winner-slot").get_by_test_id("winner-name")
    expect(winner).to_be_visible()
    assert winner.text_content() in PAYLOADS + UNICODE

    page.goto(play_url)  # the result page
    expect(page.locator("#verdict")).to_have_attribute("data-state", "ok")
    screenshot(page, "result-hostile")
    page.goto(live_server.url + "/history")
    expect(page.locator(".history__title")).to_have_count(1)

    injected = "img[src='x'], script:not([src]):not([type])"
    assert page.evaluate("(selector) => document.querySelectorAll(selector).length", injected) == 0


def test_javascript_and_data_urls_are_refused_as_posters(live_server, page):
    page.goto(live_server.url + "/")
    for url in ["javascript:alert(1)", "data:text/html,<script>alert(1)</script>", "ftp://x/y.jpg"]:
        page.get_by_label("Название").fill("Фильм")
        page.get_by_label("Ссылка на постер").fill(url)
        page.get_by_test_id("add-movie").click()
        expect(page.locator("#movie-form-error")).to_contain_text("http")
    expect(page.locator(".candidate")).to_have_count(0)


def test_api_refuses_control_characters_and_keeps_unicode(client):
    bad = client.post("/api/lotteries", json={"movies": [{"name": "А\u0007Б"}, {"name": "В"}]})
    assert bad.status_code == 400
    good = client.post("/api/lotteries", json={"movies": [{"name": name} for name in UNICODE]})
    assert good.status_code == 201
    assert [m["name"] for m in good.get_json()["movies"]] == UNICODE
