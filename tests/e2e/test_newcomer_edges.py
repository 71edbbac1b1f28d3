"""The rough edges a newcomer hit, each seen in a real browser at a phone's width and a desktop's.

The database does not matter to any of them: SQLite only, so the two widths stay affordable.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from movie_lottery.core.extensions import db
from movie_lottery.lottery.service import create_lottery, draw
from tests.conftest import kinopoisk_settings
from tests.e2e.conftest import DESKTOP, PHONE

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.parametrize("database_url", ["sqlite"], indirect=True),
]
# A phone is where these edges are felt; the layouts that differ by width are checked at both.
BOTH_WIDTHS = pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["390px", "1280px"])

PASSWORD = "correct horse"
FROM_ELSEWHERE = {"X-Forwarded-For": "203.0.113.7"}  # what a proxy adds for a visitor on another machine
LONG_TITLES = [
    "Красная дверь",
    "Человеконенавистничество",
    "Достопримечательности Петербурга",
    "Приключения Шерлока Холмса и доктора Ватсона",
    "Без названия",
]


@pytest.fixture
def viewport() -> dict:
    return PHONE


@pytest.fixture
def browser_context_args(browser_context_args, viewport):
    return {**browser_context_args, "viewport": viewport}


@pytest.fixture
def new_page(browser, viewport):
    """Another device: a browser context of its own (no cookies, no storage), closed after the test."""
    contexts = []

    def open_page(**options):
        context = browser.new_context(
            locale="ru-RU", timezone_id="Europe/Moscow", viewport=viewport, **options
        )
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


def settle(page) -> None:
    """Two animation frames: layout done, and the ResizeObserver that fits the titles has run."""
    page.evaluate("() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))")


def make_lottery(server, names, drawn: bool = False) -> tuple[str, str]:
    with server.app.app_context():
        created = create_lottery([{"name": name} for name in names])
        if drawn:
            draw(created.lottery.id, created.play_token)
        ids = created.lottery.id, created.play_token
        db.session.remove()
    return ids


def sign_in(page, server) -> None:
    page.goto(server.url + "/login")
    page.get_by_label("Пароль").fill(PASSWORD)
    page.get_by_role("button", name="Войти").click()
    expect(page.get_by_role("button", name="Выйти")).to_be_visible()


# ---- 1. the admin's lost play link ------------------------------------------------------------------------


def test_the_admin_gets_a_lost_play_link_back_on_another_device(start_server, new_page, screenshot):
    server = start_server(ADMIN_PASSWORD=PASSWORD)
    lottery_id, token = make_lottery(server, ["Тихая гавань", "Гавань"])
    make_lottery(server, ["Красная дверь", "Синяя дверь"], drawn=True)

    other_device = new_page()  # signed in, but not the browser that created the lottery
    sign_in(other_device, server)
    other_device.goto(server.url + "/history")
    links = other_device.get_by_test_id("history-play-link")
    expect(links).to_have_count(1)  # only the undrawn lottery has one
    expect(links).to_have_accessible_name(re.compile(r"^Ссылка для розыгрыша: Тихая гавань, Гавань от "))
    screenshot(other_device, "history-with-play-link")
    links.click()
    expect(other_device).to_have_url(f"{server.url}/l/{lottery_id}/play/{token}")
    expect(other_device.get_by_test_id("draw-button")).to_be_visible()

    other_device.goto(f"{server.url}/l/{lottery_id}")
    expect(other_device.locator("#share-panel")).to_be_visible()
    expect(other_device.locator("#play-link")).to_have_value(f"{server.url}/l/{lottery_id}/play/{token}")

    friend = new_page()  # holds the waiting link only
    friend.goto(f"{server.url}/l/{lottery_id}")
    expect(friend.get_by_role("heading", name="Ждём розыгрыша…")).to_be_visible()
    expect(friend.locator("#share-panel")).to_be_hidden()
    assert token not in friend.content()


def test_on_the_owners_own_machine_any_browser_finds_the_play_link(live_server, page):
    lottery_id, token = make_lottery(live_server, ["Тихая гавань", "Гавань"])
    page.goto(f"{live_server.url}/l/{lottery_id}")  # a fresh browser: nothing in its storage
    expect(page.locator("#play-link")).to_have_value(f"{live_server.url}/l/{lottery_id}/play/{token}")


# ---- 2. the draw: the reel spins while the server answers, the focus lands on the winner ----------------


def hold_the_draw(page) -> list:
    held: list = []
    page.route("**/api/lotteries/*/draw", lambda route: held.append(route))
    return held


def wait_for(page, held: list) -> None:
    for _ in range(200):
        if held:
            return
        page.wait_for_timeout(25)
    raise AssertionError("the draw request was never sent")


def reel_shift(page) -> str:
    return page.evaluate("getComputedStyle(document.getElementById('reel')).transform")


def marker_offset(page) -> float:
    """How far the winner's poster centre is from the marker, in px."""
    return page.evaluate(
        """() => {
            const centre = (el) => { const r = el.getBoundingClientRect(); return r.left + r.width / 2; };
            return Math.abs(centre(document.querySelector('.reel__item.is-winner'))
                            - centre(document.querySelector('.reel-marker')));
        }"""
    )


