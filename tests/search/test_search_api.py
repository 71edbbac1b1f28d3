"""Kinopoisk search: the lottery's movie shape, one request per query a day, and never a 500."""

from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest

from movie_lottery.core.extensions import db
from movie_lottery.core.models import KinopoiskCacheEntry, utcnow
from movie_lottery.search.service import QUERY_MIN
from movie_lottery.web.api.schemas.search import SEARCHABLE
from tests.conftest import kinopoisk_settings


@pytest.fixture
def search_app(make_app, fake_kinopoisk):
    return make_app(**kinopoisk_settings(fake_kinopoisk))


@pytest.fixture
def search(search_app):
    client = search_app.test_client()

    def run(q: str):
        return client.get("/api/search", query_string={"q": q})

    return run


def test_title_search_returns_movies_in_the_lottery_shape(search, fake_kinopoisk):
    response = search("Тихая гавань")
    assert response.status_code == 200
    results = response.get_json()["results"]
    assert [m["name"] for m in results] == ["Тихая гавань", "Тихая гавань 2", "Гавань"]
    first = results[0]
    assert first["kinopoisk_id"] == 1000001 and first["year"] == 2019 and first["rating"] == 7.4
    assert first["genres"] == ["драма", "мелодрама"]
    assert first["poster"].startswith("https://") and first["poster_preview"].startswith("https://")
    assert first["kinopoisk_url"] == "https://www.kinopoisk.ru/film/1000001/"
    assert fake_kinopoisk.requests[0].headers["X-API-KEY"] == "test-token"


def test_the_same_query_reaches_kinopoisk_once(search, fake_kinopoisk):
    search("Тихая гавань")
    second = search("  тихая   ГАВАНЬ ")
    assert second.get_json()["results"][0]["name"] == "Тихая гавань"
    assert second.get_json()["cached"] is True
    assert fake_kinopoisk.request_count == 1


def test_the_cache_is_shared_by_workers_and_survives_restarts(make_app, fake_kinopoisk):
    make_app(**kinopoisk_settings(fake_kinopoisk)).test_client().get("/api/search?q=гавань")
    another_process = make_app(**kinopoisk_settings(fake_kinopoisk))
    response = another_process.test_client().get("/api/search?q=Гавань")
    assert len(response.get_json()["results"]) == 3
    assert fake_kinopoisk.request_count == 1


def test_a_day_old_answer_is_asked_again(search_app, search, fake_kinopoisk):
    search("гавань")
    with search_app.app_context():
        entry = db.session.get(KinopoiskCacheEntry, "q:гавань")
        entry.fetched_at = utcnow() - timedelta(hours=25)
        db.session.commit()
    search("гавань")
    assert fake_kinopoisk.request_count == 2


def test_expired_entries_are_pruned_so_the_cache_stays_bounded(search_app, search):
    with search_app.app_context():
        old = utcnow() - timedelta(days=3)
        db.session.add_all(
            KinopoiskCacheEntry(key=f"q:old {i}", payload=[], fetched_at=old) for i in range(30)
        )
        db.session.commit()
    search("гавань")
    with search_app.app_context():
        assert db.session.query(KinopoiskCacheEntry).count() == 1


@pytest.mark.parametrize(
    "link",
    [
        "https://www.kinopoisk.ru/film/1000001/",
        "kinopoisk.ru/film/1000001?utm_source=tg",
        "http://kinopoisk.ru/film/1000001#top",
        "1000001",
    ],
)
def test_a_link_or_id_fetches_that_movie_with_its_trailer(search, fake_kinopoisk, link):
    results = search(link).get_json()["results"]
    assert [m["kinopoisk_id"] for m in results] == [1000001]
    assert results[0]["trailer_url"] == "https://www.youtube.com/embed/AAAAAAAAAAA"
    assert fake_kinopoisk.requests[0].path == "/v1.4/movie/1000001"


def test_unknown_id_is_no_results_not_an_error(search, fake_kinopoisk):
    response = search("https://www.kinopoisk.ru/series/9999999/")
    assert response.status_code == 200
    assert response.get_json()["results"] == []
    search("https://www.kinopoisk.ru/series/9999999/")
    assert fake_kinopoisk.request_count == 1  # "not found" is remembered too


