"""The ways back a person needs on another device: the admin's lost play link, a visitor's home.

- Whoever is the admin (signed in, or anyone in open mode) finds an undrawn lottery's play link on its
  waiting page, in its API answer and in the history, from any browser: not only the one that made it.
- A visitor of a locked site never sees a play link, whatever page they open.
- "Home" (the logo, the error page's button) is the builder for the admin; for a visitor it is the lottery
  they opened, and with none it is not a sign-in page they cannot use.
"""

from __future__ import annotations

import html
import re

import pytest

from movie_lottery.core.extensions import db
from movie_lottery.lottery.service import create_lottery, draw
from tests.web.test_site_modes import every_get_url, sign_in, visitor

MOVIES = [{"name": "Тихая гавань", "year": 2019}, {"name": "Гавань", "year": 2008}]
PASSWORD = {"ADMIN_PASSWORD": "correct horse"}

# (settings, a browser on the server itself?, signs in?) of every way to be the admin
ADMIN_VIEWERS = {
    "this machine, no password": ({}, True, False),
    "OPEN_SITE, anyone": ({"OPEN_SITE": True}, False, False),
    "locked, the signed-in admin": (PASSWORD, False, True),
}
VISITORS = {
    "locked, a visitor": (PASSWORD, False),
    "locked, a visitor on the server": (PASSWORD, True),
    "no password, a stranger": ({}, False),
}


def lotteries(app) -> tuple[tuple[str, str], str]:
    """An undrawn lottery (id, play token) and a drawn one's id, made in the database directly."""
    with app.app_context():
        undrawn = create_lottery(MOVIES)
        drawn = create_lottery([{"name": "Красная дверь"}, {"name": "Синяя дверь"}])
        draw(drawn.lottery.id, drawn.play_token)
        result = (undrawn.lottery.id, undrawn.play_token), drawn.lottery.id
        db.session.remove()
    return result


def admin_client(app, on_server: bool, signs_in: bool):
    client = visitor(app, remote=not on_server)  # a fresh browser: nothing kept from the one that created
    if signs_in:
        assert sign_in(client).status_code == 302
    return client


def play_path(lottery_id: str, token: str) -> str:
    return f"/l/{lottery_id}/play/{token}"


@pytest.mark.parametrize("mode", ADMIN_VIEWERS, ids=list(ADMIN_VIEWERS))
def test_the_admin_finds_an_undrawn_lotterys_play_link_from_any_device(make_app, mode):
    settings, on_server, signs_in = ADMIN_VIEWERS[mode]
    app = make_app(**settings)
    (lottery_id, token), _ = lotteries(app)
    client = admin_client(app, on_server, signs_in)

    waiting = client.get(f"/l/{lottery_id}").get_data(as_text=True)
    field = re.search(r'<input id="play-link" readonly value="([^"]*)"', waiting).group(1)
    assert html.unescape(field).endswith(play_path(lottery_id, token))
    assert re.search(r'id="share-panel"\s+aria-labelledby', waiting)  # shown: no `hidden` before it

    answer = client.get(f"/api/lotteries/{lottery_id}").get_json()
    assert answer["play_url"].endswith(play_path(lottery_id, token))

    history = client.get("/history").get_data(as_text=True)
    assert f'href="{play_path(lottery_id, token)}"' in history
    assert history.count('data-testid="history-play-link"') == 1  # the drawn lottery needs none


@pytest.mark.parametrize("mode", VISITORS, ids=list(VISITORS))
def test_a_visitor_holding_the_waiting_link_never_sees_a_play_link(make_app, mode):
    settings, on_server = VISITORS[mode]
    app = make_app(**settings)
    (lottery_id, token), _ = lotteries(app)
    client = visitor(app, remote=not on_server)
    waiting = client.get(f"/l/{lottery_id}").get_data(as_text=True)
    assert re.search(r'id="share-panel"\s+hidden', waiting)
    seen = 0
    for url in every_get_url(app, lottery_id, token):
        if token in url:
            continue  # the play page itself: what a visitor holding the play link already has
        # One at a time: an event stream keeps its request context pushed until it is read to its end.
        for response in (client.get(url, follow_redirects=follow) for follow in (False, True)):
            seen += 1
            assert token not in response.get_data(as_text=True), url
    assert seen > 20


