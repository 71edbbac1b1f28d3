"""Every POST, walked from app.url_map: what a page on another site can send changes nothing.

A cross-site HTML form (or a no-cors fetch, or sendBeacon) can send only a POST with a form, multipart or
text/plain body, or none at all. It cannot send ``Content-Type: application/json``, ``X-CSRFToken`` or
``Authorization`` without a CORS preflight, which the site never grants. So each such request, with or without
the browser's session cookie, must be refused (415 on the API, the CSRF refusal on the pages) before any view
runs, while the same request sent as the site's own scripts and forms send it goes through.

The route list comes from the app, so a new POST route is walked too; its URL arguments are filled from the
stock by name and it gets an empty form unless ``FIELDS`` says more.
"""

from __future__ import annotations

import io
import json
import re
import secrets
from dataclasses import dataclass

import pytest
import sqlalchemy as sa

from movie_lottery.core.extensions import db
from tests.conftest import EACH_MODE
from tests.downloads.test_torrent_status import QBIT, StubClient, install
from tests.support.backup_collection import handmade_document

PASSWORD = "correct horse"
TOKEN = "bot-token"


@pytest.fixture(autouse=True)
def _stop_refreshers():
    from movie_lottery.downloads import status as torrent_status

    yield
    torrent_status.stop_all(timeout=10)


def new_magnet() -> str:
    return f"magnet:?xt=urn:btih:{secrets.token_hex(20)}&dn=Movie"


@dataclass
class Stock:
    """Rows a write would change: an undrawn lottery, a movie with a magnet, one with a pending download,
    and a drawn lottery whose winner can be marked «Посмотрели»."""

    lottery_id: str
    play_token: str
    movie_to_download: int
    movie_downloading: int
    drawn_lottery_id: str
    poll_id: str
    manage_token: str
    closed_poll_id: str  # its winner can be marked «Посмотрели» too


def stock(app) -> Stock:
    client = app.test_client()
    headers = {"Authorization": f"Bearer {TOKEN}"}  # ignored in open mode, the admin in locked mode
    tag = secrets.token_hex(3)
    movies = [{"name": f"Гавань {tag}"}, {"name": f"Маяк {tag}"}]
    lottery = client.post("/api/lotteries", json={"movies": movies}, headers=headers).get_json()
    first, second = (
        client.post(
            "/api/library", json={"name": f"{name} {tag}", "magnet": new_magnet()}, headers=headers
        ).get_json()["id"]
        for name in ("Сталкер", "Солярис")
    )
    asked = client.post(f"/api/library/{second}/download", json={}, headers=headers)
    assert asked.status_code == 202, asked.get_json()
    drawn = client.post("/api/lotteries", json={"movies": movies}, headers=headers).get_json()
    draw = client.post(f"/api/lotteries/{drawn['id']}/draw", json={"token": drawn["play_token"]})
    assert draw.status_code == 200, draw.get_json()
    poll = client.post("/api/polls", json={"movies": movies}, headers=headers).get_json()
    closed = client.post("/api/polls", json={"movies": movies}, headers=headers).get_json()
    close = client.post(f"/api/polls/{closed['id']}/close", json={"token": closed["manage_token"]})
    assert close.status_code == 200, close.get_json()
    return Stock(
        lottery["id"],
        lottery["play_token"],
        first,
        second,
        drawn["id"],
        poll["id"],
        poll["manage_token"],
        closed["id"],
    )


def fields_for(endpoint: str, rows: Stock) -> dict:
    """What the site's own form or script sends to this endpoint (an unknown endpoint: nothing)."""
    fields = {
        "api_lotteries.create_lottery": {"movies": [{"name": "Сталкер"}, {"name": "Солярис"}]},
        "api_library.add_to_library": {"name": f"Зеркало {secrets.token_hex(3)}", "year": 1975},
        "api_lotteries.draw_lottery": {"token": rows.play_token},
        "api_polls.create_poll": {"movies": [{"name": "Сталкер"}, {"name": "Солярис"}]},
        "api_polls.close_poll": {"token": rows.manage_token},
        "api_polls.check_name": {"name": "Аня"},
        "library_pages.library_add": {
            "name": f"Зеркало {secrets.token_hex(3)}",
            "year": "1975",
            "magnet": "",
        },
        "library_pages.library_set_magnet": {"magnet": new_magnet()},
        "library_pages.library_remove_torrent": {"delete_files": "1"},
        "auth.login": {"password": PASSWORD},
        "api_library.library_notes": {"movies": [{"name": "Сталкер", "year": 1979}]},
        "api_library.add_viewing": {"date": "2025-03-03"},
        "api_lotteries.lottery_watched": {"date": "2025-03-03"},
        "api_polls.poll_watched": {"date": "2025-03-03"},
    }
    return fields.get(endpoint, {})


