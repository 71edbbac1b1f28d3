"""Writes a unique constraint refuses (movie_lottery.storing): a taken random id is drawn again, and a
write that loses a race to another request looks again once, so the person sees their movie added or
their night recorded — never a 500, never a copy. On SQLite and PostgreSQL.

"Another request" is a second app context: its own session and connection, committing between this
request's look and its commit, exactly where a real race falls.
"""

from __future__ import annotations

import itertools

import pytest

from movie_lottery.core import reel, storing
from movie_lottery.core.errors import Conflict
from movie_lottery.core.extensions import db
from movie_lottery.core.models import LibraryMovie, Lottery, Poll
from movie_lottery.library import movies as library
from movie_lottery.library import viewings
from movie_lottery.lottery import service as lottery
from movie_lottery.polls import service as polls

MOVIES = [{"name": "Сталкер", "year": 1979}, {"name": "Солярис", "year": 1972}]


def ids_starting_with(taken: str, monkeypatch) -> None:
    """reel.new_id answers ``taken`` first, then fresh ids."""
    new_id = reel.new_id
    answers = itertools.chain([taken], (new_id() for _ in itertools.count()))
    monkeypatch.setattr(reel, "new_id", lambda: next(answers))


def test_a_lottery_whose_random_id_is_taken_is_stored_under_another(app_context, monkeypatch):
    first = lottery.create_lottery(MOVIES).lottery
    first_id, first_seed = first.id, first.seed
    db.session.remove()  # that request is over: its lottery is in the database, not in this session
    ids_starting_with(first_id, monkeypatch)
    second = lottery.create_lottery([{"name": "Брат", "year": 1997}, {"name": "Брат 2", "year": 2000}])
    assert second.lottery.id != first_id
    db.session.expire_all()
    kept = db.session.get(Lottery, first_id)
    assert (kept.seed, [m.name for m in kept.movies]) == (first_seed, ["Сталкер", "Солярис"])
    assert [m.name for m in db.session.get(Lottery, second.lottery.id).movies] == ["Брат", "Брат 2"]


def test_a_poll_whose_random_id_is_taken_is_stored_under_another(app_context, monkeypatch):
    first_id = polls.create_poll(MOVIES).poll.id
    db.session.remove()
    ids_starting_with(first_id, monkeypatch)
    second = polls.create_poll([{"name": "Брат", "year": 1997}, {"name": "Брат 2", "year": 2000}])
    assert second.poll.id != first_id
    db.session.expire_all()
    assert [m.name for m in db.session.get(Poll, first_id).movies] == ["Сталкер", "Солярис"]


def test_ids_that_keep_colliding_give_up_without_touching_the_stored_lottery(app_context, monkeypatch):
    first = lottery.create_lottery(MOVIES).lottery
    first_id, first_token = first.id, first.play_token
    db.session.remove()
    monkeypatch.setattr(reel, "new_id", lambda: first_id)
    with pytest.raises(RuntimeError, match="could not allocate"):
        lottery.create_lottery([{"name": "Брат", "year": 1997}, {"name": "Брат 2", "year": 2000}])
    db.session.expire_all()
    assert db.session.get(Lottery, first_id).play_token == first_token
    assert db.session.query(Lottery).count() == 1


def another_request(app, work) -> None:
    """``work`` in its own app context (its own session and connection), committed."""
    with app.app_context():
        work()
        db.session.remove()


def test_a_movie_added_by_another_request_meanwhile_is_updated_not_copied(app, app_context, monkeypatch):
    real_apply = library.apply_details
    raced = []

    def apply_then_lose_the_race(movie, data):
        real_apply(movie, data)
        if not raced:  # between this request's look and its commit, the other one stores the same movie
            raced.append(True)
            another_request(app, lambda: library.add_movie({"name": "Сталкер", "kinopoisk_id": 43911}))

    monkeypatch.setattr(library, "apply_details", apply_then_lose_the_race)
    added = library.add_movie({"name": "Сталкер", "year": 1979, "kinopoisk_id": 43911})
    assert added.created is False  # the second look found the other request's movie
    assert (added.movie.name, added.movie.year) == ("Сталкер", 1979)
    assert db.session.query(LibraryMovie).count() == 1


def test_a_lottery_marked_watched_by_two_requests_at_once_has_one_night(app, app_context, monkeypatch):
    drawn = lottery.create_lottery(MOVIES).lottery
    lottery.draw(drawn.id, drawn.play_token)
    real_link = viewings._link_viewing
    raced = []

    def link_then_lose_the_race(link, lottery_id, movie_id, day):
        real_link(link, lottery_id, movie_id, day)
        if not raced:
            raced.append(True)
            another_request(app, lambda: viewings.mark_lottery_watched(lottery_id, day))

    monkeypatch.setattr(viewings, "_link_viewing", link_then_lose_the_race)
    movie = viewings.mark_lottery_watched(drawn.id)
    assert raced and movie.status == "watched"
    assert len(movie.viewings) == 1
    assert db.session.query(LibraryMovie).count() == 1


def test_a_write_that_collides_on_its_second_look_too_is_a_conflict(app_context):
    db.session.add(LibraryMovie(name="Сталкер", kinopoisk_id=43911, genres=[], countries=[], details={}))
    db.session.commit()
    looks = []

    def stage():
        looks.append(True)
        db.session.add(LibraryMovie(name="Копия", kinopoisk_id=43911, genres=[], countries=[], details={}))

    with pytest.raises(Conflict) as refused:
        storing.commit_looking_again(stage)
    assert (refused.value.status, refused.value.code, len(looks)) == (409, "conflict", 2)
    assert [m.name for m in db.session.query(LibraryMovie)] == ["Сталкер"]
