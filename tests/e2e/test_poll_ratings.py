"""After the vote, in a real browser: the poll closes, the admin marks its winner watched on the results page,
two participants rate it (one by the ballot's own cookie, one giving a name, with the keyboard), and the
library card shows the group's average."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.test_poll_flow import MOVIES, Voter, create_poll

pytestmark = pytest.mark.e2e


def test_a_closed_polls_winner_is_watched_rated_by_two_and_averaged_on_its_library_card(
    live_server, browser, page, screenshot
):
    poll = create_poll(live_server.url)
    anna_context = browser.new_context(locale="ru-RU", timezone_id="Europe/Moscow")
    # Anna votes; her browser keeps the poll's participant cookie (the context's requests share its cookies).
    voted = anna_context.request.put(
        f"{live_server.url}/api/polls/{poll['id']}/ballot", data={"name": "Аня", "approve": [1]}
    )
    assert voted.status == 200
    status, closed = Voter(live_server.url).call(
        "POST", f"/api/polls/{poll['id']}/close", {"token": poll["manage_token"]}
    )
    assert status == 200 and closed["result"]["winner"] == 1
    winner = MOVIES[1]["name"]

    # The admin (this machine, no password) opens the results: the winner's actions, no rating yet.
    page.goto(poll["poll_url"])
    expect(page.locator("#result-winner").get_by_test_id("winner-name")).to_have_text(winner)
    expect(page.get_by_test_id("winner-to-library")).to_be_visible()
    expect(page.get_by_test_id("rating")).to_have_count(0)
    page.get_by_test_id("winner-watched").click()
    expect(page.get_by_test_id("watched-state")).to_contain_text("Посмотрели", timeout=10_000)
    expect(page.get_by_test_id("winner-to-library")).to_have_text("В библиотеке ✓")

    # Anna's cookie names her: she only presses a score.
    anna = anna_context.new_page()
    anna.goto(poll["poll_url"])
    expect(anna.get_by_test_id("rating-summary")).to_have_text("Оценок пока нет — будьте первым.")
    expect(anna.locator("#rating-name-field")).to_be_hidden()
    anna.get_by_role("button", name="Оценка 8 из 10").click()
    expect(anna.get_by_test_id("rating-summary")).to_have_text("Оценка группы 8 · 1\u00a0голос")
    expect(anna.get_by_role("button", name="Оценка 8 из 10")).to_have_attribute("aria-pressed", "true")
    expect(anna.get_by_test_id("rating-mine")).to_contain_text("Ваша оценка — 8 (вы — Аня)")

    # Boris did not vote: he gives a name and rates with the keyboard (Tab to the scale, arrows, Enter).
    boris = browser.new_context(locale="ru-RU", timezone_id="Europe/Moscow").new_page()
    boris.goto(poll["poll_url"])
    expect(boris.get_by_test_id("rating-summary")).to_have_text("Оценка группы 8 · 1\u00a0голос")
    boris.get_by_role("button", name="Оценка 5 из 10").click()
    expect(boris.locator("#rating-error")).to_have_text("Напишите имя — оценка идёт под ним.")
    boris.get_by_label("Ваше имя").fill("Боря")
    boris.get_by_label("Ваше имя").press("Tab")
    expect(boris.get_by_role("button", name="Оценка 1 из 10")).to_be_focused()
    for _ in range(6):
        boris.keyboard.press("ArrowRight")
    expect(boris.get_by_role("button", name="Оценка 7 из 10")).to_be_focused()
    boris.keyboard.press("Enter")
    expect(boris.get_by_test_id("rating-summary")).to_have_text("Оценка группы 7,5 · 2\u00a0голоса")
    expect(boris.get_by_test_id("rating-mine")).to_contain_text("Ваша оценка — 7 (вы — Боря)")
    screenshot(boris, "poll-rated")

    anna.reload()  # the page is the same for everyone; her own score comes back with her cookie
    expect(anna.get_by_test_id("rating-summary")).to_have_text("Оценка группы 7,5 · 2\u00a0голоса")
    expect(anna.get_by_role("button", name="Оценка 8 из 10")).to_have_attribute("aria-pressed", "true")

    page.goto(live_server.url + "/library")
    card = page.locator(".library-card").filter(has=page.get_by_role("heading", name=winner, exact=True))
    expect(card.get_by_test_id("group-rating")).to_have_text("оценка группы 7,5 · 2\u00a0голоса")
    expect(card.get_by_test_id("status-badge")).to_have_text("посмотрели")
    screenshot(page, "library-group-rating")
