"""Access follows the owner's settings: locked unless chosen open, sessions tied to the current password,
bearer use to the current token, and in no mode does anyone but the owner see an undrawn lottery's seed."""

from __future__ import annotations

import base64
import json
import re
import zlib

import pytest

from movie_lottery.core.extensions import db
from movie_lottery.core.models import Lottery
from movie_lottery.lottery.service import create_lottery
from movie_lottery.web.guards.auth import NO_PASSWORD_MESSAGE

MOVIES = [{"name": "Тихая гавань", "year": 2019}, {"name": "Гавань", "year": 2008}]
REMOTE = {"REMOTE_ADDR": "203.0.113.7"}  # a visitor from the internet (TEST-NET-3)


def visitor(app, remote: bool = True, **headers):
    client = app.test_client()
    if remote:
        client.environ_base.update(REMOTE)
    for name, value in headers.items():
        client.environ_base["HTTP_" + name.upper().replace("-", "_")] = value
    return client


def sign_in(client, password: str = "correct horse"):
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    return client.post("/login", data={"password": password, "csrf_token": token})


def session_contents(client) -> dict:
    """Decode Flask's signed (not encrypted) cookie, as anyone holding it could."""
    cookie = client.get_cookie("ml_session").value
    compressed = cookie.startswith(".")
    payload = cookie.lstrip(".").split(".")[0]
    raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    return json.loads(zlib.decompress(raw) if compressed else raw)


# ---- which mode a request is served in ------------------------------------------------------------------


def test_without_a_password_a_browser_on_the_server_itself_gets_the_open_site(make_app):
    app = make_app()
    page = visitor(app, remote=False).get("/")
    assert page.status_code == 200
    assert "только с этого компьютера" in page.get_data(as_text=True)
    script = visitor(app, remote=False)  # no cookie, so no CSRF token needed
    assert script.post("/api/lotteries", json={"movies": MOVIES}).status_code == 201


@pytest.mark.parametrize(
    ("remote", "headers"),
    [
        (True, {}),
        (False, {"X-Forwarded-For": "203.0.113.7"}),  # a proxy on the same machine relays a stranger
        (False, {"Forwarded": "for=203.0.113.7"}),
        (False, {"X-Real-IP": "203.0.113.7"}),
        (False, {"Host": "movies.example.org"}),  # a proxy passing the site's name, without the headers
        (False, {"Host": "rebound.example:5000"}),  # a web page that rebinds its name to 127.0.0.1
    ],
    ids=["remote address", "x-forwarded-for", "forwarded", "x-real-ip", "public host", "dns rebinding"],
)
def test_without_a_password_everyone_else_finds_the_site_locked_with_no_way_in(make_app, remote, headers):
    app = make_app()
    client = visitor(app, remote=remote)
    sent = client.get("/history", headers=headers)
    assert sent.status_code == 302 and sent.headers["Location"].startswith("/login")
    login = client.get("/login", headers=headers)
    assert login.status_code == 403
    html = login.get_data(as_text=True)
    assert "ADMIN_PASSWORD" in html and "OPEN_SITE=true" in html and 'name="password"' not in html
    refused = client.post("/api/lotteries", json={"movies": MOVIES}, headers=headers)
    assert refused.status_code == 401
    assert refused.get_json()["error"] == {"code": "unauthorized", "message": NO_PASSWORD_MESSAGE}
    assert client.get("/library/backup.json", headers=headers).status_code == 302
    assert client.get("/health", headers=headers).status_code == 200


@pytest.mark.parametrize("host", ["localhost", "localhost:5000", "127.0.0.1:5000", "[::1]:5000"])
def test_a_browser_here_may_name_the_server_any_loopback_way(make_app, host):
    assert visitor(make_app(), remote=False).get("/history", headers={"Host": host}).status_code == 200


def test_without_a_password_a_lotterys_own_links_keep_working_for_friends(make_app):
    app = make_app()
    created = visitor(app, remote=False).post("/api/lotteries", json={"movies": MOVIES}).get_json()
    friend = visitor(app)
    assert friend.get(f"/l/{created['id']}").status_code == 200
    play = friend.get(f"/l/{created['id']}/play/{created['play_token']}")
    assert play.status_code == 200
    token = re.search(r'name="csrf-token" content="([^"]+)"', play.get_data(as_text=True)).group(1)
    drawn = friend.post(
        f"/api/lotteries/{created['id']}/draw",
        json={"token": created["play_token"]},
        headers={"X-CSRFToken": token},
    )
    assert drawn.status_code == 200 and drawn.get_json()["seed"]


def test_open_site_true_opens_it_to_everyone_on_purpose(make_app):
    app = make_app(OPEN_SITE=True)
    stranger = {"X-Forwarded-For": "203.0.113.7"}
    page = visitor(app, **stranger).get("/")
    assert page.status_code == 200 and "Сайт открыт для всех" in page.get_data(as_text=True)
    assert visitor(app, **stranger).post("/api/lotteries", json={"movies": MOVIES}).status_code == 201
    assert visitor(app, **stranger).get("/login").headers["Location"] == "/"


