"""One "same movie" rule, through the API: a lottery refuses as a duplicate exactly what the library merges.

Every pair of the shared table (tests/support/fixtures/same_movie_cases.json) goes into a lottery and into the
library; the pairs whose names the input schema refuses outright (control characters) are left to the unit
test, which runs the rule itself.
"""

from __future__ import annotations

import copy
import json

from movie_lottery.core.errors import InvalidInput
from movie_lottery.core.validation import load_movie
from tests.backup.test_backup_export_import import export_text, run_import, wipe
from tests.support.same_movie_cases import load_cases


def accepted_by_the_schema(movie: dict) -> bool:
    try:
        load_movie(movie)
    except InvalidInput:
        return False
    return True


CASES = [
    case for case in load_cases() if accepted_by_the_schema(case["a"]) and accepted_by_the_schema(case["b"])
]


def test_most_of_the_table_reaches_the_api():
    assert len(CASES) >= len(load_cases()) - 6


def test_a_lottery_refuses_as_duplicate_exactly_the_pairs_the_table_calls_one_movie(client):
    wrong = []
    for case in CASES:
        response = client.post("/api/lotteries", json={"movies": [case["a"], case["b"]]})
        refused = response.status_code == 400 and response.get_json()["error"]["code"] == "duplicate_movie"
        if refused is not case["same"] or response.status_code not in (201, 400):
            wrong.append((case["why"], response.status_code, response.get_json()))
    assert wrong == []


def test_the_library_merges_exactly_the_pairs_the_table_calls_one_movie(client):
    wrong = []
    for case in CASES:
        first = client.post("/api/library", json=case["a"])
        second = client.post("/api/library", json=case["b"])
        merged = second.status_code == 200 and second.get_json()["id"] == first.get_json()["id"]
        if first.status_code != 201 or merged is not case["same"]:
            wrong.append((case["why"], first.status_code, second.status_code))
        for response in (first, second):
            client.delete(f"/api/library/{response.get_json()['id']}")
    assert wrong == []


def test_yolki_and_elki_are_one_movie_in_a_lottery(client):
    movies = [{"name": "Ёлки", "year": 2010}, {"name": "Елки", "year": 2010}]
    response = client.post("/api/lotteries", json={"movies": movies})
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == "duplicate_movie"
    assert error["details"]["index"] == 1
    assert error["message"] == "«Елки» уже есть в списке"
    assert client.get("/api/lotteries").get_json()["total"] == 0


def test_a_backup_of_a_lottery_made_before_the_rule_still_restores(app, client):
    """Lotteries with «Ёлки» and «Елки» were allowed until now: their draws were fair and must come back."""
    created = client.post(
        "/api/lotteries", json={"movies": [{"name": "Ёлки", "year": 2010}, {"name": "Ёлки 2", "year": 2011}]}
    ).get_json()
    data = json.loads(export_text(app))
    old = copy.deepcopy(data)
    old["lotteries"][0]["candidates"][1]["name"] = "Елки"  # as an older version let it be stored
    old["lotteries"][0]["candidates"][1]["year"] = 2010
    wipe(app)
    run_import(app, old)
    restored = client.get(f"/api/lotteries/{created['id']}").get_json()
    assert [movie["name"] for movie in restored["movies"]] == ["Ёлки", "Елки"]
