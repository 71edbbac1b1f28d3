"""Polls in backups (issue 13): a restored poll is the same poll — the same results page, the same API answer,
the same voters' ballots behind their cookies — a second import changes nothing, and a file that disagrees
with the database is refused with nothing written."""

from __future__ import annotations

import json
import re

import pytest

from movie_lottery.core.errors import Conflict
from tests.backup.test_backup_export_import import export_text, run_import, wipe
from tests.support.backup_collection import CANDIDATES, CLOSED_POLL_BALLOTS, participant_of, stock_polls

CSRF = re.compile(r'(name="csrf_token" value="|"csrf-token" content=")[^"]*')


def seen_by_everyone(app, links: dict) -> dict:
    """What a visitor holding each poll's links reads: the API answer (body and ETag), the poll page, the
    creator's page and the history — fetched by a browser with no session."""
    visitor = app.test_client()
    seen = {}
    for poll in (links["closed_poll"], links["open_poll"]):
        answer = visitor.get(f"/api/polls/{poll['id']}")
        assert answer.status_code == 200
        seen[poll["id"]] = {
            "api": answer.get_json(),
            "etag": answer.headers["ETag"],
            "page": CSRF.sub(r"\1…", visitor.get(f"/p/{poll['id']}").get_data(as_text=True)),
            "manage": CSRF.sub(
                r"\1…", visitor.get(f"/p/{poll['id']}/manage/{poll['manage_token']}").get_data(as_text=True)
            ),
        }
    seen["history"] = CSRF.sub(r"\1…", visitor.get("/history").get_data(as_text=True))
    return seen


@pytest.fixture
def polled(app, client) -> dict:
    return stock_polls(client)


def poll_of(text: str, poll_id: str) -> dict:
    return next(poll for poll in json.loads(text)["polls"] if poll["id"] == poll_id)


def test_the_export_holds_each_polls_settings_secrets_ballots_and_stored_result(app, polled):
    closed = poll_of(export_text(app), polled["closed_poll"]["id"])
    assert closed["manage_token"] == polled["closed_poll"]["manage_token"]
    assert closed["commitment"] == polled["closed_poll"]["commitment"] and len(closed["seed"]) == 64
    assert (closed["method"], closed["veto"], closed["auto_download"]) == ("approval", True, True)
    assert closed["closed_by"] == "creator" and closed["result"]["ballots"] == 3
    assert closed["result"]["counts"] == [2, 3, 1] and closed["result"]["winner"] == 1
    assert [b["name"] for b in closed["ballots"]] == list(CLOSED_POLL_BALLOTS)  # the order they voted in
    assert [(b["choices"], b["veto"]) for b in closed["ballots"]] == list(CLOSED_POLL_BALLOTS.values())
    voters = polled["voters"][closed["id"]]
    assert [b["participant"] for b in closed["ballots"]] == [
        participant_of(app, voters[name], "poll", closed["id"]) for name in CLOSED_POLL_BALLOTS
    ]
    opened = poll_of(export_text(app), polled["open_poll"]["id"])
    assert (opened["method"], opened["results"], opened["closed_at"], opened["result"]) == (
        "ranked", "live", None, None
    )  # fmt: skip
    assert opened["deadline"].endswith("Z") and [b["choices"] for b in opened["ballots"]] == [[2, 0], [1]]
    assert [c["name"] for c in opened["candidates"]] == [c["name"] for c in CANDIDATES]


def test_a_restored_poll_shows_the_same_pages_and_api_answer_and_each_voter_finds_their_ballot(app, polled):
    before, text = seen_by_everyone(app, polled), export_text(app)
    wipe(app)
    assert app.test_client().get(f"/api/polls/{polled['closed_poll']['id']}").status_code == 404
    report = run_import(app, text)
    assert (report.polls.added, report.polls.updated, report.polls.unchanged) == (2, 0, 0)
    assert seen_by_everyone(app, polled) == before
    assert export_text(app) == text
    poll_id = polled["open_poll"]["id"]
    browser = app.test_client()  # Вера's browser, still holding the cookie it got before the restore
    browser.set_cookie("ml_browser", polled["voters"][poll_id]["Вера"])
    assert browser.get(f"/api/polls/{poll_id}/ballot").get_json() == {
        "name": "Вера", "ranking": [2, 0], "veto": None
    }  # fmt: skip
    changed = browser.put(f"/api/polls/{poll_id}/ballot", json={"ranking": [0]})  # and may still change it
    assert changed.status_code == 200 and changed.get_json()["name"] == "Вера"
    assert browser.get(f"/api/polls/{poll_id}").get_json()["voters"] == ["Вера", "Гриша"]


