"""/p/<id>: the poll page everyone votes on, and /p/<id>/manage/<token>: the creator's page. Public, like a
lottery's own links; they read the database only (a passed deadline closes the poll, in the database).
Their .../live twins render the parts that change while people vote, for the page's script to swap in.

The page is the same for every participant, so it is kept like /history (every ballot moves the content
version): the participant's own ballot is not in it, the page's script asks GET /api/polls/<id>/ballot for
it (and, once the winner is watched, GET /api/ratings/poll/<id> for the participant's own score). An open
poll's page is kept until its deadline, then rendered afresh, which closes the poll.
"""

from __future__ import annotations

import hashlib

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    get_template_attribute,
    redirect,
    request,
    url_for,
)

from movie_lottery.core.errors import WrongLink
from movie_lottery.core.kept_movies import kept_positions
from movie_lottery.core.models import utcnow
from movie_lottery.library import viewings
from movie_lottery.library.filters import utc_today
from movie_lottery.polls import service as polls
from movie_lottery.web.api.schemas.base import Linked
from movie_lottery.web.api.schemas.polls import POLL
from movie_lottery.web.api.shared import poll_links
from movie_lottery.web.guards.auth import is_admin, public
from movie_lottery.web.guards.security import framed_by_telegram_web
from movie_lottery.web.page_input import mark_watched_from_form
from movie_lottery.web.rendering.page import collage_fetched_at, render_page
from movie_lottery.web.rendering.page_cache import cached, keep_until

bp = Blueprint("polls_pages", __name__)


def _page(poll_id: str, manage_token: str | None) -> str:
    poll = polls.get_poll(poll_id)
    if manage_token is not None and not polls.manage_token_matches(poll, manage_token):
        # The poll is no secret (its link is shared); the manage token is, and is never hinted at.
        raise WrongLink(
            "Эта ссылка для управления голосованием не подходит — похоже, её скопировали не целиком. "
            "Найдите её там, где сохранили после создания. Голосовать можно и по обычной ссылке.",
            code="manage_link_wrong",
            way_on=("К голосованию", url_for("polls_pages.poll_page", poll_id=poll.id)),
        )
    manages = manage_token is not None or is_admin()
    data = POLL.dump(Linked(poll, poll_links(poll.id, poll.manage_token if manages else None)))
    html: str = render_page(
        "poll.html",
        poll=poll,
        data=data,
        is_admin=is_admin(),
        watched_on=viewings.poll_viewing_day(poll.id) if poll.winner_position is not None else None,
        kept=kept_positions(data["movies"]) if is_admin() and poll.winner_position is not None else set(),
        today=utc_today(),
        manage={"token": manage_token, "url": data.get("manage_url")} if manages else None,
        removal=removal_view(poll) if manages and poll.closed_at is None else None,
        result=result_view(data),
        live_url=url_for("polls_pages.poll_manage_live", poll_id=poll.id, token=manage_token)
        if manage_token is not None
        else url_for("polls_pages.poll_live", poll_id=poll.id),
        poll_api=url_for("api_polls.get_poll", poll_id=poll.id),
        ballot_api=url_for("api_polls.get_ballot", poll_id=poll.id),
        names_api=url_for("api_polls.check_name", poll_id=poll.id),
    )
    if poll.closed_at is None:
        keep_until(poll.deadline)
    return html


@bp.get("/p/<poll_id>")
@framed_by_telegram_web
@public
@cached(lambda: (collage_fetched_at(), utc_today()))
def poll_page(poll_id: str):
    return _page(poll_id, None)


@bp.get("/p/<poll_id>/manage/<token>")
@public
@cached(lambda: (collage_fetched_at(), utc_today()))
def poll_manage_page(poll_id: str, token: str):
    return _page(poll_id, token)


@bp.post("/p/<poll_id>/watched")
def poll_watched(poll_id: str):
    """«Посмотрели» on a closed poll's results (admin), as a plain form (the page's script sends the same to
    POST /api/polls/<id>/watched)."""
    mark_watched_from_form(lambda day: viewings.mark_poll_watched(poll_id, day))
    return redirect(url_for("polls_pages.poll_page", poll_id=poll_id))