def test_a_number_that_is_no_id_is_searched_as_a_title(search, fake_kinopoisk):
    search("9999998")
    assert [r.path for r in fake_kinopoisk.requests] == ["/v1.4/movie/9999998", "/v1.4/movie/search"]


def test_sparse_documents_still_give_a_usable_movie(search):
    movie = search("1000004").get_json()["results"][0]
    assert movie["name"] == "Untitled Short"
    assert movie["year"] is None and movie["poster"] is None and movie["rating"] is None


def test_adding_a_picked_result_to_a_lottery_costs_no_request(search_app, search, fake_kinopoisk):
    results = search("тихая гавань").get_json()["results"]
    created = search_app.test_client().post("/api/lotteries", json={"movies": results[:2]})
    assert created.status_code == 201
    movie = created.get_json()["movies"][0]
    assert movie["kinopoisk_id"] == 1000001 and movie["poster_preview"].startswith("https://")
    assert fake_kinopoisk.request_count == 1


@pytest.mark.parametrize(
    ("q", "code"),
    [
        ("", "empty_query"),
        ("   ", "empty_query"),
        ("я", "query_too_short"),
        ("  я ", "query_too_short"),
        ("я" * 201, "query_too_long"),
    ],
)
def test_empty_short_or_overlong_queries_are_400_and_cost_nothing(search, fake_kinopoisk, q, code):
    response = search(q)
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == code
    assert fake_kinopoisk.request_count == 0


SHORTEST_CASES = ["я", " я ", "яя", "я я", "  я  я ", "1", "12", "\u00a0я\u00a0", "я\u00a0я"]


@pytest.mark.parametrize("query", SHORTEST_CASES)
def test_the_documents_pattern_for_a_query_says_what_the_server_takes(query):
    """The pattern is for the query as sent; the server collapses spaces, then counts QUERY_MIN."""
    long_enough = len(" ".join(query.split())) >= QUERY_MIN
    assert bool(re.fullmatch(SEARCHABLE, query)) is long_enough


def test_the_shortest_search_is_one_rule_for_the_server_the_hint_and_the_script(search_app, search):
    """The page carries the server's number: its hint says it, its script (search.js) reads it."""
    shortest = "д" * QUERY_MIN
    assert search(shortest).status_code == 200
    refused = search(shortest[:-1]).get_json()["error"]
    assert refused["code"] == "query_too_short" and f"от {QUERY_MIN} букв" in refused["message"]
    page = search_app.test_client().get("/").get_data(as_text=True)
    assert f'data-min-chars="{QUERY_MIN}"' in page
    assert f"От {QUERY_MIN} букв." in page


def test_without_a_token_nothing_is_sent_and_the_builder_searches_the_library_alone(client, fake_kinopoisk):
    response = client.get("/api/search?q=гавань")
    assert response.status_code == 503
    assert response.get_json()["error"]["code"] == "kinopoisk_not_configured"
    assert fake_kinopoisk.request_count == 0
    page = client.get("/").get_data(as_text=True)
    assert 'data-library data-kinopoisk="0"' in page and "Найти в библиотеке<" in page
    assert "Кинопоиск" not in page and "Или вручную" in page


def test_with_a_token_the_builder_searches_the_library_and_kinopoisk(search_app):
    page = search_app.test_client().get("/").get_data(as_text=True)
    assert "data-search" in page and "data-library" in page and 'data-kinopoisk="0"' not in page
    assert "Найти в библиотеке или на Кинопоиске" in page


@pytest.mark.parametrize(
    ("mode", "code"),
    [
        ("401", "kinopoisk_bad_token"),
        ("403", "kinopoisk_quota_exceeded"),
        ("429", "kinopoisk_throttled"),
        ("500", "kinopoisk_unavailable"),
        ("invalid_json", "kinopoisk_unavailable"),
    ],
)
def test_kinopoisk_failures_become_503_with_a_code_and_a_russian_message(search, fake_kinopoisk, mode, code):
    fake_kinopoisk.mode = mode
    response = search("гавань")
    assert response.status_code == 503
    error = response.get_json()["error"]
    assert error["code"] == code
    assert any("а" <= ch <= "я" for ch in error["message"].lower())


