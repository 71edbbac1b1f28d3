"""One rate limit for everything a stranger could repeat: at most ``limit`` hits per key per window.

The count lives in the database (``rate_limit_hit``), one row per (bucket, key), so every worker and every
instance share it, as the sign-in throttle's does (web/guards/login_throttle.py). A hit is counted by ONE
upsert that returns the new count: on PostgreSQL the row lock of ``ON CONFLICT DO UPDATE`` orders
concurrent hits, on SQLite the statement holds the write lock, so a burst of parallel requests cannot all
read "none so far". The window is fixed, starting at the key's first hit; refused hits neither extend it
nor grow the counter without bound.

A bucket names what is counted and where (``ballot:<poll id>``, ``rating:poll:<id>``, ``create``); the key is
the client's address as the sign-in throttle counts it (IPv6 by its /64). Expired rows of a bucket are
pruned when one of its keys starts a new window.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import time
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError

from movie_lottery.core.errors import DomainError
from movie_lottery.core.extensions import db
from movie_lottery.core.models import RateLimitHit

log = logging.getLogger("movie_lottery")

BUCKET_LENGTH = 64
KEY_LENGTH = 64
ORIGIN_LENGTH = 16  # hex characters of the keyed hash kept on a ballot or rating
LONGEST_WINDOW = 24 * 3600  # no bucket counts longer: older rows of any bucket are pruned


class TooManyRequests(DomainError):
    status = 429
    code = "too_many_requests"


@dataclass(frozen=True)
class Origin:
    """Where a request came from, as the domain needs it: ``key`` to count by (the address, IPv6 by its
    /64), and ``tag`` to store on a ballot or rating so the owner can see which came from one place.

    The tag is a keyed hash (HMAC with the app's secret) of the key, not the address: the owner sees
    "these five came from one address" without anyone — a manage-link holder, a database dump — learning
    a friend's home address. A plain hash of an IPv4 address is reversed by trying all 2³² of them."""

    key: str
    tag: str


def origin_of(key: str, secret: str) -> Origin:
    digest = hmac.new(secret.encode(), b"movie-lottery origin\n" + key.encode(), hashlib.sha256)
    return Origin(key=key[:KEY_LENGTH], tag=digest.hexdigest()[:ORIGIN_LENGTH])


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_after: int = 0  # seconds until the key may hit again; 0 when allowed


def hit(
    bucket: str, key: str, *, limit: int, window: int, now: float | None = None, cost: int = 1
) -> Verdict:
    """Count one hit of ``key`` in ``bucket``, weighing ``cost`` (a request's size, say); ``allowed`` while
    the window's total stays within ``limit``. A refused hit leaves the total past the limit until the
    window ends: the window's budget is spent."""
    if not 0 < window <= LONGEST_WINDOW:
        raise ValueError(f"a window of 1 s to {LONGEST_WINDOW} s, not {window}")
    now_s = int(time.time() if now is None else now)
    cutoff = now_s - window
    table = RateLimitHit.__table__
    expired = table.c.window_started <= cutoff
    dialect = postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite
    statement = (
        dialect.insert(table)
        .values(bucket=bucket[:BUCKET_LENGTH], key=key[:KEY_LENGTH], window_started=now_s, hits=cost)
        .on_conflict_do_update(
            index_elements=[table.c.bucket, table.c.key],
            set_={
                "hits": sa.case(
                    (expired, cost), (table.c.hits > limit, table.c.hits), else_=table.c.hits + cost
                ),
                "window_started": sa.case((expired, now_s), else_=table.c.window_started),
            },
        )
        .returning(table.c.hits, table.c.window_started)
    )
    hits, started = db.session.execute(statement).one()
    db.session.commit()
    if started == now_s and hits == cost:  # this hit started a new window
        _prune(bucket[:BUCKET_LENGTH], cutoff, now_s - LONGEST_WINDOW)
    if hits <= limit:
        return Verdict(allowed=True)
    return Verdict(allowed=False, retry_after=max(1, started + window - now_s))


def require(
    bucket: str, key: str, *, limit: int, window: int, message: str, now: float | None = None, cost: int = 1
) -> None:
    """``hit``, or TooManyRequests with ``message`` formatted with ``{wait}`` (words: «40 секунд»)."""
    verdict = hit(bucket, key, limit=limit, window=window, now=now, cost=cost)
    if not verdict.allowed:
        raise TooManyRequests(
            message.format(wait=wait_words(verdict.retry_after)),
            details={"retry_after": verdict.retry_after},
        )


def wait_words(seconds: int) -> str:
    """«40 секунд», «3 минуты»: how long to wait, in words a person reads at a glance."""
    if seconds <= 90:  # «60 секунд» reads as the countdown the page shows; «1 минуту» would look rounded
        return f"{seconds}\u00a0{_plural(seconds, 'секунду', 'секунды', 'секунд')}"
    minutes = -(-seconds // 60)
    return f"{minutes}\u00a0{_plural(minutes, 'минуту', 'минуты', 'минут')}"


def _plural(n: int, one: str, few: str, many: str) -> str:
    if n % 10 == 1 and n % 100 != 11:
        return one
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return few
    return many


def _prune(bucket: str, cutoff: int, stale: int) -> None:
    """Housekeeping, never a reason to fail a request: the bucket's expired rows go, and any bucket's rows
    older than the longest window (a poll nobody votes in any more never starts a new window itself)."""
    row = RateLimitHit
    try:
        db.session.execute(
            sa.delete(row).where(
                sa.or_(
                    sa.and_(row.bucket == bucket, row.window_started <= cutoff), row.window_started <= stale
                )
            )
        )
        db.session.commit()
    except DBAPIError as exc:
        db.session.rollback()
        log.warning(
            "rate limit: pruning expired rows failed (%s); a later window retries", type(exc).__name__
        )
