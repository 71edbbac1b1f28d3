"""Which library movies a list, a count or a random pick takes: statuses, genre, years, rating, words.

Everything is decided in SQL, over columns the model derives on every save (``search_text``,
``genre_text``), so a filter means the same on SQLite and PostgreSQL — Cyrillic case included: SQLite's
``lower()`` folds only ASCII, and the genres are a JSON list whose stored text escapes every Cyrillic letter.

Time: an exclusion «не предлагать до 1 января» ends on 1 January (UTC day). No scheduler flips it: every
read goes through ``effective_status_sql``, in which an exclusion whose day has come already counts as
«want», and the stored row is tidied by the first write that notices (``expire_exclusions``).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, selectinload, undefer

from movie_lottery.core.extensions import db
from movie_lottery.core.models import GENRE_SEPARATOR, LIBRARY_STATUSES, LibraryMovie, Viewing, genre_key
from movie_lottery.core.same_movie import normalise_text

# The library's free-text filter, for the page and the API alike (longer is refused, never cut).
QUERY_MAX = 100

DEFAULT_STATUSES = ("want", "watched")  # the library's list: everything except «не предлагать»
RANDOM_STATUSES = ("want", "watched")  # what a random pick may ever take
RANDOM_DEFAULT_STATUSES = ("want",)
RANDOM_MIN, RANDOM_MAX, RANDOM_DEFAULT = 2, 25, 5


def utc_today() -> date:
    """The server's day. Pages send the viewer's own day where it matters (a viewing's date)."""
    return datetime.now(UTC).date()


def effective_status(status: str, excluded_until: date | None, today: date) -> str:
    """The rule in Python, for one loaded movie; ``effective_status_sql`` is the same rule for queries."""
    if status == "excluded" and excluded_until is not None and excluded_until <= today:
        return "want"
    return status


def expired_exclusion_sql(today: date) -> sa.ColumnElement[bool]:
    return sa.and_(
        LibraryMovie.status == "excluded",
        LibraryMovie.excluded_until.is_not(None),
        LibraryMovie.excluded_until <= today,
    )


def effective_status_sql(today: date) -> sa.ColumnElement[str]:
    return sa.case((expired_exclusion_sql(today), sa.literal("want")), else_=LibraryMovie.status)


def expire_exclusions(today: date | None = None, movie_ids: Iterable[int] | None = None) -> int:
    """Store «want» for exclusions whose day has come (all, or these movies'); one conditional UPDATE,
    so any number of workers may run it at once. Does not commit. Returns the rows changed."""
    condition = expired_exclusion_sql(today or utc_today())
    if movie_ids is not None:
        condition = sa.and_(condition, LibraryMovie.id.in_(list(movie_ids)))
    result = db.session.execute(
        sa.update(LibraryMovie)
        .where(condition)
        .values(status="want", excluded_until=None)
        .execution_options(synchronize_session="fetch")
    )
    return result.rowcount or 0


def last_watched_sql() -> sa.ScalarSelect:
    return (
        sa.select(sa.func.max(Viewing.watched_on))
        .where(Viewing.movie_id == LibraryMovie.id)
        .correlate(LibraryMovie)
        .scalar_subquery()
    )


@dataclass(frozen=True)
class LibraryFilter:
    """What the library page, GET /api/library and the random pick filter by. Values already validated
    (filter_input.LibraryFilterSchema); an empty or None value filters nothing."""

    query: str = ""
    statuses: tuple[str, ...] = DEFAULT_STATUSES
    genre: str | None = None
    year_from: int | None = None
    year_to: int | None = None
    min_rating: float | None = None
    favourite: bool = False

    def condition(self, today: date, *, with_status: bool = True) -> sa.ColumnElement[bool]:
        """The WHERE clause; ``with_status=False`` for the counts per status (the rest still holds)."""
        parts: list[sa.ColumnElement[bool]] = []
        for word in normalise_text(self.query).split():
            parts.append(LibraryMovie.search_text.contains(word, autoescape=True))
        if self.genre and genre_key(self.genre):
            wanted = GENRE_SEPARATOR + genre_key(self.genre) + GENRE_SEPARATOR
            parts.append(LibraryMovie.genre_text.contains(wanted, autoescape=True))
        if self.year_from is not None:
            parts.append(LibraryMovie.year >= self.year_from)
        if self.year_to is not None:
            parts.append(LibraryMovie.year <= self.year_to)
        if self.min_rating is not None:
            parts.append(LibraryMovie.rating >= self.min_rating)
        if self.favourite:
            parts.append(LibraryMovie.favourite.is_(True))
        if with_status and set(self.statuses) != set(LIBRARY_STATUSES):
            parts.append(effective_status_sql(today).in_(self.statuses))
        return sa.and_(sa.true(), *parts)


@dataclass(frozen=True)
class StatusCounts:
    counts: dict[str, int]  # movies per effective status, every status present
    expired: int  # of those counted as «want», exclusions whose day has come but whose row still says so


def status_counts_row(flt: LibraryFilter, today: date | None = None) -> StatusCounts:
    """Movies per effective status under every other part of the filter: one GROUP BY statement."""
    today = today or utc_today()
    status = effective_status_sql(today)
    expired = sa.func.sum(sa.case((expired_exclusion_sql(today), 1), else_=0))
    rows = db.session.execute(
        sa.select(status, sa.func.count(), expired)
        .select_from(LibraryMovie)
        .where(flt.condition(today, with_status=False))
        .group_by(status)
    )
    counts = dict.fromkeys(LIBRARY_STATUSES, 0)
    stale = 0
    for name, count, expired_count in rows:
        counts[name] = count
        stale += expired_count or 0
    return StatusCounts(counts=counts, expired=stale)


def status_counts(flt: LibraryFilter | None = None, today: date | None = None) -> dict[str, int]:
    """{"want": n, "watched": n, "excluded": n} under the filter's other parts (default: everything)."""
    return status_counts_row(flt or LibraryFilter(), today).counts


def pick_random(flt: LibraryFilter, n: int = RANDOM_DEFAULT, today: date | None = None) -> list[LibraryMovie]:
    """``n`` distinct movies, chosen with ``secrets`` from those the filter matches; fewer when fewer match.

    Never an excluded movie, whatever the filter says (an exclusion whose day has come no longer counts).
    The ids are selected in SQL (integers only, not the movies), sampled here, and only the chosen movies
    are loaded: three statements (the ids, the movies with their downloads, their viewings).
    """
    today = today or utc_today()
    statuses = tuple(s for s in flt.statuses if s in RANDOM_STATUSES)
    if not statuses:
        return []
    narrowed = LibraryFilter(**{**flt.__dict__, "statuses": statuses})
    condition = sa.and_(narrowed.condition(today), effective_status_sql(today) != "excluded")
    ids = list(db.session.scalars(sa.select(LibraryMovie.id).where(condition)))
    chosen = secrets.SystemRandom().sample(ids, min(max(n, 0), len(ids)))
    if not chosen:
        return []
    movies = db.session.scalars(
        sa.select(LibraryMovie)
        .options(
            joinedload(LibraryMovie.download),
            selectinload(LibraryMovie.viewings),
            # the group's rating, summed in this statement (as library.MOVIE_LOADS does): a statement per
            # chosen movie otherwise, when the builder's notes read it
            undefer(LibraryMovie.rating_sum),
            undefer(LibraryMovie.rating_count),
        )
        .where(LibraryMovie.id.in_(chosen))
    )
    by_id = {movie.id: movie for movie in movies}
    return [by_id[movie_id] for movie_id in chosen if movie_id in by_id]


def genre_choices() -> list[str]:
    """Every genre the library holds, normalised and sorted: the filter's options (one statement)."""
    rows = db.session.scalars(
        sa.select(LibraryMovie.genre_text).where(LibraryMovie.genre_text != "").distinct()
    )
    found = {genre for text in rows for genre in text.split(GENRE_SEPARATOR) if genre}
    return sorted(found)
