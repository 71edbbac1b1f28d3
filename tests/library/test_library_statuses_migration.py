"""Migration 0007 on a database that already has a library and lotteries: statuses for the old rows.

Old movies become «хочу посмотреть»; a library movie that won a drawn lottery becomes «посмотрели», with a
viewing on the draw's day linked to that lottery — found by the one "same movie" rule (the Kinopoisk id, or
the title with case, spacing and ё/е aside, and the year). The way back drops the new columns and table.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import flask_migrate
import pytest
import sqlalchemy as sa

from movie_lottery.core.extensions import db
from movie_lottery.ops.migrations import enable_migrations
from tests.conftest import build_app
from tests.support.same_movie_cases import case_id, load_cases

MIGRATION = (
    Path(__file__).resolve().parents[2] / "migrations" / "versions" / "0007_library_statuses_and_viewings.py"
)
NOW = "2026-01-01 00:00:00"


def _revision():
    spec = importlib.util.spec_from_file_location("revision_0007", MIGRATION)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("case", load_cases(), ids=case_id)
def test_the_migrations_frozen_same_movie_rule_agrees_with_the_shared_cases(case):
    same_movie = _revision()._same_movie
    a = {"kinopoisk_id": None, "year": None, **case["a"]}
    b = {"kinopoisk_id": None, "year": None, **case["b"]}
    assert same_movie(a, b) is case["same"] and same_movie(b, a) is case["same"]


def _movie(
    connection, name: str, year: int | None = None, kinopoisk_id: int | None = None, genres="[]"
) -> int:
    return connection.execute(
        sa.text(
            "INSERT INTO library_movie (name, year, kinopoisk_id, sort_title, search_text, genres,"
            " countries, details, added_at, updated_at)"
            " VALUES (:name, :year, :kp, '', '', :genres, '[]', '{}', :now, :now)"
            " RETURNING id"
        ),
        {"name": name, "year": year, "kp": kinopoisk_id, "genres": genres, "now": NOW},
    ).scalar_one()


def _lottery(
    connection, lottery_id: str, winner: dict | None, drawn_at: str | None, loser: str = "Другой"
) -> None:
    connection.execute(
        sa.text(
            "INSERT INTO lottery (id, created_at, seed, commitment, play_token, winner_position, drawn_at,"
            " auto_download) VALUES (:id, :now, 's', 'c', 't', :position, :drawn, false)"
        ),
        {"id": lottery_id, "now": NOW, "position": 0 if drawn_at else None, "drawn": drawn_at},
    )
    for position, movie in enumerate([winner, {"name": loser}]):
        connection.execute(
            sa.text(
                "INSERT INTO lottery_movie (lottery_id, position, name, year, kinopoisk_id, genres,"
                " countries, details) VALUES (:lottery, :position, :name, :year, :kp, '[]', '[]', '{}')"
            ),
            {
                "lottery": lottery_id,
                "position": position,
                "name": movie["name"],
                "year": movie.get("year"),
                "kp": movie.get("kinopoisk_id"),
            },
        )


def test_old_movies_become_want_and_drawn_winners_watched_on_the_draws_day(database_url):
    app = build_app(database_url)
    enable_migrations(app)
    with app.app_context():
        try:
            flask_migrate.downgrade(revision="0006")
            with db.engine.begin() as connection:
                plain = _movie(connection, "Зеркало", 1975, genres='["Драма", "биография"]')
                by_title = _movie(connection, "Ёлки", 2010)
                by_id = _movie(connection, "Брат (реставрация)", 1997, kinopoisk_id=41519)
                other_year = _movie(connection, "Солярис", 2002)
                _lottery(connection, "byTitle", {"name": "ЕЛКИ ", "year": 2010}, "2025-12-31 22:30:00")
                _lottery(connection, "byTitle2", {"name": "Ёлки", "year": 2010}, "2025-12-31 23:00:00")
                _lottery(
                    connection,
                    "byId",
                    {"name": "Брат", "year": 1997, "kinopoisk_id": 41519},
                    "2025-03-08 19:00:00",
                )
                _lottery(connection, "notThere", {"name": "Сталкер", "year": 1979}, "2025-01-01 12:00:00")
                _lottery(connection, "remake", {"name": "Солярис", "year": 1972}, "2025-01-02 12:00:00")
                _lottery(connection, "undrawn", {"name": "Зеркало", "year": 1975}, None)
            flask_migrate.upgrade()
            with db.engine.connect() as connection:
                rows = connection.execute(
                    sa.text("SELECT id, status, excluded_until, favourite, genre_text FROM library_movie")
                ).all()
                viewings = connection.execute(
                    sa.text("SELECT movie_id, watched_on, lottery_id FROM viewing ORDER BY movie_id")
                ).all()
                library_count = connection.execute(sa.text("SELECT count(*) FROM library_movie")).scalar_one()
        finally:
            flask_migrate.upgrade()
            db.engine.dispose()
    status = {row.id: row.status for row in rows}
    assert status == {plain: "want", by_title: "watched", by_id: "watched", other_year: "want"}
    assert all(row.excluded_until is None and not row.favourite for row in rows)
    assert next(row.genre_text for row in rows if row.id == plain) == "\nдрама\nбиография\n"
    assert [(v.movie_id, str(v.watched_on), v.lottery_id) for v in viewings] == [
        (by_title, "2025-12-31", "byTitle"),  # two draws of one movie on one evening: one viewing, the first
        (by_id, "2025-03-08", "byId"),
    ]
    assert library_count == 4  # a winner the library lacks is not added by the migration


def test_the_migration_goes_back_and_forth_keeping_the_movies(database_url):
    app = build_app(database_url)
    enable_migrations(app)
    client = app.test_client()
    movie = client.post("/api/library", json={"name": "Сталкер", "year": 1979}).get_json()
    client.post(f"/api/library/{movie['id']}/viewings", json={"date": "2025-03-03"})
    with app.app_context():
        try:
            flask_migrate.downgrade(revision="0006")
            inspector = sa.inspect(db.engine)
            assert "viewing" not in inspector.get_table_names()
            assert "status" not in {column["name"] for column in inspector.get_columns("library_movie")}
            flask_migrate.upgrade()
            with db.engine.connect() as connection:
                row = connection.execute(sa.text("SELECT name, status FROM library_movie")).one()
            assert tuple(row) == ("Сталкер", "want")  # the viewings went with the way back; the movie stays
        finally:
            flask_migrate.upgrade()
            db.engine.dispose()


def test_the_database_refuses_an_unknown_status_and_an_end_without_an_exclusion(app):
    movie = app.test_client().post("/api/library", json={"name": "Сталкер"}).get_json()
    with app.app_context():
        for bad in (
            "UPDATE library_movie SET status = 'seen'",
            "UPDATE library_movie SET status = 'want', excluded_until = '2099-01-01'",
        ):
            with pytest.raises(sa.exc.IntegrityError), db.engine.begin() as connection:
                connection.execute(sa.text(bad))
        with pytest.raises(sa.exc.IntegrityError), db.engine.begin() as connection:
            for _ in range(2):  # one movie, one day: one viewing
                connection.execute(
                    sa.text("INSERT INTO viewing (movie_id, watched_on) VALUES (:id, '2025-01-01')"),
                    {"id": movie["id"]},
                )
