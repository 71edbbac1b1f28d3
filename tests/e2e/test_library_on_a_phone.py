"""The library on a phone (390×844) and a desktop: dense cards, rare actions behind «⋯», big tap targets."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import ARTIFACTS, DESKTOP, PHONE

pytestmark = pytest.mark.e2e

FOURTEEN = [
    {"name": "Тихая гавань", "year": 2019, "rating": 7.4, "genres": ["драма"], "countries": ["Россия"]},
    {"name": "Достопримечательности провинциального городка", "year": 1987, "genres": ["комедия"]},
    {"name": "Маяк на краю света", "year": 2021, "genres": ["приключения"]},
    {"name": "Гавань", "year": 2008, "rating": 6.8, "genres": ["детектив"], "countries": ["Франция"]},
    {"name": "Солярис", "year": 1972, "rating": 8.0, "genres": ["фантастика", "драма"]},
    {"name": "Зеркало", "year": 1975, "rating": 7.9, "genres": ["драма"]},
    {"name": "Брат", "year": 1997, "rating": 8.3, "genres": ["криминал"]},
    {"name": "Сталкер", "year": 1979, "rating": 8.1, "genres": ["фантастика"]},
    {"name": "Кин-дза-дза!", "year": 1986, "rating": 8.0, "genres": ["комедия", "фантастика"]},
    {"name": "Иван Васильевич меняет профессию", "year": 1973, "rating": 8.8, "genres": ["комедия"]},
    {"name": "Москва слезам не верит", "year": 1979, "rating": 8.2, "genres": ["мелодрама"]},
    {"name": "Человеконенавистничество", "year": 2001, "genres": ["драма"]},
    {"name": "Ирония судьбы, или С лёгким паром!", "year": 1975, "rating": 8.2, "genres": ["комедия"]},
    {"name": "Берегись автомобиля", "year": 1966, "rating": 8.4, "genres": ["комедия", "криминал"]},
]


def stock(server, movies=FOURTEEN) -> None:
    api = server.app.test_client()
    for movie in movies:
        assert api.post("/api/library", json=movie).status_code == 201


def first_screens(page, name: str) -> None:
    """The first screen (no scrolling) at phone and desktop width, beside the fixture's full pages."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for label, size in (("phone", PHONE), ("desktop", DESKTOP)):
        page.set_viewport_size(size)
        page.evaluate("window.scrollTo(0, 0)")
        page.wait_for_timeout(150)
        page.screenshot(path=str(ARTIFACTS / f"{name}-first-screen-{label}.png"))


def test_the_first_card_starts_on_the_first_screen_of_a_phone_with_fourteen_movies(
    live_server, page, screenshot, no_dialogs
):
    stock(live_server)
    page.set_viewport_size(PHONE)
    page.goto(live_server.url + "/library")
    cards = page.locator(".library-card")
    expect(cards).to_have_count(14)
    first = cards.first.bounding_box()
    assert first["y"] + 60 < PHONE["height"], f"the first card starts at {first['y']} px"
    # Compact: a card is a fraction of the screen, not half of it.
    assert first["height"] < 260, f"a card is {first['height']} px tall"
    first_screens(page, "library-fourteen")
    screenshot(page, "library-fourteen")


def test_without_qbittorrent_a_card_has_no_magnet_or_download_control(live_server, page, no_dialogs):
    stock(live_server, FOURTEEN[:2])
    page.set_viewport_size(PHONE)
    page.goto(live_server.url + "/library")
    card = page.locator(".library-card").first
    card.get_by_label(f"Ещё: «{FOURTEEN[1]['name']}»").click()
    expect(card.get_by_text("Удалить из библиотеки")).to_be_visible()
    for word in ("Магнет", "магнет", "Скачать", "Найти раздачу"):
        expect(page.locator(".library-card").get_by_text(word)).to_have_count(0)
    expect(page.locator("#torrent-status")).to_be_hidden()
    expect(page.get_by_label("Магнет-ссылка")).to_have_count(0)  # nor in the add form below


def test_rare_actions_sit_behind_one_menu_that_escape_closes(live_server, page, screenshot, no_dialogs):
    stock(live_server, FOURTEEN[:2])
    page.goto(live_server.url + "/library")
    card = page.locator(".library-card").first
    delete = card.get_by_text("Удалить из библиотеки")
    expect(delete).to_be_hidden()
    more = card.get_by_label(f"Ещё: «{FOURTEEN[1]['name']}»")
    more.focus()
    page.keyboard.press("Enter")
    expect(delete).to_be_visible()
    page.set_viewport_size(PHONE)
    page.screenshot(path=str(ARTIFACTS / "library-card-menu-first-screen-phone.png"))
    page.keyboard.press("Escape")
    expect(delete).to_be_hidden()
    expect(more).to_be_focused()
    more.click()
    delete.click()
    card.get_by_role("button", name="Удалить", exact=True).click()
    expect(page.locator(".library-card")).to_have_count(1)


