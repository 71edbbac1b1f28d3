"""Rendered pages and polled answers kept per process, served again until the stored data moves.

On a group's data /library costs ~20 ms of CPU to render, /history ~8, a poll page ~7, and the polled
reads of a lottery or a poll ~5, which every phone on a waiting or poll page asks every few seconds; kept,
each costs 2–3.5 ms. At Render's tenth of a core /library keeps its visitor ~100 ms, kept ~6 ms (README,
"What a page costs"; `make bench BENCH_ARGS=--page-cost`). Whatever is kept is kept under the content
version: a counter the database's triggers move in the same transaction as any real change to a row the
kept answers show (core.content_version). Every hit reads that one row, so an answer is never older than
the data, whichever worker or program wrote it.

What differs per visitor stays out of the kept text: the CSRF token is rendered as a per-process
placeholder and filled in on the way out; the access level, the address and the origin the visitor used
(scheme and host, as ProxyFix sees them: absolute links are built from it) are part of the key; and a
request carrying flashed messages is never served from the cache.

`PAGE_CACHE_ENABLED = False` in the app's config renders every request afresh (tests compare the two).
"""

from __future__ import annotations

import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import datetime
from functools import wraps
from typing import Any, TypeVar

from flask import Flask, current_app, g, request, session
from flask_wtf.csrf import generate_csrf

from movie_lottery.core.content_version import read_content_version
from movie_lottery.core.models import utcnow
from movie_lottery.web.guards.auth import is_admin, signed_in_admin

# Per process: a free-text library filter must not grow memory without bound. A full library page is up to
# ~190 KB of UTF-8 for the admin (24 cards, each with its forms for marks, dates and torrent; measured with
# qBittorrent configured), so the worst case is ~12 MB; a typical site keeps a handful.
MAX_PAGES = 64
F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class CacheStats:
    """This process's cache since it started: each worker has its own."""

    hits: int
    misses: int
    pages: int

    @property
    def hit_rate(self) -> float | None:
        asked = self.hits + self.misses
        return self.hits / asked if asked else None


@dataclass(frozen=True)
class Kept:
    """A kept text (UTF-8 bytes: half the memory of a str of Cyrillic) and the moment it stops being true
    without any row changing (an open poll's deadline), if there is one."""

    body: bytes
    until: datetime | None = None


class PageCache:
    """Values by key for one content version; a different version empties it. Thread-safe."""

    def __init__(self, max_pages: int = MAX_PAGES) -> None:
        self.max_pages = max_pages
        self._lock = threading.Lock()
        self._version: int | None = None
        self._pages: OrderedDict[Hashable, Any] = OrderedDict()
        self._hits = 0
        self._misses = 0

    def get(self, version: int, key: Hashable) -> Any:
        with self._lock:
            body = self._pages.get(key) if version == self._version else None
            if body is None:
                self._misses += 1
                return None
            self._hits += 1
            self._pages.move_to_end(key)
            return body

    def stats(self) -> CacheStats:
        with self._lock:
            return CacheStats(hits=self._hits, misses=self._misses, pages=len(self._pages))

    def put(self, version: int, key: Hashable, body: Any) -> None:
        with self._lock:
            if version != self._version:
                self._pages.clear()
                self._version = version
            self._pages[key] = body
            self._pages.move_to_end(key)
            while len(self._pages) > self.max_pages:
                self._pages.popitem(last=False)

    def __len__(self) -> int:
        return len(self._pages)


def _csrf_token() -> str:
    """The template global `csrf_token()`: a placeholder while a text is rendered for the cache."""
    if g.get("rendering_for_cache"):
        return current_app.extensions["page_cache_placeholder"]
    return generate_csrf()


def keep_until(moment: datetime | None) -> None:
    """Called while a kept text is rendered: from ``moment`` on it is rendered afresh (an open poll whose
    deadline passes is closed by the first read that notices, and no row changes before that read)."""
    if moment is not None and g.get("rendering_for_cache"):
        g.keep_until = moment if g.get("keep_until") is None else min(g.keep_until, moment)


def _render(view: Callable, args: tuple, kwargs: dict) -> tuple[Any, datetime | None]:
    g.rendering_for_cache, g.keep_until = True, None
    try:
        return view(*args, **kwargs), g.keep_until
    finally:
        g.rendering_for_cache, g.keep_until = False, None


def _text_of(value: Any) -> str | None:
    """The text to keep: a plain str, or (str, 200); anything else (a 400 page) is served, not kept."""
    if isinstance(value, str):
        return value
    if isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], str) and value[1] == 200:
        return value[0]
    return None


def _with_this_visitors_token(text: str) -> str:
    placeholder = current_app.extensions["page_cache_placeholder"]
    return text.replace(placeholder, generate_csrf()) if placeholder in text else text


def _served_once(value: Any) -> Any:
    if isinstance(value, str):
        return _with_this_visitors_token(value)
    if isinstance(value, tuple) and value and isinstance(value[0], str):
        return (_with_this_visitors_token(value[0]), *value[1:])
    return value


def cached(extra_key: Callable[[], Hashable] = tuple) -> Callable[[F], F]:
    """Keep what ``view`` returns (a page's or an answer's text) until the data moves, per process.

    The key: the origin, the path with its query, the access level, the arguments, and ``extra_key()``:
    whatever else the text shows that no row holds (the day, this process's backdrop or qBittorrent
    snapshot). A kept text goes out with this visitor's CSRF token in place of the placeholder.
    """

    def decorate(view: F) -> F:
        name = f"{view.__module__}.{view.__qualname__}"

        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if (
                not current_app.config.get("PAGE_CACHE_ENABLED", True)
                or request.method != "GET"  # a form handler re-rendering the page with its error
                or "_flashes" in session  # a flashed message is for this visitor, this once
            ):
                return view(*args, **kwargs)
            version = read_content_version()
            if version is None:
                return view(*args, **kwargs)  # no number, nothing may be kept
            cache: PageCache = current_app.extensions["page_cache"]
            key = (name, request.host_url, request.full_path, is_admin(), signed_in_admin(), args,
                   tuple(sorted(kwargs.items())), extra_key())  # fmt: skip
            kept: Kept | None = cache.get(version, key)
            if kept is None or (kept.until is not None and kept.until <= utcnow()):
                value, until = _render(view, args, kwargs)
                text = _text_of(value)
                if text is None:  # served once, not kept
                    return _served_once(value)
                kept = Kept(text.encode(), until)
                cache.put(version, key, kept)
            return _with_this_visitors_token(kept.body.decode())

        return wrapper  # type: ignore[return-value]

    return decorate


def cache_stats(app: Flask) -> CacheStats:
    return app.extensions["page_cache"].stats()


def init_app(app: Flask) -> None:
    app.extensions["page_cache"] = PageCache()
    # Random per process, so no stored text can contain it by accident or on purpose.
    app.extensions["page_cache_placeholder"] = f"csrf-placeholder-{secrets.token_hex(16)}"
    # Flask-WTF offers csrf_token() both as a global and from a context processor; replace both.
    app.jinja_env.globals["csrf_token"] = _csrf_token
    app.context_processor(lambda: {"csrf_token": _csrf_token})
