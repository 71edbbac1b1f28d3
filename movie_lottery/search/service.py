"""Finding movies on Kinopoisk without wasting the daily quota (about 200 requests on the free key).

Each distinct normalised query or id reaches Kinopoisk at most once per 24 hours: answers are kept in the
``kinopoisk_cache`` table, shared by every worker and surviving restarts. Picking a result costs nothing more,
since a search hit already carries everything the lottery and the library store.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from movie_lottery.core.extensions import db
from movie_lottery.core.models import KinopoiskCacheEntry, KinopoiskUsage, utcnow
from movie_lottery.integrations.kinopoisk import (
    KinopoiskClient,
    KinopoiskError,
    KinopoiskQuotaExceeded,
    KinopoiskUnavailable,
    normalize_query,
    parse_kinopoisk_ref,
)

T = TypeVar("T")

log = logging.getLogger(__name__)

CACHE_TTL = timedelta(hours=24)
CACHE_MAX_ENTRIES = 5000
# One letter finds nothing useful and spends a request of the daily quota on it. The hint under the search
# box and its script read this same number from the page (partials/search.html), so all three agree.
QUERY_MIN = 2
SHORT_QUERY = f"Введите название от {QUERY_MIN} букв или ссылку на Кинопоиск"  # "от N букв": N >= 2
SEARCH_LIMIT = 10
QUOTA_PAUSE_SECONDS = 15 * 60


@dataclass(frozen=True)
class SearchResult:
    movies: list[dict]
    from_cache: bool


class KinopoiskGate:
    """Per-process guard in front of Kinopoisk.

    - Once Kinopoisk says the day's quota is gone, stop asking for a while.
    - At most ``max_calls`` calls at once: a hanging Kinopoisk may hold those threads for the client's time
      bound, but never all of a worker's threads, so the rest of the site keeps answering.
    """

    def __init__(self, max_calls: int = 2) -> None:
        self._until = 0.0
        self._lock = threading.Lock()
        self._slots = threading.BoundedSemaphore(max_calls)

    def quota_exhausted(self) -> bool:
        return time.monotonic() < self._until

    def paused_until(self) -> datetime | None:
        """When this process asks Kinopoisk again after it said the quota was gone (None: no pause)."""
        left = self._until - time.monotonic()
        return utcnow() + timedelta(seconds=left) if left > 0 else None

    def mark_quota_exhausted(self) -> None:
        with self._lock:
            self._until = time.monotonic() + QUOTA_PAUSE_SECONDS

    def call(self, fetch):
        if self.quota_exhausted():
            raise KinopoiskQuotaExceeded("quota pause still in force", sent=False)
        if not self._slots.acquire(timeout=0.2):
            raise KinopoiskUnavailable("too many Kinopoisk calls in flight in this process", sent=False)
        try:
            return fetch()
        except KinopoiskQuotaExceeded:
            self.mark_quota_exhausted()
            raise
        finally:
            self._slots.release()


def _cached(key: str) -> list[dict] | None:
    entry = db.session.get(KinopoiskCacheEntry, key)
    if entry is None or entry.fetched_at < utcnow() - CACHE_TTL:
        return None
    return list(entry.payload)


def _id_key(kinopoisk_id: int) -> str:
    return f"id:{kinopoisk_id}"


def cached_movie(kinopoisk_id: int) -> dict | None:
    """The movie a recent search by this id brought, if the cache still has it (no call to Kinopoisk)."""
    found = _cached(_id_key(kinopoisk_id))
    return found[0] if found else None


def _store(key: str, movies: list[dict]) -> None:
    now = utcnow()
    entry = db.session.get(KinopoiskCacheEntry, key)
    if entry is None:
        db.session.add(KinopoiskCacheEntry(key=key, payload=movies, fetched_at=now))
    else:
        entry.payload, entry.fetched_at = movies, now
    # Expired answers are useless; the quota already bounds how many fresh ones a day can bring.
    db.session.execute(sa.delete(KinopoiskCacheEntry).where(KinopoiskCacheEntry.fetched_at < now - CACHE_TTL))
    try:
        db.session.commit()
    except IntegrityError:  # another worker stored the same key a moment ago: theirs is as good
        db.session.rollback()
        return
    _enforce_size_bound()


def _enforce_size_bound() -> None:
    count = db.session.scalar(sa.select(sa.func.count()).select_from(KinopoiskCacheEntry)) or 0
    if count <= CACHE_MAX_ENTRIES:
        return
    oldest = (
        sa.select(KinopoiskCacheEntry.key)
        .order_by(KinopoiskCacheEntry.fetched_at)
        .limit(count - CACHE_MAX_ENTRIES)
        .scalar_subquery()
    )
    db.session.execute(sa.delete(KinopoiskCacheEntry).where(KinopoiskCacheEntry.key.in_(oldest)))
    db.session.commit()


def _lookup(key: str, fetch, gate: KinopoiskGate) -> tuple[list[dict], bool]:
    cached = _cached(key)
    if cached is not None:
        return cached, True
    # Release the pooled connection before a slow outside call: the pool is smaller than the thread count.
    db.session.close()
    movies = counted_call(lambda: gate.call(fetch))
    _store(key, movies)
    return movies, False


def counted_call(call: Callable[[], T]) -> T:
    """Make a Kinopoisk call and count it in today's usage if a request went out (answered or not)."""
    try:
        result = call()
    except KinopoiskError as exc:
        if exc.sent:
            count_kinopoisk_call()
        raise
    count_kinopoisk_call()
    return result


def count_kinopoisk_call(today: date | None = None) -> None:
    """One more request in today's (UTC) count, shared by every worker. Never raises: a count is worth less
    than the answer it came with."""
    today = today or utcnow().date()
    try:
        for _attempt in range(2):
            bumped = db.session.execute(
                sa.update(KinopoiskUsage)
                .where(KinopoiskUsage.day == today)
                .values(calls=KinopoiskUsage.calls + 1)
            ).rowcount
            if not bumped:
                db.session.add(KinopoiskUsage(day=today, calls=1))
            try:
                db.session.commit()
                return
            except IntegrityError:  # another worker counted the day's first call a moment ago
                db.session.rollback()
    except SQLAlchemyError:
        db.session.rollback()
        log.warning("could not count a Kinopoisk request", exc_info=True)


def kinopoisk_calls_on(day: date) -> int:
    return db.session.scalar(sa.select(KinopoiskUsage.calls).where(KinopoiskUsage.day == day)) or 0


def search_movies(query: str, client: KinopoiskClient, gate: KinopoiskGate) -> SearchResult:
    """Movies for a title, a kinopoisk.ru link or a bare id, in the lottery's movie shape.

    ``query`` has passed the API's SearchQuery (non-empty, at most SEARCH_QUERY_MAX characters, spaces
    collapsed): the request is where input is refused.
    """
    kinopoisk_id = parse_kinopoisk_ref(query)
    if kinopoisk_id is not None:

        def fetch_by_id() -> list[dict]:
            movie = client.get_by_id(kinopoisk_id)
            return [movie.to_dict()] if movie else []

        movies, from_cache = _lookup(_id_key(kinopoisk_id), fetch_by_id, gate)
        # A bare number may be a title ("1917"): with no such id, search it as a title too.
        if movies or not query.isdigit():
            return SearchResult(movies, from_cache)

    def fetch_by_title() -> list[dict]:
        return [movie.to_dict() for movie in client.search(query, limit=SEARCH_LIMIT)]

    movies, from_cache = _lookup(f"q:{normalize_query(query)}", fetch_by_title, gate)
    return SearchResult(movies, from_cache)