def winner_position(page, server, lottery_id: str) -> int:
    return page.request.get(f"{server.url}/api/lotteries/{lottery_id}").json()["winner"]["position"]


@BOTH_WIDTHS
def test_the_reel_spins_while_the_server_draws_and_the_focus_lands_on_the_winner(
    live_server, page, viewport, screenshot
):
    lottery_id, token = make_lottery(live_server, LONG_TITLES[:3])
    page.goto(f"{live_server.url}/l/{lottery_id}/play/{token}")
    held = hold_the_draw(page)
    button = page.get_by_test_id("draw-button")
    button.focus()
    page.keyboard.press("Enter")
    wait_for(page, held)

    still = reel_shift(page)
    page.wait_for_function(  # it moves while nobody has answered yet
        "(before) => getComputedStyle(document.getElementById('reel')).transform !== before", arg=still
    )
    expect(button).to_be_focused()  # and the pressed button keeps the focus meanwhile
    expect(page.locator(".reel-stage")).to_have_attribute("aria-busy", "true")
    held[0].continue_()

    heading = page.locator("#winner-slot").get_by_test_id("winner-name")
    expect(heading).to_be_focused(timeout=20_000)
    expect(page.locator("#winner-slot")).to_have_attribute("aria-live", "assertive")
    expect(button).to_be_hidden()
    landed = page.locator(".reel__item.is-winner")
    assert int(landed.get_attribute("data-position")) == winner_position(page, live_server, lottery_id)
    assert marker_offset(page) < 2
    expect(heading).to_have_text(LONG_TITLES[winner_position(page, live_server, lottery_id)])
    other = DESKTOP if viewport == PHONE else PHONE
    page.set_viewport_size(other)  # a phone turned after the draw: the winner stays under the marker
    page.wait_for_function("() => document.getElementById('reel').style.transform !== ''")
    settle(page)
    assert marker_offset(page) < 2
    page.set_viewport_size(viewport)
    settle(page)
    assert marker_offset(page) < 2
    screenshot(page, "play-landed")


def test_with_reduced_motion_the_reel_stays_still_and_then_shows_the_winner(live_server, page):
    page.emulate_media(reduced_motion="reduce")
    lottery_id, token = make_lottery(live_server, LONG_TITLES[:3])
    page.goto(f"{live_server.url}/l/{lottery_id}/play/{token}")
    held = hold_the_draw(page)
    page.get_by_test_id("draw-button").click()
    wait_for(page, held)
    before = reel_shift(page)
    page.wait_for_timeout(600)  # a spinning reel covers hundreds of pixels in this time
    assert reel_shift(page) == before
    held[0].continue_()
    expect(page.locator("#winner-slot").get_by_test_id("winner-name")).to_be_focused()
    assert marker_offset(page) < 2


DATABASE_DOWN = "База данных недоступна, попробуйте через минуту"


def test_a_failed_draw_stops_the_reel_and_keeps_the_button(live_server, page):
    lottery_id, token = make_lottery(live_server, LONG_TITLES[:3])
    page.goto(f"{live_server.url}/l/{lottery_id}/play/{token}")
    down = {"error": {"code": "database_unavailable", "message": DATABASE_DOWN}}
    page.route("**/api/lotteries/*/draw", lambda route: route.fulfill(status=503, json=down))
    button = page.get_by_test_id("draw-button")
    button.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("alert")).to_have_text(DATABASE_DOWN)
    expect(button).to_have_text("Крутить!")
    expect(button).to_be_focused()
    assert page.evaluate("document.getElementById('reel').getAnimations().length") == 0


# ---- 3. history's delete buttons, each named by its lottery -------------------------------------------


def test_each_delete_button_in_the_history_names_its_lottery(live_server, page):
    make_lottery(live_server, ["Тихая гавань", "Гавань"])
    make_lottery(live_server, ["Красная дверь", "Синяя дверь"], drawn=True)
    page.goto(live_server.url + "/history")
    buttons = page.locator("summary.icon-button")
    expect(buttons).to_have_count(2)
    date = r"\d{1,2} [а-я]+, \d\d:\d\d$"  # the date as the page shows it, in the viewer's zone
    expect(buttons.nth(0)).to_have_accessible_name(
        re.compile(r"^Удалить лотерею Красная дверь, Синяя дверь от " + date)
    )
    expect(buttons.nth(1)).to_have_accessible_name(
        re.compile(r"^Удалить лотерею Тихая гавань, Гавань от " + date)
    )
    visible_date = page.locator(".history__meta time").first.text_content()
    expect(buttons.nth(0)).to_have_accessible_name(re.compile(re.escape(visible_date) + "$"))


# ---- 4. a visitor's way home --------------------------------------------------------------------------


