"""The library page and its script's endpoints: one rendering of every card part, filters in the address,
marks and viewings as plain forms, picks for the builder, «Случайные N», «Посмотрели» on the result page."""

from __future__ import annotations

import contextlib
import json
import re
from datetime import date
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
import sqlalchemy as sa

from movie_lottery.core.extensions import db
from movie_lottery.downloads import status as torrent_status
from movie_lottery.web.rendering.library_words import ru_day
from movie_lottery.web.rendering.page_cache import PageCache
from tests.downloads.test_torrent_status import HASH_A, QBIT, StubClient, install, magnet
from tests.support.days import last_march_3, today

STATIC_JS = Path(__file__).resolve().parents[2] / "movie_lottery" / "static" / "js"
TOKEN = re.compile(r'name="csrf_token" value="[^"]*"')
CARD_WORDS = (
    *("качается", "в очереди", "готово", "пауза", "удаляется", "нет в qBittorrent", "отправлено"),
    *("qBittorrent на связи", "не настроен", "смотрели ", "исключён", "хочу посмотреть"),
)


@pytest.fixture(autouse=True)
def _stop_refreshers():
    yield
    torrent_status.stop_all(timeout=10)


def add(script, name: str, year: int, **extra) -> int:
    response = script.post("/api/library", json={"name": name, "year": year, **extra})
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def page_token(browser, path: str = "/library") -> str:
    html = browser.get(path).get_data(as_text=True)
    return re.search(r'name="csrf-token" content="([^"]+)"', html).group(1)


def without_tokens(html: str) -> str:
    return TOKEN.sub('name="csrf_token" value=""', html)


@contextlib.contextmanager
def counting(app):
    seen: list[str] = []

    def count(conn, cursor, statement, *args):
        if "content_version" not in statement:
            seen.append(statement)

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)


# ---- one rendering for every part of a card ---------------------------------------------------------


def test_the_live_parts_are_exactly_what_the_page_shows(make_app):
    """The script swaps in /library/live's parts only when they differ from the page's: the two must come
    from the one rule, or every card would flicker on the first poll."""
    app = make_app(**QBIT)
    stub = StubClient()
    service = install(app, stub)
    script, browser = app.test_client(), app.test_client()
    queued = add(script, "Сталкер", 1979, magnet=magnet(HASH_A))
    script.post(f"/api/library/{queued}/download", json={})
    watched = add(script, "Солярис", 1972)
    script.post(f"/api/library/{watched}/viewings", json={"date": last_march_3().isoformat()})
    for step in ("queued", "downloading"):
        page = without_tokens(browser.get("/library?sort=title").get_data(as_text=True))
        back = re.search(r'data-back="([^"]+)"', page).group(1)
        live = browser.get(f"/library/live?ids={queued},{watched}&parts=torrent,marks,controls&back={back}")
        cards = live.get_json()["cards"]
        for movie_id in (queued, watched):
            for part in ("torrent", "marks", "controls"):
                assert without_tokens(cards[str(movie_id)][part]).strip() in page, (step, movie_id, part)
        assert ("в очереди" if step == "queued" else "качается 42") in cards[str(queued)]["torrent"]
        assert f"смотрели {ru_day(last_march_3(), today())}" in cards[str(watched)]["marks"]
        service.run_cycle()
        stub.put(HASH_A, state="downloading", progress=0.42, eta=720)
        service.run_cycle()


def test_the_live_status_line_is_the_pages_and_counts_down_from_a_time(make_app):
    app = make_app(**QBIT)
    stub = StubClient()
    service = install(app, stub)
    from movie_lottery.integrations.qbittorrent import TorrentClientError

    stub.fail_with = TorrentClientError("нет связи")
    for _ in range(3):
        service.run_cycle()  # the breaker opens and names its next attempt
    browser = app.test_client()
    page = browser.get("/library").get_data(as_text=True)
    status = browser.get("/library/live?ids=").get_json()["status"]
    assert status["kind"] == "down"
    assert status["html"].strip() in page
    assert re.search(
        r'<time datetime="[^"]+" data-countdown>в \d\d:\d\d:\d\d&nbsp;UTC</time>', status["html"]
    )


