"""One reel, everywhere, at once: every open page spins the same reel and lands on the winner at the same
moment as the spinner's page (the draw's ``lands_at``), and no page names the winner before its reel stops."""

from __future__ import annotations

import json
from datetime import datetime

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import PHONE
from tests.support.site_api import call

pytestmark = pytest.mark.e2e

SPIN_MS = 5000  # the site's own spin (core/reel.SPIN_MS); other tests run with none
FRIEND = {"X-Forwarded-For": "203.0.113.7"}  # a friend's phone behind the proxy, not the owner's machine
NAMES = ["Сталкер", "Солярис", "Зеркало", "Андрей Рублёв"]

# Each page notes the first moment (this machine's clock, as the server's) that a candidate's name shows in
# its visible text outside the reel and the list of candidates: the reel's own title cards carry every name.
WATCH_NAMES = """
(names, more) => {
  window.__named = {};
  const outside = `.reel, .poster-grid, script, template, style${more}`;
  const look = () => {
    if (!document.body) return;
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    let text = '';
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const parent = node.parentElement;
      if (!parent || parent.closest(outside) || !parent.checkVisibility({ opacityProperty: false })) continue;
      text += ` ${node.data}`;
    }
    for (const name of names) {
      if (!(name in window.__named) && text.includes(name)) window.__named[name] = Date.now();
    }
  };
  setInterval(look, 20);
}
"""


def ms(iso: str) -> float:
    return datetime.fromisoformat(iso).timestamp() * 1000


@pytest.fixture
def phones(browser):
    contexts = []

    def open_phone(url: str, headers: dict | None = None, outside: str = ""):
        context = browser.new_context(locale="ru-RU", viewport=PHONE, extra_http_headers=headers or {})
        contexts.append(context)
        page = context.new_page()
        page.add_init_script(f"({WATCH_NAMES})({json.dumps(NAMES)}, {json.dumps(outside)})")
        page.goto(url)
        return page

    yield open_phone
    for context in contexts:
        context.close()


def test_two_waiting_phones_and_the_spinner_land_together_and_nobody_sees_the_winner_early(
    start_server, phones, screenshot
):
    server = start_server(REEL_SPIN_MS=SPIN_MS)
    created = call(server.url, "POST", "/api/lotteries", {"movies": [{"name": n} for n in NAMES]})
    friends = [phones(created["wait_url"], FRIEND) for _ in range(2)]
    spinner = phones(created["play_url"])
    for friend in friends:
        expect(friend.get_by_role("heading", name="Ждём розыгрыша…")).to_be_visible()
        friend.wait_for_function("window.__named !== undefined")

    spinner.get_by_test_id("draw-button").click()
    # Mid-spin: the friends' reels turn, and their pages say nothing of the winner yet.
    for friend in friends:
        expect(friend.locator("#reel-stage")).to_be_visible(timeout=4_000)
    friends[0].wait_for_timeout(1_000)
    screenshot(friends[0], "one-reel-waiting-mid-spin")

    pages = [*friends, spinner]
    for page in pages:
        expect(page.get_by_test_id("winner-name")).to_be_visible(timeout=SPIN_MS + 3_000)
    lottery = call(server.url, "GET", f"/api/lotteries/{created['id']}")
    winner, lands_at = lottery["winner"]["name"], ms(lottery["reel"]["lands_at"])
    assert lottery["reel"]["spin_ms"] == SPIN_MS

    named = [page.evaluate("window.__named") for page in pages]
    for seen in named:  # no other candidate was ever named, and the winner not before the reel stopped
        assert set(seen) == {winner}, seen
    moments = [seen[winner] for seen in named]
    assert all(moment >= lands_at - 150 for moment in moments), [m - lands_at for m in moments]
    assert max(moments) - min(moments) < 1_000, [m - lands_at for m in moments]
    for page in pages:  # each named it where its reel stopped: on the winner
        expect(page.locator(".reel__item.is-winner .poster__title")).to_have_text(winner)

    # The spinner's page: its turn is over, and nothing but the marker's notches points at the winner.
    expect(spinner.get_by_role("heading", name="Ваш ход!")).to_have_count(0)
    screenshot(spinner, "one-reel-play-after")
    screenshot(friends[0], "one-reel-waiting-after")


