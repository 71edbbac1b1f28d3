"""Rendered pages kept per process and served again until the stored data moves.

/history and /library render dozens of rows through the ORM and Jinja (10–17 ms each), and the builder
is the same page for everyone; nearly every view shows exactly what the previous one showed. A page is
kept under the content version (a counter the database's triggers move whenever a row really changes,
migrations 0003 and 0006).
On PostgreSQL each worker learns new numbers from NOTIFY, so a hit costs no query at all; on SQLite it
costs one single-row query. Never older than the data, beyond the milliseconds a notification takes to
reach another process.

What differs per visitor stays out of the cached text: the CSRF token is rendered as a per-process
placeholder and filled in on the way out; the access level, the address and the origin the visitor used
(scheme and host, as ProxyFix sees them: absolute links are built from it) are part of the key; and a
page carrying flashed messages is never cached.

`PAGE_CACHE_ENABLED = False` in the app's config renders every request afresh (tests compare the two).
"""

from __future__ import annotations

import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from functools import wraps
from typing import Any, TypeVar

from flask import Flask, current_app, g, make_response, request, session
from flask_wtf.csrf import generate_csrf

from movie_lottery.core.content_version import current_content_version
from movie_lottery.web.auth import is_admin, signed_in_admin

# Per process: a free-text library filter must not grow memory without bound. A full library page is up to
# ~190 KB of UTF-8 for the admin (24 cards, each with its forms for marks, dates and torrent; measured with
# qBittorrent configured), so the worst case is ~12 MB; a typical site keeps a handful.
MAX_PAGES = 64
T = TypeVar("T")


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


class PageCache:
    """Bodies by key for one content version; a different version empties it. Thread-safe."""

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
    """The template global `csrf_token()`: a placeholder while a page is rendered for the cache."""
    if g.get("rendering_for_cache"):
        return current_app.extensions["page_cache_placeholder"]
    return generate_csrf()


def enabled() -> bool:
    return bool(current_app.config.get("PAGE_CACHE_ENABLED", True))


def cached_page(extra_key: Callable[[], Hashable]) -> Callable:
    """Serve a GET page from the cache. `extra_key` gives what else, besides the data, the page shows."""

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(*args, **kwargs):
            if not enabled() or request.method != "GET" or "_flashes" in session:
                return view(*args, **kwargs)
            version = current_content_version(current_app.extensions)
            if version is None:
                return view(*args, **kwargs)
            cache: PageCache = current_app.extensions["page_cache"]
            key = (request.host_url, request.full_path, is_admin(), signed_in_admin(), extra_key())
            body = cache.get(version, key)
            response = None
            if body is None:
                g.rendering_for_cache = True
                try:
                    response = make_response(view(*args, **kwargs))
                finally:
                    g.rendering_for_cache = False
                body = response.get_data()  # UTF-8 bytes: half the memory of a str of Cyrillic text
                if response.status_code == 200:
                    cache.put(version, key, body)
            placeholder = current_app.extensions["page_cache_placeholder"].encode()
            if placeholder in body:
                body = body.replace(placeholder, generate_csrf().encode())
            if response is None:
                return current_app.response_class(body, mimetype="text/html")
            response.set_data(body)
            return response

        return wrapper

    return decorate


def cached_text(key: Hashable, render: Callable[[], str]) -> str:
    """Text that is the same for everyone asking with `key` through the same origin (it may hold absolute
    links), kept under the content version like pages."""
    return cached_value(key, render)


def cached_value(key: Hashable, render: Callable[[], T]) -> T:
    """`cached_text` for any value that does not change once made (a poll's text with its deadline)."""
    if not enabled():
        return render()
    version = current_content_version(current_app.extensions)
    if version is None:
        return render()
    cache: PageCache = current_app.extensions["page_cache"]
    key = (request.host_url, key)
    value = cache.get(version, key)
    if value is None:
        value = render()
        cache.put(version, key, value)
    return value


def cache_stats(app: Flask) -> CacheStats:
    return app.extensions["page_cache"].stats()


def init_app(app: Flask) -> None:
    app.extensions["page_cache"] = PageCache()
    # Random per process, so no stored text can contain it by accident or on purpose.
    app.extensions["page_cache_placeholder"] = f"csrf-placeholder-{secrets.token_hex(16)}"
    # Flask-WTF offers csrf_token() both as a global and from a context processor; replace both.
    app.jinja_env.globals["csrf_token"] = _csrf_token
    app.context_processor(lambda: {"csrf_token": _csrf_token})