def test_an_idle_page_asking_again_gets_304_until_what_it_shows_moves(make_app):
    app = make_app(**QBIT)
    stub = StubClient()
    service = install(app, stub)
    script, browser = app.test_client(), app.test_client()
    movie = add(script, "Сталкер", 1979, magnet=magnet(HASH_A))
    path = f"/library/live?ids={movie}&parts=torrent,marks"
    service.run_cycle()
    etag = browser.get(path).headers["ETag"]
    assert browser.get(path, headers={"If-None-Match": etag}).status_code == 304
    service.run_cycle()  # the refresher looked again and saw nothing new: still nothing to send
    not_modified = browser.get(path, headers={"If-None-Match": etag})
    assert not_modified.status_code == 304 and not_modified.get_data() == b""
    script.patch(f"/api/library/{movie}", json={"favourite": True})  # the data moved
    moved = browser.get(path, headers={"If-None-Match": etag})
    assert moved.status_code == 200 and "любимое" in moved.get_json()["cards"][str(movie)]["marks"]
    etag = moved.headers["ETag"]
    script.post(f"/api/library/{movie}/download", json={})
    service.run_cycle()
    etag = browser.get(path).headers["ETag"]
    stub.put(HASH_A, state="downloading", progress=0.5)
    service.run_cycle()  # only qBittorrent's picture moved: no row changed
    answer = browser.get(path, headers={"If-None-Match": etag})
    assert answer.status_code == 200 and "качается 50" in answer.get_json()["cards"][str(movie)]["torrent"]
    assert answer.get_json()["poll"]["active"] is True


def test_the_live_parts_cost_the_same_statements_for_one_card_or_twenty_four(make_app):
    app = make_app(**QBIT)
    install(app, StubClient())
    script, browser = app.test_client(), app.test_client()
    ids = [add(script, f"Фильм {n}", 2000 + n, magnet=magnet(f"{n:040x}")) for n in range(24)]
    for movie_id in ids:
        script.post(f"/api/library/{movie_id}/viewings", json={"date": last_march_3().isoformat()})

    def statements(some: list[int]) -> int:
        with counting(app) as seen:
            assert (
                browser.get(f"/library/live?ids={','.join(map(str, some))}&parts=torrent,marks").status_code
                == 200
            )
        return len(seen)

    assert statements(ids[:1]) == statements(ids) <= 2  # the movies with their downloads, their viewings


def test_a_card_form_sent_by_the_script_is_answered_with_the_card_as_stored(make_app):
    """«Скачать» from the script: the answer shows «в очереди», rendered before the sender is woken."""
    app = make_app(**QBIT)
    install(app, StubClient())
    script, browser = app.test_client(), app.test_client()
    movie = add(script, "Сталкер", 1979, magnet=magnet(HASH_A))
    bare = add(script, "Солярис", 1972)
    token = page_token(browser)
    headers = {"Accept": "application/json", "X-CSRFToken": token}
    answer = browser.post(
        f"/library/{movie}/download", data={"csrf_token": token, "back": "/library"}, headers=headers
    )
    assert answer.status_code == 200
    body = answer.get_json()
    assert body["message"].startswith("«Сталкер»: в очереди")
    assert "в очереди" in body["cards"][str(movie)]["torrent"]
    assert (
        'name="csrf_token" value=""' in body["cards"][str(movie)]["torrent"]
    )  # the script puts the page's in
    refused = browser.post(f"/library/{bare}/download", data={"csrf_token": token}, headers=headers)
    assert refused.status_code == 409
    assert refused.get_json()["error"]["code"] == "no_magnet"
    missing = browser.post("/library/999999/download", data={"csrf_token": token}, headers=headers)
    assert missing.status_code == 404 and missing.get_json()["error"]["code"] == "movie_not_found"
    assert "_flashes" not in browser.get("/library").get_data(as_text=True)  # no message left for later


def test_the_library_script_words_no_card_itself():
    """One place for each rule: the badges, the marks and the status line are the server's words only."""
    script = (STATIC_JS / "library.js").read_text(encoding="utf-8")
    for words in CARD_WORDS:
        assert words not in script, words


# ---- the list: filters in the address, counts, a fixed cost -------------------------------------------


