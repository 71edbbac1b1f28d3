"""No secret in a log line or an error page: the real app under gunicorn, every secret set, failures included.

Everything gunicorn and the app print (stdout and stderr: access log, error log, the app's own log) is
captured, and none of the secrets may appear in it, nor in any error page or error JSON the flow received.
"""

from __future__ import annotations

import http.cookiejar
import json
import re
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest
import sqlalchemy as sa

from movie_lottery.core.config import engine_options_for, normalize_database_url
from movie_lottery.runtime.log_masking import mask_secrets
from tests.conftest import require
from tests.support.fakes.kinopoisk_server import FakeKinopoiskServer
from tests.support.fakes.qbittorrent_nox import QbittorrentNox, available
from tests.support.gunicorn_server import GunicornServer

SECRETS = {
    "ADMIN_PASSWORD": "ADMINPASS-5e1f0c9a7b",
    "API_TOKEN": "APITOKEN-0b7d4c2e91",
    "SECRET_KEY": "SECRETKEY-c3a9f1e07d",
    "QBIT_PASSWORD": "QBITPASS-9d2b6e4f13",  # not the one qbittorrent-nox has: it refuses the login
    "KINOPOISK_API_TOKEN": "KPTOKEN-4f8a2d6c05",  # not the one the fake expects: it answers 401
}