def _span(first, last) -> str:
    seconds = int((last - first).total_seconds())
    return f"{seconds}\u00a0с" if seconds < 60 else f"{-(-seconds // 60)}\u00a0мин"


def removal_view(poll) -> dict:
    """What the creator's list needs besides the names: the bursts from one address."""
    names = {ballot.id: ballot.name for ballot in poll.ballots}
    groups = [
        {
            "id": burst.id,
            "names": [names[i] for i in burst.ids],
            "size": len(burst.ids),
            "span": _span(burst.first, burst.last),
        }
        for burst in polls.ballot_bursts(poll)
    ]
    return {"groups": groups}


# ---- the parts that change while people vote: /p/<id>/live -------------------------------------------------

LIVE_TEMPLATE = "partials/poll_live.html"


def _movie_meta(movie: dict) -> str:
    """The winner's line: year · ★ rating · genres · countries."""
    parts = [str(movie["year"])] if movie.get("year") else []
    if movie.get("rating"):
        parts.append(f"★\u00a0{movie['rating']:.1f}")
    for field in ("genres", "countries"):
        if movie.get(field):
            parts.append(", ".join(movie[field]))
    return " · ".join(parts)


def nobody_chose(result: dict, ranked: bool) -> bool:
    """No ballot said «да» to any movie (or ranked any): the reel's pick is a suggestion, not the group's."""
    if ranked:
        return not any(any(row) for row in result["pairwise"])
    return not any(result["counts"])


def _how_it_won(result: dict, names: dict[int, str], ranked: bool) -> str:
    winner = result["winner"]
    if nobody_chose(result, ranked):
        if not result["ballots"]:
            return "Никто не проголосовал — барабан выбрал из всех фильмов. Решать всё равно вам."
        what = "не поставил ни одного фильма по местам" if ranked else "не сказал «да» ни одному фильму"
        return f"Никто {what} — барабан выбрал из всех. Решать всё равно вам."
    if len(result["tied"]) > 1:
        tied = ", ".join(f"«{names[p]}»" for p in result["tied"])
        return f"Ничья между {tied} — решил барабан."
    if not ranked:
        return f"«{names[winner]}» набрал больше всех «да»: {result['counts'][winner]}."
    pairwise = result["pairwise"]
    others = [p for p in names if p != winner and p not in result["excluded"]]
    if others and all(pairwise[winner][p] > pairwise[p][winner] for p in others):
        scores = ", ".join(f"{pairwise[winner][p]}:{pairwise[p][winner]}" for p in others)
        return f"«{names[winner]}» выигрывает один на один у каждого фильма ({scores})."
    return f"«{names[winner]}» побеждает по методу Шульце: у него самые сильные цепочки побед один на один."


def _pairwise_rows(result: dict, names: dict[int, str]) -> list[dict]:
    """The head-to-head table: a row per movie, a cell per opponent (wins, losses, and which it is)."""
    pairwise = result["pairwise"]

    def cell(a: int, b: int) -> dict:
        if a == b:
            return {"self": True}
        wins, losses = pairwise[a][b], pairwise[b][a]
        kind = "is-win" if wins > losses else "is-loss" if wins < losses else "is-draw"
        return {"against": names[b], "wins": wins, "losses": losses, "kind": kind}

    def classes(a: int) -> str:
        marks = (("is-top", a in result["tied"]), ("is-excluded", a in result["excluded"]))
        return " ".join(name for name, on in marks if on)

    return [
        {"number": a + 1, "name": names[a], "classes": classes(a), "cells": [cell(a, b) for b in names]}
        for a in names
    ]


def _tally_rows(result: dict, names: dict[int, str]) -> list[dict]:
    """The approval count: most «да» first, each bar's share of the most."""
    counts = result["counts"]
    most = max([1, *counts])
    return [
        {
            "name": names[p],
            "yes": counts[p],
            "share": counts[p] / most,
            "vetoes": result["vetoes"][p],
            "top": p in result["tied"],
            "excluded": p in result["excluded"],
        }
        for p in sorted(names, key=lambda p: (-counts[p], p))
    ]


