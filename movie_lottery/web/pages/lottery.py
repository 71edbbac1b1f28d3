"""The lottery pages (builder, waiting, play, result) and the history; what every page module shares.

HTML pages are thin: read the request, ask the domain, render; they read the database only. Each page
module has its own blueprint, named after the module (library_pages, poll_pages, backup_pages,
status_pages), all listed in web.register_web.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for

from movie_lottery.core.config import kinopoisk_configured, qbit_configured
from movie_lottery.core.errors import DomainError, NotFound
from movie_lottery.core.models import LibraryMovie
from movie_lottery.core.validation import parse_day
from movie_lottery.library import history as histories
from movie_lottery.library import viewings
from movie_lottery.library.filters import utc_today
from movie_lottery.lottery import service as lotteries
from movie_lottery.polls import service as polls
from movie_lottery.web.api.schemas.lotteries import LOTTERY
from movie_lottery.web.auth import is_admin, public
from movie_lottery.web.page_cache import cached_page
from movie_lottery.web.query_numbers import small_number
from movie_lottery.web.visitor_home import forget_lottery, remember_lottery

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


def _builder_page(picked: list[dict] | None = None, kind: str = "lottery"):
    config = current_app.config
    return render_page(
        "builder.html",
        search_enabled=kinopoisk_configured(config),
        downloads_enabled=qbit_configured(config),
        picked=picked,
        kind=kind,
    )


_cached_builder = cached_page(collage_fetched_at)(_builder_page)


@bp.get("/")
def builder():
    """The lottery builder; ``?library=3,1,2`` opens it with those library movies as the candidates (the
    library's selection and «Случайные N»), and ``&kind=poll`` with «Голосование» chosen, so a poll from the
    library gets the builder's own settings. Those are rendered afresh: every pick is another address, and
    the cache keeps a few pages, not every combination."""
    if request.args.get("library"):
        from movie_lottery.web.pages.library import picked_candidates, picked_ids, picked_kind

        picked = picked_candidates(picked_ids(request.args))
        return _builder_page(picked=picked, kind=picked_kind(request.args))
    return _cached_builder()


@bp.get("/l/<lottery_id>")
@public
def lottery_page(lottery_id: str):
    lottery = _visited_lottery(lottery_id)
    data = LOTTERY.dump(lottery)
    if lottery.winner_position is not None:
        return _result_page(lottery, data)
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
    data = LOTTERY.dump(lottery)
    if lottery.winner_position is not None:
        return _result_page(lottery, data)
    return render_page("play.html", lottery=lottery, data=data, token=token)


def _result_page(lottery, data: dict):
    """The drawn lottery; the admin can say the winner was watched, and then everyone can rate it."""
    watched_on = viewings.lottery_viewing_day(lottery.id)
    return render_page("result.html", lottery=lottery, data=data, watched_on=watched_on, today=utc_today())


@bp.post("/l/<lottery_id>/watched")
def lottery_watched(lottery_id: str):
    """«Посмотрели» on the result page, as a plain form (the page's script sends the same to
    POST /api/lotteries/<id>/watched)."""
    mark_watched_from_form(lambda day: viewings.mark_lottery_watched(lottery_id, day))
    return redirect(url_for("pages.lottery_page", lottery_id=lottery_id))


def mark_watched_from_form(mark: Callable[[date | None], LibraryMovie]) -> None:
    """A «Посмотрели» form's date (empty: today) given to ``mark``, and a flash saying how it went; an
    unknown lottery or poll stays a 404 page."""
    raw = (request.form.get("date") or "").strip()
    try:
        movie = mark(parse_day(raw) if raw else None)
    except DomainError as exc:
        if exc.status == 404:
            raise
        flash(exc.message, "error")
    else:
        flash(f"«{movie.name}»: посмотрели — записано в библиотеке", "success")


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
@cached_page(lambda: (collage_fetched_at(), utc_today()))  # «посмотрели 3 марта» names the year in another
def history():
    return render_page("history.html", page=histories.history_page(page_arg()), today=utc_today())


@bp.post("/history/<lottery_id>/delete")
def delete_lottery(lottery_id: str):
    lotteries.delete_lottery(lottery_id)
    flash("Лотерея удалена", "success")
    return redirect(url_for("pages.history", page=request.form.get("page", "1")))


@bp.post("/history/polls/<poll_id>/delete")
def delete_poll(poll_id: str):
    polls.delete_poll(poll_id)
    flash("Голосование удалено", "success")
    return redirect(url_for("pages.history", page=request.form.get("page", "1")))


def page_arg() -> int:
    raw = request.args.get("page", "1")
    number = small_number(raw)
    return number if number is not None and 0 < number < 1_000_000 else 1