@pytest.fixture
def shelf(app):
    script = app.test_client()
    ids = {
        "Сталкер": add(script, "Сталкер", 1979, genres=["Драма", "фантастика"], rating=8.1),
        "Солярис": add(script, "Солярис", 1972, genres=["драма"], rating=7.9),
        "Ёлки": add(script, "Ёлки", 2010, genres=["комедия"], rating=6.1),
        "Дюна": add(script, "Дюна", 2021, genres=["фантастика"], rating=7.7),
    }
    script.post(f"/api/library/{ids['Сталкер']}/viewings", json={"date": last_march_3().isoformat()})
    script.patch(f"/api/library/{ids['Дюна']}", json={"status": "excluded"})
    script.patch(f"/api/library/{ids['Солярис']}", json={"favourite": True})
    return ids


def titles(html: str) -> list[str]:
    return re.findall(r'<h2 class="library-card__title">([^<]+)</h2>', html)


def test_the_list_hides_excluded_movies_unless_asked_and_counts_each_status(client, shelf):
    html = client.get("/library").get_data(as_text=True)
    assert set(titles(html)) == {"Солярис", "Сталкер", "Ёлки"}
    tabs = dict(
        re.findall(r'data-status="(\w*)"[^>]*>[^<]+<span class="status-tab__count">(\d+)</span>', html)
    )
    assert tabs == {"": "3", "want": "2", "watched": "1", "excluded": "1"}
    assert titles(client.get("/library?status=excluded").get_data(as_text=True)) == ["Дюна"]
    assert len(titles(client.get("/library?status=all").get_data(as_text=True))) == 4


def test_the_headline_counts_what_the_all_tab_counts_and_names_the_excluded_apart(client, shelf):
    def headline(path: str) -> str:
        html = client.get(path).get_data(as_text=True)
        return re.search(r'data-testid="library-headline">([^<]+)<', html).group(1)

    assert headline("/library").startswith("3 фильма: ")
    assert headline("/library").endswith("ещё 1 — «не предлагать».")
    # A filter narrows the list and its tabs, not the library's size.
    assert headline("/library?genre=драма") == headline("/library")


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("genre=драма", ["Солярис", "Сталкер"]),
        ("genre=ДРАМА", ["Солярис", "Сталкер"]),  # case does not matter
        ("year_from=1975&year_to=2015", ["Сталкер", "Ёлки"]),
        ("min_rating=8", ["Сталкер"]),
        ("favourite=1", ["Солярис"]),
        ("status=watched&genre=фантастика", ["Сталкер"]),
        ("status=all&genre=фантастика&sort=title", ["Дюна", "Сталкер"]),
        ("sort=watched", ["Сталкер", "Ёлки", "Солярис"]),  # watched longest ago first, never watched last
    ],
)
def test_the_filters_come_from_the_address(client, shelf, query, expected):
    html = client.get(f"/library?{query}").get_data(as_text=True)
    found = titles(html)
    assert (found if "sort=" in query else sorted(found)) == (
        expected if "sort=" in query else sorted(expected)
    )


def test_the_cards_forms_and_the_pages_keep_the_whole_filter(client, shelf):
    html = client.get("/library?genre=драма&min_rating=7&sort=title").get_data(as_text=True)
    back = re.search(r'data-back="([^"]+)"', html).group(1).replace("&amp;", "&")
    assert parse_qs(urlsplit(back).query) == {"genre": ["драма"], "min_rating": ["7"], "sort": ["title"]}
    assert 'name="back" value="/library?' in html
    assert '<option value="драма" selected>' in html and '<option value="7" selected>' in html


def test_a_bad_filter_is_explained_on_the_page_and_the_list_still_shows(client, shelf):
    response = client.get("/library?year_from=1990&year_to=1980")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Фильтр не применён: Год «с» должен быть не больше года «по»" in html
    assert len(titles(html)) == 3
    assert client.get("/library?min_rating=11").status_code == 400
    assert client.get("/library?q=%01").status_code == 200  # a title's stray control is dropped, not refused
    assert client.get("/library?q=%00").status_code == 400  # NUL is broken text: refused at the door


