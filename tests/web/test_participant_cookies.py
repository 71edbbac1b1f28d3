"""Participants are the server's, and a browser's cookies stay few however many nights it joins.

A ballot or rating is stored under a value the server derives from its own signed browser id: a value a
visitor sends is never stored, so no one can be one participant in two nights (which the backup import
refuses). One cookie serves every night; the old per-night cookies are handed over and expired, and a
browser holding as many of them as a browser keeps still gets every page through gunicorn.
"""

from __future__ import annotations

import http.client
import re

import sqlalchemy as sa

from movie_lottery.backup.check import check_document
from movie_lottery.backup.transfer import dumps_backup, export_data, loads_backup
from movie_lottery.core.extensions import db
from movie_lottery.core.models import PollBallot, Rating
from tests.support.gunicorn_server import GunicornServer

MOVIES = [{"name": "Сталкер", "year": 1979}, {"name": "Солярис", "year": 1972}]
CHOSEN = "I-picked-this-participant-id-myself-0001"  # the shape backup/check.py accepts
COOKIE_HEADER_LIMIT = 8190  # gunicorn's default limit_request_field_size: the line "Cookie: …" counts


def poll(client, voters: dict | None = None) -> dict:
    created = client.post("/api/polls", json={"movies": MOVIES}).get_json()
    for voter, name in (voters or {}).items():
        voted = voter.put(f"/api/polls/{created['id']}/ballot", json={"name": name, "approve": [0]})
        assert voted.status_code == 200, voted.get_json()
    return created


def watched_poll(app, client, day: str) -> dict:
    """A poll Сталкер won (its one voter approved it), closed and marked watched on ``day``."""
    created = poll(client, {app.test_client(): "Вера"})
    closed = client.post(f"/api/polls/{created['id']}/close", json={"token": created["manage_token"]})
    assert closed.get_json()["result"]["winner"] == 0
    assert client.post(f"/api/polls/{created['id']}/watched", json={"date": day}).status_code == 200
    return created


def stored(app, model, **where) -> list[str]:
    with app.app_context():
        query = sa.select(model.participant).filter_by(**where)
        values = list(db.session.scalars(query))
        db.session.remove()
    return values


def jar_header(client) -> str:
    """The Cookie header this browser sends to the site."""
    return "Cookie: " + "; ".join(f"{c.key}={c.value}" for c in client._cookies.values())


def test_a_participant_value_the_visitor_sends_is_never_stored(app, client):
    night = poll(client)
    visitor = app.test_client()
    visitor.set_cookie(f"ml_poll_{night['id']}", CHOSEN)
    visitor.set_cookie("ml_browser", "self-made-browser-id-0000000")
    voted = visitor.put(f"/api/polls/{night['id']}/ballot", json={"name": "Аня", "approve": [0]})
    assert voted.status_code == 200
    [participant] = stored(app, PollBallot, poll_id=night["id"])
    assert participant != CHOSEN and re.fullmatch(r"[A-Za-z0-9_-]{20,64}", participant)
    again = visitor.put(f"/api/polls/{night['id']}/ballot", json={"approve": [1]})  # still their ballot
    assert again.status_code == 200 and again.get_json()["name"] == "Аня"


def test_copying_a_participant_value_between_nights_never_makes_one_rater_of_a_movie_twice(app, client):
    """The issue's case: one browser rates the same movie's two nights, carrying the first night's value into
    the second night's cookie; with both nights deleted, the backup must still restore."""
    first, second = watched_poll(app, client, "2025-11-01"), watched_poll(app, client, "2025-11-08")
    rater = app.test_client()
    assert rater.put(f"/api/ratings/poll/{first['id']}", json={"name": "Лёша", "score": 9}).status_code == 200
    [value] = stored(app, Rating, poll_id=first["id"])
    rater.set_cookie(f"ml_poll_{second['id']}", value)
    assert (
        rater.put(f"/api/ratings/poll/{second['id']}", json={"name": "Лёша", "score": 3}).status_code == 200
    )
    assert stored(app, Rating, poll_id=second["id"]) != [value]
    for night in (first, second):
        assert client.delete(f"/api/polls/{night['id']}").status_code == 204
    with app.app_context():
        check_document(loads_backup(dumps_backup(export_data())))  # raises when a rater counts twice
        db.session.remove()


