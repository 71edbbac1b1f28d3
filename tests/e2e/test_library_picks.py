"""The library as the group's memory, in a real browser at phone and desktop width: statuses and filters,
picks from the library into the builder, «Случайные 5», «Посмотрели» on the result page."""

from __future__ import annotations

import re
from datetime import date, timedelta
from urllib.parse import quote

import pytest
from playwright.sync_api import expect

from movie_lottery.web.rendering.library_words import ru_day
from tests.conftest import kinopoisk_settings
from tests.e2e.conftest import DESKTOP, PHONE
from tests.support.days import last_march_3, next_new_year, today

pytestmark = pytest.mark.e2e


LOCAL_TODAY = """(() => {
  const d = new Date();
  const pad = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
})()"""

SHELF = [  # name, year, genres, what the group did with it
    ("Сталкер", 1979, ["драма", "фантастика"], {"viewings": [last_march_3()]}),
    ("Солярис", 1972, ["драма"], {}),
    ("Зеркало", 1975, ["драма"], {}),
    ("Ёлки", 2010, ["комедия"], {}),
    ("Иван Васильевич меняет профессию", 1973, ["комедия"], {"viewings": [last_march_3()]}),
    ("Дюна", 2021, ["фантастика"], {"marks": {"status": "excluded", "excluded_until": next_new_year()}}),
]


# Each flow on one width (they alternate): the two layouts are the same markup, and every page is also
# looked at on both widths in test_every_page.
@pytest.fixture(params=["desktop", "phone"])
def width(request, page) -> str:
    page.set_viewport_size(DESKTOP if request.param == "desktop" else PHONE)
    return request.param


def stock(server, shelf=SHELF) -> dict[str, int]:
    """The movies through the API, as a script would add them; name -> library id."""
    api = server.app.test_client()
    ids = {}
    for name, year, genres, done in shelf:
        movie = api.post("/api/library", json={"name": name, "year": year, "genres": genres}).get_json()
        ids[name] = movie["id"]
        for day in done.get("viewings", []):
            assert (
                api.post(f"/api/library/{movie['id']}/viewings", json={"date": day.isoformat()}).status_code
                == 201
            )
        if "marks" in done:
            marks = {k: v.isoformat() if isinstance(v, date) else v for k, v in done["marks"].items()}
            assert api.patch(f"/api/library/{movie['id']}", json=marks).status_code == 200
    return ids


def titles(page) -> list[str]:
    return page.locator(".library-card__title").all_inner_texts()


def card(page, name: str):
    return page.locator(".library-card", has=page.get_by_role("heading", name=name, exact=True))


