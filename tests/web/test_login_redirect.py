"""After signing in, the redirect goes to one of the site's own pages, rebuilt from its route, or to `/`.

The payloads are what browsers (or a lenient proxy) read as another host; the old string filter let
``/\\evil.com`` through and the site stayed put only because werkzeug happened to percent-encode it.
"""

from __future__ import annotations

import re

import pytest

from movie_lottery.core.extensions import db
from movie_lottery.lottery.service import create_lottery
from tests.support.hostile_next import OFF_SITE_NEXT

HOSTILE_NEXT = [
    *OFF_SITE_NEXT,
    "/library/backup.json",  # a download, not a page
    "/login",
    "/health",
    "/api/lotteries",
    "/static/css/app.css",
    "/nope",
    "/history/",  # werkzeug would redirect it: not a page as given
    "/" + "a" * 5000,
    "",
]


def short(value: str) -> str:
    return repr(value if len(value) < 40 else value[:20] + f"…({len(value)} chars)")


@pytest.fixture
def locked_app(make_app):
    return make_app(ADMIN_PASSWORD="correct horse")


def sign_in_with_next(client, next_value: str):
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    return client.post("/login", data={"password": "correct horse", "csrf_token": token, "next": next_value})


@pytest.mark.parametrize("next_value", HOSTILE_NEXT, ids=short)
def test_a_next_that_is_not_one_of_our_pages_leads_to_the_builder(locked_app, next_value):
    response = sign_in_with_next(locked_app.test_client(), next_value)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


@pytest.mark.parametrize("next_value", HOSTILE_NEXT, ids=short)
def test_the_login_form_carries_only_a_rebuilt_next(locked_app, next_value):
    # The hidden field is what the browser posts back: it holds our URL, never the given string.
    html = locked_app.test_client().get("/login", query_string={"next": next_value}).get_data(as_text=True)
    assert 'name="next" value="/"' in html


def test_a_next_with_a_lottery_id_and_a_query_string_comes_back_rebuilt(locked_app):
    with locked_app.app_context():
        lottery_id = create_lottery([{"name": "Тихая гавань"}, {"name": "Гавань"}]).lottery.id
        db.session.remove()
    cases = {
        "/library?page=2": "/library?page=2",
        "/history?page=3": "/history?page=3",
        "/library?q=ёлки&sort=year": "/library?q=%D1%91%D0%BB%D0%BA%D0%B8&sort=year",
        "/library?q=%D1%91": "/library?q=%D1%91",
        f"/l/{lottery_id}": f"/l/{lottery_id}",
        "/": "/",
        "/history": "/history",
    }
    for given, expected in cases.items():
        response = sign_in_with_next(locked_app.test_client(), given)
        assert response.headers["Location"] == expected, given


def test_the_guard_sends_a_visitor_back_to_the_page_asked_for_with_its_query(locked_app):
    client = locked_app.test_client()
    sent = client.get("/library?page=2&q=гавань")
    assert sent.status_code == 302
    login_url = sent.headers["Location"]
    assert login_url.startswith("/login?next=")
    page = client.get(login_url).get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    next_value = re.search(r'name="next" value="([^"]+)"', page).group(1).replace("&amp;", "&")
    done = client.post("/login", data={"password": "correct horse", "csrf_token": token, "next": next_value})
    location = done.headers["Location"]
    assert location == "/library?page=2&q=%D0%B3%D0%B0%D0%B2%D0%B0%D0%BD%D1%8C"
    assert client.get(location).status_code == 200


def _sign_in_from_the_login_page(client, login_url: str):
    page = client.get(login_url).get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    next_value = re.search(r'name="next" value="([^"]*)"', page).group(1).replace("&amp;", "&")
    return client.post("/login", data={"password": "new password", "csrf_token": token, "next": next_value})


@pytest.mark.parametrize(
    ("sent_from", "comes_back_to"),
    [
        ("http://localhost/l/{id}?from=history", "/l/{id}?from=history"),  # the result page, its query kept
        ("http://evil.test/l/{id}", "/"),  # another site's page is no page of ours
        (None, "/"),  # no Referer at all
    ],
)
def test_a_form_sent_after_the_session_ended_leads_back_to_the_page_it_was_sent_from(
    make_app, sent_from, comes_back_to
):
    # The owner changed the password while the result page was open: its «Посмотрели» form (POST only)
    # goes through sign-in, and then the page with the form is back, not the builder and not a 405.
    old_site = make_app(ADMIN_PASSWORD="correct horse")
    with old_site.app_context():
        lottery_id = create_lottery([{"name": "Тихая гавань"}, {"name": "Гавань"}]).lottery.id
        db.session.remove()
    client = old_site.test_client()
    sign_in_with_next(client, "/")
    result_page = client.get(f"/l/{lottery_id}").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', result_page).group(1)

    new_site = make_app(ADMIN_PASSWORD="new password")
    visitor = new_site.test_client()
    cookie = new_site.config["SESSION_COOKIE_NAME"]
    visitor.set_cookie(cookie, client.get_cookie(cookie).value)
    headers = {"Referer": sent_from.format(id=lottery_id)} if sent_from else {}
    sent = visitor.post(
        f"/l/{lottery_id}/watched", data={"csrf_token": token, "date": "2025-01-01"}, headers=headers
    )
    assert sent.status_code == 302 and sent.headers["Location"].startswith("/login")

    signed_in = _sign_in_from_the_login_page(visitor, sent.headers["Location"])
    assert signed_in.headers["Location"] == comes_back_to.format(id=lottery_id)
    assert visitor.get(signed_in.headers["Location"]).status_code == 200
