"""With ADMIN_PASSWORD set, only the admin changes data; a lottery's own links stay public."""

from __future__ import annotations

import re

import pytest

MOVIES = [{"name": "Тихая гавань", "year": 2019}, {"name": "Гавань", "year": 2008}]


@pytest.fixture
def locked_app(make_app):
    return make_app(ADMIN_PASSWORD="correct horse", API_TOKEN="bot-token-123")


def csrf_from(html: str) -> str:
    return re.search(r'name="csrf-token" content="([^"]+)"', html).group(1)


def login(client, password="correct horse"):
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    return client.post("/login", data={"password": password, "csrf_token": token})


def bot_headers():
    return {"Authorization": "Bearer bot-token-123"}


@pytest.mark.parametrize("path", ["/", "/history"])
def test_admin_pages_redirect_to_login(locked_app, path):
    response = locked_app.test_client().get(path)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


def test_health_and_login_stay_public(locked_app):
    client = locked_app.test_client()
    assert client.get("/health").status_code == 200
    assert client.get("/login").status_code == 200


def test_a_lotterys_own_links_are_public(locked_app):
    created = locked_app.test_client().post("/api/lotteries", json={"movies": MOVIES}, headers=bot_headers())
    assert created.status_code == 201
    data = created.get_json()
    visitor = locked_app.test_client()
    assert visitor.get(f"/l/{data['id']}").status_code == 200
    assert visitor.get(f"/api/lotteries/{data['id']}").status_code == 200
    play_page = visitor.get(f"/l/{data['id']}/play/{data['play_token']}")
    assert play_page.status_code == 200
    drawn = visitor.post(
        f"/api/lotteries/{data['id']}/draw",
        json={"token": data["play_token"]},
        headers={"X-CSRFToken": csrf_from(play_page.get_data(as_text=True))},
    )
    assert drawn.status_code == 200
    assert visitor.delete(f"/api/lotteries/{data['id']}").status_code == 401


def test_wrong_password_is_refused(locked_app):
    client = locked_app.test_client()
    response = login(client, "wrong")
    assert response.status_code == 401
    assert "Неверный пароль" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_admin_session_opens_pages_and_cookie_is_httponly_and_lax(locked_app):
    client = locked_app.test_client()
    response = login(client)
    assert response.status_code == 302
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert client.get("/").status_code == 200


def test_session_cookie_is_secure_behind_an_https_proxy(locked_app):
    client = locked_app.test_client()
    page = client.get("/login", headers={"X-Forwarded-Proto": "https"}).get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = client.post(
        "/login",
        data={"password": "correct horse", "csrf_token": token},
        headers={"X-Forwarded-Proto": "https", "Referer": "https://localhost/login"},
        base_url="https://localhost",
    )
    assert response.status_code == 302
    assert "Secure" in response.headers["Set-Cookie"]


def test_admin_session_write_needs_the_csrf_header(locked_app):
    client = locked_app.test_client()
    login(client)
    refused = client.post("/api/lotteries", json={"movies": MOVIES})
    assert refused.status_code == 403
    assert refused.get_json()["error"]["code"] == "csrf_failed"
    token = csrf_from(client.get("/").get_data(as_text=True))
    accepted = client.post("/api/lotteries", json={"movies": MOVIES}, headers={"X-CSRFToken": token})
    assert accepted.status_code == 201


def test_html_form_without_csrf_token_is_refused(locked_app):
    client = locked_app.test_client()
    login(client)
    response = client.post("/logout")
    assert response.status_code == 403
    assert "Страница устарела" in response.get_data(as_text=True)


def test_login_is_throttled_after_repeated_failures(locked_app):
    client = locked_app.test_client()
    for _ in range(5):
        assert login(client, "guess").status_code == 401
    throttled = login(client, "correct horse")
    assert throttled.status_code == 429
    assert "Слишком много неудачных попыток" in throttled.get_data(as_text=True)


def test_open_mode_api_write_without_cookie_is_served(client):
    # No password, no session cookie: scripts are first-class clients and need no CSRF token.
    assert client.post("/api/lotteries", json={"movies": MOVIES}).status_code == 201
