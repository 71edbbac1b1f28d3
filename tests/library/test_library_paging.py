"""A large library pages, sorts and filters in SQL, identically on SQLite and PostgreSQL."""

from __future__ import annotations

import flask_migrate
import sqlalchemy as sa

from movie_lottery.ops.migrations import enable_migrations
from tests.conftest import build_app


def add(client, name: str, **extra) -> None:
    assert client.post("/api/library", json={"name": name, **extra}).status_code == 201


def test_the_library_comes_in_pages_of_24_in_the_chosen_order(client):
    for i in range(30):
        add(client, f"Фильм {i:02d}", year=1990 + i)
    first = client.get("/api/library?sort=year").get_json()
    assert (first["total"], first["page"], first["pages"]) == (30, 1, 2)
    assert [m["year"] for m in first["movies"]] == list(range(2019, 1995, -1))
    second = client.get("/api/library?sort=year&page=2").get_json()
    assert [m["year"] for m in second["movies"]] == list(range(1995, 1989, -1))
    page = client.get("/library?sort=title&page=2").get_data(as_text=True)
    assert "Страница 2 из 2" in page and "Фильм 29" in page and "Фильм 00" not in page


def test_cyrillic_filter_ignores_case_and_yo_on_every_backend(client):
    add(client, "ЁЛКИ", year=2010, genres=["Комедия"])
    add(client, "Тихая гавань", year=2019)
    assert [m["name"] for m in client.get("/api/library?q=елки комедия").get_json()["movies"]] == ["ЁЛКИ"]
    assert client.get("/api/library?q=100%25").get_json()["total"] == 0  # LIKE wildcards are literal


def test_upgrading_an_existing_database_fills_the_new_columns(database_url, tmp_path):
    app = build_app(database_url)
    enable_migrations(app)
    with app.app_context():
        flask_migrate.downgrade(revision="0001")
        from movie_lottery.core.extensions import db

        with db.engine.begin() as connection:
            connection.execute(
                sa.text(
                    "INSERT INTO library_movie (name, year, genres, countries, details, added_at, updated_at)"
                    " VALUES ('Ёлки', 2010, '[\"комедия\"]', '[]', '{}', :now, :now)"
                ),
                {"now": "2026-01-01 00:00:00"},
            )
        flask_migrate.upgrade()
        with db.engine.connect() as connection:
            row = connection.execute(sa.text("SELECT sort_title, search_text FROM library_movie")).one()
        db.engine.dispose()
    assert row.sort_title == "елки"
    assert row.search_text == "елки 2010 комедия"
