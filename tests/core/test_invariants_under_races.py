"""Limits and uniqueness that the backup import checks hold in the database, whatever the interleaving
(migration 0011): a poll's 500 ballots, a night's 500 ratings, one library row per movie by the same-movie
rule. On SQLite and PostgreSQL.

"Another request" is a second app context (its own session and connection) that commits between this
request's check and its write, exactly where a real race falls; "psql" is a bare connection that skips the
app's checks altogether.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from movie_lottery.core import reel
from movie_lottery.core.errors import Conflict
from movie_lottery.core.extensions import db
from movie_lottery.core.models import LibraryMovie, PollBallot, Rating
from movie_lottery.library import movies as library
from movie_lottery.library import ratings, viewings
from movie_lottery.lottery import service as lottery
from movie_lottery.polls import service as polls

MOVIES = [{"name": "Сталкер", "year": 1979}, {"name": "Солярис", "year": 1972}]
CAP = 500
NOW = datetime(2026, 12, 1, 20, 0, tzinfo=UTC)


def another_request(app, work) -> None:
    """``work`` in its own app context (its own session and connection), committed."""
    with app.app_context():
        work()
        db.session.remove()


def participant(number: int) -> str:
    return f"participant-{number:020d}"


def fill_ballots(poll_id: str, count: int) -> None:
    rows = [
        {"poll_id": poll_id, "participant": participant(n), "name": f"Голос {n}", "name_key": f"голос {n}",
         "choices": [0], "veto": None, "cast_at": NOW}
        for n in range(count)
    ]  # fmt: skip
    db.session.execute(sa.insert(PollBallot), rows)
    db.session.commit()


def ballots_of(poll_id: str) -> int:
    return db.session.scalar(sa.select(sa.func.count()).where(PollBallot.poll_id == poll_id))


def just_before_the_write(monkeypatch, module, name: str, work) -> list:
    """Run ``work`` once, right after the service's own checks, when it calls ``module.name``."""
    real = getattr(module, name)
    raced: list = []

    def racing(*args, **kwargs):
        if not raced:
            raced.append(True)
            work()
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, racing)
    return raced


# ---- ballots --------------------------------------------------------------------------------------------


def test_a_ballot_that_passed_the_count_while_another_took_the_last_place_is_refused_as_poll_full(
    app, app_context, monkeypatch
):
    created = polls.create_poll(MOVIES)
    poll_id = created.poll.id
    fill_ballots(poll_id, CAP - 1)

    def last() -> None:
        another_request(app, lambda: polls.store_ballot(poll_id, None, name="Последний", approve=[1]))

    raced = just_before_the_write(monkeypatch, polls, "clean_name", last)
    with pytest.raises(Conflict) as refused:
        polls.store_ballot(poll_id, None, name="Лишний", approve=[0])
    assert raced and (refused.value.status, refused.value.code) == (409, "poll_full")
    db.session.expire_all()
    assert ballots_of(poll_id) == CAP
    assert "Лишний" not in polls.voters(polls.get_poll(poll_id))
    polls.remove_ballot(poll_id, "Голос 7", created.manage_token)  # a removed ballot frees its place
    stored = polls.store_ballot(poll_id, None, name="Лишний", approve=[0])
    polls.store_ballot(poll_id, stored.participant, approve=[1])  # a changed ballot takes no second place
    assert ballots_of(poll_id) == CAP == polls.get_poll(poll_id).ballot_count


def test_a_full_poll_refuses_a_ballot_written_past_the_app(app, app_context, database_url):
    poll_id = polls.create_poll(MOVIES).poll.id
    fill_ballots(poll_id, CAP)
    engine = sa.create_engine(database_url.replace("postgresql://", "postgresql+psycopg2://", 1))
    with pytest.raises(IntegrityError), engine.begin() as psql:
        psql.execute(
            sa.text(
                "INSERT INTO ballot (poll_id, participant, name, name_key, choices, cast_at)"
                " VALUES (:poll, 'psql-participant-000000000', 'psql', 'psql', '[]', CURRENT_TIMESTAMP)"
            ),
            {"poll": poll_id},
        )
    engine.dispose()
    assert ballots_of(poll_id) == CAP


# ---- ratings --------------------------------------------------------------------------------------------


