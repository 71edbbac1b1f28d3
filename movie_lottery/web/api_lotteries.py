"""/api/lotteries: create, read, draw, list, delete."""

from __future__ import annotations

from flask import Response, current_app, jsonify

from .. import library, viewings
from .. import lottery as lotteries
from ..torrent_status import queue_auto_download
from . import api_responses as out
from .api import bp, conditional_json, conditional_read, lottery_links, no_content
from .api_schemas import DrawSchema, LotteryCreateSchema, PageQuery, ViewingSchema
from .auth import is_admin, public, signed_in_admin
from .page_cache import cached_text

# not_found: an id no lottery can have (web.converters), refused before any query.
NOT_FOUND = {404: ["lottery_not_found", "not_found"]}


@bp.post("/lotteries")
@bp.arguments(LotteryCreateSchema())
@bp.response(201, out.CreatedLottery)
@bp.refuses({400: ["duplicate_movie"]})
def create_lottery(body: dict) -> tuple[Response, int]:
    """Create a lottery

    The answer carries the play link and its token: send the link to the friend who will spin. No two
    candidates may be one movie (400 `duplicate_movie`), by the library's rule: the same Kinopoisk id, or,
    when either has none, the same title (case, spacing and ё/е aside) and the same year.
    """
    created = lotteries.create_lottery(body["movies"], auto_download=body["auto_download"])
    data = lotteries.lottery_to_dict(created.lottery)
    data.update(lottery_links(created.lottery.id, created.play_token))
    return jsonify(data), 201


@bp.get("/lotteries/<lottery_id>")
@public
@conditional_read(out.LotteryWithLinks)
@bp.refuses(NOT_FOUND)
def get_lottery(lottery_id: str) -> Response:
    """Read a lottery

    Waiting pages poll it. The seed appears only once drawn; the play link only for the admin.
    """
    admin = is_admin()  # as on the waiting page: the admin, and in open mode everyone

    def render() -> str:
        lottery = lotteries.get_lottery(lottery_id)  # 404 raises: nothing is kept
        data = lotteries.lottery_to_dict(lottery)
        data.update(lottery_links(lottery.id, lottery.play_token if admin else None))
        return current_app.json.dumps(data) + "\n"

    # Every waiting page polls this every few seconds: the answer is kept per process until the data
    # moves, and an unchanged lottery costs a bodiless 304.
    return conditional_json(cached_text(("api-lottery", lottery_id, admin), render))


@bp.post("/lotteries/<lottery_id>/draw")
@public
@bp.arguments(DrawSchema())
@bp.response(200, out.Lottery)
@bp.refuses({403: ["bad_token"], **NOT_FOUND})
def draw_lottery(body: dict, lottery_id: str) -> Response:
    """Draw the winner

    Needs the play token (or the admin). Drawing again answers with the same winner and seed.
    """
    result = lotteries.draw(lottery_id, body["token"], by_admin=signed_in_admin())
    if result.newly_drawn and result.lottery.auto_download:
        queue_auto_download(result.lottery)  # stores the wish only; never raises
    return jsonify(lotteries.lottery_to_dict(result.lottery))


@bp.post("/lotteries/<lottery_id>/watched")
@bp.arguments(ViewingSchema())
@bp.response(200, out.LibraryMovie, description="The winner in the library, with the viewing")
@bp.refuses({**NOT_FOUND, 409: ["not_drawn", "conflict"]})
def lottery_watched(body: dict, lottery_id: str) -> Response:
    """Mark the winner as watched («Посмотрели»)

    The winner goes into the library if it is not there (the same Kinopoisk id, or the same title and
    year, is the same movie), gets a viewing on `date` (default today) linked to this lottery, and its
    status becomes watched. Again with another date moves that viewing. 409 `not_drawn` before the draw.
    """
    movie = viewings.mark_lottery_watched(lottery_id, body["date"])
    return jsonify(library.library_movie_to_dict(movie, current_app.config.get("TORRENT_SEARCH_URL")))


@bp.get("/lotteries")
@bp.arguments(PageQuery(), location="query")
@bp.response(200, out.LotteryPage)
def list_lotteries(query: dict) -> Response:
    """List lotteries, newest first, 20 per page"""
    page = lotteries.list_lotteries(query["page"])
    return jsonify(
        lotteries=[{**lotteries.lottery_to_dict(item), **lottery_links(item.id)} for item in page.lotteries],
        page=page.page,
        pages=page.pages,
        total=page.total,
    )


@bp.delete("/lotteries/<lottery_id>")
@bp.response(204, description="Deleted, with its candidates")
@bp.refuses(NOT_FOUND)
def delete_lottery(lottery_id: str) -> Response:
    """Delete a lottery"""
    lotteries.delete_lottery(lottery_id)
    return no_content()
