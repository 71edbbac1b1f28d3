"""/api/lotteries: create, read, draw, list, delete."""

from __future__ import annotations

from flask import jsonify, request

from .. import lottery as lotteries
from ..torrent_status import queue_auto_download
from .api import bp, json_body, lottery_links, page_number
from .auth import public, signed_in_admin


@bp.post("/lotteries")
def create_lottery():
    body = json_body()
    created = lotteries.create_lottery(body.get("movies"), auto_download=body.get("auto_download") is True)
    data = lotteries.lottery_to_dict(created.lottery)
    data.update(lottery_links(created.lottery.id, created.play_token))
    return jsonify(data), 201


@bp.get("/lotteries/<lottery_id>")
@public
def get_lottery(lottery_id: str):
    lottery = lotteries.get_lottery(lottery_id)
    data = lotteries.lottery_to_dict(lottery)
    data.update(lottery_links(lottery.id, lottery.play_token if signed_in_admin() else None))
    # Waiting pages poll this every few seconds: an unchanged lottery costs a bodiless 304.
    response = jsonify(data)
    response.add_etag()
    response.headers["Cache-Control"] = "no-cache"
    return response.make_conditional(request)


@bp.post("/lotteries/<lottery_id>/draw")
@public
def draw_lottery(lottery_id: str):
    token = json_body(required=False).get("token")
    result = lotteries.draw(lottery_id, token if isinstance(token, str) else None, by_admin=signed_in_admin())
    if result.newly_drawn and result.lottery.auto_download:
        queue_auto_download(result.lottery)  # stores the wish only; never raises
    return jsonify(lotteries.lottery_to_dict(result.lottery))


@bp.get("/lotteries")
def list_lotteries():
    page = lotteries.list_lotteries(page_number())
    return jsonify(
        lotteries=[{**lotteries.lottery_to_dict(item), **lottery_links(item.id)} for item in page.lotteries],
        page=page.page,
        pages=page.pages,
        total=page.total,
    )


@bp.delete("/lotteries/<lottery_id>")
def delete_lottery(lottery_id: str):
    lotteries.delete_lottery(lottery_id)
    return "", 204