def test_a_browser_in_many_nights_keeps_one_cookie_of_one_size(app, client):
    browser = app.test_client()
    sent: set[str] = set()
    for _night in range(40):
        night = poll(client)
        voted = browser.put(f"/api/polls/{night['id']}/ballot", json={"name": "Аня", "approve": [0]})
        assert voted.status_code == 200
        sent.update(header.split("=", 1)[0] for header in voted.headers.getlist("Set-Cookie"))
    assert sent == {"ml_browser"}
    assert [cookie.key for cookie in browser._cookies.values()] == ["ml_browser"]
    # A thousand nights send exactly this header: nothing in it grows with the nights.
    assert len(jar_header(browser)) < 120


def legacy_jar(nights: int) -> dict[str, str]:
    """What an old browser holds after ``nights`` polls and rated lotteries: one cookie each."""
    kinds = ("poll", "lottery")
    return {f"ml_{kinds[i % 2]}_{i:08x}": f"{i:032x}"[:32].replace("0", "A") for i in range(nights)}


def test_an_old_browsers_ballot_is_still_its_own_and_its_old_cookies_go(app, client):
    """A voter from before: their poll cookie still finds their ballot, which they can change and withdraw;
    a page visit hands it to the one new cookie and expires every old one (1,000 nights of them)."""
    night = poll(client)
    old_value = "old-random-cookie-value-of-32-ch"
    with app.app_context():  # the ballot as the site stored it before, under the cookie's random value
        db.session.add(PollBallot(poll_id=night["id"], participant=old_value, name="Аня", name_key="аня",
                                  choices=[0], veto=None, cast_at=sa.func.now()))  # fmt: skip
        db.session.commit()
        db.session.remove()
    browser = app.test_client()
    for name, value in legacy_jar(1000).items():
        browser.set_cookie(name, value)
    browser.set_cookie(f"ml_poll_{night['id']}", old_value)
    assert browser.get(f"/api/polls/{night['id']}/ballot").get_json()["name"] == "Аня"
    for _visit in range(26):  # 40 old cookies go per answer
        page = browser.get(f"/p/{night['id']}")
        assert page.status_code == 200
    assert sorted(cookie.key for cookie in browser._cookies.values()) == ["ml_browser", "ml_session"]
    assert browser.get(f"/api/polls/{night['id']}/ballot").get_json()["name"] == "Аня"
    token = re.search(r'name="csrf-token" content="([^"]+)"', page.get_data(as_text=True)).group(1)
    browser.environ_base["HTTP_X_CSRFTOKEN"] = token  # as the page's script sends it
    changed = browser.put(f"/api/polls/{night['id']}/ballot", json={"approve": [1]})
    assert changed.status_code == 200 and changed.get_json() == {"name": "Аня", "approve": [1], "veto": None}
    assert client.get(f"/api/polls/{night['id']}").get_json()["voters"] == ["Аня"]
    assert browser.delete(f"/api/polls/{night['id']}/ballot").status_code == 204
    assert client.get(f"/api/polls/{night['id']}").get_json()["voters"] == []


def test_gunicorn_answers_a_browser_holding_as_many_old_cookies_as_a_browser_keeps(database_url):
    """Chromium keeps 180 cookies per site (Firefox likewise); 180 old participant cookies made a ~10 KB
    Cookie header, over gunicorn's default 8 KB: 431 on every page, /health included. The site's own
    limit lets it through, so the page can expire them."""
    jar = "; ".join(f"{name}={value}" for name, value in legacy_jar(180).items())
    assert len("Cookie: " + jar) > COOKIE_HEADER_LIMIT
    with GunicornServer(database_url, workers=1) as server:
        for path in ("/health", "/"):
            connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=20)
            connection.request("GET", path, headers={"Cookie": jar})
            answer = connection.getresponse()
            answer.read()
            assert answer.status == 200, (path, answer.status)
            if path == "/":
                expired = [h for h in answer.headers.get_all("Set-Cookie") if h.startswith("ml_poll_")
                           or h.startswith("ml_lottery_")]  # fmt: skip
                assert len(expired) == 40 and all("Max-Age=0" in h for h in expired)
            connection.close()