@pytest.mark.parametrize("width", ["phone"], indirect=True)
def test_filter_by_status_and_genre_then_three_selected_movies_make_a_lottery(
    live_server, page, width, screenshot, no_dialogs
):
    stock(live_server)
    page.goto(live_server.url + "/library")
    # Everything except «не предлагать», with the count of each status on its tab.
    assert sorted(titles(page)) == sorted(name for name, *_ in SHELF if name != "Дюна")
    tabs = page.get_by_role("navigation", name="Статус фильмов")
    expect(tabs.get_by_role("link")).to_have_text(
        [re.compile(r"Все\s+5"), re.compile(r"Хочу посмотреть\s+3"), re.compile(r"Посмотрели\s+2"),
         re.compile(r"Не предлагать\s+1")]
    )  # fmt: skip

    tabs.get_by_role("link", name=re.compile("Посмотрели")).click()
    expect(page).to_have_url(re.compile(r"[?&]status=watched"))
    assert sorted(titles(page)) == ["Иван Васильевич меняет профессию", "Сталкер"]
    expect(card(page, "Сталкер").get_by_test_id("marks-note")).to_have_text(
        f"смотрели {ru_day(last_march_3(), today())}"
    )
    tabs.get_by_role("link", name=re.compile("Не предлагать")).click()
    expect(page.locator(".library-card")).to_have_count(1)
    expect(card(page, "Дюна").get_by_test_id("marks-note")).to_have_text(
        f"исключён до {ru_day(next_new_year(), today())}"
    )

    tabs.get_by_role("link", name=re.compile("Все")).click()
    expect(page.locator(".library-card")).to_have_count(5)  # «Все» has arrived before the filter is touched
    page.wait_for_load_state()  # and its script: a change made before it runs applies nothing (a loaded CI)
    page.get_by_text("Жанр, годы, рейтинг").click()
    page.get_by_label("Жанр").select_option("драма")  # applies as it changes: no button
    expect(page).to_have_url(re.compile(r"[?&]genre=" + re.escape(quote("драма"))))
    expect(page.locator(".library-card")).to_have_count(3)
    page.reload()  # the filter lives in the address: it can be bookmarked and shared
    assert sorted(titles(page)) == ["Зеркало", "Солярис", "Сталкер"]
    expect(page.get_by_label("Жанр")).to_have_value("драма")

    # Select three: two taps, and one from the keyboard.
    count = page.locator("#selection-count")
    card(page, "Солярис").get_by_label("Выбрать «Солярис»").check()
    card(page, "Зеркало").get_by_label("Выбрать «Зеркало»").check()
    expect(count).to_have_text("Выбрано: 2")
    card(page, "Сталкер").get_by_label("Выбрать «Сталкер»").focus()
    page.keyboard.press("Space")
    expect(count).to_have_text("Выбрано: 3")
    screenshot(page, "library-selected")

    page.get_by_role("button", name="Лотерея из выбранных").click()
    expect(page.locator(".candidate__name")).to_have_text(["Солярис", "Зеркало", "Сталкер"])
    expect(page).to_have_url(live_server.url + "/")  # the picks are the draft now: a reload keeps edits
    expect(page.locator(".candidate", has_text="Сталкер").locator(".candidate__note")).to_have_text(
        f"смотрели {ru_day(last_march_3(), today())}"
    )
    screenshot(page, "builder-from-library")

    # Still editable: one out, one typed in, and the list survives a reload.
    page.get_by_role("button", name="Убрать «Зеркало»").click()
    page.get_by_label("Название").fill("Андрей Рублёв")
    page.get_by_test_id("add-movie").click()
    page.reload()
    expect(page.locator(".candidate__name")).to_have_text(["Солярис", "Сталкер", "Андрей Рублёв"])
    page.get_by_test_id("create-lottery").click()
    page.wait_for_url(re.compile(r"/l/[\w-]+$"))
    lottery_id = page.url.rsplit("/", 1)[1]
    made = live_server.app.test_client().get(f"/api/lotteries/{lottery_id}").get_json()
    assert [movie["name"] for movie in made["movies"]] == ["Солярис", "Сталкер", "Андрей Рублёв"]


@pytest.mark.parametrize("width", ["desktop"], indirect=True)
def test_three_selected_library_movies_start_a_poll_with_the_builders_settings(
    live_server, page, width, screenshot, no_dialogs
):
    stock(live_server)
    page.goto(live_server.url + "/library")
    for name in ("Зеркало", "Ёлки", "Солярис"):
        card(page, name).get_by_label(f"Выбрать «{name}»").check()
    expect(page.locator("#selection-count")).to_have_text("Выбрано: 3")
    page.get_by_role("button", name="Голосование из выбранных").click()

    # The builder, with the picks and «Голосование» already chosen: its own poll settings, shown.
    expect(page.locator(".candidate__name")).to_have_text(["Зеркало", "Ёлки", "Солярис"])
    expect(page.get_by_test_id("kind-poll")).to_be_checked()
    expect(page.locator("#poll-settings")).to_be_visible()
    expect(page.get_by_test_id("create-lottery")).to_have_text("Создать голосование")
    page.get_by_test_id("method-ranked").check()
    page.get_by_label("Когда закончить").select_option("hour")
    page.get_by_label("Результаты").select_option("live")
    page.get_by_label("Разрешить вето").check()
    screenshot(page, "builder-poll-from-library")
    page.get_by_test_id("create-lottery").click()

    page.wait_for_url(re.compile(r"/p/[\w-]+/manage/[\w-]+$"))
    expect(page.get_by_test_id("manage-panel")).to_be_visible()
    poll_id = page.url.split("/p/", 1)[1].split("/", 1)[0]
    made = live_server.app.test_client().get(f"/api/polls/{poll_id}").get_json()
    assert [movie["name"] for movie in made["movies"]] == ["Зеркало", "Ёлки", "Солярис"]
    assert (made["method"], made["results"], made["veto"]) == ("ranked", "live", True)
    assert made["deadline"] is not None
    expect(page.locator("#poll-facts")).to_contain_text("Результаты видны сразу")
    expect(page.locator("#poll-facts")).to_contain_text("Можно наложить одно вето")
    screenshot(page, "poll-manage-from-library")
    page.get_by_label("Имя").fill("Аня")  # the creator votes too: the ballot holds the three movies
    page.get_by_test_id("name-next").click()
    expect(page.locator("#unranked .rank-item")).to_have_count(3)
    for name in ("Зеркало", "Ёлки", "Солярис"):
        expect(page.locator("#unranked")).to_contain_text(name)


