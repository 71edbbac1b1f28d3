"""Migration 0011 on a database that already broke the invariants: copies of one movie are merged into the
oldest, a viewing two nights shared becomes one per night, and ballots over the cap are trimmed, each of
them said in the log. On SQLite and PostgreSQL."""

from __future__ import annotations

import flask_migrate
import sqlalchemy as sa

from movie_lottery.core.extensions import db
from movie_lottery.ops.migrations import enable_migrations
from tests.conftest import build_app

P = "participant-0000000000000000000p"


def _movie(connection, name: str, year: int, added: str, kinopoisk_id: int | None = None, **marks) -> int:
    values = {"status": "want", "favourite": False, "updated": added, "poster": None, **marks}
    return connection.execute(
        sa.text(
            "INSERT INTO library_movie (name, year, kinopoisk_id, sort_title, search_text, genres, countries,"
            " details, added_at, updated_at, genre_text, status, favourite, poster)"
            " VALUES (:name, :year, :kp, '', '', '[]', '[]', '{}', :added, :updated, '', :status, :favourite,"
            " :poster) RETURNING id"
        ),
        {"name": name, "year": year, "kp": kinopoisk_id, "added": added, **values},
    ).scalar_one()


def _viewing(connection, movie_id: int, day: str, lottery_id: str | None = None, poll_id: str | None = None):
    connection.execute(
        sa.text("INSERT INTO viewing (movie_id, watched_on, lottery_id, poll_id) VALUES (:m, :d, :l, :p)"),
        {"m": movie_id, "d": day, "l": lottery_id, "p": poll_id},
    )


def _rating(connection, movie_id: int, score: int, rated_at: str) -> None:
    connection.execute(
        sa.text(
            "INSERT INTO rating (movie_id, participant, name, name_key, score, rated_at)"
            " VALUES (:m, :p, 'Аня', 'аня', :s, :at)"
        ),
        {"m": movie_id, "p": P, "s": score, "at": rated_at},
    )


def _night(connection, table: str, night_id: str) -> None:
    extra = (
        ("play_token", "'t'")
        if table == "lottery"
        else ("manage_token, method, results, veto", "'t', 'approval', 'after_close', false")
    )
    connection.execute(
        sa.text(
            f"INSERT INTO {table} (id, created_at, seed, commitment, auto_download, {extra[0]})"
            f" VALUES (:id, '2024-01-01 00:00:00', 's', 'c', false, {extra[1]})"
        ),
        {"id": night_id},
    )


def test_copies_are_merged_into_the_oldest_shared_nights_split_and_ballots_over_the_cap_trimmed(
    database_url, capfd
):
    app = build_app(database_url)
    enable_migrations(app)
    with app.app_context():
        try:
            flask_migrate.downgrade(revision="0010")
            with db.engine.begin() as connection:
                typed = _movie(connection, "Сталкер", 1979, "2020-01-01 00:00:00")
                typed_again = _movie(
                    connection, "СТАЛКЕР ", 1979, "2021-01-01 00:00:00",
                    updated="2022-01-01 00:00:00", status="watched", favourite=True, poster="p.jpg",
                )  # fmt: skip
                _viewing(connection, typed, "2024-05-01")
                _viewing(connection, typed_again, "2024-05-01")
                _viewing(connection, typed_again, "2024-06-01")
                _rating(connection, typed, 5, "2024-05-02 00:00:00")
                _rating(connection, typed_again, 9, "2024-06-02 00:00:00")
                connection.execute(
                    sa.text(
                        "INSERT INTO download (movie_id, kind, delete_files, info_hash, magnet, status,"
                        " attempts, requested_at) VALUES (:m, 'download', false, :h, 'magnet:?', 'pending',"
                        " 0, '2024-01-01 00:00:00')"
                    ),
                    {"m": typed_again, "h": "a" * 40},
                )
                solaris = _movie(connection, "Солярис", 1972, "2019-01-01 00:00:00", kinopoisk_id=100)
                _movie(connection, "солярис", 1972, "2020-01-01 00:00:00")
                remake = _movie(connection, "Солярис", 1972, "2021-01-01 00:00:00", kinopoisk_id=200)
                mirror = _movie(connection, "Зеркало", 1975, "2018-01-01 00:00:00")
                _movie(connection, "Зеркало", 1975, "2019-01-01 00:00:00", kinopoisk_id=300)
                _night(connection, "lottery", "lot1")
                _night(connection, "poll", "poll1")
                _viewing(connection, solaris, "2024-07-01", "lot1", "poll1")
                _night(connection, "poll", "full")
                for n in range(503):
                    connection.execute(
                        sa.text(
                            "INSERT INTO ballot (poll_id, participant, name, name_key, choices, cast_at)"
                            " VALUES ('full', :p, :n, :n, '[]', '2024-01-01 00:00:00')"
                        ),
                        {"p": f"participant-{n:020d}", "n": f"v{n}"},
                    )
            capfd.readouterr()
            flask_migrate.upgrade()  # alembic's console handler says what it merged, on stderr
            said = capfd.readouterr().err.splitlines()
            with db.engine.connect() as connection:
                movies = {
                    row.id: row
                    for row in connection.execute(
                        sa.text("SELECT id, kinopoisk_id, status, favourite, poster FROM library_movie")
                    )
                }
                viewings = connection.execute(
                    sa.text("SELECT movie_id, watched_on, lottery_id, poll_id FROM viewing ORDER BY id")
                ).all()
                ratings = connection.execute(sa.text("SELECT movie_id, score FROM rating")).all()
                download = connection.execute(sa.text("SELECT movie_id FROM download")).scalar_one()
                full = connection.execute(
                    sa.text("SELECT ballot_count FROM poll WHERE id = 'full'")
                ).scalar_one()
                ballots = connection.execute(sa.text("SELECT count(*) FROM ballot")).scalar_one()
        finally:
            flask_migrate.upgrade()
            db.engine.dispose()
    assert set(movies) == {typed, solaris, remake, mirror}
    kept = movies[typed]
    assert (kept.status, bool(kept.favourite), kept.poster) == ("watched", True, "p.jpg")  # the newest marks
    assert (movies[solaris].kinopoisk_id, movies[remake].kinopoisk_id, movies[mirror].kinopoisk_id) == (
        100, 200, 300,
    )  # fmt: skip
    days = sorted((str(v.watched_on), v.lottery_id, v.poll_id) for v in viewings if v.movie_id == typed)
    assert days == [("2024-05-01", None, None), ("2024-06-01", None, None)]  # the day it had twice is one
    nights = [(str(v.watched_on), v.lottery_id, v.poll_id) for v in viewings if v.movie_id == solaris]
    assert sorted(nights, key=str) == [("2024-07-01", "lot1", None), ("2024-07-01", None, "poll1")]
    assert ratings == [(typed, 9)]  # one rating per participant of a deleted night: the newest
    assert download == typed
    assert (full, ballots) == (500, 500)
    merges = [line for line in said if "is merged into it" in line]
    assert len(merges) == 3
    assert any(
        f"#{typed}" in line and "1 viewings moved, 1 days it had twice dropped" in line for line in merges
    )
    assert any("lottery lot1's and poll poll1's night" in line for line in said)
    assert any("poll full had 503 ballots" in line and "v502" in line for line in said)
