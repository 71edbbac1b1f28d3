"""HTML pages. Thin: read the request, ask the domain, render. Pages read the database only."""

from __future__ import annotations

import time

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for

from .. import lottery as lotteries
from ..config import kinopoisk_configured, qbit_configured
from ..errors import NotFound
from .auth import is_admin, public
from .page_cache import cached_page
from .visitor_home import forget_lottery, remember_lottery

bp = Blueprint("pages", __name__)


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


def render_page(template: str, **context):
    """Render with the decorative backdrop of recent winners' posters."""
    context.setdefault("collage", collage_posters())
    return render_template(template, **context)


@bp.get("/")
@cached_page(collage_fetched_at)
def builder():
    config = current_app.config
    return render_page(
        "builder.html", search_enabled=kinopoisk_configured(config), downloads_enabled=qbit_configured(config)
    )


@bp.get("/l/<lottery_id>")
@public
def lottery_page(lottery_id: str):
    lottery = _visited_lottery(lottery_id)
    data = lotteries.lottery_to_dict(lottery)
    if lottery.winner_position is not None:
        return render_page("result.html", lottery=lottery, data=data)
    play_url = None
    if is_admin():  # the owner on any device (in open mode everyone is): a lost link comes back here
        play_url = url_for("pages.play_page", lottery_id=lottery.id, token=lottery.play_token, _external=True)
    return render_page("waiting.html", lottery=lottery, data=data, play_url=play_url)


@bp.get("/l/<lottery_id>/play/<token>")
@public
def play_page(lottery_id: str, token: str):
    lottery = _visited_lottery(lottery_id)  # the waiting page is no secret: home even for a mistyped link
    if not lotteries.token_matches(lottery, token):
        abort(404)  # a wrong token looks like no page at all: nothing to probe
    data = lotteries.lottery_to_dict(lottery)
    if lottery.winner_position is not None:
        return render_page("result.html", lottery=lottery, data=data)
    return render_page("play.html", lottery=lottery, data=data, token=token)


def _visited_lottery(lottery_id: str):
    """The lottery a visitor opened, remembered as their home (see visitor_home); a deleted one forgotten."""
    try:
        lottery = lotteries.get_lottery(lottery_id)
    except NotFound:
        forget_lottery(lottery_id)
        raise
    remember_lottery(lottery.id)
    return lottery


@bp.get("/history")
@cached_page(collage_fetched_at)
def history():
    return render_page("history.html", page=lotteries.history_page(page_arg()))


@bp.post("/history/<lottery_id>/delete")
def delete_lottery(lottery_id: str):
    lotteries.delete_lottery(lottery_id)
    flash("Лотерея удалена", "success")
    return redirect(url_for("pages.history", page=request.form.get("page", "1")))


def page_arg() -> int:
    raw = request.args.get("page", "1")
    return int(raw) if raw.isdigit() and 0 < int(raw) < 1_000_000 else 1


from . import backup_pages, library_pages  # noqa: E402,F401  (register /library/backup and /library on bp)