def test_a_latecomer_sees_the_result_at_once_and_can_watch_the_reel_again(start_server, phones, screenshot):
    server = start_server(REEL_SPIN_MS=1000)
    created = call(server.url, "POST", "/api/lotteries", {"movies": [{"name": n} for n in NAMES]})
    drawn = call(server.url, "POST", f"/api/lotteries/{created['id']}/draw", {"token": created["play_token"]})
    late = phones(created["wait_url"], FRIEND)  # opened mid-spin: it spins to the same stop
    expect(late.get_by_test_id("winner-name")).to_have_text(drawn["winner"]["name"], timeout=4_000)
    assert late.evaluate("window.__named")[drawn["winner"]["name"]] >= ms(drawn["reel"]["lands_at"]) - 150

    later = phones(created["wait_url"], FRIEND)  # after the stop: the result at once
    expect(later.get_by_test_id("winner-name")).to_have_text(drawn["winner"]["name"])
    later.get_by_test_id("replay-reel").click()
    expect(later.locator(".reel__item.is-winner .poster__title")).to_have_text(
        drawn["winner"]["name"], timeout=4_000
    )
    screenshot(later, "one-reel-result-replayed")


def test_a_tied_poll_spins_on_two_phones_and_lands_on_the_same_movie_at_the_same_moment(
    start_server, phones, screenshot
):
    server = start_server(REEL_SPIN_MS=SPIN_MS)
    poll = call(server.url, "POST", "/api/polls", {"movies": [{"name": n} for n in NAMES]})
    for name, yes in (("Аня", 0), ("Борис", 1)):  # one «да» each: a tie the reel decides at the close
        call(server.url, "PUT", f"/api/polls/{poll['id']}/ballot", {"name": name, "approve": [yes]})
    # The reel's own line names both tied movies while it spins: only the winner's naming is watched.
    friends = [phones(poll["poll_url"], FRIEND, ", #tie-reel-lead") for _ in range(2)]
    for friend in friends:
        expect(friend.get_by_role("heading", name="Что смотрим? Голосуем!")).to_be_visible()

    call(server.url, "POST", f"/api/polls/{poll['id']}/close", {"token": poll["manage_token"]})
    for friend in friends:
        expect(friend.locator("#tie-reel .reel")).to_be_visible(timeout=4_000)
        expect(friend.locator("#tie-reel .reel__item:not([aria-hidden])")).to_have_count(2)  # the tied two
    screenshot(friends[0], "one-reel-poll-tie-mid-spin")
    for friend in friends:
        expect(friend.get_by_test_id("winner-name")).to_be_visible(timeout=SPIN_MS + 3_000)

    closed = call(server.url, "GET", f"/api/polls/{poll['id']}")
    winner, lands_at = NAMES[closed["result"]["winner"]], ms(closed["reel"]["lands_at"])
    assert closed["result"]["tied"] == [0, 1]
    named = [friend.evaluate("window.__named") for friend in friends]
    moments = [seen[winner] for seen in named]
    # The tally comes with the winner (it names every movie), never before the reel lands.
    assert all(min(seen.values()) == seen[winner] for seen in named), named
    assert all(moment >= lands_at - 150 for moment in moments), [m - lands_at for m in moments]
    assert max(moments) - min(moments) < 1_000, [m - lands_at for m in moments]
    for friend in friends:  # the same movie under the marker, the same check as before
        expect(friend.locator(".reel__item.is-winner .poster__title")).to_have_text(winner)
        expect(friend.get_by_test_id("winner-name")).to_have_text(winner)
        expect(friend.get_by_test_id("tie-verdict")).to_contain_text("Честно")
    screenshot(friends[0], "one-reel-poll-tie-after")

    latecomer = phones(poll["poll_url"], FRIEND)
    expect(latecomer.get_by_test_id("winner-name")).to_have_text(winner)
    latecomer.get_by_test_id("replay-reel").click()
    expect(latecomer.locator(".reel__item.is-winner .poster__title")).to_have_text(
        winner, timeout=SPIN_MS + 2_000
    )