@pytest.mark.parametrize("size", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_every_button_and_link_on_the_library_is_at_least_44_px_tall(live_server, page, size):
    stock(live_server, FOURTEEN[:3])
    page.set_viewport_size(size)
    page.goto(live_server.url + "/library")
    page.locator(".library-card").first.get_by_text("Даты").click()
    small = page.evaluate(
        """() => [...document.querySelectorAll(
              'a[href], button, summary, select, input:not([type=hidden]), [role=button]')]
            .filter((el) => el.getClientRects().length && getComputedStyle(el).visibility !== 'hidden')
            .map((el) => {
              // An input drawn inside a bigger label (the card's checkbox) is tapped through the label.
              const target = el.closest('label') && el.type === 'checkbox' ? el.closest('label') : el;
              // The layout's height, not the drawn box: a just-pressed button is scaled by .98 while it
              // springs back (.button:active), and the tap target is the layout's.
              return { what: (el.textContent || el.name || el.id || el.className).trim().slice(0, 40),
                       height: target.offsetHeight };
            })
            .filter((item) => item.height < 44)"""
    )
    assert small == []


def test_a_second_toast_replaces_the_first_and_a_repeat_shows_once(live_server, page):
    page.goto(live_server.url + "/library")
    page.evaluate(
        """async () => {
            const { toast } = await import('/static/js/lib/errors.js');
            toast('Первое'); toast('Второе'); toast('Второе'); toast('Второе');
        }"""
    )
    toasts = page.locator("#toasts .toast")
    expect(toasts).to_have_count(1)
    expect(toasts).to_have_text("Второе")
    toasts.get_by_role("button", name="Закрыть сообщение").click()
    expect(toasts).to_have_count(0)


def answers(page, count: int) -> None:
    """Wait for the dialog's promises (the page's CSP forbids wait_for_function's eval)."""
    for _ in range(50):
        if page.evaluate("window.answers.length") >= count:
            return
        page.wait_for_timeout(50)
    raise AssertionError(f"only {page.evaluate('window.answers')} answered")


def test_a_question_is_a_real_dialog_reachable_by_keyboard_and_escape_says_no(live_server, page, no_dialogs):
    page.goto(live_server.url + "/library")
    page.evaluate(
        """async () => {
            const { ask } = await import('/static/js/lib/dialog.js');
            window.answers = [];
            ask('Убрать голос «Аня»?', { yes: 'Убрать', danger: true }).then((a) => window.answers.push(a));
        }"""
    )
    dialog = page.get_by_role("dialog", name="Убрать голос «Аня»?")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("button", name="Отмена")).to_be_focused()  # a destructive question: «нет» first
    page.set_viewport_size(PHONE)
    page.screenshot(path=str(ARTIFACTS / "ask-dialog-first-screen-phone.png"))
    page.keyboard.press("Escape")
    expect(dialog).to_have_count(0)
    answers(page, 1)
    assert page.evaluate("window.answers") == [False]

    page.evaluate(
        """async () => {
            const { ask } = await import('/static/js/lib/dialog.js');
            ask('Отправить?', { yes: 'Отправить' }).then((a) => window.answers.push(a));
        }"""
    )
    dialog = page.get_by_role("dialog", name="Отправить?")
    expect(dialog.get_by_role("button", name="Отправить")).to_be_focused()
    page.keyboard.press("Shift+Tab")
    expect(dialog.get_by_role("button", name="Отмена")).to_be_focused()
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    answers(page, 2)
    assert page.evaluate("window.answers") == [False, True]


def test_long_titles_wrap_by_words_with_hyphens_and_are_never_clipped(live_server, page):
    stock(live_server, [*FOURTEEN[:2], FOURTEEN[11]])
    for size in (DESKTOP, PHONE):
        page.set_viewport_size(size)
        page.goto(live_server.url + "/library")
        clipped = page.evaluate(
            """() => [...document.querySelectorAll('.library-card__title, .poster__fallback')]
                .filter((el) => el.getClientRects().length)
                .filter((el) => el.scrollHeight > el.clientHeight + 1 || el.scrollWidth > el.clientWidth + 1)
                .map((el) => el.textContent)"""
        )
        assert clipped == []
        assert page.evaluate("document.documentElement.scrollWidth") == size["width"]  # nothing sticks out
        style = page.locator(".library-card__title").first.evaluate(
            "(el) => [getComputedStyle(el).hyphens, getComputedStyle(el).overflowWrap]"
        )
        assert style == ["auto", "break-word"]
    title = page.locator(".library-card__title", has_text="Человеко")
    expect(title).to_contain_text("\u00ad")  # on the phone: soft hyphens at syllables (lib/titles.js)