def test_importing_the_polls_again_changes_nothing(app, polled):
    text = export_text(app)
    wipe(app)
    run_import(app, text)
    seen = seen_by_everyone(app, polled)
    again = run_import(app, text)
    assert (again.polls.added, again.polls.updated, again.polls.unchanged) == (0, 0, 2)
    assert not again.changed and "Голосования: добавлено 0, обновлено 0, без изменений 2." in again.describe()
    assert seen_by_everyone(app, polled) == seen and export_text(app) == text


def _poll_with_one_voter(client) -> tuple[dict, object]:
    created = client.post("/api/polls", json={"movies": CANDIDATES}).get_json()
    anya = client.application.test_client()
    assert (
        anya.put(f"/api/polls/{created['id']}/ballot", json={"name": "Аня", "approve": [0]}).status_code
        == 200
    )
    return created, anya


def test_a_close_in_the_file_closes_the_open_poll_with_the_files_ballots_and_result(app, client):
    created, _anya = _poll_with_one_voter(client)
    still_open = export_text(app)
    boris = app.test_client()
    boris.put(f"/api/polls/{created['id']}/ballot", json={"name": "Борис", "approve": [2]})
    client.post(f"/api/polls/{created['id']}/close", json={"token": created["manage_token"]})
    closed = export_text(app)

    wipe(app)
    run_import(app, still_open)
    late = app.test_client()  # a ballot this database took that the closed poll never counted
    late.put(f"/api/polls/{created['id']}/ballot", json={"name": "Вера", "approve": [1]})
    report = run_import(app, closed)
    assert (report.polls.updated, report.polls.unchanged) == (1, 0)
    assert export_text(app) == closed
    answer = app.test_client().get(f"/api/polls/{created['id']}").get_json()
    assert answer["status"] == "closed" and answer["voters"] == ["Аня", "Борис"]
    assert answer["result"]["counts"] == [1, 0, 1]


def test_a_poll_closed_in_the_database_stays_as_it_is_whatever_an_older_file_says(app, client):
    created, _anya = _poll_with_one_voter(client)
    still_open = export_text(app)
    client.post(f"/api/polls/{created['id']}/close", json={"token": created["manage_token"]})
    closed = export_text(app)
    report = run_import(app, still_open)
    assert (report.polls.updated, report.polls.unchanged) == (0, 1)
    assert export_text(app) == closed


def test_an_open_polls_ballots_are_merged_and_the_later_ballot_of_one_voter_stays(app, client):
    created, anya = _poll_with_one_voter(client)
    first = export_text(app)
    anya.put(f"/api/polls/{created['id']}/ballot", json={"approve": [1, 2]})  # she changed her mind
    boris = app.test_client()
    boris.put(f"/api/polls/{created['id']}/ballot", json={"name": "Борис", "approve": [2]})
    latest = export_text(app)

    assert run_import(app, first).polls.unchanged == 1  # her newer ballot stays, Борис is not taken away
    assert export_text(app) == latest
    wipe(app)
    run_import(app, first)
    report = run_import(app, latest)
    assert report.polls.updated == 1 and export_text(app) == latest


def test_a_poll_that_differs_from_the_one_in_the_database_is_refused_and_nothing_is_written(app, client):
    created, _anya = _poll_with_one_voter(client)
    data = json.loads(export_text(app))
    before = export_text(app)
    data["polls"][0]["candidates"][1]["name"] = "Другой фильм"
    data["polls"][0]["ballots"].append(
        {"participant": "z" * 32, "name": "Борис", "choices": [1], "veto": None,
         "cast_at": "2026-01-01T00:00:00.000000Z"}
    )  # fmt: skip
    with pytest.raises(Conflict) as refused:
        run_import(app, data)
    assert refused.value.code == "poll_mismatch" and f"Голосование {created['id']}" in refused.value.message
    assert export_text(app) == before


def test_a_name_another_participant_has_in_the_database_is_refused(app, client):
    _poll_with_one_voter(client)
    before = export_text(app)
    data = json.loads(before)
    namesake = {**data["polls"][0]["ballots"][0], "participant": "y" * 32, "name": "АНЯ"}
    data["polls"][0]["ballots"] = [namesake]
    with pytest.raises(Conflict, match="«АНЯ» в базе уже у другого участника"):
        run_import(app, data)
    assert export_text(app) == before
