"""What every HTML page is rendered with: the decorative backdrop of recent winners' posters.

HTML pages are thin: read the request, ask the domain, render; they read the database only. Each page
module (web/pages/) has its own blueprint, all listed in web.register_web.
"""

from __future__ import annotations

import time

from flask import current_app, render_template

from movie_lottery.lottery import service as lotteries

COLLAGE_TTL_SECONDS = 60


def collage() -> tuple[float, list[str]]:
    """(fetched at, recent winners' posters), refreshed at most once a minute per process.

    Decoration need not be live; the fetch time tells cached pages which backdrop they carry.
    """
    fetched_at, posters = current_app.extensions.get("collage", (-COLLAGE_TTL_SECONDS, []))
    if time.monotonic() - fetched_at >= COLLAGE_TTL_SECONDS:
        fetched_at, posters = time.monotonic(), lotteries.recent_winner_posters()
        current_app.extensions["collage"] = (fetched_at, posters)
    return fetched_at, posters


def collage_posters() -> list[str]:
    return collage()[1]


def collage_fetched_at() -> float:
    """The cache key part of every cached page: they all show the backdrop."""
    return collage()[0]


def render_page(template: str, **context) -> str:
    """Render with the decorative backdrop of recent winners' posters."""
    context.setdefault("collage", collage_posters())
    return render_template(template, **context)
