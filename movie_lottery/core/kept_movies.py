"""Finding a kept movie: by its id, or by the same-movie rule. Every feature that touches the library
(adding, downloads, viewings, backups) finds movies through here, so "the same movie" means one thing."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, selectinload, undefer

from movie_lottery.core.errors import NotFound
from movie_lottery.core.extensions import db
from movie_lottery.core.models import LibraryMovie
from movie_lottery.core.same_movie import is_same_movie, same_movie_key

ID_MAX = 2**31 - 1  # PostgreSQL's integer

# The download joined (one row per movie at most), the viewings in one more statement for a whole page.
MOVIE_LOADS = (
    joinedload(LibraryMovie.download),
    selectinload(LibraryMovie.viewings),
    undefer(LibraryMovie.rating_sum),
    undefer(LibraryMovie.rating_count),
)


def get_movie(movie_id: int) -> LibraryMovie:
    # An id past the column's range names no movie; SQLite's driver would overflow on it.
    movie = None
    if 0 < movie_id <= ID_MAX:
        movie = db.session.get(LibraryMovie, movie_id, options=MOVIE_LOADS)
    if movie is None:
        raise NotFound("Такого фильма в библиотеке нет", code="movie_not_found")
    return movie


def find_same_movie(kinopoisk_id: int | None, name: str, year: int | None) -> LibraryMovie | None:
    """The stored movie this one is: same Kinopoisk id, or (when either lacks one) same title and year."""
    if kinopoisk_id is not None:
        found = db.session.scalar(sa.select(LibraryMovie).where(LibraryMovie.kinopoisk_id == kinopoisk_id))
        if found is not None:
            return found
    same_title = db.session.scalars(
        sa.select(LibraryMovie)
        .where(LibraryMovie.same_key == same_movie_key(name, year))
        .order_by(LibraryMovie.kinopoisk_id.is_not(None), LibraryMovie.id)
    )
    given = {"kinopoisk_id": kinopoisk_id, "name": name, "year": year}
    for movie in same_title:  # a movie without an id first: the database holds it as the only one
        stored = {"kinopoisk_id": movie.kinopoisk_id, "name": movie.name, "year": movie.year}
        if is_same_movie(given, stored):
            return movie
    return None


def kept_positions(candidates: list[dict]) -> set[int]:
    """The positions of a night's candidates (``position``, ``name``, ``year``, ``kinopoisk_id``) the library
    already keeps, by the same-movie rule: two statements, whatever the number of candidates."""
    ids = [c["kinopoisk_id"] for c in candidates if c.get("kinopoisk_id") is not None]
    keys = [same_movie_key(c["name"], c.get("year")) for c in candidates]
    columns = (LibraryMovie.kinopoisk_id, LibraryMovie.name, LibraryMovie.year)
    stored = [*db.session.execute(sa.select(*columns).where(LibraryMovie.same_key.in_(keys)))]
    if ids:
        stored += db.session.execute(sa.select(*columns).where(LibraryMovie.kinopoisk_id.in_(ids)))
    kept = [{"kinopoisk_id": k, "name": n, "year": y} for k, n, y in stored]
    return {c["position"] for c in candidates if any(is_same_movie(c, movie) for movie in kept)}
