"""The library: every movie kept, with its magnet link. One movie per Kinopoisk id (or per title and year).

Adding a movie that is already there updates its details and keeps the date it was first added, so the
winner's "В библиотеку" button and a Kinopoisk search can both be pressed twice without making copies.

Sorting, filtering and paging run in SQL over normalised columns (``sort_title``, ``search_text``,
``genre_text``) that the model derives on every save: SQLite's ``lower()`` folds only ASCII, so filtering on
the raw title would find «гавань» in «Гавань» on PostgreSQL but not on SQLite. A page costs four statements
whatever the library's size (the counts per status, the movies with their downloads, their viewings); what the
filters mean is in library_filters, statuses and viewings are written by viewings.py.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import quote

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from movie_lottery.core.errors import Conflict, InvalidInput
from movie_lottery.core.extensions import db
from movie_lottery.core.kept_movies import MOVIE_LOADS, find_same_movie, get_movie
from movie_lottery.core.models import Download, LibraryMovie, MovieFields, Rating, Viewing
from movie_lottery.core.same_movie import normalise_text
from movie_lottery.core.storing import commit_looking_again
from movie_lottery.core.validation import load_movie
from movie_lottery.integrations.magnet import InvalidMagnet, Magnet, parse_magnet
from movie_lottery.library.filters import (
    QUERY_MAX,
    LibraryFilter,
    effective_status,
    expire_exclusions,
    last_watched_sql,
    status_counts_row,
    utc_today,
)

SORTS = ("added", "title", "year", "rating", "watched")
DEFAULT_SORT = "added"
PAGE_SIZE = 24
_FIELDS = ("name", "year", "poster", "description", "rating", "genres", "countries")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


# ---- reading ----------------------------------------------------------------------------------------


def clean_sort(value: str | None) -> str:
    return value if value in SORTS else DEFAULT_SORT


def clean_query(value: str | None) -> str:
    # Control characters cannot be in a title, and PostgreSQL refuses NUL in a query (a server error).
    return " ".join(_CONTROL.sub(" ", value or "").split())[:QUERY_MAX]


_ORDER = {
    # Missing years and ratings go last whichever way the list runs.
    "added": (LibraryMovie.added_at.desc(), LibraryMovie.id.desc()),
    "title": (LibraryMovie.sort_title, LibraryMovie.year, LibraryMovie.id),
    "year": (LibraryMovie.year.is_(None), LibraryMovie.year.desc(), LibraryMovie.sort_title, LibraryMovie.id),
    "rating": (
        LibraryMovie.rating.is_(None), LibraryMovie.rating.desc(), LibraryMovie.sort_title, LibraryMovie.id,
    ),
    # "Watched longest ago": the oldest last viewing first. Movies never watched go last, as missing years
    # and ratings do: the sort is about viewing history, and a movie without one has nothing to sort by
    # (first, they would bury every watched movie under the whole watchlist).
    "watched": (
        last_watched_sql().is_(None), last_watched_sql(), LibraryMovie.sort_title, LibraryMovie.id,
    ),
}  # fmt: skip


@dataclass(frozen=True)
class LibraryPage:
    movies: list[LibraryMovie]
    matched: int  # movies that pass the filter
    page: int
    pages: int
    # Movies per effective status under the rest of the filter (genre, years, rating, words), for the tabs.
    counts: dict[str, int]


def list_movies(
    query: str | None = None,
    sort: str | None = None,
    page: int = 1,
    per_page: int = PAGE_SIZE,
    filters: LibraryFilter | None = None,
    today: date | None = None,
) -> LibraryPage:
    """One page of the library, filtered and sorted, all in SQL: four statements.

    ``filters`` (library_filters.LibraryFilter) says what to show; without it, the words of ``query`` and
    the default statuses (everything except «не предлагать»). The counts come first, per effective status:
    the number matched is their sum for the statuses shown, so no second count is needed. When they show
    an exclusion whose day has come, the stored rows are tidied then and there (rare: once per exclusion).
    """
    today = today or utc_today()
    if filters is None:
        filters = LibraryFilter(query=clean_query(query))
    row = status_counts_row(filters, today)
    if row.expired:
        expire_exclusions(today)  # reading stays right without it; the stored rows catch up once
        db.session.commit()
    matched = sum(row.counts[status] for status in filters.statuses)
    pages = max(1, math.ceil(matched / per_page))
    page = min(max(1, page), pages)
    movies = db.session.scalars(
        sa.select(LibraryMovie)
        .options(*MOVIE_LOADS)
        .where(filters.condition(today))
        .order_by(*_ORDER[clean_sort(sort)])
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    return LibraryPage(movies=list(movies), matched=matched, page=page, pages=pages, counts=row.counts)


def count_movies() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(LibraryMovie)) or 0


def movies_by_id(ids: list[int]) -> list[LibraryMovie]:
    """The movies of these ids that exist, in the order given (two statements: with downloads, viewings):
    the cards a page asks for again, the builder's picks."""
    if not ids:
        return []
    found = db.session.scalars(
        sa.select(LibraryMovie).options(*MOVIE_LOADS).where(LibraryMovie.id.in_(ids))
    ).unique()
    by_id = {movie.id: movie for movie in found}
    return [by_id[movie_id] for movie_id in ids if movie_id in by_id]