def watched_lottery() -> str:
    made = lottery.create_lottery(MOVIES).lottery
    lottery.draw(made.id, made.play_token)
    viewings.mark_lottery_watched(made.id)
    return made.id


def fill_ratings(lottery_id: str, count: int) -> None:
    movie_id = db.session.scalar(sa.select(LibraryMovie.id))
    rows = [
        {"movie_id": movie_id, "lottery_id": lottery_id, "poll_id": None, "participant": participant(n),
         "name": f"Зритель {n}", "name_key": f"зритель {n}", "score": 7, "rated_at": NOW}
        for n in range(count)
    ]  # fmt: skip
    db.session.execute(sa.insert(Rating), rows)
    db.session.commit()


def ratings_of(lottery_id: str) -> int:
    return db.session.scalar(sa.select(sa.func.count()).where(Rating.lottery_id == lottery_id))


def test_a_rating_that_passed_the_count_while_another_took_the_last_place_is_refused_as_ratings_full(
    app, app_context, monkeypatch
):
    lottery_id = watched_lottery()
    fill_ratings(lottery_id, CAP - 1)

    def last() -> None:
        another_request(app, lambda: ratings.rate("lottery", lottery_id, None, score=9, name="Последний"))

    raced = just_before_the_write(monkeypatch, reel, "new_token", last)  # a first rating's new cookie
    with pytest.raises(Conflict) as refused:
        ratings.rate("lottery", lottery_id, None, score=3, name="Лишний")
    assert raced and (refused.value.status, refused.value.code) == (409, "ratings_full")
    db.session.expire_all()
    assert ratings_of(lottery_id) == CAP


# ---- one row per movie ----------------------------------------------------------------------------------


def movies_named(name: str) -> list[LibraryMovie]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(LibraryMovie).where(LibraryMovie.name == name)))


@pytest.mark.parametrize(
    ("mine", "theirs"),
    [
        ({"name": "Зеркало", "year": 1975}, {"name": "ЗЕРКАЛО ", "year": 1975}),
        ({"name": "Зеркало", "year": 1975}, {"name": "Зеркало", "year": 1975, "kinopoisk_id": 43911}),
        ({"name": "Зеркало", "year": 1975, "kinopoisk_id": 43911}, {"name": "Зеркало", "year": 1975}),
    ],
    ids=["typed-twice", "typed-while-kinopoisks-lands", "kinopoisks-while-typed-lands"],
)
def test_a_movie_added_by_another_request_between_the_look_and_the_write_is_one_row(
    app, app_context, monkeypatch, mine, theirs
):
    raced = just_before_the_write(
        monkeypatch, library, "apply_details", lambda: another_request(app, lambda: library.add_movie(theirs))
    )
    added = library.add_movie(mine)
    assert raced and added.created is False  # the answer «уже в библиотеке», not a copy
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LibraryMovie)) == 1


# As psql would store a copy of «Зеркало» (1975) without an id: with the key the app derives on every save.
INSERT_MOVIE = (
    "INSERT INTO library_movie (name, year, same_key, sort_title, search_text, genres, countries, details,"
    " added_at, updated_at) VALUES ('Зеркало', 1975, '1975|зеркало', 'зеркало', '', '[]', '[]', '{}',"
    " CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
)


@pytest.mark.parametrize("kinopoisk_id", [None, 43911], ids=["typed", "from-kinopoisk"])
def test_a_hand_typed_copy_written_past_the_app_is_refused_by_the_database(
    app_context, database_url, kinopoisk_id
):
    library.add_movie({"name": "Зеркало", "year": 1975, "kinopoisk_id": kinopoisk_id})
    engine = sa.create_engine(database_url.replace("postgresql://", "postgresql+psycopg2://", 1))
    with pytest.raises(IntegrityError), engine.begin() as psql:
        psql.execute(sa.text(INSERT_MOVIE))
    assert len(movies_named("Зеркало")) == 1
    if kinopoisk_id is not None:  # two Kinopoisk ids of one title and year are two movies (a remake)
        with engine.begin() as psql:
            psql.execute(
                sa.text(
                    INSERT_MOVIE.replace("(name,", "(kinopoisk_id, name,").replace(
                        "VALUES (", "VALUES (7177, "
                    )
                )
            )
        assert len(movies_named("Зеркало")) == 2
    engine.dispose()