def test_the_filtered_page_costs_the_same_statements_for_one_movie_or_many(make_app):
    app = make_app(**QBIT)
    install(app, StubClient())
    script, browser = app.test_client(), app.test_client()
    path = "/library?status=all&genre=драма&year_from=1900&min_rating=1&favourite=1&sort=watched&q=фильм"

    def statements() -> int:
        browser.get(path)
        app.extensions["page_cache"] = PageCache()
        with counting(app) as seen:
            assert browser.get(path).status_code == 200
        return len(seen)

    def stock(n: int) -> None:
        movie = add(script, f"Фильм {n}", 1990 + n, genres=["драма"], rating=7.0, magnet=magnet(f"{n:040x}"))
        script.patch(f"/api/library/{movie}", json={"favourite": True})
        script.post(f"/api/library/{movie}/viewings", json={"date": last_march_3().isoformat()})
        script.post(f"/api/library/{movie}/download", json={})

    stock(0)
    one = statements()
    for n in range(1, 13):
        stock(n)
    # counts, movies, viewings, genres, the library's total; for the admin, the backup dates (the nudge)
    assert statements() == one <= 6


# ---- marks and viewings as plain forms (the script sends the same through the API) ---------------------


def test_marks_and_viewings_work_without_javascript(client, shelf):
    token = page_token(client)
    movie = shelf["Ёлки"]
    back = "/library?genre=комедия"

    def send(path: str, **fields):
        response = client.post(path, data={"csrf_token": token, "back": back, **fields})
        assert (
            response.status_code == 302 and unquote(response.headers["Location"]) == f"{back}#movie-{movie}"
        )
        return client.get(back).get_data(as_text=True)

    html = send(f"/library/{movie}/viewings", date=last_march_3().isoformat())
    assert f"«Ёлки»: смотрели {ru_day(last_march_3(), today())}" in html
    html = send(f"/library/{movie}/marks", favourite="1")
    assert "«Ёлки»: в любимых" in html and "♥&nbsp;любимое" in html
    html = send(f"/library/{movie}/marks", status="excluded", excluded_until=f"{today().year + 1}-01-01")
    assert f"«Ёлки»: исключён до {ru_day(date(today().year + 1, 1, 1), today())}" in html
    html = send(f"/library/{movie}/marks", status="excluded", excluded_until="2000-01-01")
    assert "должна быть позже сегодняшней" in html
    html = send(f"/library/{movie}/marks", status="want")
    html = send(f"/library/{movie}/viewings/{last_march_3().isoformat()}/delete")
    assert "«Ёлки»: просмотр забыт" in html
    html = send(f"/library/{movie}/viewings/not-a-day/delete")
    assert "Дата — в виде ГГГГ-ММ-ДД" in html
    script = client.application.test_client()
    marks = script.get(f"/api/library/{movie}").get_json()
    assert (marks["status"], marks["favourite"], marks["viewings"]) == ("want", True, [])


# ---- picks for the builder -------------------------------------------------------------------------


def picks_of(html: str) -> list[dict] | None:
    found = re.search(r'<script type="application/json" id="library-picks">(.*?)</script>', html, re.S)
    return json.loads(found.group(1)) if found else None


def test_the_builder_opens_with_the_library_movies_asked_for_in_that_order(client, shelf):
    html = client.get(f"/?library={shelf['Ёлки']},{shelf['Сталкер']},999999,{shelf['Ёлки']}").get_data(
        as_text=True
    )
    picks = picks_of(html)
    assert [pick["name"] for pick in picks] == ["Ёлки", "Сталкер"]  # unknown and repeated ids left out
    assert picks[1]["note"]["text"] == f"смотрели {ru_day(last_march_3(), today())}"
    assert picks[1]["library_id"] == shelf["Сталкер"] and picks[1]["genres"] == ["Драма", "фантастика"]
    same = picks_of(
        client.get(f"/?library={shelf['Ёлки']}&library={shelf['Сталкер']}").get_data(as_text=True)
    )
    assert same == picks  # the selection form without JavaScript sends one parameter per box
    assert picks_of(client.get("/").get_data(as_text=True)) is None


