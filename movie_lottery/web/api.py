"""The JSON API under /api: the pages' scripts use it, and so can bots and scripts."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, request, url_for

from ..errors import InvalidInput

bp = Blueprint("api", __name__, url_prefix="/api")


def json_body(required: bool = True) -> dict[str, Any]:
    """The request's JSON object; the content type itself is enforced in web.security."""
    if not request.content_length and not request.data:
        if required:
            raise InvalidInput("Нужно тело запроса в формате JSON", code="body_required")
        return {}
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise InvalidInput("Тело запроса должно быть JSON-объектом", code="invalid_json")
    return data


def page_number() -> int:
    raw = request.args.get("page", "1")
    if not raw.isdigit() or not 1 <= int(raw) <= 1_000_000:
        raise InvalidInput("page должен быть целым числом от 1", code="invalid_page")
    return int(raw)


def lottery_links(lottery_id: str, play_token: str | None = None) -> dict:
    links = {"wait_url": url_for("pages.lottery_page", lottery_id=lottery_id, _external=True)}
    if play_token:
        links["play_url"] = url_for(
            "pages.play_page", lottery_id=lottery_id, token=play_token, _external=True
        )
        links["play_token"] = play_token
    return links


from . import api_library, api_lotteries, api_search, api_torrents  # noqa: E402,F401  (routes register on bp)
