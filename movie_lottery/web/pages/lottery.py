"""The lottery pages (builder, waiting, play, result) and the history, on the ``pages`` blueprint."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, request, url_for

from movie_lottery.core import reel
from movie_lottery.core.config import kinopoisk_configured, qbit_configured, telegram_configured
from movie_lottery.core.errors import NotFound, WrongLink
from movie_lottery.core.kept_movies import kept_positions
from movie_lottery.core.models import utcnow
from movie_lottery.library import history as histories
from movie_lottery.library import picks, viewings
from movie_lottery.library.filters import utc_today
from movie_lottery.lottery import service as lotteries
from movie_lottery.polls import service as polls
from movie_lottery.telegram.chats import bound_chat_ids
from movie_lottery.web.api.schemas.lotteries import LOTTERY
from movie_lottery.web.guards.auth import is_admin, public
from movie_lottery.web.guards.security import framed_by_telegram_web
from movie_lottery.web.library_params import picked_ids, picked_kind
from movie_lottery.web.page_input import mark_watched_from_form, page_arg
from movie_lottery.web.rendering.library_words import note_for
from movie_lottery.web.rendering.page import collage_fetched_at, render_page
from movie_lottery.web.rendering.page_cache import cached, keep_until
from movie_lottery.web.visitor_home import forget_lottery, remember_lottery

bp = Blueprint("lottery_pages", __name__)


def _builder_page(picked: list[dict] | None = None, kind: str = "lottery"):
    config = current_app.config
    telegram_enabled = telegram_configured(config)
    return render_page(
        "builder.html",
        search_enabled=kinopoisk_configured(config),
        downloads_enabled=qbit_configured(config),
        telegram_enabled=telegram_enabled,
        chat_bound=telegram_enabled and bool(bound_chat_ids()),  # «Отправить в чат» only where it can go
        picked=picked,
        kind=kind,
    )


@bp.get("/")
def builder():
    """The lottery builder; ``?library=3,1,2`` opens it with those library movies as the candidates (the
    library's selection and «Случайные N»), and ``&kind=poll`` with «Голосование» chosen, so a poll from the
    library gets the builder's own settings. Never kept: it reads nothing but the backdrop, and renders in
    about the time a kept page takes to serve."""
    if request.args.get("library"):
        today = utc_today()
        chosen = picks.picked(picked_ids(request.args), today)
        picked = [{**pick.candidate, "note": note_for(pick.marks, today)} for pick in chosen]
        return _builder_page(picked=picked, kind=picked_kind(request.args))
    return _builder_page()


@bp.get("/l/<lottery_id>")
@framed_by_telegram_web
@public
def lottery_page(lottery_id: str):
    lottery = _visited_lottery(lottery_id)
    if _landed(lottery):
        return _result_page(lottery, LOTTERY.dump(lottery))  # the same for everyone: no clock in it
    data = _page_data(lottery)
    play_url = None
    # The owner on any device (in open mode everyone is): a lost link comes back here; none once drawn.
    if is_admin() and lottery.winner_position is None:
        play_url = url_for(
            "lottery_pages.play_page", lottery_id=lottery.id, token=lottery.play_token, _external=True
        )
    return _with_clock(render_page("waiting.html", lottery=lottery, data=data, play_url=play_url))


@bp.get("/l/<lottery_id>/play/<token>")
@framed_by_telegram_web
@public
def play_page(lottery_id: str, token: str):
    lottery = _visited_lottery(lottery_id)  # the waiting page is no secret: home even for a mistyped link
    if not lotteries.token_matches(lottery, token):
        # The lottery is no secret (its waiting page is public); the token is, and is never hinted at.
        raise WrongLink(
            "Эта ссылка для розыгрыша не подходит — похоже, её скопировали не целиком. Попросите того, кто "
            "создал лотерею, прислать её ещё раз. Ждать розыгрыша можно на странице лотереи.",
            code="play_link_wrong",
            way_on=("К лотерее", url_for("lottery_pages.lottery_page", lottery_id=lottery.id)),
        )
    if _landed(lottery):
        return _result_page(lottery, LOTTERY.dump(lottery))
    data = _page_data(lottery)
    if lottery.winner_position is None:
        return _with_clock(render_page("play.html", lottery=lottery, data=data, token=token))
    return _with_clock(render_page("waiting.html", lottery=lottery, data=data, play_url=None))  # mid-spin


def _page_data(lottery) -> dict:
    """The lottery as the API reads it, and the server's clock: the page's reel lands at ``reel.lands_at``
    by the server's time, whatever the phone's own clock says (lib/reel.js serverClock); ``spin_ms`` before
    the draw, so the page makes its reel long enough for the spin."""
    spin_ms = current_app.config["REEL_SPIN_MS"]
    return {**LOTTERY.dump(lottery), "now": CLOCK_MARK, "spin_ms": spin_ms}


CLOCK_MARK = "server-now-mark"


def _with_clock(html: str) -> str:
    """The server's time written in as the page leaves, not before its rendering (a first render of a
    template costs hundreds of ms on a cold worker, and the reel would land that much late)."""
    return html.replace(CLOCK_MARK, utcnow().isoformat(), 1)


def _landed(lottery) -> bool:
    """Drawn, and its reel has stopped everywhere: until then even a page opened mid-spin spins it (a result
    page now would tell the winner before the spinner's reel stops)."""
    return lottery.winner_position is not None and reel.has_landed(
        lottery.drawn_at, current_app.config["REEL_SPIN_MS"], utcnow()
    )


def _result_page(lottery, data: dict):
    """The drawn lottery; the admin can say the winner was watched, and then everyone can rate it."""
    watched_on = viewings.lottery_viewing_day(lottery.id)
    kept = kept_positions(data["movies"]) if is_admin() else set()  # only the admin is offered «В библиотеку»
    return render_page(
        "result.html", lottery=lottery, data=data, watched_on=watched_on, today=utc_today(), kept=kept
    )


@bp.post("/l/<lottery_id>/watched")
def lottery_watched(lottery_id: str):
    """«Посмотрели» on the result page, as a plain form (the page's script sends the same to
    POST /api/lotteries/<id>/watched)."""
    mark_watched_from_form(lambda day: viewings.mark_lottery_watched(lottery_id, day))
    return redirect(url_for("lottery_pages.lottery_page", lottery_id=lottery_id))


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
@cached(lambda: (collage_fetched_at(), utc_today()))  # «посмотрели 3 марта» names the year in another
def history():
    page = histories.history_page(page_arg())
    keep_until(page.next_deadline)  # an open poll's deadline changes its row: read afresh from then on
    return render_page("history.html", page=page, today=utc_today())


@bp.post("/history/<lottery_id>/delete")
def delete_lottery(lottery_id: str):
    lotteries.delete_lottery(lottery_id)
    flash("Лотерея удалена", "success")
    return redirect(url_for("lottery_pages.history", page=request.form.get("page", "1")))


@bp.post("/history/polls/<poll_id>/delete")
def delete_poll(poll_id: str):
    polls.delete_poll(poll_id)
    flash("Голосование удалено", "success")
    return redirect(url_for("lottery_pages.history", page=request.form.get("page", "1")))