# The endpoints whose proper request must change the database: proof that "unchanged" below means something.
WRITES = {
    "api_lotteries.create_lottery",
    "api_library.add_to_library",
    "api_lotteries.draw_lottery",
    "api_polls.create_poll",
    "api_polls.close_poll",
    "api_library.request_download",
    "lottery_pages.delete_lottery",
    "lottery_pages.delete_poll",
    "library_pages.library_add",
    "library_pages.library_delete",
    "library_pages.library_download",
    "library_pages.library_set_magnet",
    "library_pages.library_clear_magnet",
    "library_pages.library_remove_torrent",
    "backup_pages.library_backup_upload",
    "api_library.add_viewing",
    "api_lotteries.lottery_watched",
    "api_polls.poll_watched",
    "polls_pages.poll_watched",
}
# POSTs that only read (a body too large for a query string, or a name kept out of URLs and access logs), so a
# proper one changes nothing either.
READS = {"api_library.library_notes", "api_polls.check_name"}


def post_routes(app, rows: Stock) -> list[tuple[str, str]]:
    """(endpoint, URL) for every rule that takes POST, its arguments taken from the stock by name."""
    found = []
    for rule in app.url_map.iter_rules():
        if "POST" not in rule.methods:
            continue
        lottery = (
            rows.drawn_lottery_id if rule.endpoint == "api_lotteries.lottery_watched" else rows.lottery_id
        )
        poll = rows.closed_poll_id if rule.endpoint.endswith("poll_watched") else rows.poll_id
        values = {"lottery_id": lottery, "token": rows.play_token, "poll_id": poll}
        movie = rows.movie_to_download if rule.endpoint.endswith("download") else rows.movie_downloading
        arguments = {name: values.get(name, movie) for name in rule.arguments}
        found.append((rule.endpoint, rule.build(arguments, append_unknown=False)[1]))
    return sorted(found)


def backup_file() -> tuple[io.BytesIO, str]:
    return io.BytesIO(json.dumps(handmade_document()).encode()), "backup.json"


def forged_requests(endpoint: str, fields: dict) -> dict[str, dict]:
    """Everything a page on another site can make a browser POST, as test-client keyword arguments."""
    text_fields = {name: str(value) for name, value in fields.items()}
    multipart = dict(text_fields)
    if endpoint == "backup_pages.library_backup_upload":
        multipart["backup"] = backup_file()
    return {
        "form": {"data": text_fields, "content_type": "application/x-www-form-urlencoded"},
        "empty form": {"data": b"", "content_type": "application/x-www-form-urlencoded"},
        "multipart": {"data": multipart, "content_type": "multipart/form-data"},
        # <form enctype="text/plain"> with a field named like a JSON prefix: the classic JSON-by-form trick.
        "text/plain": {"data": json.dumps(fields) + "=", "content_type": "text/plain"},
        "no body, no type": {},  # fetch(url, {method: "POST", mode: "no-cors"}), navigator.sendBeacon(url)
    }


def snapshot() -> dict[str, list]:
    """Every row of every table (content_version too: it moves on any write)."""
    db.session.remove()
    with db.engine.connect() as connection:
        return {
            table.name: sorted(map(repr, connection.execute(sa.select(table)).all()))
            for table in db.metadata.sorted_tables
        }


def csrf_of(client) -> str:
    html = client.get("/library").get_data(as_text=True)
    return re.search(r'name="csrf-token" content="([^"]+)"', html).group(1)


def sign_in(client) -> None:
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    assert client.post("/login", data={"password": PASSWORD, "csrf_token": token}).status_code == 302


def make_mode(make_app, mode: str):
    settings = {**QBIT, "API_TOKEN": TOKEN}
    if mode == "locked":
        settings["ADMIN_PASSWORD"] = PASSWORD
    app = make_app(**settings)
    install(app, StubClient())  # qBittorrent "configured", so a download is a stored row; no thread, no call
    return app


def assert_refused(url: str, response, *, anonymous_in_locked_mode: bool) -> None:
    what = (url, response.status_code, response.get_data(as_text=True)[:200])
    if url.startswith("/api/"):
        allowed = {415: "unsupported_media_type", 403: "csrf_failed"}
        if anonymous_in_locked_mode:
            allowed[401] = "unauthorized"
        assert response.status_code in allowed, what
        assert response.get_json()["error"]["code"] == allowed[response.status_code], what
        assert response.get_json()["error"]["message"], what
        return
    if anonymous_in_locked_mode and response.status_code == 302:
        assert response.headers["Location"].startswith("/login"), what  # the access guard came first
        return
    assert response.status_code == 403, what
    assert "Страница устарела" in response.get_data(as_text=True), what


@EACH_MODE
def test_a_post_another_site_can_forge_changes_nothing_on_any_route(make_app, site_mode):
    app = make_mode(make_app, site_mode)
    rows = stock(app)
    without_cookie = app.test_client()  # what a browser sends cross-site with a SameSite=Lax cookie
    with_cookie = app.test_client()  # what an older browser, or a same-site page, could send
    if site_mode == "locked":
        sign_in(with_cookie)
    else:
        csrf_of(with_cookie)  # a session holding a CSRF token, as any visitor of the pages has
    routes = post_routes(app, rows)
    with app.app_context():
        before = snapshot()
        checked = 0
        for endpoint, url in routes:
            for variant in forged_requests(endpoint, {}):
                for client in (without_cookie, with_cookie):
                    kwargs = forged_requests(endpoint, fields_for(endpoint, rows))[variant]  # fresh files
                    response = client.post(url, **kwargs)
                    anonymous = site_mode == "locked" and client is without_cookie
                    assert_refused(url, response, anonymous_in_locked_mode=anonymous)
                    assert snapshot() == before, (endpoint, variant, "the database changed")
                    checked += 1
    assert {endpoint for endpoint, _ in routes} >= WRITES  # the walk found every write we know of
    assert checked >= len(WRITES) * 5 * 2
    if site_mode == "locked":  # and the forged logout did not sign the admin out
        assert with_cookie.get("/library").status_code == 200


