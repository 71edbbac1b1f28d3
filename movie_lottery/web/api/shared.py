"""The JSON API under /api: the pages' scripts use it, and so can bots and scripts.

Routes live in web/api/<area>.py, one flask-smorest Blueprint each (``api_<area>``, so the endpoint
``api_polls.get_poll`` is ``get_poll`` in web/api/polls.py), all listed in web.register_web; what each area
accepts and answers is in web/api/schemas/<area>.py; this module holds what the routes share.
/api/openapi.json describes them all (see web/api/docs/openapi.py).
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Response, current_app, request, url_for

from movie_lottery.web.api.docs.openapi import ApiBlueprint

ETAG_DOC = {"ETag": {"description": "Верните его в `If-None-Match`: пока ничего не изменилось, ответ — 304",
                     "schema": {"type": "string"}}}  # fmt: skip
NOT_MODIFIED = "Не изменилось: ETag из `If-None-Match` всё ещё верен"
IF_NONE_MATCH = {"in": "header", "name": "If-None-Match", "required": False, "schema": {"type": "string"}}


def lottery_links(lottery_id: str, play_token: str | None = None) -> dict:
    links = {"wait_url": url_for("lottery_pages.lottery_page", lottery_id=lottery_id, _external=True)}
    if play_token:
        links["play_url"] = url_for(
            "lottery_pages.play_page", lottery_id=lottery_id, token=play_token, _external=True
        )
        links["play_token"] = play_token
    return links


def poll_links(poll_id: str, manage_token: str | None = None) -> dict:
    links = {"poll_url": url_for("polls_pages.poll_page", poll_id=poll_id, _external=True)}
    if manage_token:
        links["manage_url"] = url_for(
            "polls_pages.poll_manage_page", poll_id=poll_id, token=manage_token, _external=True
        )
        links["manage_token"] = manage_token
    return links


def conditional_read(bp: ApiBlueprint, schema) -> Callable:
    """Document a GET answered by ``conditional_json``: its ETag header, If-None-Match and the 304."""

    def decorate(view: Callable) -> Callable:
        view = bp.doc(parameters=[IF_NONE_MATCH])(view)
        view = bp.alt_response(304, description=NOT_MODIFIED, success=True)(view)
        return bp.response(200, schema, headers=ETAG_DOC)(view)

    return decorate


def conditional_json(body: str) -> Response:
    """A JSON text with its ETag, or a bodiless 304 when the client's If-None-Match still holds.

    Pages poll these reads every few seconds: ``no-cache`` makes the browser ask each time (a change shows
    at once), the ETag makes an unchanged answer cost no body.
    """
    response = current_app.response_class(body, mimetype=current_app.json.mimetype)
    response.add_etag()
    response.headers["Cache-Control"] = "no-cache"
    return response.make_conditional(request)


def no_content() -> Response:
    """A bodiless 204 (flask-smorest would serialise a returned "" as JSON)."""
    return current_app.response_class(status=204)