@pytest.mark.parametrize("open_site", [False, True])
def test_a_password_locks_the_site_even_for_the_server_itself_and_with_open_site(make_app, open_site):
    client = visitor(make_app(ADMIN_PASSWORD="correct horse", OPEN_SITE=open_site), remote=False)
    assert client.get("/").status_code == 302
    assert client.post("/api/lotteries", json={"movies": MOVIES}).status_code == 401
    assert "открыт" not in client.get("/login").get_data(as_text=True)


# ---- sessions follow the password, bearer use follows the token -----------------------------------------


@pytest.fixture
def locked_app(make_app):
    return make_app(ADMIN_PASSWORD="correct horse", API_TOKEN="bot-token-1")


def test_changing_the_password_signs_every_old_session_out(locked_app):
    client = visitor(locked_app)
    assert sign_in(client).status_code == 302
    assert client.get("/history").status_code == 200
    locked_app.config["ADMIN_PASSWORD"] = "a new password"
    sent = client.get("/history")
    assert sent.status_code == 302 and sent.headers["Location"].startswith("/login")
    assert sign_in(client, "correct horse").status_code == 401
    assert sign_in(client, "a new password").status_code == 302
    assert client.get("/history").status_code == 200


def test_setting_the_same_password_again_keeps_sessions(locked_app):
    client = visitor(locked_app)
    sign_in(client)
    locked_app.config["ADMIN_PASSWORD"] = "correct horse"
    assert client.get("/history").status_code == 200


def test_the_session_holds_a_keyed_fingerprint_never_the_password(locked_app):
    client = visitor(locked_app)
    sign_in(client)
    stored = session_contents(client)["admin"]
    assert isinstance(stored, str) and re.fullmatch(r"[0-9a-f]{64}", stored)
    assert "correct horse" not in json.dumps(session_contents(client))
    import hashlib

    assert stored != hashlib.sha256(b"correct horse").hexdigest()  # keyed: not a plain hash to look up


def test_a_session_from_before_with_admin_true_is_not_an_admin_session(locked_app):
    client = visitor(locked_app)
    with client.session_transaction() as session:
        session["admin"] = True
    assert client.get("/history").status_code == 302


def test_a_new_secret_key_signs_everyone_out_too(locked_app):
    client = visitor(locked_app)
    sign_in(client)
    locked_app.config["SECRET_KEY"] = "another-secret-key"
    assert client.get("/history").status_code == 302


def test_the_bearer_token_is_compared_with_the_current_api_token_on_every_request(locked_app):
    script = visitor(locked_app)
    old = {"Authorization": "Bearer bot-token-1"}
    assert script.post("/api/lotteries", json={"movies": MOVIES}, headers=old).status_code == 201
    locked_app.config["API_TOKEN"] = "bot-token-2"
    assert script.post("/api/lotteries", json={"movies": MOVIES}, headers=old).status_code == 401
    new = {"Authorization": "Bearer bot-token-2"}
    assert script.post("/api/lotteries", json={"movies": MOVIES}, headers=new).status_code == 201
    locked_app.config["API_TOKEN"] = None
    assert script.post("/api/lotteries", json={"movies": MOVIES}, headers=new).status_code == 401


# ---- no mode shows an undrawn lottery's seed to anyone but the owner --------------------------------------

MODES = {
    "this machine, no password": ({}, False),
    "OPEN_SITE": ({"OPEN_SITE": True}, True),
    "no password, a stranger": ({}, True),
    "locked, a visitor": ({"ADMIN_PASSWORD": "correct horse", "API_TOKEN": "bot-token-1"}, True),
    "locked, a visitor on the server": ({"ADMIN_PASSWORD": "correct horse"}, False),
}


def every_get_url(app, lottery_id: str, play_token: str) -> list[str]:
    urls = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.rule.endswith("/events"):
            continue  # an event stream never ends (tests/live reads them, with the same access rules)
        url = rule.rule.replace("<lottery_id>", lottery_id).replace("<token>", play_token)
        url = url.replace("<int:movie_id>", "1").replace("<path:filename>", "js/play.js")
        urls.append(url)
    urls += ["/api/lotteries?page=1", "/api/library?page=1", "/history?page=1", "/library?page=1"]
    return urls


@pytest.mark.parametrize("mode", MODES, ids=list(MODES))
def test_no_page_or_answer_gives_an_undrawn_seed_away(make_app, mode):
    overrides, remote = MODES[mode]
    app = make_app(**overrides)
    with app.app_context():
        lottery = create_lottery(MOVIES).lottery
        lottery_id, seed, play_token = lottery.id, lottery.seed, lottery.play_token
        library = app.test_client()
        library.environ_base["HTTP_AUTHORIZATION"] = "Bearer bot-token-1"
        assert library.post("/api/library", json=MOVIES[0]).status_code in (201, 401)
        db.session.remove()
    client = visitor(app, remote=remote)  # a visitor holding the play link, the most a non-owner can hold
    seen = 0
    for url in every_get_url(app, lottery_id, play_token):
        for response in (client.get(url), client.get(url, follow_redirects=True)):
            seen += 1
            assert seed not in response.get_data(as_text=True), url
            assert all(seed not in value for _, value in response.headers.items()), url
    assert seen > 30
    with app.app_context():
        assert db.session.get(Lottery, lottery_id).winner_position is None  # still undrawn: nothing drew it
