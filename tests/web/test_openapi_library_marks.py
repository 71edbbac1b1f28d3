"""The OpenAPI document describes issue 12's routes and fields: scripts and the pages share one contract
(the fuzzing holds every answer to it)."""

from __future__ import annotations

import pytest


@pytest.fixture
def document(client) -> dict:
    return client.get("/api/openapi.json").get_json()


ROUTES = {
    ("/api/library/{movie_id}", "patch"): {
        400: {"nothing_to_change", "invalid_status", "invalid_date"},
        404: {"movie_not_found"},
    },
    ("/api/library/{movie_id}/viewings", "post"): {400: {"invalid_date"}, 404: {"movie_not_found"}},
    ("/api/library/{movie_id}/viewings/{day}", "delete"): {400: {"invalid_date"}, 404: {"viewing_not_found"}},
    ("/api/library/random", "get"): {400: {"invalid_n", "invalid_status", "invalid_year_range"}},
    ("/api/library/notes", "post"): {400: {"invalid_movies"}},
    ("/api/library/genres", "get"): {},
    ("/api/library", "get"): {400: {"invalid_status", "invalid_genre", "invalid_year", "invalid_rating"}},
    ("/api/lotteries/{lottery_id}/watched", "post"): {409: {"not_drawn"}, 404: {"lottery_not_found"}},
}


@pytest.mark.parametrize("route", ROUTES, ids=[f"{m.upper()} {p}" for p, m in ROUTES])
def test_each_new_route_is_in_the_document_with_its_refusals(document, route):
    path, method = route
    operation = document["paths"][path][method]
    assert operation["summary"]
    for status, codes in ROUTES[route].items():
        assert codes <= set(operation["responses"][str(status)]["x-error-codes"]), (status, codes)
    assert {"bearerAuth": []} in operation["security"] and {} not in operation["security"]  # admin only


def test_the_success_answers_are_documented(document):
    paths = document["paths"]
    assert set(paths["/api/library/{movie_id}/viewings"]["post"]["responses"]) >= {"201", "200"}
    assert "204" in paths["/api/library/{movie_id}/viewings/{day}"]["delete"]["responses"]


def test_a_library_movie_carries_its_marks_and_a_page_its_counts(document):
    schemas = document["components"]["schemas"]
    movie = schemas["LibraryMovie"]["properties"]
    assert movie["status"]["enum"] == ["want", "watched", "excluded"]
    assert movie["excluded_until"]["format"] == "date" and movie["last_watched"]["format"] == "date"
    assert movie["viewings"]["items"]["format"] == "date" and movie["favourite"]["type"] == "boolean"
    assert {"status", "excluded_until", "favourite", "viewings", "last_watched"} <= set(
        schemas["LibraryMovie"]["required"]
    )
    assert set(schemas["StatusCounts"]["properties"]) == {"want", "watched", "excluded"}
    assert "counts" in schemas["LibraryPage"]["required"]
    assert "library" in schemas["SearchHit"]["properties"]


def test_the_inputs_are_documented_with_their_limits(document):
    schemas = document["components"]["schemas"]
    marks = schemas["MarksInput"]["properties"]
    assert marks["status"]["enum"] == ["want", "watched", "excluded"]
    assert marks["excluded_until"]["format"] == "date" and marks["excluded_until"]["nullable"] is True
    parameters = {
        p["name"]: p["schema"] for p in document["paths"]["/api/library/random"]["get"]["parameters"]
    }
    assert (parameters["n"]["minimum"], parameters["n"]["maximum"], parameters["n"]["default"]) == (2, 25, 5)
    listed = {p["name"] for p in document["paths"]["/api/library"]["get"]["parameters"]}
    assert listed >= {
        "q",
        "status",
        "genre",
        "year_from",
        "year_to",
        "min_rating",
        "favourite",
        "sort",
        "page",
    }