def result_view(data: dict) -> dict | None:
    """What the result panel shows of the poll's result (as the Poll schema dumps it), in the page's words;
    None while hidden."""
    result = data["result"]
    if not result:
        return None
    movies = {movie["position"]: movie for movie in data["movies"]}
    names = {position: movie["name"] for position, movie in movies.items()}
    ranked = data["method"] == "ranked"
    winner = movies[result["winner"]] if result["winner"] is not None and data["status"] == "closed" else None
    view = {
        "winner": winner,
        "winner_meta": _movie_meta(winner) if winner else "",
        "how": _how_it_won(result, names, ranked) if winner else "",
        # «Смотрим сегодня» only for the group's choice: with no «да» anywhere the reel merely suggests.
        "eyebrow": "Барабан предлагает" if nobody_chose(result, ranked) else "Смотрим сегодня",
        "tie": len(result["tied"]) > 1,
        "leaders": ", ".join(f"«{names[p]}»" for p in result["tied"]),
        "excluded": ", ".join(f"«{names[p]}»" for p in result["excluded"]),
        "ballots": result["ballots"],
        "tally": None,
        "pairwise": None,
    }
    if ranked:
        view["pairwise"] = _pairwise_rows(result, names)
    else:
        view["tally"] = _tally_rows(result, names)
    return view


@cached(utc_today)
def _live_text(poll_id: str, manage_token: str | None) -> str:
    """The page's changing parts as JSON, kept like the page."""
    poll = polls.get_poll(poll_id)
    if manage_token is not None and not polls.manage_token_matches(poll, manage_token):
        abort(404)
    manages = manage_token is not None or is_admin()
    data = POLL.dump(Linked(poll, poll_links(poll.id, poll.manage_token if manages else None)))
    closed = data["status"] == "closed"

    def part(name: str, *args) -> str:
        return str(get_template_attribute(LIVE_TEMPLATE, name)(*args))

    parts = {
        "hero": part("hero", poll, data),
        "result": part("result_panel", data, result_view(data)),
        "voter-count": part("voter_count", data),
        "voters-empty": part("voters_empty", data),
        "voters": part("voters", data, removal_view(poll) if manages and not closed else None),
        "fairness": part("fairness", data, url_for("api_polls.get_poll", poll_id=poll.id)),
    }
    if manages:
        parts["manage"] = part("manage_panel", data, {"token": manage_token})
    result = data["result"]
    body = {
        "status": data["status"],
        # What the page checks in the browser once the seed is out: the tie and the winner it was drawn from.
        "check": {"seed": data["seed"], "tied": result["tied"], "winner": result["winner"]}
        if closed
        else None,
        "reel": data["reel"],  # a tie the reel decided: every open page spins it, to land at lands_at
        "parts": parts,
    }
    if poll.closed_at is None:
        keep_until(poll.deadline)
    return current_app.json.dumps(body)


def _live(poll_id: str, manage_token: str | None) -> Response:
    """An ETag of the answer makes an unchanged ask a bodiless 304, however often the page asks.

    A full answer also carries the server's ``now`` (not kept, not in the ETag): the page tells by it how long
    a tie's reel has left to spin, whatever the phone's clock says."""
    text = _live_text(poll_id, manage_token)
    etag = hashlib.sha256(text.encode()).hexdigest()[:32]
    text = f'{text[:-1]}, "now": "{utcnow().isoformat()}"}}'
    response = current_app.response_class(text, mimetype=current_app.json.mimetype)
    response.set_etag(etag)
    response.headers["Cache-Control"] = "no-cache"
    return response.make_conditional(request)


@bp.get("/p/<poll_id>/live")
@public
def poll_live(poll_id: str) -> Response:
    return _live(poll_id, None)


@bp.get("/p/<poll_id>/manage/<token>/live")
@public
def poll_manage_live(poll_id: str, token: str) -> Response:
    return _live(poll_id, token)
