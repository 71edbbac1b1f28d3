"""/p/<id>: the poll page everyone votes on, and /p/<id>/manage/<token>: the creator's page. Public, like a
lottery's own links; they read the database only (a passed deadline closes the poll, in the database).

The page is the same for every participant, so it is kept rendered per process under the content version
like /history (every ballot moves the version): the participant's own ballot is not in it, the page's script
asks GET /api/polls/<id>/ballot for it (and, once the winner is watched, GET /api/ratings/poll/<id> for the
participant's own score). A kept page of an open poll whose deadline has passed is rendered
afresh, which closes the poll.
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, g, redirect, session, url_for
from flask_wtf.csrf import generate_csrf

from movie_lottery.core.models import utcnow
from movie_lottery.library import viewings
from movie_lottery.library.filters import utc_today
from movie_lottery.polls import service as polls
from movie_lottery.web.api.schemas.base import Linked
from movie_lottery.web.api.schemas.polls import POLL
from movie_lottery.web.api.shared import poll_links
from movie_lottery.web.auth import is_admin, public
from movie_lottery.web.page_cache import cached_value, enabled
from movie_lottery.web.pages.lottery import collage_fetched_at, mark_watched_from_form, render_page

bp = Blueprint("poll_pages", __name__)


def _render(poll_id: str, manage_token: str | None) -> tuple[str, object]:
    poll = polls.get_poll(poll_id)
    if manage_token is not None and not polls.manage_token_matches(poll, manage_token):
        abort(404)  # a wrong token looks like no page at all: nothing to probe
    manages = manage_token is not None or is_admin()
    data = POLL.dump(Linked(poll, poll_links(poll.id, poll.manage_token if manages else None)))
    html = render_page(
        "poll.html",
        poll=poll,
        data=data,
        is_admin=is_admin(),
        watched_on=viewings.poll_viewing_day(poll.id) if poll.winner_position is not None else None,
        today=utc_today(),
        manage={"token": manage_token, "url": data.get("manage_url")} if manages else None,
        poll_api=url_for("api_polls.get_poll", poll_id=poll.id),
        ballot_api=url_for("api_polls.get_ballot", poll_id=poll.id),
    )
    return html, poll.deadline if poll.closed_at is None else None


def _page(poll_id: str, manage_token: str | None):
    def render():
        g.rendering_for_cache = True  # the CSRF token becomes the per-process placeholder
        try:
            return _render(poll_id, manage_token)
        finally:
            g.rendering_for_cache = False

    if not enabled() or "_flashes" in session:  # a flashed message is for this visitor only
        return _render(poll_id, manage_token)[0]
    key = ("poll-page", poll_id, manage_token, is_admin(), collage_fetched_at(), utc_today())
    html, due_at = cached_value(key, render)
    if due_at is not None and due_at <= utcnow():
        html, _ = render()
    placeholder = current_app.extensions["page_cache_placeholder"]
    return html.replace(placeholder, generate_csrf())


@bp.get("/p/<poll_id>")
@public
def poll_page(poll_id: str):
    return _page(poll_id, None)


@bp.get("/p/<poll_id>/manage/<token>")
@public
def poll_manage_page(poll_id: str, token: str):
    return _page(poll_id, token)


@bp.post("/p/<poll_id>/watched")
def poll_watched(poll_id: str):
    """«Посмотрели» on a closed poll's results (admin), as a plain form (the page's script sends the same to
    POST /api/polls/<id>/watched)."""
    mark_watched_from_form(lambda day: viewings.mark_poll_watched(poll_id, day))
    return redirect(url_for("poll_pages.poll_page", poll_id=poll_id))