def test_random_picks_can_start_a_poll_too(live_server, page, no_dialogs):
    stock(live_server)
    page.goto(live_server.url + "/library")
    page.get_by_role("spinbutton", name="Случайные").fill("3")
    page.get_by_test_id("random-poll").click()
    expect(page.locator(".candidate")).to_have_count(3)
    expect(page.get_by_test_id("kind-poll")).to_be_checked()
    expect(page.locator("#poll-settings")).to_be_visible()
    page.get_by_test_id("create-lottery").click()
    page.wait_for_url(re.compile(r"/p/[\w-]+/manage/[\w-]+$"))


def test_select_all_shown_counts_them_and_clears_again(live_server, page, no_dialogs):
    stock(live_server)
    page.goto(live_server.url + "/library?genre=комедия")
    page.get_by_role("button", name="Выбрать все показанные").click()
    expect(page.locator("#selection-count")).to_have_text("Выбрано: 2")
    expect(page.locator("input[data-select]:checked")).to_have_count(2)
    page.get_by_role("button", name="Снять все показанные").click()
    expect(page.locator("#selection-count")).to_have_text(
        "Отметьте фильмы, чтобы собрать из них лотерею или голосование"
    )
    expect(page.get_by_role("button", name="Лотерея из выбранных")).to_be_disabled()
    expect(page.get_by_role("button", name="Голосование из выбранных")).to_be_disabled()


@pytest.mark.parametrize("width", ["phone"], indirect=True)
def test_random_five_from_the_watchlist_are_five_distinct_movies_never_excluded(
    live_server, page, width, screenshot, no_dialogs
):
    wanted = [(f"Хочу {n}", 2000 + n, ["драма"], {}) for n in range(1, 9)]
    excluded = [
        (f"Не предлагать {n}", 1990 + n, ["драма"], {"marks": {"status": "excluded"}}) for n in range(3)
    ]
    watched = [(f"Смотрели {n}", 1980 + n, ["драма"], {"viewings": [last_march_3()]}) for n in range(2)]
    stock(live_server, wanted + excluded + watched)
    want_names = {name for name, *_ in wanted}
    for _ in range(3):
        page.goto(live_server.url + "/library")
        expect(page.get_by_role("spinbutton", name="Случайные")).to_have_value("5")
        expect(page.locator(".random-pick__from")).to_have_text("из «хочу посмотреть»: подходят 8")
        page.get_by_test_id("random-pick").click()
        expect(page.locator(".candidate")).to_have_count(5)
        names = page.locator(".candidate__name").all_inner_texts()
        assert len(set(names)) == 5 and set(names) <= want_names, names
    screenshot(page, "builder-random-five")

    # More than there are: all of them, and the page says so.
    page.goto(live_server.url + "/library")
    page.get_by_role("spinbutton", name="Случайные").fill("25")
    page.get_by_test_id("random-pick").click()
    expect(page.locator(".candidate")).to_have_count(8)
    assert set(page.locator(".candidate__name").all_inner_texts()) == want_names
    expect(page.locator(".flash--warning")).to_have_text("Подходят только 8 из 25 — взяли все")


