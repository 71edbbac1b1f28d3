"""Kinopoisk integration: reference parsing, document parsing, typed errors and the HTTP kp_client.

The client only ever talks to the local fake in tests/support/fakes/kinopoisk_server.py.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from movie_lottery.integrations import kinopoisk as kp
from movie_lottery.integrations.kinopoisk import (
    KinopoiskBadToken,
    KinopoiskClient,
    KinopoiskError,
    KinopoiskMovie,
    KinopoiskNotConfigured,
    KinopoiskQuotaExceeded,
    KinopoiskThrottled,
    KinopoiskUnavailable,
    normalize_query,
    parse_kinopoisk_ref,
    parse_movie,
)
from tests.support.fakes.kinopoisk_server import FakeKinopoiskServer

FIXTURES = Path(__file__).resolve().parents[1] / "support" / "fixtures" / "kinopoisk"
TOKEN = "test-token"
FAST = {"connect_timeout": 0.5, "read_timeout": 0.5}
# Generous: the client's own bound is about connect + read (+ one read timeout at worst) = 1.5 s here.
FAST_BOUND_SECONDS = 3.0

MOVIE_KEYS = {
    "kinopoisk_id",
    "name",
    "year",
    "poster",
    "poster_preview",
    "description",
    "rating",
    "rating_imdb",
    "genres",
    "countries",
    "length",
    "trailer_url",
    "is_series",
    "kinopoisk_url",
}


def load(name: str):
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def fake_kp():
    with FakeKinopoiskServer(token=TOKEN) as fake:
        yield fake


@pytest.fixture(autouse=True)
def _fresh_server(request):
    if "fake_kp" in request.fixturenames:
        request.getfixturevalue("fake_kp").reset()


@pytest.fixture
def kp_client(fake_kp):
    return KinopoiskClient(TOKEN, base_url=fake_kp.url, **FAST)


# --------------------------------------------------------------------------------------------------
# parse_kinopoisk_ref
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("https://www.kinopoisk.ru/film/1234567/", 1234567),
        ("https://www.kinopoisk.ru/film/1234567", 1234567),
        ("http://www.kinopoisk.ru/film/1234567/", 1234567),
        ("https://kinopoisk.ru/film/1234567/", 1234567),
        ("kinopoisk.ru/film/123456", 123456),
        ("www.kinopoisk.ru/film/123456/", 123456),
        ("https://www.kinopoisk.ru/film/1234567/?utm_source=share&from=tg", 1234567),
        ("https://www.kinopoisk.ru/film/1234567?from=tg", 1234567),
        ("https://www.kinopoisk.ru/film/1234567/#trailer", 1234567),
        ("https://www.kinopoisk.ru/series/464963/", 464963),
        ("https://www.kinopoisk.ru/series/464963", 464963),
        ("https://www.kinopoisk.ru/film/1234567/reviews/", 1234567),
        ("HTTPS://WWW.KINOPOISK.RU/FILM/1234567/", 1234567),
        ("  https://www.kinopoisk.ru/film/1234567/ \n", 1234567),
        ("https://www.kinopoisk.ru/film/250/", 250),
        ("https://www.kinopoisk.ru/film/10000000/", 10_000_000),
    ],
)
def test_film_and_series_urls_give_the_id(text, expected):
    assert parse_kinopoisk_ref(text) == expected


def test_film_url_with_query_string_gives_the_id():
    assert parse_kinopoisk_ref("https://www.kinopoisk.ru/film/1000001/?utm_referrer=ya.ru") == 1000001


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1234567", 1234567),
        ("  1234567  ", 1234567),
        ("250", 250),
        ("10000000", 10_000_000),
        ("0000300", 300),
    ],
)
def test_bare_numeric_id_in_range_is_an_id(text, expected):
    assert parse_kinopoisk_ref(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "249",
        "0",
        "10000001",
        "-300",
        "9" * 5000,
        "https://www.kinopoisk.ru/film/249/",
        "https://www.kinopoisk.ru/film/10000001/",
        "https://www.kinopoisk.ru/film/" + "9" * 5000 + "/",
    ],
)
def test_out_of_range_ids_give_none(text):
    assert parse_kinopoisk_ref(text) is None


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "Тихая гавань",
        "1234567 Тихая гавань",
        "12 345",
        "1e6",
        "1234567.0",
        "١٢٣٤٥٦٧",  # non-ASCII digits
        "https://www.imdb.com/title/tt1234567/",
        "https://www.kinopoisk.ru/name/1234567/",
        "https://www.kinopoisk.ru/film/abc/",
        "https://www.kinopoisk.ru/film/1234567abc/",
        "https://kinopoisk.ru.evil.example/film/1234567/",
        "https://evil.example/kinopoisk.ru/film/1234567/",
        "https://notkinopoisk.ru/film/1234567/",
        "ftp://www.kinopoisk.ru/film/1234567/",
        "https://www.kinopoisk.ru/film/1234567/ and more text",
    ],
)
def test_titles_and_other_sites_give_none(text):
    assert parse_kinopoisk_ref(text) is None


def test_non_string_ref_gives_none():
    assert parse_kinopoisk_ref(None) is None  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------------------
# normalize_query
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("  Тихая   ГАВАНЬ\n", "тихая гавань"),
        ("Тихая\tгавань", "тихая гавань"),
        ("STRASSE", "strasse"),
        ("Straße", "strasse"),
        ("", ""),
    ],
)
def test_normalize_query_casefolds_and_collapses_whitespace(text, expected):
    assert normalize_query(text) == expected


# --------------------------------------------------------------------------------------------------
# parse_movie and KinopoiskMovie
# --------------------------------------------------------------------------------------------------


def test_full_document_is_parsed_field_by_field():
    movie = parse_movie(load("movie_1000001.json"))
    assert movie is not None
    assert movie.kinopoisk_id == 1000001
    assert movie.name == "Тихая гавань"
    assert movie.year == 2019
    assert movie.poster == "https://image.openmoviedb.com/kinopoisk-images/1000001/orig"
    assert movie.poster_preview == "https://image.openmoviedb.com/kinopoisk-images/1000001/x1000"
    assert movie.description.startswith("Смотритель маяка")
    assert movie.rating == 7.4
    assert movie.rating_imdb == 7.0
    assert list(movie.genres) == ["драма", "мелодрама"]
    assert list(movie.countries) == ["Россия"]
    assert movie.length == 112
    assert movie.is_series is False
    assert movie.kinopoisk_url == "https://www.kinopoisk.ru/film/1000001/"


def test_trailer_url_is_parsed_from_movie_1000001():
    assert parse_movie(load("movie_1000001.json")).trailer_url == "https://www.youtube.com/embed/AAAAAAAAAAA"


def test_trailer_url_skips_entries_that_are_not_http_urls():
    doc = load("movie_1000001.json")
    doc["videos"]["trailers"] = [
        {"url": "javascript:alert(1)"},
        {"url": None},
        "junk",
        {"url": "  "},
        {"url": "https://www.youtube.com/embed/BBBBBBBBBBB"},
    ]
    assert parse_movie(doc).trailer_url == "https://www.youtube.com/embed/BBBBBBBBBBB"


def test_search_hits_have_no_trailer():
    hits = [parse_movie(doc) for doc in load("search_tihaya_gavan.json")["docs"]]
    assert [hit.trailer_url for hit in hits] == [None, None, None]


def test_sparse_document_falls_back_to_alternative_name():
    movie = parse_movie(load("movie_1000004_sparse.json"))
    assert movie.kinopoisk_id == 1000004
    assert movie.name == "Untitled Short"
    assert movie.year is None
    assert movie.poster is None
    assert movie.poster_preview is None
    assert movie.description is None
    assert movie.length is None
    assert movie.trailer_url is None
    assert list(movie.genres) == []
    assert list(movie.countries) == []


def test_zero_ratings_mean_no_rating():
    movie = parse_movie(load("movie_1000004_sparse.json"))
    assert movie.rating is None
    assert movie.rating_imdb is None


@pytest.mark.parametrize(
    ("names", "expected"),
    [
        ({"name": "Имя", "alternativeName": "Alt", "enName": "En"}, "Имя"),
        ({"name": None, "alternativeName": "Alt", "enName": "En"}, "Alt"),
        ({"name": "   ", "alternativeName": "", "enName": "En"}, "En"),
        ({"name": None, "alternativeName": None, "enName": None}, "Фильм 1000001"),
        ({"name": 42, "alternativeName": ["x"], "enName": {}}, "Фильм 1000001"),
        ({}, "Фильм 1000001"),
    ],
)
def test_name_falls_back_through_alternative_and_english_names(names, expected):
    doc = {"id": 1000001, **names}
    assert parse_movie(doc).name == expected


def test_description_falls_back_to_short_description():
    docs = load("search_tihaya_gavan.json")["docs"]
    doc = copy.deepcopy(docs[0])
    doc["description"] = None
    assert parse_movie(doc).description == "Маяк, шторм и пустая лодка."
    # The third hit has neither.
    assert parse_movie(docs[2]).description is None


def test_poster_preview_falls_back_to_the_large_poster():
    doc = load("movie_1000001.json")
    doc["poster"]["previewUrl"] = None
    assert parse_movie(doc).poster_preview == "https://image.openmoviedb.com/kinopoisk-images/1000001/orig"


def test_strings_are_stripped_and_empty_strings_become_none():
    doc = load("movie_1000001.json")
    doc["name"] = "  Тихая гавань \n"
    doc["description"] = "   "
    doc["shortDescription"] = " Коротко. "
    doc["genres"] = [{"name": " драма "}, {"name": ""}, {"name": "драма"}]
    movie = parse_movie(doc)
    assert movie.name == "Тихая гавань"
    assert movie.description == "Коротко."
    assert list(movie.genres) == ["драма"]


def test_series_gets_a_series_url():
    doc = load("movie_1000001.json")
    doc["isSeries"] = True
    doc["type"] = "tv-series"
    movie = parse_movie(doc)
    assert movie.is_series is True
    assert movie.kinopoisk_url == "https://www.kinopoisk.ru/series/1000001/"


def test_series_is_inferred_from_type_when_is_series_is_missing():
    assert parse_movie({"id": 1000001, "type": "tv-series"}).is_series is True
    assert parse_movie({"id": 1000001, "type": "movie"}).is_series is False
    assert parse_movie({"id": 1000001, "type": "tv-series", "isSeries": False}).is_series is False


@pytest.mark.parametrize(
    ("changes", "attribute", "expected"),
    [
        ({"year": "2019"}, "year", 2019),
        ({"year": " 2019 "}, "year", 2019),
        ({"year": 2019.0}, "year", 2019),
        ({"year": "скоро"}, "year", None),
        ({"year": 19}, "year", None),
        ({"year": True}, "year", None),
        ({"year": [2019]}, "year", None),
        ({"rating": {"kp": "7.4", "imdb": "abc"}}, "rating", 7.4),
        ({"rating": {"kp": "7.4", "imdb": "abc"}}, "rating_imdb", None),
        ({"rating": {"kp": "NaN"}}, "rating", None),
        ({"rating": {"kp": 11}}, "rating", None),
        ({"rating": "7.4"}, "rating", None),
        ({"rating": None}, "rating", None),
        ({"poster": None}, "poster", None),
        ({"poster": "https://x.example/p.jpg"}, "poster", None),
        ({"poster": {"url": "javascript:alert(1)"}}, "poster", None),
        ({"poster": {"url": "//image.example/p.jpg"}}, "poster", "https://image.example/p.jpg"),
        ({"genres": None}, "genres", ()),
        ({"genres": "драма"}, "genres", ()),
        ({"genres": [None, 1, {"name": None}, {"name": "драма"}, "комедия"]}, "genres", ("драма", "комедия")),
        ({"countries": {"name": "Россия"}}, "countries", ()),
        ({"movieLength": "112"}, "length", 112),
        ({"movieLength": 0}, "length", None),
        ({"movieLength": -5}, "length", None),
        ({"videos": None}, "trailer_url", None),
        ({"videos": {"trailers": None}}, "trailer_url", None),
        ({"description": 123, "shortDescription": None}, "description", None),
        ({"isSeries": "yes", "type": None}, "is_series", False),
    ],
)
def test_wrongly_typed_fields_are_tolerated(changes, attribute, expected):
    doc = load("movie_1000001.json")
    doc.update(changes)
    assert getattr(parse_movie(doc), attribute) == expected


@pytest.mark.parametrize("bad_id", [None, "abc", "", True, 0, -1, 1.5, [1000001], {"id": 1}])
def test_document_without_a_valid_id_is_no_movie(bad_id):
    doc = load("movie_1000001.json")
    doc["id"] = bad_id
    assert parse_movie(doc) is None


def test_document_with_a_numeric_string_id_is_accepted():
    doc = load("movie_1000001.json")
    doc["id"] = "1000001"
    assert parse_movie(doc).kinopoisk_id == 1000001


@pytest.mark.parametrize("doc", [None, [], "movie", 1000001, b"{}"])
def test_a_document_that_is_not_an_object_is_no_movie(doc):
    assert parse_movie(doc) is None


@pytest.mark.parametrize("garbage", [None, "", "x", 0, -1, 1.5, True, [], {}, [None], {"url": 5}])
def test_any_field_of_any_type_never_breaks_parsing(garbage):
    base = load("movie_1000001.json")
    for key in base:
        if key == "id":
            continue
        doc = copy.deepcopy(base)
        doc[key] = garbage
        movie = parse_movie(doc)
        assert movie is not None, key
        json.dumps(movie.to_dict())  # still JSON-serialisable
        doc.pop(key)
        assert parse_movie(doc) is not None, key


def test_to_dict_has_exactly_the_documented_keys_and_is_json():
    data = parse_movie(load("movie_1000001.json")).to_dict()
    assert set(data) == MOVIE_KEYS
    assert data["genres"] == ["драма", "мелодрама"]
    assert isinstance(data["genres"], list)
    assert isinstance(data["countries"], list)
    assert json.loads(json.dumps(data, ensure_ascii=False)) == data


def test_movie_is_frozen_and_hashable():
    movie = parse_movie(load("movie_1000001.json"))
    with pytest.raises(dataclasses.FrozenInstanceError):
        movie.name = "x"
    assert hash(movie) == hash(parse_movie(load("movie_1000001.json")))


def test_movie_built_by_hand_gets_tuples_and_its_url():
    movie = KinopoiskMovie(kinopoisk_id=300, name="Ручной", genres=["драма"], is_series=True)
    assert movie.genres == ("драма",)
    assert movie.kinopoisk_url == "https://www.kinopoisk.ru/series/300/"


# --------------------------------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("error_class", "code"),
    [
        (KinopoiskNotConfigured, "kinopoisk_not_configured"),
        (KinopoiskBadToken, "kinopoisk_bad_token"),
        (KinopoiskQuotaExceeded, "kinopoisk_quota_exceeded"),
        (KinopoiskThrottled, "kinopoisk_throttled"),
        (KinopoiskUnavailable, "kinopoisk_unavailable"),
    ],
)
def test_errors_have_a_code_and_a_russian_message(error_class, code):
    error = error_class("technical detail")
    assert isinstance(error, KinopoiskError)
    assert error_class.code == code == error.code
    assert any("а" <= ch.lower() <= "я" for ch in error_class.message)
    assert str(error) == error_class.message  # the detail is for logs, not for users
    assert error.detail == "technical detail"


def test_error_messages_match_the_wording_agreed_for_the_ui():
    assert KinopoiskNotConfigured.message == "Поиск по Кинопоиску не настроен — добавьте фильм вручную"
    assert (
        KinopoiskQuotaExceeded.message
        == "Дневной лимит Кинопоиска исчерпан — добавьте фильм вручную или попробуйте завтра"
    )


def test_error_messages_are_all_different():
    classes = [KinopoiskNotConfigured, KinopoiskBadToken, KinopoiskQuotaExceeded, KinopoiskThrottled]
    messages = [c.message for c in [*classes, KinopoiskUnavailable]]
    assert len(set(messages)) == len(messages)


# --------------------------------------------------------------------------------------------------
# Client: configuration
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("token", [None, "", "   "])
def test_missing_token_makes_no_request(fake_kp, token):
    kp_client = KinopoiskClient(token, base_url=fake_kp.url, **FAST)
    assert kp_client.configured is False
    with pytest.raises(KinopoiskNotConfigured):
        kp_client.search("тихая гавань")
    with pytest.raises(KinopoiskNotConfigured):
        kp_client.get_by_id(1000001)
    assert fake_kp.request_count == 0


def test_missing_token_does_not_even_create_a_session():
    kp_client = KinopoiskClient(None)
    with pytest.raises(KinopoiskNotConfigured):
        kp_client.search("тихая гавань")
    assert kp_client._session is None


def test_token_that_cannot_be_sent_as_a_header_is_a_bad_token_without_a_request(fake_kp):
    kp_client = KinopoiskClient("токен-кириллицей", base_url=fake_kp.url, **FAST)
    assert kp_client.configured is True
    with pytest.raises(KinopoiskBadToken):
        kp_client.search("тихая гавань")
    assert fake_kp.request_count == 0


def test_repr_never_shows_the_token():
    assert "secret-token-value" not in repr(KinopoiskClient("secret-token-value"))


def test_importing_the_module_does_not_import_requests():
    module_path = Path(kp.__file__).resolve()
    code = (
        "import importlib.util, sys\n"
        f"spec = importlib.util.spec_from_file_location('kinopoisk_probe', {str(module_path)!r})\n"
        "module = importlib.util.module_from_spec(spec)\n"
        "sys.modules['kinopoisk_probe'] = module\n"
        "spec.loader.exec_module(module)\n"
        "module.KinopoiskClient(None)\n"
        "assert 'requests' not in sys.modules, 'requests was imported'\n"
        "assert 'urllib3' not in sys.modules, 'urllib3 was imported'\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], check=False, capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 0, result.stderr


def test_session_has_no_retries_mounted():
    kp_client = KinopoiskClient(TOKEN)
    session = kp_client._get_session()
    for prefix in ("http://", "https://"):
        retries = session.get_adapter(prefix + "api.kinopoisk.dev").max_retries
        assert retries.total == 0
        assert not retries.read


# --------------------------------------------------------------------------------------------------
# Client: happy paths against the fake server
# --------------------------------------------------------------------------------------------------


def test_search_returns_three_movies_from_fixture(kp_client):
    movies = kp_client.search("Тихая гавань")
    assert [m.kinopoisk_id for m in movies] == [1000001, 1000002, 1000003]
    assert [m.name for m in movies] == ["Тихая гавань", "Тихая гавань 2", "Гавань"]
    assert all(isinstance(m, KinopoiskMovie) for m in movies)


def test_search_with_no_hits_returns_empty_list(kp_client):
    assert kp_client.search("фильм которого нет") == []


def test_search_sends_query_page_limit_and_the_headers(kp_client, fake_kp):
    kp_client.search("  Тихая   гавань ", limit=5)
    assert fake_kp.request_count == 1
    method, path, query, headers = fake_kp.requests[0]
    assert method == "GET"
    assert path == "/v1.4/movie/search"
    assert query == {"query": "Тихая гавань", "page": "1", "limit": "5"}
    assert headers["X-API-KEY"] == TOKEN
    assert headers["Accept"] == "application/json"


@pytest.mark.parametrize(("limit", "sent"), [(1000, "250"), (0, "1"), (-3, "1"), (250, "250")])
def test_search_limit_is_kept_within_the_api_range(kp_client, fake_kp, limit, sent):
    kp_client.search("гавань", limit=limit)
    assert fake_kp.requests[0].query["limit"] == sent


def test_search_returns_at_most_limit_movies(kp_client):
    assert len(kp_client.search("гавань", limit=2)) == 2


@pytest.mark.parametrize("query", ["", "   ", "\n\t"])
def test_blank_search_returns_nothing_without_spending_a_request(kp_client, fake_kp, query):
    assert kp_client.search(query) == []
    assert fake_kp.request_count == 0


def test_search_skips_documents_without_an_id(kp_client, fake_kp, monkeypatch):
    envelope = load("search_tihaya_gavan.json")
    envelope["docs"][1]["id"] = None
    envelope["docs"].append("junk")
    monkeypatch.setitem(fake_kp._fixtures, "search_tihaya_gavan.json", envelope)
    assert [m.kinopoisk_id for m in kp_client.search("гавань")] == [1000001, 1000003]


def test_get_by_id_returns_the_full_movie_with_trailer(kp_client, fake_kp):
    movie = kp_client.get_by_id(1000001)
    assert movie.name == "Тихая гавань"
    assert movie.trailer_url == "https://www.youtube.com/embed/AAAAAAAAAAA"
    assert fake_kp.requests[0].path == "/v1.4/movie/1000001"
    assert fake_kp.requests[0].headers["x-api-key"] == TOKEN


def test_get_by_id_of_sparse_document_falls_back_to_alternative_name(kp_client):
    assert kp_client.get_by_id(1000004).name == "Untitled Short"


def test_get_by_id_of_a_search_hit(kp_client):
    movie = kp_client.get_by_id(1000003)
    assert (movie.kinopoisk_id, movie.name, movie.year) == (1000003, "Гавань", 2008)


def test_get_by_id_404_returns_none(kp_client, fake_kp):
    assert kp_client.get_by_id(9_999_999) is None
    assert fake_kp.request_count == 1


@pytest.mark.parametrize("bad_id", [249, 0, -1, 10_000_001])
def test_get_by_id_out_of_range_returns_none_without_a_request(kp_client, fake_kp, bad_id):
    assert kp_client.get_by_id(bad_id) is None
    assert fake_kp.request_count == 0


def test_get_by_id_with_a_body_without_id_is_no_result(kp_client, fake_kp, monkeypatch):
    monkeypatch.setitem(fake_kp._fixtures, "movie_1000001.json", {"name": "Без id"})
    assert kp_client.get_by_id(1000001) is None


@pytest.mark.parametrize("suffix", ["", "/"])
def test_base_url_with_or_without_trailing_slash(fake_kp, suffix):
    kp_client = KinopoiskClient(TOKEN, base_url=fake_kp.url + suffix, **FAST)
    assert len(kp_client.search("гавань")) == 3
    assert fake_kp.requests[0].path == "/v1.4/movie/search"


@pytest.mark.parametrize("suffix", ["", "/"])
def test_mirror_with_a_path_prefix(suffix):
    with FakeKinopoiskServer(token=TOKEN, path_prefix="/kp-mirror/api") as mirror:
        kp_client = KinopoiskClient(TOKEN, base_url=mirror.url + suffix, **FAST)
        assert len(kp_client.search("гавань")) == 3
        assert kp_client.get_by_id(1000001).kinopoisk_id == 1000001
        assert [r.path for r in mirror.requests] == [
            "/kp-mirror/api/v1.4/movie/search",
            "/kp-mirror/api/v1.4/movie/1000001",
        ]


def test_injected_session_is_used(fake_kp):
    session = requests.Session()
    session.headers["X-Test-Session"] = "injected"
    kp_client = KinopoiskClient(TOKEN, base_url=fake_kp.url, session=session, **FAST)
    assert len(kp_client.search("гавань")) == 3
    assert fake_kp.requests[0].headers["X-Test-Session"] == "injected"
    session.close()


# --------------------------------------------------------------------------------------------------
# Client: failures become typed errors
# --------------------------------------------------------------------------------------------------


def test_wrong_token_becomes_bad_token_error(fake_kp):
    kp_client = KinopoiskClient("wrong-token", base_url=fake_kp.url, **FAST)
    with pytest.raises(KinopoiskBadToken) as info:
        kp_client.search("гавань")
    assert info.value.status_code == 401


@pytest.mark.parametrize(
    ("mode", "error_class"),
    [
        ("401", KinopoiskBadToken),
        ("403", KinopoiskQuotaExceeded),
        ("429", KinopoiskThrottled),
        ("500", KinopoiskUnavailable),
        ("502", KinopoiskUnavailable),
        ("503", KinopoiskUnavailable),
        ("400", KinopoiskUnavailable),
        ("418", KinopoiskUnavailable),
        ("204", KinopoiskUnavailable),
    ],
)
@pytest.mark.parametrize("call", ["search", "get_by_id"])
def test_http_statuses_map_to_typed_errors(kp_client, fake_kp, mode, error_class, call):
    fake_kp.mode = mode
    with pytest.raises(error_class) as info:
        kp_client.search("гавань") if call == "search" else kp_client.get_by_id(1000001)
    assert type(info.value) is error_class
    assert info.value.status_code == int(mode)
    assert fake_kp.request_count == 1  # no retries


def test_quota_exceeded_becomes_typed_error(kp_client, fake_kp):
    fake_kp.mode = "403"
    with pytest.raises(KinopoiskQuotaExceeded) as info:
        kp_client.search("гавань")
    assert info.value.code == "kinopoisk_quota_exceeded"
    assert "суточный лимит" in info.value.detail  # the API's own message is kept for the logs
    assert (
        str(info.value) == "Дневной лимит Кинопоиска исчерпан — добавьте фильм вручную или попробуйте завтра"
    )


def test_500_becomes_unavailable(kp_client, fake_kp):
    fake_kp.mode = "500"
    with pytest.raises(KinopoiskUnavailable) as info:
        kp_client.get_by_id(1000001)
    assert "500" in info.value.detail


def test_404_on_search_is_unavailable_not_empty(fake_kp):
    kp_client = KinopoiskClient(TOKEN, base_url=fake_kp.url + "/wrong-prefix", **FAST)
    with pytest.raises(KinopoiskUnavailable):
        kp_client.search("гавань")


def test_invalid_json_becomes_unavailable(kp_client, fake_kp):
    fake_kp.mode = "invalid_json"
    with pytest.raises(KinopoiskUnavailable) as info:
        kp_client.search("гавань")
    assert "JSON" in info.value.detail


@pytest.mark.parametrize("call", ["search", "get_by_id"])
def test_json_of_the_wrong_shape_becomes_unavailable(kp_client, fake_kp, call):
    fake_kp.mode = "wrong_shape"
    with pytest.raises(KinopoiskUnavailable):
        kp_client.search("гавань") if call == "search" else kp_client.get_by_id(1000001)


def test_search_envelope_without_docs_list_becomes_unavailable(kp_client, fake_kp, monkeypatch):
    monkeypatch.setitem(fake_kp._fixtures, "search_tihaya_gavan.json", {"docs": None, "total": 0})
    with pytest.raises(KinopoiskUnavailable):
        kp_client.search("гавань")


def test_redirect_is_not_followed_so_the_token_stays_put(kp_client, fake_kp):
    fake_kp.mode = "302"
    with pytest.raises(KinopoiskUnavailable):
        kp_client.search("гавань")
    assert fake_kp.request_count == 1


def test_connection_refused_becomes_unavailable_quickly():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    started = time.monotonic()
    kp_client = KinopoiskClient(TOKEN, base_url=f"http://127.0.0.1:{port}", **FAST)
    with pytest.raises(KinopoiskUnavailable):
        kp_client.search("гавань")
    assert time.monotonic() - started < FAST_BOUND_SECONDS


@pytest.mark.parametrize("base_url", ["not a url", "ftp://127.0.0.1/"])
def test_unusable_base_url_becomes_unavailable(base_url):
    kp_client = KinopoiskClient(TOKEN, base_url=base_url, **FAST)
    with pytest.raises(KinopoiskUnavailable):
        kp_client.search("гавань")


def test_hang_longer_than_timeout_raises_unavailable_within_bound(kp_client, fake_kp):
    fake_kp.mode = "hang"
    started = time.monotonic()
    with pytest.raises(KinopoiskUnavailable) as info:
        kp_client.search("гавань")
    elapsed = time.monotonic() - started
    assert elapsed < FAST_BOUND_SECONDS
    assert "timeout" in info.value.detail.lower()
    assert fake_kp.request_count == 1  # no retries


def test_slow_drip_body_is_cut_off_within_bound(kp_client, fake_kp):
    fake_kp.mode = "drip"
    fake_kp.drip_interval = 0.05  # each byte well inside the read timeout; the whole body would take minutes
    started = time.monotonic()
    with pytest.raises(KinopoiskUnavailable) as info:
        kp_client.get_by_id(1000001)
    assert time.monotonic() - started < FAST_BOUND_SECONDS
    assert "too long" in info.value.detail


def test_oversized_body_is_refused(kp_client, fake_kp):
    fake_kp.mode = "huge"
    with pytest.raises(KinopoiskUnavailable) as info:
        kp_client.search("гавань")
    assert "larger than" in info.value.detail


def test_server_recovers_after_reset(kp_client, fake_kp):
    fake_kp.mode = "500"
    with pytest.raises(KinopoiskUnavailable):
        kp_client.search("гавань")
    fake_kp.reset()
    assert fake_kp.request_count == 0
    assert len(kp_client.search("гавань")) == 3


def test_broken_text_from_kinopoisk_is_scrubbed_from_every_field(kp_client):
    """Lone surrogates, NUL, controls and non-characters in Kinopoisk's JSON never reach the site, which
    refuses them in every field: dropped from every text, links included (line breaks stay in a description,
    not in a title)."""
    movie = kp_client.get_by_id(1000005)
    assert movie.name == "Сломанный текст 2"
    assert movie.description == "Первая строка\nвторая строка"
    assert list(movie.genres) == ["драма", "ужасы"]
    assert list(movie.countries) == ["Россия"]
    assert movie.poster == "https://image.openmoviedb.com/kinopoisk-images/1000005/orig"
    assert movie.poster_preview == "https://image.openmoviedb.com/kinopoisk-images/1000005/x1000"
