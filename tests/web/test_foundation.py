"""The app shell: start-up without I/O, health from memory, errors in the right shape, security headers."""

from __future__ import annotations

import logging
import time

import pytest

from tests.conftest import build_app


def test_app_starts_without_touching_an_unreachable_database():
    # Nothing listens on port 1: creating the app must not notice, because it makes no query.
    started = time.perf_counter()
    app = build_app("postgresql://nobody@127.0.0.1:1/none")
    assert time.perf_counter() - started < 5
    assert app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql+psycopg2://")


def test_health_answers_from_memory_with_the_database_down():
    app = build_app("postgresql://nobody@127.0.0.1:1/none")
    response = app.test_client().get("/health")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_pages_say_the_database_is_down_instead_of_crashing():
    app = build_app("postgresql://nobody@127.0.0.1:1/none")
    client = app.test_client()
    api = client.get("/api/lotteries")
    assert api.status_code == 503
    assert api.get_json()["error"]["code"] == "database_unavailable"
    page = client.get("/history")
    assert page.status_code == 503
    assert "База данных недоступна" in page.get_data(as_text=True)


def test_startup_log_names_each_integration(caplog):
    with caplog.at_level(logging.INFO, logger="movie_lottery"):
        build_app("sqlite://", KINOPOISK_API_TOKEN="t")
    line = next(r.getMessage() for r in caplog.records if "app ready" in r.getMessage())
    assert "qBittorrent: not configured" in line
    assert "Kinopoisk: configured" in line
    assert "peak RSS" in line


def test_every_response_carries_the_security_headers(client):
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["X-Request-ID"]


def test_unknown_api_path_is_a_json_404(client):
    response = client.get("/api/no-such-thing")
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


def test_unknown_page_is_a_friendly_russian_404(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert "text/html" in response.content_type
    assert "Страница не найдена" in response.get_data(as_text=True)


def test_wrong_method_is_a_json_405_with_allow_header(client):
    response = client.put("/api/lotteries", json={})
    assert response.status_code == 405
    assert response.get_json()["error"]["code"] == "method_not_allowed"
    assert "POST" in response.headers["Allow"]


def test_api_refuses_bodies_that_are_not_json(client):
    response = client.post(
        "/api/lotteries", data="movies=1", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 415
    assert response.get_json()["error"]["code"] == "unsupported_media_type"


def test_oversized_request_is_refused_with_413(client):
    response = client.post(
        "/api/lotteries", data=b"{" + b" " * (5 * 1024 * 1024) + b"}", content_type="application/json"
    )
    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "payload_too_large"


def test_malformed_json_is_a_400_not_a_500(client):
    response = client.post("/api/lotteries", data="{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "invalid_json"


def test_unhandled_exception_is_logged_with_request_id_and_shows_no_traceback(app, caplog):
    @app.get("/api/boom")
    def boom():
        raise RuntimeError("secret internals")

    with caplog.at_level(logging.ERROR, logger="movie_lottery"):
        response = app.test_client().get("/api/boom", headers={"X-Request-ID": "req-12345678"})
    assert response.status_code == 500
    body = response.get_data(as_text=True)
    assert "secret internals" not in body and "Traceback" not in body
    assert response.get_json()["error"]["code"] == "internal_error"
    assert any("req-12345678" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("path", ["/", "/history"])
def test_open_mode_shows_a_banner_saying_the_site_is_open(client, path):
    assert "Без пароля сайт управляется только с этого компьютера" in client.get(path).get_data(as_text=True)
