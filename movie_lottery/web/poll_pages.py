"""/p/<id>: the poll page everyone votes on, and /p/<id>/manage/<token>: the creator's page. Public, like a
lottery's own links; they read the database only (a passed deadline closes the poll, in the database)."""

from __future__ import annotations

from flask import abort, url_for

from .. import polls
from .api import poll_links
from .auth import is_admin, public
from .pages import bp, render_page
from .participants import participant_of


def _render(poll_id: str, manage_token: str | None):
    poll = polls.get_poll(poll_id)
    if manage_token is not None and not polls.manage_token_matches(poll, manage_token):
        abort(404)  # a wrong token looks like no page at all: nothing to probe
    manages = manage_token is not None or is_admin()
    data = polls.poll_to_dict(poll)
    data.update(poll_links(poll.id, poll.manage_token if manages else None))
    mine = polls.own_ballot(poll, participant_of(poll.id))
    return render_page(
        "poll.html",
        poll=poll,
        data=data,
        own=polls.ballot_to_dict(mine, poll.method) if mine else None,
        manage={"token": manage_token, "url": data.get("manage_url")} if manages else None,
        poll_api=url_for("api.get_poll", poll_id=poll.id),
    )


@bp.get("/p/<poll_id>")
@public
def poll_page(poll_id: str):
    return _render(poll_id, None)


@bp.get("/p/<poll_id>/manage/<token>")
@public
def poll_manage_page(poll_id: str, token: str):
    return _render(poll_id, token)