@pytest.mark.parametrize("width", ["desktop"], indirect=True)
def test_the_winner_marked_watched_on_the_result_page_shows_in_the_library_and_in_history(
    live_server, page, width, screenshot, no_dialogs
):
    api = live_server.app.test_client()
    movies = [{"name": "Сталкер", "year": 1979}, {"name": "Солярис", "year": 1972}]
    created = api.post("/api/lotteries", json={"movies": movies}).get_json()
    drawn = api.post(f"/api/lotteries/{created['id']}/draw", json={"token": created["play_token"]}).get_json()
    winner = drawn["winner"]["name"]
    night = today() - timedelta(days=2)

    page.goto(live_server.url + f"/l/{created['id']}")
    expect(page.get_by_role("heading", name="Уже посмотрели?")).to_be_visible()
    page.get_by_label("Дата просмотра").fill(night.isoformat())
    page.get_by_test_id("winner-watched").click()
    expect(page.get_by_test_id("watched-state")).to_have_text(f"✓ Посмотрели {ru_day(night, today())}")
    expect(page.locator(".toast")).to_contain_text("посмотрели — записано в библиотеке")  # after the reload
    screenshot(page, "result-watched")

    page.get_by_role("link", name="История").click()
    item = page.locator(".history__item", has_text=winner)
    expect(item.get_by_test_id("history-watched")).to_have_text(f"✓ посмотрели {ru_day(night, today())}")
    screenshot(page, "history-watched")

    page.goto(live_server.url + "/library?status=watched")
    expect(page.locator(".library-card__title")).to_have_text([winner])
    expect(card(page, winner).get_by_test_id("status-badge")).to_have_text("посмотрели")
    expect(card(page, winner).get_by_test_id("marks-note")).to_have_text(f"смотрели {ru_day(night, today())}")


def test_an_excluded_or_watched_movie_shows_its_note_in_the_builder_before_the_lottery_is_made(
    live_server, page, width, screenshot, no_dialogs
):
    stock(live_server)
    page.goto(live_server.url + "/")
    for name, year in (("Дюна", "2021"), ("Сталкер", "1979"), ("Андрей Рублёв", "1966")):
        page.get_by_label("Название").fill(name)
        page.get_by_label("Год").fill(year)
        page.get_by_test_id("add-movie").click()
    notes = page.locator(".candidate__note")
    expect(page.locator(".candidate", has_text="Дюна").locator(".candidate__note")).to_have_text(
        f"исключён до {ru_day(next_new_year(), today())}"
    )
    expect(page.locator(".candidate", has_text="Сталкер").locator(".candidate__note")).to_have_text(
        f"смотрели {ru_day(last_march_3(), today())}"
    )
    expect(page.locator(".candidate", has_text="Андрей Рублёв").locator(".candidate__note")).to_be_hidden()
    expect(notes.filter(has_text="исключён")).to_have_attribute("data-status", "excluded")
    screenshot(page, "builder-notes")


def test_the_builders_search_results_say_what_the_library_knows(
    start_server, fake_kinopoisk, page, screenshot, no_dialogs
):
    server = start_server(**kinopoisk_settings(fake_kinopoisk))
    api = server.app.test_client()
    movie = api.post(
        "/api/library", json={"kinopoisk_id": 1000003, "name": "Гавань", "year": 2008}
    ).get_json()
    api.post(f"/api/library/{movie['id']}/viewings", json={"date": last_march_3().isoformat()})
    page.goto(server.url + "/")
    page.get_by_label("Найти в библиотеке или на Кинопоиске").fill("гавань")
    hit = page.locator(
        ".search-result", has=page.locator(".search-result__name", has_text=re.compile("^Гавань$"))
    )
    expect(hit.locator(".search-result__note")).to_have_text(
        f"В библиотеке: смотрели {ru_day(last_march_3(), today())}"
    )
    expect(page.locator(".search-result__note:visible")).to_have_count(1)  # the others are not in the library
    hit.get_by_role("button").click()
    expect(page.locator(".candidate__note")).to_have_text(f"смотрели {ru_day(last_march_3(), today())}")
    screenshot(page, "builder-search-library-note")