def test_open_to_everyone_the_waiting_page_says_who_sees_the_play_link(make_app):
    app = make_app(OPEN_SITE=True)
    (lottery_id, _), _ = lotteries(app)
    waiting = visitor(app).get(f"/l/{lottery_id}").get_data(as_text=True)
    assert "эту ссылку видит каждый, кто откроет страницу" in waiting


# ---- home ---------------------------------------------------------------------------------------------


def logo_href(page: str) -> str | None:
    found = re.search(r'<a class="logo" href="([^"]*)"', page)
    return found.group(1) if found else None


def test_the_admins_home_is_the_builder(make_app):
    app = make_app(**PASSWORD)
    client = visitor(app)
    sign_in(client)
    (lottery_id, _), _ = lotteries(app)
    assert logo_href(client.get(f"/l/{lottery_id}").get_data(as_text=True)) == "/"
    missing = client.get("/l/nope1234").get_data(as_text=True)
    assert '<a class="button button--primary" href="/">На главную</a>' in missing


@pytest.mark.parametrize("mode", VISITORS, ids=list(VISITORS))
def test_a_visitors_home_is_the_lottery_they_opened(make_app, mode):
    settings, on_server = VISITORS[mode]
    app = make_app(**settings)
    (lottery_id, _), drawn_id = lotteries(app)
    client = visitor(app, remote=not on_server)

    assert logo_href(client.get(f"/l/{lottery_id}").get_data(as_text=True)) == f"/l/{lottery_id}"
    lost = client.get(f"/l/{lottery_id}/play/mistyped")  # a page that fails: the way back is their lottery
    assert lost.status_code == 404
    page = lost.get_data(as_text=True)
    assert f'<a class="button button--primary" href="/l/{lottery_id}">К лотерее</a>' in page
    assert logo_href(page) == f"/l/{lottery_id}"
    assert "/login" not in page and 'href="/"' not in page

    client.get(f"/l/{drawn_id}")  # the last one opened wins
    assert logo_href(client.get("/l/nope1234").get_data(as_text=True)) == f"/l/{drawn_id}"


def test_a_visitor_with_no_lottery_is_told_to_open_their_link_not_sent_to_sign_in(make_app):
    app = make_app(**PASSWORD)
    page = visitor(app).get("/l/nope1234").get_data(as_text=True)
    assert "Откройте ссылку на лотерею, которую вам прислали" in page
    assert logo_href(page) is None and '<span class="logo">' in page
    assert "/login" not in page and 'href="/"' not in page and 'href="#"' not in page


def test_a_deleted_lottery_stops_being_a_visitors_home(make_app):
    app = make_app(**PASSWORD)
    (lottery_id, _), _ = lotteries(app)
    client = visitor(app)
    client.get(f"/l/{lottery_id}")
    admin = visitor(app)
    sign_in(admin)
    assert admin.delete(f"/api/lotteries/{lottery_id}", headers=csrf_header(admin)).status_code == 204
    gone = client.get(f"/l/{lottery_id}").get_data(as_text=True)
    assert "К лотерее" not in gone and logo_href(gone) is None


def test_the_sign_in_page_leads_a_visitor_back_to_their_lottery(make_app):
    app = make_app(**PASSWORD)
    (lottery_id, _), _ = lotteries(app)
    client = visitor(app)
    assert "Откройте ссылку, которую вам прислали" in client.get("/login").get_data(as_text=True)
    client.get(f"/l/{lottery_id}")
    assert f'<a href="/l/{lottery_id}">Вернуться к лотерее</a>' in client.get("/login").get_data(as_text=True)


def csrf_header(client) -> dict:
    page = client.get("/").get_data(as_text=True)
    return {"X-CSRFToken": re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)}
