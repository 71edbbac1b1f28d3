"""One rule per text field (core/text_rules.py), held to one table (support/fixtures/text_cases.json): what
the API takes, the backup of it restores — names with emoji sequences, the newest emoji, RTL scripts,
combining marks, at the limit in code points — and what cannot be shown or stored is refused everywhere."""

from __future__ import annotations

import json

import pytest

from movie_lottery.backup.check import check_document
from movie_lottery.core.validation import MovieSchema
from tests.backup.test_backup_export_import import export_text, run_import, wipe
from tests.support.text_cases import case_id, load_cases

REFUSALS = ("invalid_name", "invalid_text")
MOVIES = [{"name": "Тихая гавань", "year": 2019}, {"name": "Маяк", "year": 2020}]


def movie_field(case: dict) -> dict:
    """The movie the case's field goes into, as the API, the forms and the backup check all load it."""
    value = case["value"]
    return {
        "title": {"name": value},
        "genre": {"name": "Фильм", "genres": [value]},
        "description": {"name": "Фильм", "description": value},
        "url": {"name": "Фильм", "poster": value},
    }[case["field"]]


def kept_movie_value(loaded: dict, field: str):
    return {
        "title": loaded["name"],
        "genre": (loaded.get("genres") or [None])[0],
        "description": loaded.get("description"),
        "url": loaded.get("poster"),
    }[field]


@pytest.mark.parametrize("case", load_cases("title", "genre", "description", "url"), ids=case_id)
def test_every_movie_field_takes_what_the_table_says(case):
    errors = MovieSchema().validate(movie_field(case))
    assert (errors == {}) == case["accepted"], errors
    if case["accepted"]:
        assert kept_movie_value(MovieSchema().load(movie_field(case)), case["field"]) == case["kept"]


def new_voter(app):
    return app.test_client()  # a browser of its own: no participant cookie


def put_ballot(app, poll_id: str, name: str):
    body = json.dumps({"name": name, "approve": [0]})  # json.dumps writes a lone surrogate as "\ud800"
    return new_voter(app).put(f"/api/polls/{poll_id}/ballot", data=body, content_type="application/json")


def test_every_name_the_ballot_api_takes_is_the_tables_and_its_backup_restores(app, client):
    poll = client.post("/api/polls", json={"movies": MOVIES}).get_json()
    wrong = []
    for case in load_cases("participant_name"):
        answer = put_ballot(app, poll["id"], case["value"])
        if case["accepted"]:
            kept = answer.get_json().get("name") if answer.status_code == 200 else None
            if kept != case["kept"]:
                wrong.append(f"{case['why']}: {answer.status_code} {answer.get_data(as_text=True)[:120]}")
        elif answer.status_code != 400 or answer.get_json()["error"]["code"] not in (
            "invalid_name",
            "invalid_text",
        ):
            wrong.append(f"{case['why']}: taken ({answer.status_code})")
    assert wrong == []
    names = [case["kept"] for case in load_cases("participant_name") if case["accepted"]]
    assert client.get(f"/api/polls/{poll['id']}").get_json()["voters"] == names
    exported = export_text(app)
    check_document(json.loads(exported))  # what `library import` checks: no refusal
    wipe(app)
    run_import(app, exported)
    assert export_text(app) == exported


def test_every_name_a_rating_takes_restores_from_the_backup(app, client):
    lottery = client.post("/api/lotteries", json={"movies": MOVIES}).get_json()
    client.post(f"/api/lotteries/{lottery['id']}/draw", json={"token": lottery["play_token"]})
    assert client.post(f"/api/lotteries/{lottery['id']}/watched", json={}).status_code == 200
    accepted = [case for case in load_cases("participant_name") if case["accepted"]]
    for case in accepted:
        body = json.dumps({"name": case["value"], "score": 7})
        answer = new_voter(app).put(
            f"/api/ratings/lottery/{lottery['id']}", data=body, content_type="application/json"
        )
        assert answer.status_code == 200, (case["why"], answer.get_json())
    exported = export_text(app)
    stored = {r["name"] for m in json.loads(exported)["library"] for r in m["ratings"]}
    assert stored == {case["kept"] for case in accepted}
    check_document(json.loads(exported))
    wipe(app)
    run_import(app, exported)
    assert export_text(app) == exported


@pytest.mark.parametrize("case", load_cases("participant_name"), ids=case_id)
def test_the_backup_check_takes_a_kept_name_exactly_when_the_site_does(case):
    """A backup ballot with the name as the site keeps it is taken; one the site refuses is refused."""
    from movie_lottery.backup.check import check_poll_entry
    from movie_lottery.lottery.service import commitment_for

    seed = "ab" * 32
    entry = {
        "id": "Poll1234",
        "created_at": "2026-01-01T18:00:00Z",
        "method": "approval",
        "seed": seed,
        "commitment": commitment_for(seed),
        "manage_token": "t" * 43,
        "candidates": [{"position": i, **movie} for i, movie in enumerate(MOVIES)],
        "ballots": [
            {
                "participant": "p" * 43,
                "name": case["kept"] if case["accepted"] else case["value"],
                "choices": [0],
                "veto": None,
                "cast_at": "2026-01-01T18:05:00Z",
            }
        ],
    }
    if case["accepted"]:
        assert check_poll_entry(entry, 1)["ballots"][0]["name"] == case["kept"]
    else:
        with pytest.raises(Exception, match="имя"):
            check_poll_entry(entry, 1)