def test_random_n_goes_to_the_builder_with_n_distinct_movies_from_the_filter(client, shelf):
    script = client.application.test_client()
    extra = [add(script, f"Хочу {n}", 2000 + n) for n in range(6)]
    wanted = {shelf["Солярис"], shelf["Ёлки"], *extra}
    for _ in range(5):
        response = client.get("/library/random?n=5")
        assert response.status_code == 302
        ids = [
            int(i) for i in parse_qs(urlsplit(response.headers["Location"]).query)["library"][0].split(",")
        ]
        assert (
            len(set(ids)) == 5 and set(ids) <= wanted
        )  # «хочу посмотреть» only: nothing watched or excluded
    watched = client.get("/library/random?n=2&status=watched")
    assert urlsplit(watched.headers["Location"]).path == "/library"  # one watched movie is not a lottery
    assert "только один фильм" in client.get("/library").get_data(as_text=True)
    excluded = client.get("/library/random?status=excluded&genre=фантастика")
    assert (
        excluded.headers["Location"]
        == "/library?status=excluded&genre=%D1%84%D0%B0%D0%BD%D1%82%D0%B0%D1%81%D1%82%D0%B8%D0%BA%D0%B0"
    )
    assert "в случайный выбор не попадают" in client.get("/library").get_data(as_text=True)
    for bad in ("1", "26", "пять"):
        assert urlsplit(client.get(f"/library/random?n={bad}").headers["Location"]).path == "/library"
        assert "Случайных фильмов — от 2 до 25" in client.get("/library").get_data(as_text=True)


# ---- «Посмотрели» on the result page, and the history -------------------------------------------------


@pytest.mark.parametrize("day", ["2026-W10-2", "20260303", "2026-062", "3.03.2026", "2026-02-30"])
def test_the_watched_forms_take_a_calendar_day_only_and_store_nothing_else(client, day):
    # date.fromisoformat alone takes ISO weeks and ordinal days: a person meant something else.
    script = client.application.test_client()
    made = script.post(
        "/api/lotteries", json={"movies": [{"name": "Сталкер"}, {"name": "Солярис"}]}
    ).get_json()
    script.post(f"/api/lotteries/{made['id']}/draw", json={"token": made["play_token"]})
    page = client.get(f"/l/{made['id']}").get_data(as_text=True)
    token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
    client.post(f"/l/{made['id']}/watched", data={"csrf_token": token, "date": day})
    page = client.get(f"/l/{made['id']}").get_data(as_text=True)
    assert "Дата — в виде ГГГГ-ММ-ДД" in page or "Такой даты нет в календаре" in page
    assert "✓ Посмотрели" not in page
    movie = script.post("/api/library", json={"name": "Зеркало", "year": 1975}).get_json()["id"]
    client.post(f"/library/{movie}/viewings", data={"csrf_token": token, "date": day})
    assert script.get(f"/api/library/{movie}").get_json()["viewings"] == []


def test_the_result_page_marks_the_winner_watched_without_javascript_and_history_says_when(client):
    script = client.application.test_client()
    made = script.post(
        "/api/lotteries", json={"movies": [{"name": "Сталкер"}, {"name": "Солярис"}]}
    ).get_json()
    page = client.get(f"/l/{made['id']}").get_data(as_text=True)
    token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
    early = client.post(f"/l/{made['id']}/watched", data={"csrf_token": token})
    assert early.status_code == 302  # not drawn yet: said on the page, nothing stored
    assert "Лотерея ещё не разыграна" in client.get(f"/l/{made['id']}").get_data(as_text=True)
    script.post(f"/api/lotteries/{made['id']}/draw", json={"token": made["play_token"]})
    page = client.get(f"/l/{made['id']}").get_data(as_text=True)
    assert "Уже посмотрели?" in page
    client.post(f"/l/{made['id']}/watched", data={"csrf_token": token, "date": last_march_3().isoformat()})
    page = client.get(f"/l/{made['id']}").get_data(as_text=True)
    assert f"✓ Посмотрели {ru_day(last_march_3(), today())}" in page and "В библиотеке ✓" in page
    history = client.get("/history").get_data(as_text=True)
    assert f"✓ посмотрели {ru_day(last_march_3(), today())}" in history
    visitor = client.application.test_client()
    visitor.environ_base["REMOTE_ADDR"] = "203.0.113.9"  # not the admin: no form, no date given away
    assert "Уже посмотрели" not in visitor.get(f"/l/{made['id']}").get_data(as_text=True)