def test_quota_message_tells_what_to_do(search, fake_kinopoisk):
    fake_kinopoisk.mode = "403"
    message = search("гавань").get_json()["error"]["message"]
    assert "лимит" in message.lower() and "вручную" in message


def test_after_the_quota_runs_out_no_more_requests_are_spent(search, fake_kinopoisk):
    fake_kinopoisk.mode = "403"
    search("гавань")
    fake_kinopoisk.mode = "ok"
    assert search("маяк").get_json()["error"]["code"] == "kinopoisk_quota_exceeded"
    assert fake_kinopoisk.request_count == 1


def test_failures_are_not_cached(search, fake_kinopoisk):
    fake_kinopoisk.mode = "500"
    search("гавань")
    fake_kinopoisk.mode = "ok"
    assert len(search("гавань").get_json()["results"]) == 3


def test_a_hanging_kinopoisk_is_given_up_within_the_bound(search, fake_kinopoisk):
    fake_kinopoisk.mode = "hang"
    started = time.monotonic()
    response = search("гавань")
    assert response.status_code == 503
    assert response.get_json()["error"]["code"] == "kinopoisk_unavailable"
    assert time.monotonic() - started < 3  # read timeout 0.5 s here; the hang lasts 5 s


def test_a_hanging_kinopoisk_holds_at_most_two_threads_and_the_site_keeps_answering(make_app, fake_kinopoisk):
    import threading

    # A 3 s read timeout: anything that waited on Kinopoisk would blow the 2 s bound below.
    search_app = make_app(**{**kinopoisk_settings(fake_kinopoisk), "KINOPOISK_READ_TIMEOUT": 3.0})
    fake_kinopoisk.mode = "hang"
    hanging = [
        threading.Thread(
            target=lambda q=q: search_app.test_client().get("/api/search", query_string={"q": q})
        )
        for q in ("маяк", "шторм")
    ]
    for thread in hanging:
        thread.start()
    deadline = time.monotonic() + 2
    while fake_kinopoisk.request_count < 2 and time.monotonic() < deadline:
        time.sleep(0.01)  # until both are waiting on Kinopoisk
    started = time.monotonic()
    third = search_app.test_client().get("/api/search?q=гавань")
    assert third.status_code == 503
    assert third.get_json()["error"]["code"] == "kinopoisk_unavailable"
    assert search_app.test_client().get("/history").status_code == 200
    assert time.monotonic() - started < 2
    for thread in hanging:
        thread.join()


# ---- today's count, for /status ------------------------------------------------------------------------


def calls_today(app) -> int:
    from movie_lottery.search.service import kinopoisk_calls_on

    with app.app_context():
        return kinopoisk_calls_on(utcnow().date())


def test_every_request_sent_is_counted_once_for_the_day_and_a_cached_answer_is_not(search_app, search):
    search("гавань")
    search("Гавань")  # from the cache
    search("1000001")
    assert calls_today(search_app) == 2


def test_a_failed_request_counts_too_but_the_quota_pause_spends_and_counts_nothing(
    search_app, search, fake_kinopoisk
):
    fake_kinopoisk.mode = "403"
    assert search("гавань").status_code == 503  # sent, answered "quota used up": it cost a request
    fake_kinopoisk.mode = "ok"
    assert search("другое").status_code == 503  # the pause: nothing sent
    assert fake_kinopoisk.request_count == 1
    assert calls_today(search_app) == 1


def test_without_a_token_nothing_is_counted(client, app, fake_kinopoisk):
    assert client.get("/api/search?q=гавань").status_code == 503
    assert calls_today(app) == 0 and fake_kinopoisk.request_count == 0


def test_a_kinopoisk_movie_with_broken_text_is_found_added_and_shown(search_app):
    """Kinopoisk's own data cannot carry a lone surrogate or NUL in: the hit is clean, the library takes it
    as it is, and its pages answer."""
    client = search_app.test_client()
    answer = client.get("/api/search?q=https://www.kinopoisk.ru/film/1000005/")
    assert answer.status_code == 200
    (hit,) = answer.get_json()["results"]
    assert hit["name"] == "Сломанный текст 2" and hit["genres"] == ["драма", "ужасы"]
    added = client.post("/api/library", json=hit)
    assert added.status_code == 201, added.get_json()
    assert client.get("/library").status_code == 200
