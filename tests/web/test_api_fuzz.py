"""Schemathesis over every operation of /api/openapi.json, against the app in-process (WSGI).

Each operation is fuzzed in open mode and with ADMIN_PASSWORD + API_TOKEN set (sending the bearer token),
on SQLite and PostgreSQL: no 5xx, and every answer must be in the document (status, content type, body
schema, headers). Bounded for `make test`; `FUZZ_EXAMPLES=500 make test` (or
`FUZZ_EXAMPLES=500 .venv/bin/python -m pytest -m fuzz`) runs a long one.
"""

from __future__ import annotations

import os
from datetime import timedelta

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import (
    ignored_auth,
    negative_data_rejection,
    positive_data_acceptance,
)

from tests.conftest import EACH_MODE, build_app, kinopoisk_settings
from tests.support.worst_case import BOUND_SECONDS, minimal, places, put, timed, worst_value

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "6"))
TOKEN = "fuzz-bot-token"
MAGNET = "magnet:?xt=urn:btih:{:040x}&dn=Fuzz"
VIEWED_ON = "2025-03-03"

pytestmark = pytest.mark.fuzz


class CurrentApp:
    """One WSGI entry for the schema; each test points it at its own app (database, access mode)."""

    def __init__(self) -> None:
        # The document needs no database: create_app builds it without a query.
        self.app = build_app("sqlite://")
        self.cpu_seconds = 0.0

    def __call__(self, environ, start_response):
        # The CPU this thread spends in the app: what an input costs, whatever else the machine runs; the
        # collector held off as in tests.support.worst_case.timed (a collection of the suite's heap is not
        # the input's cost).
        response, self.cpu_seconds = timed(lambda: self.app(environ, start_response))
        return response


CURRENT = CurrentApp()
SCHEMA = schemathesis.openapi.from_wsgi("/api/openapi.json", CURRENT)


