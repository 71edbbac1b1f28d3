"""/api/lotteries: create, read, draw, list, delete."""

from __future__ import annotations

from flask import Response

from movie_lottery.core.models import LibraryMovie as LibraryMovieRow
from movie_lottery.core.models import Lottery as LotteryRow
from movie_lottery.downloads.status import queue_auto_download
from movie_lottery.library import viewings
from movie_lottery.lottery import service as lotteries
from movie_lottery.web.api.docs.openapi import ApiBlueprint
from movie_lottery.web.api.event_stream import EVENTS_DOC, STREAM_REFUSALS, event_stream
from movie_lottery.web.api.schemas.base import Linked, dump_text
from movie_lottery.web.api.schemas.library import LibraryMovie, ViewingSchema
from movie_lottery.web.api.schemas.lotteries import (
    LOTTERY_WITH_LINKS,
    CreatedLottery,
    DrawSchema,
    Lottery,
    LotteryCreateSchema,
    LotteryPage,
    LotteryWithLinks,
    PageQuery,
)
from movie_lottery.web.api.shared import conditional_json, conditional_read, lottery_links, no_content
from movie_lottery.web.guards.auth import is_admin, public, signed_in_admin
from movie_lottery.web.guards.rate_limits import limited_create
from movie_lottery.web.rendering.page_cache import cached

bp = ApiBlueprint("api_lotteries", __name__, url_prefix="/api")

# not_found: an id no lottery can have (web.converters), refused before any query.
NOT_FOUND = {404: ["lottery_not_found", "not_found"]}


@bp.post("/lotteries")
@bp.arguments(LotteryCreateSchema())
@bp.response(201, CreatedLottery)
@bp.refuses({400: ["duplicate_movie"], 429: ["too_many_requests"]})
@limited_create
def create_lottery(body: dict) -> Linked:
    """Создать лотерею

    В ответе — ссылка для розыгрыша и её токен: пошлите ссылку другу, который будет крутить барабан. Два
    кандидата не могут быть одним фильмом (400 `duplicate_movie`) по правилу библиотеки: тот же id Кинопоиска
    или, если у кого-то его нет, то же название (регистр, пробелы и ё/е не важны) и тот же год.
    """
    created = lotteries.create_lottery(
        body["movies"], auto_download=body["auto_download"], send_to_chat=body["send_to_chat"]
    )
    return Linked(created.lottery, lottery_links(created.lottery.id, created.play_token))


@bp.get("/lotteries/<lottery_id>")
@public
@conditional_read(bp, LotteryWithLinks)
@bp.refuses(NOT_FOUND)
def get_lottery(lottery_id: str) -> Response:
    """Лотерея

    Её опрашивают страницы ожидания. `seed` появляется только после розыгрыша, ссылка для розыгрыша — только
    администратору.
    """
    # Every waiting page polls this every few seconds: the answer is kept until the data moves, and an
    # unchanged lottery costs a bodiless 304.
    return conditional_json(_lottery_text(lottery_id, admin=is_admin()))  # is_admin: as on the waiting page


@bp.get("/lotteries/<lottery_id>/events")
@public
@bp.doc(responses={"200": EVENTS_DOC})
@bp.refuses({**STREAM_REFUSALS, **NOT_FOUND})
def lottery_events(lottery_id: str) -> Response:
    """Лотерея, поток событий

    То же, что чтение лотереи, но сервер сам присылает её заново, когда она меняется (розыгрыш).
    """
    admin = is_admin()
    return event_stream(lambda: _lottery_text(lottery_id, admin=admin))


@cached()
def _lottery_text(lottery_id: str, *, admin: bool) -> str:
    lottery = lotteries.get_lottery(lottery_id)  # 404 raises: nothing is kept
    links = lottery_links(lottery.id, lottery.play_token if admin else None)
    return dump_text(LOTTERY_WITH_LINKS, Linked(lottery, links))


@bp.post("/lotteries/<lottery_id>/draw")
@public
@bp.arguments(DrawSchema())
@bp.response(200, Lottery)
@bp.refuses({403: ["bad_token"], **NOT_FOUND})
def draw_lottery(body: dict, lottery_id: str) -> LotteryRow:
    """Разыграть победителя

    Нужен токен розыгрыша (или администратор). Повторный розыгрыш отвечает тем же победителем и тем же `seed`.
    """
    result = lotteries.draw(lottery_id, body["token"], by_admin=signed_in_admin())
    if result.newly_drawn and result.lottery.auto_download:
        queue_auto_download(result.lottery)  # stores the wish only; never raises
    return result.lottery


@bp.post("/lotteries/<lottery_id>/watched")
@bp.arguments(ViewingSchema())
@bp.response(200, LibraryMovie, description="Победитель в библиотеке, с просмотром")
@bp.refuses({**NOT_FOUND, 409: ["not_drawn", "conflict"]})
def lottery_watched(body: dict, lottery_id: str) -> LibraryMovieRow:
    """Отметить победителя просмотренным («Посмотрели»)

    Победитель попадает в библиотеку, если его там нет (тот же id Кинопоиска или те же название и год — это
    тот же фильм), получает просмотр в день `date` (по умолчанию сегодня), связанный с этой лотереей, и статус
    `watched`. Повтор с другой датой переносит этот просмотр. До розыгрыша — 409 `not_drawn`.
    """
    movie = viewings.mark_lottery_watched(lottery_id, body["date"])
    return movie


@bp.get("/lotteries")
@bp.arguments(PageQuery(), location="query")
@bp.response(200, LotteryPage)
def list_lotteries(query: dict) -> dict:
    """Список лотерей, новые первыми, по 20 на странице"""
    page = lotteries.list_lotteries(query["page"])
    listed = [Linked(item, lottery_links(item.id)) for item in page.lotteries]
    return {"lotteries": listed, "page": page.page, "pages": page.pages, "total": page.total}


@bp.delete("/lotteries/<lottery_id>")
@bp.response(204, description="Удалена вместе с кандидатами")
@bp.refuses(NOT_FOUND)
def delete_lottery(lottery_id: str) -> Response:
    """Удалить лотерею"""
    lotteries.delete_lottery(lottery_id)
    return no_content()
