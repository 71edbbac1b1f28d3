"""Group polls in a real browser: participants in their own contexts, the close, the count, the reel."""

from __future__ import annotations

import json
import re
import urllib.request
from http.cookiejar import CookieJar

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import PHONE

pytestmark = pytest.mark.e2e  # on SQLite: PostgreSQL runs the same API in tests/polls and the drills

MOVIES = [
    {"name": "Тихая гавань", "year": 2019, "poster": "https://posters.invalid/1.jpg"},
    {"name": "Гавань", "year": 2008},
    {"name": "Маяк на краю света"},
]


class Voter:
    """A participant as a script: the API with a cookie jar of its own."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))

    def call(self, method: str, path: str, body: dict | None = None) -> tuple[int, dict | None]:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.base + path, data=data, method=method)
        request.add_header("Content-Type", "application/json")
        try:
            with self.opener.open(request, timeout=10) as response:
                text = response.read()
                return response.status, json.loads(text) if text else None
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"null")


def create_poll(base: str, **settings) -> dict:
    status, poll = Voter(base).call("POST", "/api/polls", {"movies": MOVIES, **settings})
    assert status == 201, poll
    return poll


def enter_name(page, name: str) -> None:
    page.get_by_label("Имя").fill(name)
    page.get_by_test_id("name-next").click()


def card(page, name: str):
    return page.locator(".vote-card").filter(has=page.get_by_role("heading", name=name, exact=True))


def test_three_participants_vote_results_stay_hidden_until_the_close_then_agree(
    live_server, browser, page, screenshot
):
    # The creator builds the poll on the builder page.
    page.goto(live_server.url + "/")
    for movie in MOVIES:
        page.get_by_label("Название").fill(movie["name"])
        page.get_by_label("Год").fill(str(movie.get("year", "")))
        page.get_by_test_id("add-movie").click()
    page.get_by_test_id("kind-poll").check()
    expect(page.locator("#poll-settings")).to_be_visible()
    page.get_by_label("Разрешить вето").check()
    screenshot(page, "builder-poll")
    page.get_by_test_id("create-lottery").click()
    page.wait_for_url(re.compile(r"/p/[\w-]+/manage/[\w-]+$"))
    expect(page.get_by_test_id("manage-panel")).to_be_visible()
    poll_url = page.locator("#poll-link").input_value()
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/p/[\w-]{8}", poll_url)
    expect(page.locator("#telegram-share")).to_have_attribute(
        "href", re.compile(r"^https://t\.me/share/url\?url=")
    )
    screenshot(page, "poll-manage")

    anna = browser.new_context(locale="ru-RU", timezone_id="Europe/Moscow").new_page()
    boris = browser.new_context(locale="ru-RU", timezone_id="Europe/Moscow").new_page()
    vera = browser.new_context(
        locale="ru-RU", timezone_id="Europe/Moscow", viewport=PHONE, has_touch=True
    ).new_page()

    anna.goto(poll_url)
    screenshot(anna, "poll-name")
    enter_name(anna, "Аня")
    card(anna, "Тихая гавань").get_by_role("button", name="«Тихая гавань» — да").click()
    card(anna, "Гавань").get_by_role("button", name="«Гавань» — да").click()
    card(anna, "Маяк на краю света").get_by_role("button", name="«Маяк на краю света» — нет").click()
    screenshot(anna, "poll-approval")
    anna.get_by_test_id("submit-ballot").click()
    expect(anna.locator("#ballot-saved")).to_be_visible()

    boris.goto(poll_url)
    enter_name(boris, "Боря")
    card(boris, "Гавань").get_by_role("button", name="«Гавань» — да").click()
    card(boris, "Тихая гавань").get_by_role("button", name="«Тихая гавань» — нет").click()
    card(boris, "Маяк на краю света").get_by_role("button", name="«Маяк на краю света» — нет").click()
    boris.get_by_role("button", name="Вето на «Тихая гавань»").click()
    boris.get_by_test_id("submit-ballot").click()
    expect(boris.locator("#ballot-saved")).to_be_visible()

    # On a phone: one card at a time; answering moves to the next one.
    vera.goto(poll_url)
    enter_name(vera, "Вера")
    expect(vera.locator(".vote-card:visible")).to_have_count(1)
    expect(vera.locator("#approval-progress")).to_contain_text("Фильм 1 из 3")
    screenshot(vera, "poll-approval-phone")
    vera.get_by_role("button", name="«Тихая гавань» — нет").click()
    expect(vera.locator("#approval-progress")).to_contain_text("Фильм 2 из 3")
    vera.get_by_role("button", name="«Гавань» — да").click()
    vera.get_by_role("button", name="«Маяк на краю света» — да").click()
    vera.get_by_test_id("submit-ballot").click()
    expect(vera.locator("#ballot-saved")).to_be_visible()

    # Everyone sees who has voted, live; nobody sees how.
    for viewer in (page, anna, vera):
        expect(viewer.get_by_test_id("voters")).to_contain_text("Вера", timeout=10_000)
        expect(viewer.get_by_test_id("voters").locator(".voter")).to_have_count(3)
        expect(viewer.locator("#result-panel")).to_be_hidden()
    screenshot(page, "poll-manage-voted")

    page.get_by_test_id("close-poll").click()
    page.get_by_role("dialog").get_by_role("button", name="Закрыть и подсчитать").click()
    expect(page.locator("#result-winner").get_by_test_id("winner-name")).to_have_text("Гавань")
    # «Тихая гавань» was vetoed; «Гавань» has three «да».
    for viewer in (anna, boris, vera):
        expect(viewer.locator("#result-winner").get_by_test_id("winner-name")).to_have_text(
            "Гавань", timeout=10_000
        )
        expect(viewer.locator("#ballot-panel")).to_be_hidden()
    expect(vera.locator("#verdict")).to_have_attribute("data-state", "ok")
    screenshot(anna, "poll-result-approval")

    # History lists the poll next to lotteries, with its method and its number of voters.
    page.goto(live_server.url + "/history")
    item = page.locator(".history__item[data-kind='poll']")
    expect(item).to_contain_text("Гавань")
    expect(item).to_contain_text("Голосование «за что готовы смотреть» · 3 голоса")
    screenshot(page, "history-with-poll")


def test_a_ranked_poll_elects_the_head_to_head_winner_over_the_most_first_places(
    live_server, page, screenshot
):
    poll = create_poll(live_server.url, method="ranked")
    ballots = [(4, [0, 1, 2]), (2, [1, 2, 0]), (2, [2, 1, 0])]  # A: 4 firsts, B: 3 (one below), C: 2
    voters = 0
    for times, ranking in ballots:
        for _ in range(times):
            voters += 1
            status, _ = Voter(live_server.url).call(
                "PUT", f"/api/polls/{poll['id']}/ballot", {"name": f"Участник {voters}", "ranking": ranking}
            )
            assert status == 200
    # The ninth ballot, B > C > A, in the browser: with the buttons, then the keyboard.
    page.goto(poll["poll_url"])
    enter_name(page, "Дима")
    page.get_by_role("button", name="Добавить «Маяк на краю света» в порядок").click()
    page.get_by_role("button", name="Добавить «Гавань» в порядок").click()
    page.get_by_role("button", name="«Гавань» выше").click()  # Гавань, Маяк
    expect(page.locator("#ranking .rank-item__name")).to_have_text(["Гавань", "Маяк на краю света"])
    unranked = page.locator("#unranked .rank-item").first
    unranked.focus()
    page.keyboard.press("Enter")  # Тихая гавань joins at the end
    expect(page.locator("#ranking .rank-item__name")).to_have_text(
        ["Гавань", "Маяк на краю света", "Тихая гавань"]
    )
    page.locator("#ranking .rank-item").nth(2).focus()
    page.keyboard.press("ArrowUp")
    page.keyboard.press("ArrowDown")
    expect(page.locator("#ranking .rank-item__name")).to_have_text(
        ["Гавань", "Маяк на краю света", "Тихая гавань"]
    )
    screenshot(page, "poll-ranked")
    page.get_by_test_id("submit-ballot").click()
    expect(page.locator("#ballot-saved")).to_be_visible()

    status, closed = Voter(live_server.url).call(
        "POST", f"/api/polls/{poll['id']}/close", {"token": poll["manage_token"]}
    )
    assert status == 200
    firsts = [4, 3, 2]
    assert max(range(3), key=firsts.__getitem__) == 0  # «Тихая гавань» is first most often …
    assert closed["result"]["winner"] == 1  # … «Гавань» beats both head to head
    expect(page.locator("#result-winner").get_by_test_id("winner-name")).to_have_text(
        "Гавань", timeout=10_000
    )
    table = page.locator(".pairwise__table")
    expect(table).to_be_hidden()  # the head-to-head table is behind one fold: a phone shows the winner first
    page.get_by_text("Как считали: каждый фильм против каждого").click()
    expect(table).to_be_visible()
    expect(table.locator("tbody tr").nth(1).locator("td").nth(0)).to_have_text(
        "5"
    )  # Гавань над Тихой гаванью
    screenshot(page, "poll-result-ranked")


def test_a_tie_is_broken_by_the_reel_and_checked_on_the_page(live_server, page, screenshot):
    poll = create_poll(live_server.url)
    for name, approve in (("Аня", [0]), ("Боря", [2])):
        status, _ = Voter(live_server.url).call(
            "PUT", f"/api/polls/{poll['id']}/ballot", {"name": name, "approve": approve}
        )
        assert status == 200
    status, closed = Voter(live_server.url).call(
        "POST", f"/api/polls/{poll['id']}/close", {"token": poll["manage_token"]}
    )
    assert closed["result"]["tied"] == [0, 2]
    page.goto(poll["poll_url"])
    winner = MOVIES[closed["result"]["winner"]]["name"]
    expect(page.locator("#result-winner").get_by_test_id("winner-name")).to_have_text(winner)
    expect(page.get_by_test_id("winner-how")).to_contain_text("Ничья")
    verdict = page.locator("#verdict")
    expect(verdict).to_have_attribute("data-state", "ok")
    expect(verdict).to_have_text("✓ Честно: проверено в этом браузере")
    screenshot(page, "poll-result-tie")


def test_a_participant_changes_their_ballot(live_server, page):
    poll = create_poll(live_server.url)
    page.goto(poll["poll_url"])
    enter_name(page, "Аня")
    card(page, "Тихая гавань").get_by_role("button", name="«Тихая гавань» — да").click()
    card(page, "Гавань").get_by_role("button", name="«Гавань» — нет").click()
    card(page, "Маяк на краю света").get_by_role("button", name="«Маяк на краю света» — нет").click()
    page.get_by_test_id("submit-ballot").click()
    expect(page.locator("#ballot-saved")).to_be_visible()

    page.reload()  # the same browser comes back to its own ballot
    expect(page.locator("#name-panel")).to_be_hidden()
    expect(page.locator("#voting-as")).to_have_text("вы — Аня")
    expect(card(page, "Тихая гавань").get_by_role("button", name="«Тихая гавань» — да")).to_have_attribute(
        "aria-pressed", "true"
    )
    card(page, "Тихая гавань").get_by_role("button", name="«Тихая гавань» — нет").click()
    card(page, "Гавань").get_by_role("button", name="«Гавань» — да").click()
    page.get_by_test_id("submit-ballot").click()
    expect(page.get_by_text("Голос принят ✓")).to_be_visible()

    status, closed = Voter(live_server.url).call(
        "POST", f"/api/polls/{poll['id']}/close", {"token": poll["manage_token"]}
    )
    assert status == 200
    assert closed["voters"] == ["Аня"]
    assert closed["result"]["counts"] == [0, 1, 0]


def test_a_vote_card_without_a_poster_image_gives_the_year_once(live_server, page, screenshot):
    poll = create_poll(live_server.url)
    page.goto(live_server.url + f"/p/{poll['id']}")
    enter_name(page, "Аня")
    for name, year in (("Тихая гавань", "2019"), ("Гавань", "2008")):  # a broken image, and none at all
        shown = card(page, name)
        expect(shown.locator(".poster__year")).to_have_text(year)  # on the title card
        assert shown.inner_text().count(year) == 1, shown.inner_text()
    page.set_viewport_size(PHONE)  # one card at a time
    expect(card(page, "Тихая гавань").locator(".poster__year")).to_be_visible()
    assert card(page, "Тихая гавань").inner_text().count("2019") == 1
    screenshot(page, "poll-vote-cards")


def test_a_taken_name_is_said_at_the_name_step_before_any_movie_is_answered(live_server, page):
    poll = create_poll(live_server.url)
    status, _ = Voter(live_server.url).call(
        "PUT", f"/api/polls/{poll['id']}/ballot", {"name": "Аня", "approve": [0]}
    )
    assert status == 200
    page.goto(poll["poll_url"])
    enter_name(page, "аня")  # the same name in other letters
    expect(page.locator("#name-error")).to_contain_text("уже занято")
    expect(page.locator("#ballot-panel")).to_be_hidden()
    expect(page.get_by_label("Имя")).to_be_focused()
    enter_name(page, "Аня Петрова")
    expect(page.locator("#ballot-panel")).to_be_visible()