@EACH_MODE
def test_the_pages_need_their_token_even_with_a_json_body(make_app, site_mode):
    app = make_mode(make_app, site_mode)
    rows = stock(app)
    client = app.test_client()
    if site_mode == "locked":
        sign_in(client)
    else:
        csrf_of(client)
    with app.app_context():
        before = snapshot()
        for endpoint, url in post_routes(app, rows):
            if url.startswith("/api/"):
                continue
            response = client.post(url, json=fields_for(endpoint, rows))
            assert_refused(url, response, anonymous_in_locked_mode=False)
            assert snapshot() == before, endpoint


def send_properly(app, client, endpoint: str, url: str, rows: Stock):
    """The request as the site's own scripts (JSON + X-CSRFToken) and forms (the token field) send it."""
    fields = fields_for(endpoint, rows)
    if url.startswith("/api/"):
        # library.js posts the download with no body at all: only the CSRF header, no content type.
        body = {} if endpoint == "api_library.request_download" else {"json": fields}
        return client.post(url, headers={"X-CSRFToken": csrf_of(client)}, **body)
    data = {**fields, "csrf_token": csrf_of(client)}
    if endpoint == "backup_pages.library_backup_upload":
        return client.post(url, data={**data, "backup": backup_file()}, content_type="multipart/form-data")
    return client.post(url, data=data)


def assert_passed(url: str, response) -> None:
    what = (url, response.status_code, response.get_data(as_text=True)[:300])
    assert response.status_code < 400, what


@EACH_MODE
def test_the_sites_own_scripts_and_forms_get_through_on_every_route(make_app, site_mode):
    app = make_mode(make_app, site_mode)
    client = app.test_client()
    if site_mode == "locked":
        sign_in(client)
    for endpoint, url in post_routes(app, stock(app)):
        if endpoint == "auth.logout":
            continue  # it works (below), but would sign the admin out of the rest of the walk
        if site_mode == "open" and getattr(app.view_functions[endpoint], "is_owner_only", False):
            continue  # the signed-in owner's alone, in every mode (tests/web/test_site_modes.py)
        rows = stock(app)  # fresh rows: the previous write may have used up the last ones
        url = dict(post_routes(app, rows))[endpoint]
        with app.app_context():
            before = snapshot()
            response = send_properly(app, client, endpoint, url, rows)
            assert_passed(url, response)
            if endpoint in WRITES:
                assert snapshot() != before, (endpoint, "a proper request changed nothing")
    logout = client.post("/logout", data={"csrf_token": csrf_of(client)})
    assert logout.status_code == 302


@EACH_MODE
def test_scripts_get_through_with_json_alone_or_with_the_api_token(make_app, site_mode):
    """No cookie: JSON is enough in open mode; the bearer token is enough anywhere, even with no body."""
    app = make_mode(make_app, site_mode)
    bot = {"Authorization": f"Bearer {TOKEN}"} if site_mode == "locked" else {}
    client = app.test_client()
    for endpoint, url in post_routes(app, stock(app)):
        if not url.startswith("/api/"):
            continue
        rows = stock(app)
        url = dict(post_routes(app, rows))[endpoint]
        with app.app_context():
            before = snapshot()
            response = client.post(url, json=fields_for(endpoint, rows), headers=bot)
            assert_passed(url, response)
            assert (snapshot() == before) if endpoint in READS else (snapshot() != before), endpoint
    rows = stock(app)
    bodiless = app.test_client().post(
        f"/api/library/{rows.movie_to_download}/download", headers={"Authorization": f"Bearer {TOKEN}"}
    )
    assert bodiless.status_code == 202, bodiless.get_json()  # no page on another site can send the header


def test_a_bodiless_download_from_a_script_without_json_is_refused_in_open_mode(make_app):
    """The hole of issue 11: an empty cross-site form asked for a download in open mode."""
    app = make_mode(make_app, "open")
    rows = stock(app)
    response = app.test_client().post(
        f"/api/library/{rows.movie_to_download}/download", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 415
    assert response.get_json()["error"]["code"] == "unsupported_media_type"
    assert app.test_client().get(f"/api/library/{rows.movie_to_download}").get_json()["download"] is None


def test_a_post_to_a_route_without_post_is_still_a_405(client):
    """No view to reach, nothing to protect: routing's own answer comes first (the fuzzer found a 415)."""
    response = client.post("/api/lotteries/abcdefgh")
    assert response.status_code == 405
    assert response.get_json()["error"]["code"] == "method_not_allowed"