class Stock:
    """Real rows for the fuzzer to hit: generated ids alone would almost always be a 404."""

    def __init__(self, client, headers: dict) -> None:
        movies = [{"name": "Гавань", "year": 2008}, {"name": "Маяк", "kinopoisk_id": 1000001}]
        created = [client.post("/api/lotteries", json={"movies": movies}, headers=headers) for _ in range(2)]
        self.lotteries = [response.get_json() for response in created]
        first = self.lotteries[0]
        client.post(
            f"/api/lotteries/{first['id']}/draw", json={"token": first["play_token"]}, headers=headers
        )
        self.polls = [
            client.post("/api/polls", json={"movies": movies, **settings}, headers=headers).get_json()
            for settings in ({}, {"method": "ranked", "veto": True, "results": "live"})
        ]
        for poll in self.polls:
            choice = {"approve": [1]} if poll["method"] == "approval" else {"ranking": [1, 0]}
            client.put(f"/api/polls/{poll['id']}/ballot", json={"name": "Аня", **choice}, headers=headers)
        self.movie_ids = [
            client.post(
                "/api/library", json={"name": f"Фильм {n}", "magnet": MAGNET.format(n + 1)}, headers=headers
            ).get_json()["id"]
            for n in range(3)
        ]
        for movie_id in self.movie_ids:
            client.post(f"/api/library/{movie_id}/viewings", json={"date": VIEWED_ON}, headers=headers)
        client.post(f"/api/lotteries/{first['id']}/watched", json={}, headers=headers)
        # A poll closed and its winner watched: the ratings of both kinds are open.
        watched = client.post("/api/polls", json={"movies": movies}, headers=headers).get_json()
        client.post(
            f"/api/polls/{watched['id']}/close", json={"token": watched["manage_token"]}, headers=headers
        )
        client.post(f"/api/polls/{watched['id']}/watched", json={}, headers=headers)
        self.watched = {"lottery": first["id"], "poll": watched["id"]}

    def aim(self, case) -> None:
        """Point about half of the generated ids at real rows; which half follows from the generated value."""
        params = case.path_parameters or {}
        lottery_id = params.get("lottery_id")
        if isinstance(lottery_id, str) and len(lottery_id) % 2 == 0:
            lottery = self.lotteries[len(lottery_id) % 4 // 2]
            params["lottery_id"] = lottery["id"]
            if isinstance(case.body, dict) and "token" in case.body:
                case.body["token"] = lottery["play_token"]
        poll_id = params.get("poll_id")
        if isinstance(poll_id, str) and len(poll_id) % 2 == 0:
            poll = self.polls[len(poll_id) % 4 // 2]
            params["poll_id"] = poll["id"]
            if isinstance(case.body, dict) and "token" in case.body:
                case.body["token"] = poll["manage_token"]
            if isinstance(params.get("name"), str) and len(params["name"]) % 2 == 0:
                params["name"] = "аня"
        night_id = params.get("night_id")
        if isinstance(night_id, str) and len(night_id) % 2 == 0 and params.get("kind") in self.watched:
            params["night_id"] = self.watched[params["kind"]]
        query = case.query or {}
        if isinstance(query.get("q"), str) and len(query["q"]) % 3 == 0:
            query["q"] = "гавань"  # the fake Kinopoisk's one title with results
        movie_id = params.get("movie_id")
        if isinstance(movie_id, int) and movie_id % 2 == 0:
            params["movie_id"] = self.movie_ids[movie_id % len(self.movie_ids)]
        day = params.get("day")
        if isinstance(day, str) and len(day) % 2 == 0:
            params["day"] = VIEWED_ON  # a day the stocked movies were watched


# ---- worst-case input as explicit examples of every operation (tests/support/worst_case.py) ----------

ADDRESS_SIZE = 64_000
NESTING = 500  # far past the app's bound (32), still within what the fuzzer's own JSON encoder can write


def _nested(levels: int) -> list:
    value: list = []
    for _ in range(levels):
        value = [value]
    return value


def _placeholder(parameter: dict):
    kind = parameter.get("schema", {}).get("type")
    return 1 if kind == "integer" else "Fuzz1234"


def worst_cases(operation) -> list:
    """1 MB ending in a control character in each parameter and each place of the body, and a body nested
    deeper than the bound: the document must describe each answer (400, 404, 413); a check bounds its time."""
    document, raw = operation.schema.raw_schema, operation.definition.raw
    item = document["paths"][operation.path]
    parameters = [*item.get("parameters", []), *raw.get("parameters", [])]
    path = {p["name"]: _placeholder(p) for p in parameters if p["in"] == "path"}
    value = worst_value("letters")
    # In the address 64 KB: the test client's own encoding of a 1 MB one takes most of a second (the app's
    # part is timed alone in test_worst_case_input), and gunicorn refuses request lines past 4 KB anyway.
    in_address = worst_value("letters", ADDRESS_SIZE)
    cases = []
    for parameter in parameters:
        if parameter["in"] == "query":
            cases.append(operation.Case(path_parameters=path, query={parameter["name"]: in_address}))
        elif parameter["in"] == "path":
            cases.append(operation.Case(path_parameters={**path, parameter["name"]: in_address}))
    schema = raw.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
    if schema is not None:
        base = minimal(document, schema)
        for place in places(document, schema):
            body = put(base, place, value)
            cases.append(operation.Case(path_parameters=path, body=body, media_type="application/json"))
        deep = put(base, next(places(document, schema)), _nested(NESTING))
        cases.append(operation.Case(path_parameters=path, body=deep, media_type="application/json"))
    return cases


@SCHEMA.hook
def before_add_examples(context, examples: list) -> None:
    examples.extend(worst_cases(context.operation))


def answered_within_a_second(ctx, response, case) -> None:
    """Many times the normal cost: catches anything super-linear in the worst-case examples."""
    spent = CURRENT.cpu_seconds
    assert spent < BOUND_SECONDS, f"{case.method} {case.path}: {spent:.2f} s of CPU"


# Rules about several values at once, which JSON Schema cannot state: schema-valid data may break them.
DOMAIN_RULES = {
    "duplicate_movie",  # two candidates that are one movie (case, spaces, ё/е do not matter)
    "invalid_magnet",  # the info-hash inside the link: 40 hex or 32 base32 characters
    "invalid_year_range",  # year_from after year_to
    "nothing_to_change",  # a PATCH naming no field
    "excluded_until_not_excluded",  # an exclusion's day for a movie not excluded
    "invalid_date",  # a viewing in the future or before 1888, an exclusion ending today or before
    "invalid_status",  # a random pick from «не предлагать»
    # a ballot against its poll: the method's field, positions in range and once, a veto where allowed
    "wrong_ballot",
    "unknown_movie",
    "duplicate_choice",
    "veto_not_allowed",
    "veto_conflict",
    "name_required",  # a first ballot names its voter
    "veto_without_vote",  # a veto comes with at least one «да» (or one ranked movie)
    "empty_ranking",  # a ranked ballot places at least one movie
    "ballot_required",  # a removal names the ballot: by name or by id
    "invalid_deadline",  # in the future, within a year
    "telegram_not_configured",  # a Telegram-only poll on a site without a bot (TELEGRAM_BOT_TOKEN)
    "telegram_poll_unavailable",  # a Telegram poll that cannot keep the poll's promises; no bot or chat
    "members_need_telegram",  # members_of_chat only with verification telegram
    "no_bound_chat",  # members_of_chat with no Telegram chat connected
    # NUL, a lone surrogate or a non-character anywhere, ignored fields included (web.guards.text_at_the_door)
    "invalid_text",
}


def schema_valid_data_is_accepted(ctx, response, case) -> None:
    """Like schemathesis' positive_data_acceptance, but a domain rule may still refuse schema-valid data."""
    if case.meta is None or not case.meta.generation.mode.is_positive or response.status_code != 400:
        return
    error = response.json()["error"]
    assert error["code"] in DOMAIN_RULES, f"schema-valid request refused, the document misses a rule: {error}"


@pytest.fixture
def fuzzed(site_mode, make_app, fake_kinopoisk):
    """(headers, excluded checks, stock) for one access mode, the app behind CURRENT, some real rows."""
    settings = kinopoisk_settings(fake_kinopoisk)
    if site_mode == "open":
        app, headers, excluded = make_app(**settings), {}, [ignored_auth]  # open: nothing needs credentials
    else:
        app = make_app(**settings, ADMIN_PASSWORD="fuzz-password", API_TOKEN=TOKEN)
        headers, excluded = {"Authorization": f"Bearer {TOKEN}"}, []
    stock = Stock(app.test_client(), headers)
    CURRENT.app = app
    return headers, excluded, stock


# The event streams answer text/event-stream for as long as the client stays: tests/live holds each event to
# the read it repeats, and a fuzzer's request would wait out the stream.
@EACH_MODE
@SCHEMA.exclude(path_regex=r"/events$").parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=timedelta(seconds=3),
    derandomize=True,  # the same examples on every run: a failure reproduces
    suppress_health_check=list(HealthCheck),  # one app per test on purpose; large bodies are the point
)
def test_every_answer_is_in_the_document(case, fuzzed):
    headers, excluded, stock = fuzzed
    stock.aim(case)
    case.call_and_validate(
        # The WSGI transport hands schemathesis the bytes as sent: ask for them uncompressed, as a script
        # without a decoder would (tests/web/test_compression.py covers the compressed answers).
        headers={**headers, "Accept-Encoding": "identity"},
        # Not negative_data_rejection: the document is generated from the validators, so all it could find
        # is the server's deliberate leniency (a blank string means "not given", HTML forms send numbers
        # as text, values are trimmed).
        excluded_checks=[positive_data_acceptance, negative_data_rejection, *excluded],
        additional_checks=[schema_valid_data_is_accepted, answered_within_a_second],
    )


# ---- what the fuzzer found, pinned down -------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "url", "status"),
    [
        ("GET", "/api/lotteries/%00abc", 404),  # PostgreSQL refused the NUL: a 500
        ("GET", "/l/%00abc", 404),  # the same through the waiting page
        ("GET", "/api/library/99999999999999999999", 404),  # past 2**63: SQLite's driver overflowed, a 500
        ("GET", "/library?q=%00", 400),  # the page's filter: PostgreSQL again (now refused at the door)
        ("GET", "/api/library?q=%00", 400),
    ],
)
def test_ids_and_filters_that_cannot_match_never_reach_the_database(client, method, url, status):
    response = client.open(url, method=method)
    assert response.status_code == status


def test_a_fractional_year_is_refused_not_cut(client):
    response = client.post("/api/library", json={"name": "Дюна", "year": 2021.5})
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "invalid_movie"