def test_one_tap_on_a_card_changes_its_marks_without_a_reload(
    live_server, page, width, screenshot, no_dialogs
):
    stock(live_server, SHELF[1:3])
    page.goto(live_server.url + "/library")
    page.evaluate("window.stillTheSamePage = true")
    solaris = card(page, "Солярис")
    expect(solaris.get_by_test_id("status-badge")).to_have_text("хочу посмотреть")

    solaris.get_by_role("button", name="Посмотрели", exact=True).click()
    local_today = date.fromisoformat(page.evaluate(LOCAL_TODAY))
    expect(solaris.get_by_test_id("marks-note")).to_have_text(f"смотрели {ru_day(local_today, today())}")
    expect(solaris.get_by_test_id("status-badge")).to_have_text("посмотрели")
    expect(solaris.get_by_role("button", name="Посмотрели", exact=True)).to_have_attribute(
        "aria-pressed", "true"
    )
    expect(page.locator(".toast").last).to_contain_text("«Солярис»: посмотрели")

    # «любимое» from the keyboard: the mark appears and the focus stays on the button.
    heart = solaris.get_by_role("button", name="Любимое: «Солярис»")
    heart.focus()
    page.keyboard.press("Enter")
    expect(solaris.get_by_test_id("favourite-mark")).to_have_text("♥\u00a0любимое")
    expect(solaris.get_by_role("button", name="Любимое: «Солярис»")).to_be_focused()
    expect(solaris.get_by_role("button", name="Любимое: «Солярис»")).to_have_attribute("aria-pressed", "true")

    # Another night, on a day of our choosing, in «Даты»; then one of them forgotten again.
    solaris.get_by_text("Даты").click()
    earlier = local_today - timedelta(days=10)
    solaris.get_by_label("Посмотрели в день").fill(earlier.isoformat())
    solaris.get_by_role("button", name="Записать").click()
    expect(solaris.get_by_test_id("marks-note")).to_have_text(
        f"смотрели 2\u00a0раза, последний — {ru_day(local_today, today())}"
    )
    expect(solaris.locator(".marks-more")).to_have_attribute("open", "")  # the box stayed open
    screenshot(page, "library-card-marks")
    solaris.get_by_role("button", name=f"Забыть просмотр {ru_day(local_today, today())}").click()
    expect(solaris.get_by_test_id("marks-note")).to_have_text(f"смотрели {ru_day(earlier, today())}")

    zerkalo = card(page, "Зеркало")
    zerkalo.get_by_role("button", name="Не предлагать").click()
    expect(zerkalo.get_by_test_id("marks-note")).to_have_text("исключён навсегда")
    assert page.evaluate("window.stillTheSamePage") is True

    page.reload()  # stored, not only drawn: «не предлагать» leaves the default list
    assert titles(page) == ["Солярис"]
    expect(page.get_by_role("link", name=re.compile(r"Не предлагать\s+1"))).to_be_visible()


def test_the_selection_bars_two_starts_stay_side_by_side_when_the_bar_wraps(live_server, page):
    stock(live_server, SHELF[:2])
    page.set_viewport_size(DESKTOP)
    page.goto(live_server.url + "/library")
    lottery = page.get_by_test_id("lottery-from-selected").bounding_box()
    poll = page.get_by_test_id("poll-from-selected").bounding_box()
    # Both are the same choice (what to start from the picks): one row, not one on each side of the bar.
    assert abs(lottery["y"] - poll["y"]) < 2 and poll["x"] > lottery["x"], (lottery, poll)
