"""Writers at once against a live server (three gunicorn workers): the limits and the uniqueness that a
backup's import checks hold whatever the interleaving (migration 0011).

- 20 new voters at once on a poll holding 490 ballots: exactly 10 get in, the rest hear `poll_full`.
- 20 new raters at once on a night holding 490 ratings: exactly 10 get in, the rest hear `ratings_full`.
- The same hand-typed movie added 10 times at once: one row; every answer is «added» or «already there».
Never a 500, never a traceback. On PostgreSQL and on SQLite (one file, three processes).
"""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from datetime import UTC, datetime
from http.cookiejar import CookieJar

import pytest
import sqlalchemy as sa

from tests.support.gunicorn_server import GunicornServer

pytestmark = [pytest.mark.drills]

CAP, HELD, AT_ONCE = 500, 490, 20
MOVIES = [{"name": "Сталкер", "year": 1979}, {"name": "Солярис", "year": 1972}]
NOW = datetime(2026, 12, 1, 20, 0, tzinfo=UTC)


def call(base: str, method: str, path: str, body: dict | None = None) -> tuple[int, dict | None]:
    """One request from a browser of its own (its own cookies)."""
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
    request = urllib.request.Request(
        base + path,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Content-Type": "application/json"},
        method=method,
    )
    try:
        with opener.open(request, timeout=60) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def at_once(count: int, send) -> list[tuple[int, dict | None]]:
    """``send(n)`` from ``count`` threads released together; their answers."""
    start = threading.Barrier(count)
    answers: list = [None] * count

    def run(n: int) -> None:
        start.wait()
        answers[n] = send(n)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    return answers


def engine_for(database_url: str) -> sa.Engine:
    return sa.create_engine(database_url.replace("postgresql://", "postgresql+psycopg2://", 1))


def fill(database_url: str, statement: str, rows: list[dict]) -> None:
    engine = engine_for(database_url)
    with engine.begin() as connection:
        connection.execute(sa.text(statement), rows)
    engine.dispose()


def count(database_url: str, statement: str) -> int:
    engine = engine_for(database_url)
    with engine.connect() as connection:
        number = connection.execute(sa.text(statement)).scalar_one()
    engine.dispose()
    return number


def participant(n: int) -> str:
    return f"participant-{n:020d}"


@pytest.fixture
def server(database_url, tmp_path):
    """The live server on this backend's database (``database_url``: each test on SQLite and PostgreSQL)."""
    log_path = tmp_path / "gunicorn.log"
    with GunicornServer(database_url, workers=3, log_path=log_path) as live:
        yield live, database_url
    log = log_path.read_text()
    assert "Traceback" not in log and "WORKER TIMEOUT" not in log


def codes(answers: list[tuple[int, dict | None]]) -> dict[tuple[int, str | None], int]:
    tally: dict[tuple[int, str | None], int] = {}
    for status, body in answers:
        key = (status, (body or {}).get("error", {}).get("code") if status >= 400 else None)
        tally[key] = tally.get(key, 0) + 1
    return tally


def test_twenty_new_voters_at_once_on_a_poll_holding_490_leave_exactly_500(server):
    live, url = server
    status, poll = call(live.url, "POST", "/api/polls", {"movies": MOVIES})
    assert status == 201
    fill(
        url,
        "INSERT INTO ballot (poll_id, participant, name, name_key, choices, cast_at)"
        " VALUES (:poll, :participant, :name, :name, '[0]', :at)",
        [
            {"poll": poll["id"], "participant": participant(n), "name": f"v{n}", "at": NOW}
            for n in range(HELD)
        ],
    )
    answers = at_once(
        AT_ONCE,
        lambda n: call(
            live.url, "PUT", f"/api/polls/{poll['id']}/ballot", {"name": f"Новый {n}", "approve": [1]}
        ),
    )
    assert codes(answers) == {(200, None): CAP - HELD, (409, "poll_full"): AT_ONCE - (CAP - HELD)}
    assert count(url, f"SELECT count(*) FROM ballot WHERE poll_id = '{poll['id']}'") == CAP
    status, shown = call(live.url, "GET", f"/api/polls/{poll['id']}")
    assert status == 200 and len(shown["voters"]) == CAP


def test_twenty_new_raters_at_once_on_a_night_holding_490_leave_exactly_500(server):
    live, url = server
    status, lottery = call(live.url, "POST", "/api/lotteries", {"movies": MOVIES})
    assert status == 201
    drawn = call(live.url, "POST", f"/api/lotteries/{lottery['id']}/draw", {"token": lottery["play_token"]})
    assert drawn[0] == 200
    status, movie = call(live.url, "POST", f"/api/lotteries/{lottery['id']}/watched", {})
    assert status == 200
    fill(
        url,
        "INSERT INTO rating (movie_id, lottery_id, participant, name, name_key, score, rated_at)"
        " VALUES (:movie, :lottery, :participant, :name, :name, 7, :at)",
        [
            {"movie": movie["id"], "lottery": lottery["id"], "participant": participant(n), "name": f"r{n}",
             "at": NOW}
            for n in range(HELD)
        ],
    )  # fmt: skip
    answers = at_once(
        AT_ONCE,
        lambda n: call(
            live.url, "PUT", f"/api/ratings/lottery/{lottery['id']}", {"name": f"Новый {n}", "score": 9}
        ),
    )
    assert codes(answers) == {(200, None): CAP - HELD, (409, "ratings_full"): AT_ONCE - (CAP - HELD)}
    assert count(url, f"SELECT count(*) FROM rating WHERE lottery_id = '{lottery['id']}'") == CAP


def test_ten_adds_of_one_hand_typed_movie_at_once_keep_one_row(server):
    live, url = server
    answers = at_once(10, lambda n: call(live.url, "POST", "/api/library", {"name": "Зеркало", "year": 1975}))
    assert {status for status, _ in answers} <= {200, 201}, codes(answers)
    assert len({body["id"] for _, body in answers}) == 1  # everyone is answered with the one row
    assert count(url, "SELECT count(*) FROM library_movie") == 1