def apply_details(movie: LibraryMovie, data: dict) -> None:
    """Copy what was given; a blank field never wipes what Kinopoisk filled in earlier."""
    for field in _FIELDS:
        value = data.get(field)
        if value not in (None, [], ""):
            setattr(movie, field, value)
    if data.get("kinopoisk_id") is not None:
        movie.kinopoisk_id = data["kinopoisk_id"]
    if data.get("details"):
        movie.details = {**(movie.details or {}), **data["details"]}


# ---- writing ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Added:
    movie: LibraryMovie
    created: bool


def add_movie(raw: Any) -> Added:
    """Add a movie in the lottery shape (optionally with ``magnet``), or update the one already there."""
    data = load_movie(raw)
    magnet = _parse_optional_magnet(raw.get("magnet") if isinstance(raw, dict) else None)

    def stage() -> tuple[LibraryMovie, bool]:  # someone may add the same movie (or take the hash) meanwhile
        movie = find_same_movie(data["kinopoisk_id"], data["name"], data["year"])
        if magnet is not None:
            _check_hash_free(magnet.info_hash, movie.id if movie else None)
        created = movie is None
        if movie is None:
            movie = LibraryMovie(name=data["name"], genres=[], countries=[], details={})
            db.session.add(movie)
        # The same title typed again in other letters («брат» for «Брат») keeps the group's spelling; a
        # really different title (Kinopoisk's, for a movie matched by its id) replaces it.
        same_title = not created and normalise_text(data["name"]) == normalise_text(movie.name)
        apply_details(movie, {**data, "name": movie.name} if same_title else data)
        if magnet is not None:
            store_magnet(movie, magnet)
        return movie, created

    movie, created = commit_looking_again(stage)
    return Added(movie=get_movie(movie.id), created=created)


def delete_movie(movie_id: int) -> None:
    # A removal asked for and not yet carried out is kept, without its movie: the torrent still goes.
    # Then get_movie loads what is left of the download, so the ORM deletes it too: SQLite runs here
    # without foreign-key enforcement, and ON DELETE CASCADE alone would leave it behind.
    get_movie(movie_id)  # 404 before anything is written
    db.session.execute(
        sa.update(Download)
        .where(
            Download.movie_id == movie_id,
            Download.kind == "removal",
            Download.status.in_(("pending", "sent")),
        )
        .values(movie_id=None)
        .execution_options(synchronize_session=False)
    )
    # Its viewings and ratings go with it, by one statement each: the ORM's cascade would only reach them if
    # loaded, and SQLite here would leave them to a later movie of the same id.
    for table in (Viewing, Rating):
        db.session.execute(
            sa.delete(table).where(table.movie_id == movie_id).execution_options(synchronize_session=False)
        )
    db.session.expire_all()
    movie = get_movie(movie_id)
    db.session.delete(movie)
    db.session.commit()