class Browser:
    """A cookie-keeping HTTP client that records every answer it got."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), NoRedirect()
        )
        self.answers: list[tuple[str, int, str]] = []

    def call(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None):
        request = urllib.request.Request(self.base + path, data=body, headers=headers or {}, method=method)
        try:
            with self.opener.open(request, timeout=20) as response:
                status, text, given = response.status, response.read().decode(), response.headers
        except urllib.error.HTTPError as error:
            status, text, given = error.code, error.read().decode(), error.headers
        self.answers.append((path, status, text + "\n" + str(given)))
        return status, text

    def json(self, method: str, path: str, body: dict | None = None, token: str | None = None):
        headers = {"Content-Type": "application/json"} if body is not None else {}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        data = json.dumps(body).encode() if body is not None else None
        status, text = self.call(method, path, data, headers)
        return status, json.loads(text) if text.startswith("{") else None

    def form(self, path: str, fields: dict) -> tuple[int, str]:
        body = urllib.parse.urlencode(fields).encode()
        return self.call("POST", path, body, {"Content-Type": "application/x-www-form-urlencoded"})


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # keep the 302 itself: its Location is an answer to check too


def csrf_token(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def wait_for(predicate, timeout: float = 20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError("condition not reached in time")


def test_mask_secrets_hides_play_tokens_and_secret_query_values_and_nothing_else():
    line = '127.0.0.1 "GET /l/Ab3dEf9h/play/tOk-En_123?page=2&token=abc&x=1 HTTP/1.1" 200 5 1ms'
    assert (
        mask_secrets(line) == '127.0.0.1 "GET /l/Ab3dEf9h/play/***?page=2&token=***&x=1 HTTP/1.1" 200 5 1ms'
    )
    assert (
        mask_secrets('"GET /p/Ab3dEf9h/manage/tOk-En_123 HTTP/1.1"')
        == '"GET /p/Ab3dEf9h/manage/*** HTTP/1.1"'
    )
    assert mask_secrets("GET /login?next=%2Fl%2Fabc%2Fplay%2Fsecret HTTP/1.1") == (
        "GET /login?next=%2Fl%2Fabc%2Fplay%2F*** HTTP/1.1"
    )
    assert mask_secrets("/api/x?api_key=k1&password=p2&seed=s3") == "/api/x?api_key=***&password=***&seed=***"
    plain = '127.0.0.1 "GET /library?q=play&sort=title HTTP/1.1" 200 5 1ms'
    assert mask_secrets(plain) == plain


def test_a_database_error_does_not_quote_the_values_of_its_statement(database_url):
    """SQLAlchemy appends ``[parameters: …]`` to every database error, and a lottery's INSERT carries its
    seed and play token: a refresher traceback or a 500 logged mid-INSERT would print them."""
    url = normalize_database_url(database_url)
    engine = sa.create_engine(url, **engine_options_for(url))
    # A failure at run time, as a lost connection is: PostgreSQL itself quotes the statement only for
    # errors at a position in its text (a syntax error, an unknown table), which fixed SQL never has.
    failing = (
        "SELECT * FROM no_such_table WHERE x = :x"
        if url.startswith("sqlite")
        else "SELECT 1 / 0 WHERE :x <> ''"
    )
    with pytest.raises(sa.exc.DBAPIError) as raised, engine.connect() as connection:
        connection.execute(sa.text(failing), {"x": "SEED-1f2e3d4c"})
    engine.dispose()
    assert "SEED-1f2e3d4c" not in str(raised.value)


@pytest.mark.qbittorrent
def test_no_secret_reaches_a_log_line_or_an_error_page(database_url, tmp_path):
    require(available(), "qbittorrent-nox")
    log_path = tmp_path / "gunicorn.log"
    with (
        FakeKinopoiskServer(token="the-token-kinopoisk-expects") as kinopoisk,
        QbittorrentNox(password="the-password-qbittorrent-has") as nox,
    ):
        env = {
            **SECRETS,
            "KINOPOISK_API_URL": kinopoisk.url,
            "QBIT_HOST": f"http://{nox.host}",
            "QBIT_PORT": str(nox.port),
            "QBIT_USERNAME": nox.username,
        }
        with GunicornServer(database_url, workers=2, env=env, log_path=log_path) as server:
            secrets, answers = run_flow(server.url)
    secrets["undrawn lottery's seed"] = undrawn_seed(database_url)
    secrets["open poll's seed"] = undrawn_seed(database_url, "SELECT seed FROM poll WHERE closed_at IS NULL")

    log = log_path.read_text()
    for name, value in secrets.items():
        assert value not in log, f"{name} is in the log"
    # The flow went through the logs: the play link's request is there, masked, and so are the failures.
    assert "/play/*** HTTP/1.1" in log
    assert "/manage/*** HTTP/1.1" in log
    assert "qBittorrent refused the login" in log
    assert "kinopoisk" in log
    errors = [(path, status, text) for path, status, text in answers if status >= 400]
    assert len(errors) >= 8
    for path, status, text in errors:
        for name, value in secrets.items():
            assert value not in text, f"{name} is in the {status} answer to {path}"
    # The owner's status page names every setting and the last errors, but no secret.
    (status_page,) = [text for path, status, text in answers if path == "/status" and status == 200]
    for name, value in secrets.items():
        assert value not in status_page, f"{name} is on /status"
    assert "timeout 300 с" in status_page  # gunicorn's settings in force, as the master recorded them
    assert "QBIT_PASSWORD</th><td>задан" in status_page


def undrawn_seed(
    database_url: str, query: str = "SELECT seed FROM lottery WHERE winner_position IS NULL"
) -> str:
    engine = sa.create_engine(normalize_database_url(database_url))
    with engine.connect() as connection:
        seed = connection.scalar(sa.text(query))
    engine.dispose()
    return seed


def run_flow(base: str) -> tuple[dict[str, str], list[tuple[str, int, str]]]:
    """Wrong password, the right one, a bearer with a wrong token, a lottery drawn through its play link,
    Kinopoisk refusing the token, qBittorrent refusing the login, error pages and JSON errors."""
    api_token = SECRETS["API_TOKEN"]
    browser = Browser(base)
    status, page = browser.call("GET", "/login")
    assert status == 200
    status, _ = browser.form(
        "/login", {"password": "wrong-" + SECRETS["ADMIN_PASSWORD"], "csrf_token": csrf_token(page)}
    )
    assert status in (200, 401, 403)
    status, page = browser.call("GET", "/login")
    status, _ = browser.form(
        "/login", {"password": SECRETS["ADMIN_PASSWORD"], "csrf_token": csrf_token(page)}
    )
    assert status == 302

    scripts = Browser(base)
    assert scripts.json("GET", "/api/library", token="wrong-" + api_token)[0] == 401
    assert scripts.json("GET", "/api/library", token=api_token + "x")[0] == 401

    movies = [{"name": "Тихая гавань"}, {"name": "Ёлки"}, {"name": "Брат"}]
    status, created = scripts.json("POST", "/api/lotteries", {"movies": movies}, token=api_token)
    assert status == 201
    lottery_id, play_token = created["id"], created["play_token"]
    other = scripts.json("POST", "/api/lotteries", {"movies": movies}, token=api_token)[1]
    other_token = other["play_token"]  # this one stays undrawn

    guest = Browser(base)
    assert guest.call("GET", f"/l/{lottery_id}/play/{play_token}")[0] == 200
    assert guest.call("GET", f"/l/{lottery_id}/play/{play_token}x")[0] == 404  # a wrong token: error page
    assert guest.call("GET", f"/l/{lottery_id}/play/{other_token}")[0] == 404  # another lottery's token
    reel = Browser(base)  # the play page's draw, as a script without the page's cookie (no CSRF header)
    assert reel.json("POST", f"/api/lotteries/{lottery_id}/draw", {"token": other_token})[0] == 403
    assert reel.json("POST", f"/api/lotteries/{lottery_id}/draw", {"token": play_token})[0] == 200
    assert guest.call("GET", f"/l/{lottery_id}/play/{play_token}")[0] == 200  # the result, by the play link
    guest.call("GET", f"/api/lotteries/{other['id']}?token={other_token}")  # a future ?token= link
    guest.call("GET", f"/login?next=%2Fl%2F{other['id']}%2Fplay%2F{other_token}")
    status, poll = scripts.json("POST", "/api/polls", {"movies": movies}, token=api_token)
    assert status == 201
    assert guest.call("GET", f"/p/{poll['id']}/manage/{poll['manage_token']}")[0] == 200
    assert guest.call("GET", f"/p/{poll['id']}/manage/{poll['manage_token']}x")[0] == 404
    assert reel.json("POST", f"/api/polls/{poll['id']}/close", {"token": "wrong"})[0] == 403
    guest.call("GET", "/no-such-page")
    guest.json("GET", "/api/no-such-thing")

    status, body = scripts.json("GET", "/api/search?q=" + urllib.parse.quote("гавань"), token=api_token)
    assert status == 503 and body["error"]["code"].startswith("kinopoisk")

    def refused() -> bool:
        status, body = scripts.json("GET", "/api/torrents", token=api_token)
        return status == 200 and not body["available"] and bool(body.get("reason"))

    wait_for(refused)
    browser.call("GET", "/library")
    browser.call("GET", "/status")
    secrets = {**SECRETS, "play token": play_token, "other play token": other_token}
    secrets["manage token"] = poll["manage_token"]
    return secrets, browser.answers + scripts.answers + guest.answers + reel.answers
