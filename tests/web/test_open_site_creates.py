"""An open site cannot be filled (issue 21, item 7): under OPEN_SITE=true anonymous creates — lotteries,
polls, library adds — are limited per address per hour with a plain 429; the owner (API token) is not."""

from __future__ import annotations

import json
import random
import re

import sqlalchemy as sa

from movie_lottery.web.guards.rate_limits import CREATE_BUDGET_KIB, CREATES_PER_HOUR

MOVIES = [{"name": f"Фильм {i}", "year": 2000 + i, "description": "д" * 500} for i in range(25)]


def stranger(app, address: str = "203.0.113.7", **headers):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    for name, value in headers.items():
        client.environ_base["HTTP_" + name.upper().replace("-", "_")] = value
    return client


def test_an_anonymous_address_creates_at_most_the_hourly_number_then_gets_a_plain_429(make_app):
    app = make_app(OPEN_SITE=True)
    visitor = stranger(app)
    made = [
        visitor.post("/api/lotteries", json={"movies": MOVIES}).status_code for _ in range(CREATES_PER_HOUR)
    ]
    assert made == [201] * CREATES_PER_HOUR
    for path, body in (
        ("/api/lotteries", {"movies": MOVIES}),
        ("/api/polls", {"movies": MOVIES}),
        ("/api/library", {"name": "Ещё один", "year": 2001}),
    ):
        refused = visitor.post(path, json=body)
        assert refused.status_code == 429, path
        error = refused.get_json()["error"]
        assert error["code"] == "too_many_requests" and "в час" in error["message"]
        assert error["details"]["retry_after"] > 0
    assert stranger(app, "198.51.100.9").post("/api/polls", json={"movies": MOVIES}).status_code == 201


def test_the_library_form_answers_the_limit_in_words_on_the_page(make_app):
    app = make_app(OPEN_SITE=True)
    visitor = stranger(app)
    for i in range(CREATES_PER_HOUR):
        assert visitor.post("/api/library", json={"name": f"Фильм {i}", "year": 1990}).status_code == 201
    form = visitor.get("/library").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    page = visitor.post("/library", data={"name": "Лишний", "year": "1991", "csrf_token": token})
    assert page.status_code == 429
    assert "не больше" in page.get_data(as_text=True)


def test_the_owner_with_the_api_token_is_not_limited(make_app):
    app = make_app(OPEN_SITE=True, API_TOKEN="owner-token")
    owner = stranger(app, Authorization="Bearer owner-token")
    statuses = {
        owner.post("/api/lotteries", json={"movies": MOVIES[:2]}).status_code
        for _ in range(CREATES_PER_HOUR + 3)
    }
    assert statuses == {201}


def largest_lottery_body(rng: random.Random) -> bytes:
    """25 movies with every field at its limit, in random Cyrillic (nothing for the database to compress),
    sent as raw UTF-8: the most stored per byte sent."""

    def text(n: int) -> str:
        return "".join(chr(rng.randrange(0x430, 0x450)) for _ in range(n))

    movies = [
        {
            "name": f"{i} {text(190)}",
            "year": 2000,
            "description": text(5000),
            "genres": [text(60) for _ in range(20)],
            "countries": [text(60) for _ in range(20)],
        }
        for i in range(25)
    ]
    return json.dumps({"movies": movies}, ensure_ascii=False).encode()


def test_one_address_grows_the_database_by_a_few_megabytes_an_hour_at_most(make_app, database_url):
    app = make_app(OPEN_SITE=True)
    visitor = stranger(app)
    rng = random.Random(21)
    with app.app_context():
        before = _database_bytes(database_url)
    made = 0
    while made < 100:  # a generous bound: without a limit, this would fill the disk
        body = largest_lottery_body(rng)
        answer = visitor.post("/api/lotteries", data=body, content_type="application/json")
        if answer.status_code == 429:
            break
        assert answer.status_code == 201, answer.get_json()
        made += 1
    with app.app_context():
        grown = _database_bytes(database_url) - before
    print(
        f"\n{made} largest lotteries of {len(body) / 1e6:.2f} MB each, then 429; grown {grown / 1e6:.1f} MB"
    )
    assert made == CREATE_BUDGET_KIB // -(-len(body) // 1024)
    assert grown <= 2 * CREATE_BUDGET_KIB * 1024  # the rows and their indexes, about the bodies sent


def _database_bytes(url: str) -> int:
    from movie_lottery.core.extensions import db

    if url.startswith("postgresql"):
        return db.session.execute(sa.text("SELECT pg_database_size(current_database())")).scalar()
    db.session.execute(sa.text("PRAGMA wal_checkpoint(TRUNCATE)"))
    return db.session.execute(
        sa.text("SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()")
    ).scalar()