def _parse_optional_magnet(value: Any) -> Magnet | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return parse_or_refuse(value)


def parse_or_refuse(text: Any) -> Magnet:
    try:
        return parse_magnet(text)
    except InvalidMagnet as exc:
        raise InvalidInput(exc.message, code="invalid_magnet") from None


def _check_hash_free(info_hash: str, movie_id: int | None) -> None:
    owner = db.session.scalar(sa.select(LibraryMovie).where(LibraryMovie.info_hash == info_hash))
    if owner is not None and owner.id != movie_id:
        raise Conflict(f"Эта раздача уже привязана к фильму «{owner.name}»", code="magnet_in_use")


def store_magnet(movie: LibraryMovie, magnet: Magnet | None) -> None:
    """Set or clear the link and keep the download queue consistent with it.

    A queued download follows the new link; one already sent for another hash is forgotten (its torrent
    stays in qBittorrent), so the download button asks again for the new one. A removal keeps its own hash:
    the old torrent still goes.
    """
    old_hash = movie.info_hash
    movie.magnet = magnet.uri if magnet else None
    movie.info_hash = magnet.info_hash if magnet else None
    download = movie.download if movie.id is not None else None
    if download is None or (magnet is not None and magnet.info_hash == old_hash):
        return
    if not download.is_download:
        return
    if magnet is not None and download.status == "pending":
        download.magnet, download.info_hash = magnet.uri, magnet.info_hash
    else:
        db.session.delete(download)


def set_magnet(movie_id: int, text: Any) -> LibraryMovie:
    magnet = parse_or_refuse(text)
    movie = get_movie(movie_id)
    _check_hash_free(magnet.info_hash, movie.id)
    store_magnet(movie, magnet)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise Conflict("Эта раздача уже привязана к другому фильму", code="magnet_in_use") from None
    return get_movie(movie_id)


def clear_magnet(movie_id: int) -> LibraryMovie:
    movie = get_movie(movie_id)
    store_magnet(movie, None)
    db.session.commit()
    return get_movie(movie_id)


# ---- what the group did with a movie, and where to find it --------------------------------------------


def torrent_search_url(template: str | None, movie: MovieFields) -> str | None:
    """The owner's tracker search for "title year", or None when no template is configured."""
    if not template or "{query}" not in template or not template.lower().startswith(("http://", "https://")):
        return None
    query = f"{movie.name} {movie.year}" if movie.year else movie.name
    return template.replace("{query}", quote(query, safe=""))


def marks_to_dict(movie: LibraryMovie, today: date | None = None) -> dict:
    """The group's marks on a movie: its effective status (an exclusion whose day has come is «want»),
    the day an exclusion ends, «любимое», and the viewings, newest first (loaded with the movie)."""
    status = effective_status(movie.status, movie.excluded_until, today or utc_today())
    until = movie.excluded_until if status == "excluded" else None
    days = sorted((viewing.watched_on for viewing in movie.viewings), reverse=True)
    return {
        "status": status,
        "excluded_until": until,
        "favourite": bool(movie.favourite),
        "viewings": days,
        "last_watched": days[0] if days else None,
    }


def group_rating(movie: LibraryMovie) -> dict | None:
    """The group's ratings of this movie, over every night it was watched: the average and how many, or
    None before anyone rated it. Summed and counted in the statement that loaded it (MOVIE_LOADS)."""
    count = movie.rating_count or 0
    if not count:
        return None
    return {"average": round(movie.rating_sum / count, 2), "count": count}
