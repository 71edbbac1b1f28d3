"""The builder learns what the library knows of a candidate before the lottery is made: «смотрели 3 марта»,
«исключён до 1 января». From the Kinopoisk search results (each carries `library`) and, for movies typed by
hand or picked elsewhere, from POST /api/library/notes — both by the one "same movie" rule, in one query."""

from __future__ import annotations

import pytest

from tests.conftest import kinopoisk_settings
from tests.library.test_library_statuses import add, next_year, patch
from tests.web.test_query_counts import counting_statements


def notes(client, movies: list[dict]) -> list:
    response = client.post("/api/library/notes", json={"movies": movies})
    assert response.status_code == 200, response.get_json()
    return response.get_json()["notes"]


def test_each_candidate_gets_the_librarys_note_or_null_in_order(client):
    seen = add(client, "Сталкер", year=1979)
    for day in ("2024-03-03", "2025-03-03"):
        client.post(f"/api/library/{seen['id']}/viewings", json={"date": day})
    banned = add(client, "Ёлки", year=2010, kinopoisk_id=474110)
    patch(client, banned, status="excluded", excluded_until=next_year())
    found = notes(
        client,
        [
            {"name": "СТАЛКЕР ", "year": 1979},  # the same title and year
            {"name": "Сталкер", "year": 2009},  # another year: another movie
            {"name": "Ёлки (перевод)", "kinopoisk_id": 474110},  # the same Kinopoisk id
            {"name": "Солярис"},
        ],
    )
    assert found[0] == {
        "id": seen["id"],
        "status": "watched",
        "excluded_until": None,
        "favourite": False,
        "last_watched": "2025-03-03",
        "times_watched": 2,
        "text": "смотрели 2\u00a0раза, последний — 3\u00a0марта 2025",  # the words the pages show
    }
    assert found[1] is None and found[3] is None
    assert (found[2]["id"], found[2]["status"], found[2]["excluded_until"]) == (
        banned["id"],
        "excluded",
        next_year(),
    )


def test_notes_for_25_candidates_cost_one_query(app, client):
    for n in range(30):
        add(client, f"Фильм {n}", year=2000 + n % 5, kinopoisk_id=1000 + n)
    movies = [{"name": f"Фильм {n}", "year": 2000 + n % 5} for n in range(25)]
    with counting_statements(app) as seen:
        found = notes(client, movies)
    assert all(note is not None for note in found)
    assert len([s for s in seen if "content_version" not in s]) == 1


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({}, "invalid_movies"),
        ({"movies": "Сталкер"}, "invalid_movies"),
        ({"movies": [{"name": "Фильм"}] * 26}, "invalid_movies"),
        ({"movies": [{"year": 1979}]}, "invalid_movies"),
        ({"movies": [{"name": "Сталкер", "kinopoisk_id": 1}]}, "invalid_movies"),
    ],
)
def test_a_bad_list_is_a_400(client, body, code):
    response = client.post("/api/library/notes", json=body)
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == code and response.get_json()["error"]["message"]


def test_search_results_carry_the_librarys_status(make_app, fake_kinopoisk):
    client = make_app(**kinopoisk_settings(fake_kinopoisk)).test_client()
    kept = add(client, "Тихая гавань", year=2019, kinopoisk_id=1000001)
    patch(client, kept, status="excluded", excluded_until=next_year())
    results = client.get("/api/search?q=Тихая гавань").get_json()["results"]
    by_name = {result["name"]: result["library"] for result in results}
    assert by_name["Тихая гавань"]["id"] == kept["id"]
    assert (by_name["Тихая гавань"]["status"], by_name["Тихая гавань"]["excluded_until"]) == (
        "excluded",
        next_year(),
    )
    assert by_name["Гавань"] is None
    cached = client.get("/api/search?q=тихая гавань").get_json()  # from the cache: the note is today's
    patch(client, kept, status="want")
    again = client.get("/api/search?q=тихая гавань").get_json()["results"]
    assert cached["cached"] is True and again[0]["library"]["status"] == "want"
