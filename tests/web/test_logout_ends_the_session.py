"""Logging out ends the session on the server: a copy of the session cookie taken before stops working with
the original, on every worker (the sign-in's row is in the database)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from movie_lottery.core import models
from movie_lottery.core.extensions import db

REMOTE = {"REMOTE_ADDR": "203.0.113.7"}  # a visitor from the internet (TEST-NET-3)
ADMIN_PAGE = "/history"
MOVIES = [{"name": "Тихая гавань", "year": 2019}, {"name": "Гавань", "year": 2008}]


@pytest.fixture
def locked_app(make_app):
    return make_app(ADMIN_PASSWORD="correct horse")


def browser(app):
    client = app.test_client()
    client.environ_base.update(REMOTE)
    return client


def sign_in(client):
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    assert client.post("/login", data={"password": "correct horse", "csrf_token": token}).status_code == 302


def csrf_of(client) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").get_data(as_text=True)).group(
        1
    )


def copy_of(app, client):
    """Another machine holding the same session cookie (stolen, or left on a shared computer)."""
    thief = browser(app)
    thief.set_cookie("ml_session", client.get_cookie("ml_session").value)
    return thief


def test_a_copied_session_cookie_gets_no_admin_access_after_logout(locked_app):
    owner = browser(locked_app)
    sign_in(owner)
    thief = copy_of(locked_app, owner)
    assert thief.get(ADMIN_PAGE).status_code == 200  # the copy works while the session lives
    assert owner.post("/logout", data={"csrf_token": csrf_of(owner)}).status_code == 302
    page = thief.get(ADMIN_PAGE)
    assert page.status_code == 302 and page.headers["Location"].startswith("/login")
    api = thief.post("/api/lotteries", json={"movies": MOVIES}, headers={"X-CSRFToken": csrf_of(thief)})
    assert api.status_code == 401 and api.get_json()["error"]["code"] == "unauthorized"


def test_logging_out_one_browser_keeps_the_other_sign_ins(locked_app):
    phone, laptop = browser(locked_app), browser(locked_app)
    sign_in(phone)
    sign_in(laptop)
    phone.post("/logout", data={"csrf_token": csrf_of(phone)})
    assert phone.get(ADMIN_PAGE).status_code == 302
    assert laptop.get(ADMIN_PAGE).status_code == 200


def test_a_session_older_than_its_lifetime_is_refused_and_pruned_at_the_next_sign_in(locked_app):
    old = browser(locked_app)
    sign_in(old)
    sessions = models.AdminSession
    with locked_app.app_context():
        db.session.execute(
            sessions.__table__.update().values(created_at=models.utcnow() - timedelta(days=32))
        )
        db.session.commit()
    assert old.get(ADMIN_PAGE).status_code == 302  # the signed cookie alone would still say 31 days
    sign_in(browser(locked_app))
    with locked_app.app_context():
        assert db.session.query(sessions).count() == 1


def test_a_request_with_an_admin_session_looks_its_sign_in_up_once(locked_app):
    from sqlalchemy import event

    owner = browser(locked_app)
    sign_in(owner)
    seen: list[str] = []
    with locked_app.app_context():
        engine = db.engine

    def count(conn, cursor, statement, *args):
        if "admin_session" in statement:
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        assert owner.get(ADMIN_PAGE).status_code == 200  # the guard, the template flags, the nav
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len(seen) == 1
