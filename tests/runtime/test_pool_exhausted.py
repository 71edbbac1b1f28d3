"""A gevent worker holds up to 1,000 connections, the database pool far fewer: when every pooled connection
is busy for longer than the pool's wait (a slow or waking PostgreSQL), the request that waited is told the
database is unavailable (503) like any other database outage, not a 500."""

from __future__ import annotations

import pytest

from movie_lottery.core.extensions import db

ONE_CONNECTION = {"hide_parameters": True, "pool_size": 1, "max_overflow": 0, "pool_timeout": 0.2}


@pytest.mark.parametrize("path", ["/api/library", "/history"])
def test_a_request_that_waits_out_a_full_pool_is_a_503(make_app, path):
    app = make_app(SQLALCHEMY_ENGINE_OPTIONS=ONE_CONNECTION)
    client = app.test_client()
    with app.app_context():
        held = db.engine.connect()  # every connection of the pool is busy elsewhere
        try:
            answer = client.get(path)
        finally:
            held.close()
    assert answer.status_code == 503, answer.get_data(as_text=True)[:300]
    if path.startswith("/api/"):
        assert answer.get_json()["error"]["code"] == "database_unavailable"
    else:
        assert "База данных недоступна" in answer.get_data(as_text=True)
    assert client.get(path).status_code == 200  # and the site is back once a connection is free
