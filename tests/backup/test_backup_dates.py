"""A backup's dates by the API's own rules: what the site would refuse to record, the import refuses too,
naming the field; and no date, however far out, is a 500."""

from __future__ import annotations

import json

import pytest

from tests.backup.test_backup_commands_and_pages import flashes, upload
from tests.backup.test_backup_export_import import export_text


def _first(data: dict, kind: str) -> dict:
    return data[kind][0]


def _open_poll(data: dict) -> dict:
    return next(poll for poll in data["polls"] if poll["closed_at"] is None)


CASES = {
    "a movie added in year 1, with an offset": (
        lambda d: _first(d, "library").__setitem__("added_at", "0001-01-01T00:00:00+01:00"),
        "added_at: не раньше 1888 года",
    ),
    "a movie added in year 1": (
        lambda d: _first(d, "library").__setitem__("added_at", "0001-01-01T00:00:00Z"),
        "added_at: не раньше 1888 года",
    ),
    "a movie added on the last day of 9999, behind UTC": (
        lambda d: _first(d, "library").__setitem__("added_at", "9999-12-31T23:59:59-01:00"),
        "added_at: не в будущем",
    ),
    "a lottery drawn in 9999": (
        lambda d: next(lot for lot in d["lotteries"] if lot["drawn_at"]).__setitem__(
            "drawn_at", "9999-12-31T23:59:59Z"
        ),
        "drawn_at: не в будущем",
    ),
    "a ballot cast in year 1": (
        lambda d: _open_poll(d)["ballots"][0].__setitem__("cast_at", "0001-01-01T00:00:00Z"),
        "голос №1: cast_at: не раньше 1888 года",
    ),
    "a viewing on 9999-12-31": (
        lambda d: _first(d, "library")["viewings"].append(
            {"date": "9999-12-31", "lottery_id": None, "poll_id": None}
        ),
        "date: дата просмотра не может быть в будущем",
    ),
    "an exclusion until 9999-12-31": (
        lambda d: _first(d, "library").update(status="excluded", excluded_until="9999-12-31"),
        "excluded_until: дата «не предлагать до» — не дальше",
    ),
    "a poll's deadline in 9999": (
        lambda d: _open_poll(d).__setitem__("deadline", "9999-12-31T23:59:59Z"),
        "deadline: срок — не дальше чем через год",
    ),
    "a poll's deadline before the poll": (
        lambda d: _open_poll(d).__setitem__("deadline", "2001-01-01T00:00:00Z"),
        "deadline: срок уже прошёл",
    ),
}


@pytest.mark.parametrize("case", CASES)
def test_an_upload_with_a_date_the_api_refuses_is_refused_naming_the_field(stocked_owner, case):
    app, client = stocked_owner
    mutate, expected = CASES[case]
    data = json.loads(export_text(app))
    mutate(data)
    before = export_text(app)
    response = upload(client, json.dumps(data).encode(), dry_run=False)
    assert response.status_code in (302, 303)
    shown = flashes(client.get(response.headers["Location"]))
    assert any("Копия не загружена" in text and expected in text for text in shown), shown
    assert export_text(app) == before


def test_the_import_refuses_a_future_viewing_with_the_apis_own_words(stocked_owner):
    app, client = stocked_owner
    listed = client.get("/api/library?status=all").get_json()["movies"][0]
    refused = client.post(f"/api/library/{listed['id']}/viewings", json={"date": "9999-12-31"})
    assert refused.status_code == 400
    data = json.loads(export_text(app))
    CASES["a viewing on 9999-12-31"][0](data)
    response = upload(client, json.dumps(data).encode(), dry_run=True)
    shown = " ".join(flashes(client.get(response.headers["Location"])))
    message = refused.get_json()["error"]["message"]
    assert f"date: {message[:1].lower()}{message[1:]}" in shown
