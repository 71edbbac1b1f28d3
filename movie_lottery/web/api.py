"""The JSON API under /api: the pages' scripts use it, and so can bots and scripts.

Routes live in the api_* modules; /api/openapi.json describes them all (see web.openapi).
"""

from __future__ import annotations

from flask import Response, current_app, url_for

from .openapi import ApiBlueprint

bp = ApiBlueprint("api", __name__, url_prefix="/api", description="The JSON API")


def lottery_links(lottery_id: str, play_token: str | None = None) -> dict:
    links = {"wait_url": url_for("pages.lottery_page", lottery_id=lottery_id, _external=True)}
    if play_token:
        links["play_url"] = url_for(
            "pages.play_page", lottery_id=lottery_id, token=play_token, _external=True
        )
        links["play_token"] = play_token
    return links


def poll_links(poll_id: str, manage_token: str | None = None) -> dict:
    links = {"poll_url": url_for("pages.poll_page", poll_id=poll_id, _external=True)}
    if manage_token:
        links["manage_url"] = url_for(
            "pages.poll_manage_page", poll_id=poll_id, token=manage_token, _external=True
        )
        links["manage_token"] = manage_token
    return links


def no_content() -> Response:
    """A bodiless 204 (flask-smorest would serialise a returned "" as JSON)."""
    return current_app.response_class(status=204)


from . import api_library, api_lotteries, api_polls, api_ratings, api_search, api_torrents  # noqa: E402,F401  (routes on bp)