def test_a_visitors_logo_and_error_page_lead_back_to_their_lottery(start_server, new_page, screenshot):
    server = start_server(ADMIN_PASSWORD=PASSWORD)
    lottery_id, _ = make_lottery(server, ["Тихая гавань", "Гавань"])
    friend = new_page()
    friend.goto(f"{server.url}/l/{lottery_id}/play/mistyped")
    expect(friend.get_by_role("heading", name="Ссылка не подходит")).to_be_visible()  # a mistyped play link
    screenshot(friend, "error-for-a-visitor")
    friend.get_by_role("link", name="К лотерее").click()
    expect(friend).to_have_url(f"{server.url}/l/{lottery_id}")
    friend.goto(server.url + "/l/nope1234")
    friend.get_by_role("link", name="Кинолотерея").click()
    expect(friend.get_by_role("heading", name="Ждём розыгрыша…")).to_be_visible()

    stranger = new_page()  # no lottery opened yet: told what to do, not sent to sign in
    stranger.goto(server.url + "/l/nope1234")
    expect(stranger.get_by_text("Откройте ссылку на лотерею, которую вам прислали")).to_be_visible()
    expect(stranger.get_by_role("link", name="Кинолотерея")).to_have_count(0)


# ---- 5. the search's shortest query -------------------------------------------------------------------


def test_enter_on_one_letter_explains_and_two_letters_search(start_server, fake_kinopoisk, page):
    server = start_server(**kinopoisk_settings(fake_kinopoisk))
    page.goto(server.url + "/")
    expect(page.locator("#search-hint")).to_contain_text("От 2 букв.")
    box = page.get_by_label("Найти в библиотеке или на Кинопоиске")
    box.fill("г")
    box.press("Enter")
    expect(page.locator(".search__status")).to_have_text(
        "Введите название от 2 букв или вставьте ссылку на фильм."
    )
    assert fake_kinopoisk.request_count == 0
    box.fill("га")
    box.press("Enter")
    expect(page.locator(".search__status")).not_to_have_text(re.compile("от 2 букв|Ищем"))
    assert fake_kinopoisk.request_count == 1


# ---- 7. titles on posters and in the reel break between words -------------------------------------------

MID_WORD_BREAKS = """(selector) => {
    const problems = [];
    for (const element of document.querySelectorAll(selector)) {
        const node = element.firstChild;
        if (!element.getClientRects().length || !node || node.nodeType !== Node.TEXT_NODE) continue;
        const text = node.data;
        const range = document.createRange();
        let lastTop = null;
        for (let i = 0; i < text.length; i += 1) {
            if (/\\s|\\u00ad/.test(text[i])) continue;
            range.setStart(node, i);
            range.setEnd(node, i + 1);
            // A letter just after a break point can also get an empty rect at the end of the line before.
            const rect = [...range.getClientRects()].filter((r) => r.width > 0).pop();
            if (!rect) continue;
            const newLine = lastTop !== null && rect.top > lastTop + rect.height / 2;
            if (newLine && !/[\\s\\u00ad\\-—]/.test(text[i - 1])) {  // a soft hyphen shows as "-"
                problems.push(`${text.slice(0, i)} / ${text.slice(i)}`.replaceAll('\\u00ad', ''));
            }
            lastTop = rect.top;
        }
        const box = element.getBoundingClientRect().width;  // a word wider than its box would be cut off
        element.style.overflowWrap = 'normal';
        range.selectNodeContents(element);
        if (range.getBoundingClientRect().width > box + 0.5) problems.push(`cut off: ${text}`);
        element.style.overflowWrap = '';
    }
    return problems;
}"""
TITLES = ".poster__title, .winner-card__title, .candidate__name, .poster-grid__name, .history__title"


@BOTH_WIDTHS
def test_long_russian_titles_break_between_words_or_with_a_hyphen(live_server, page, screenshot):
    lottery_id, token = make_lottery(live_server, LONG_TITLES)
    drawn_id, _ = make_lottery(live_server, LONG_TITLES[1:3], drawn=True)
    for path, name in (
        (f"/l/{lottery_id}/play/{token}", "play-long-titles"),
        (f"/l/{lottery_id}", "waiting-long-titles"),
        (f"/l/{drawn_id}", "result-long-titles"),
        ("/history", "history-long-titles"),
    ):
        page.goto(live_server.url + path)
        expect(page.locator(".poster__title:visible").first).to_be_visible()
        settle(page)
        assert page.evaluate(MID_WORD_BREAKS, TITLES) == [], path
        screenshot(page, name)
    page.goto(live_server.url + "/")
    page.evaluate(
        "(names) => localStorage.setItem('ml:draft', JSON.stringify(names.map((name) => ({ name }))))",
        LONG_TITLES,
    )
    page.reload()
    expect(page.locator(".candidate")).to_have_count(len(LONG_TITLES))
    settle(page)
    assert page.evaluate(MID_WORD_BREAKS, TITLES) == []
