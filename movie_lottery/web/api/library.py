"""/api/library: the kept movies, their magnets, and asking for (or removing) their downloads."""

from __future__ import annotations

from flask import Response, current_app

from movie_lottery.core.config import qbit_configured
from movie_lottery.core.models import LibraryMovie as LibraryMovieRow
from movie_lottery.core.validation import parse_day
from movie_lottery.downloads import queue as downloads
from movie_lottery.downloads.status import service_for
from movie_lottery.downloads.wishes import in_client, queue_torrent_removal
from movie_lottery.library import filters as library_filters
from movie_lottery.library import movies as library
from movie_lottery.library import viewings
from movie_lottery.library.filter_input import library_filter
from movie_lottery.web.api.docs.openapi import ApiBlueprint
from movie_lottery.web.api.schemas import library as out
from movie_lottery.web.api.schemas.library import (
    LibraryMovieSchema,
    LibraryNotesSchema,
    LibraryQuery,
    MagnetSchema,
    MarksSchema,
    RandomQuery,
    RemoveTorrentQuery,
    ViewingSchema,
)
from movie_lottery.web.api.shared import no_content
from movie_lottery.web.guards.rate_limits import limited_create

bp = ApiBlueprint("api_library", __name__, url_prefix="/api")

NOT_FOUND = {404: ["movie_not_found"]}


@bp.get("/library")
@bp.arguments(LibraryQuery(), location="query")
@bp.response(200, out.LibraryPage)
def list_library(query: dict) -> library.LibraryPage:
    """Список библиотеки с фильтром и сортировкой, по 24 на странице

    По умолчанию всё, кроме «не предлагать»; в `counts` — фильмы по статусам при остальном фильтре, для
    вкладок.
    """
    return library.list_movies(sort=query["sort"], page=query["page"], filters=library_filter(query))


@bp.get("/library/random")
@bp.arguments(RandomQuery(), location="query")
@bp.response(200, out.RandomPick)
def random_from_library(query: dict) -> dict:
    """Выбрать n случайных фильмов из фильтра

    Выбирает сервер (`secrets` в Python): n разных фильмов, по умолчанию только из `want`. Исключённый фильм
    не выпадает никогда (тот, чьё исключение кончилось, — это `want`); просмотренные — только если их просит
    `status`.
    """
    flt = library_filter(query, library_filters.RANDOM_DEFAULT_STATUSES)
    return {"movies": library_filters.pick_random(flt, query["n"])}


@bp.get("/library/genres")
@bp.response(200, out.Genres)
def library_genres() -> dict:
    """Жанры, которые есть в библиотеке, для фильтра по жанру"""
    return {"genres": library_filters.genre_choices()}


@bp.post("/library/notes")
@bp.arguments(LibraryNotesSchema())
@bp.response(200, out.LibraryNotes)
def library_notes(body: dict) -> dict:
    """Что библиотека знает о кандидатах лотереи

    Для каждого присланного фильма (по единому правилу «тот же фильм»: тот же id Кинопоиска или те же название
    и год) — его статус, исключение, последний просмотр и «любимое», или `null`, если его нет в библиотеке.
    """
    return {"notes": viewings.library_notes(body["movies"])}


@bp.patch("/library/<int:movie_id>")
@bp.arguments(MarksSchema())
@bp.response(200, out.LibraryMovie)
@bp.refuses(NOT_FOUND)
def update_library_movie(body: dict, movie_id: int) -> LibraryMovieRow:
    """Изменить статус фильма, исключение или «любимое»

    Меняется только присланное. `excluded_until` идёт вместе со статусом `excluded` (присланным сейчас или уже
    стоящим у фильма): день, когда фильм снова `want`, позже сегодняшнего; `null` исключает навсегда. Другой
    статус его снимает.
    """
    return viewings.update_marks(movie_id, body)


@bp.post("/library/<int:movie_id>/viewings")
@bp.arguments(ViewingSchema())
@bp.response(201, out.LibraryMovie, description="Записано; статус теперь watched")
@bp.alt_response(200, schema=out.LibraryMovie, description="Этот день уже был записан", success=True)
@bp.refuses({**NOT_FOUND, 409: ["conflict"]})
def add_viewing(body: dict, movie_id: int) -> tuple[LibraryMovieRow, int]:
    """Записать просмотр (по умолчанию — сегодня)

    Фильм становится `watched`; смотреть его снова в другой день можно. Один просмотр в день.
    """
    added = viewings.add_viewing(movie_id, body["date"])
    return added.movie, 201 if added.created else 200


@bp.delete("/library/<int:movie_id>/viewings/<day>")
@bp.response(204, description="Забыт (статус остаётся)")
@bp.refuses({400: ["invalid_date"], 404: ["movie_not_found", "viewing_not_found"]})
def delete_viewing(movie_id: int, day: str) -> Response:
    """Забыть просмотр (день — ГГГГ-ММ-ДД)

    Один за вызов: записанный вручную в этот день, а если такого нет — вечер (лотерея или голосование) этого
    дня, отмеченный последним. У каждого вечера свой просмотр, так что в один день их может быть несколько.
    """
    viewings.delete_viewing(movie_id, parse_day(day))
    return no_content()


@bp.post("/library")
@bp.arguments(LibraryMovieSchema())
@bp.response(201, out.LibraryMovie, description="Добавлен")
@bp.alt_response(200, schema=out.LibraryMovie, description="Уже был: обновлён", success=True)
@bp.refuses({409: ["magnet_in_use", "conflict"], 429: ["too_many_requests"]})
@limited_create
def add_to_library(body: dict) -> tuple[LibraryMovieRow, int]:
    """Добавить фильм (или обновить тот, что уже есть)

    Тот же id Кинопоиска или те же название и год — это тот же фильм: его данные обновляются, дата добавления
    остаётся, и пустое поле никогда не стирает известное. Можно сразу прислать магнет-ссылку.
    """
    added = library.add_movie(body)
    return added.movie, 201 if added.created else 200


@bp.get("/library/<int:movie_id>")
@bp.response(200, out.LibraryMovie)
@bp.refuses(NOT_FOUND)
def get_library_movie(movie_id: int) -> LibraryMovieRow:
    """Фильм библиотеки"""
    return library.get_movie(movie_id)


@bp.delete("/library/<int:movie_id>")
@bp.response(204, description="Удалён вместе со скачиванием (торрент остаётся в qBittorrent)")
@bp.refuses(NOT_FOUND)
def delete_library_movie(movie_id: int) -> Response:
    """Удалить фильм из библиотеки"""
    library.delete_movie(movie_id)
    return no_content()


@bp.put("/library/<int:movie_id>/magnet")
@bp.arguments(MagnetSchema())
@bp.response(200, out.LibraryMovie)
@bp.refuses({**NOT_FOUND, 409: ["magnet_in_use"]})
def set_magnet(body: dict, movie_id: int) -> LibraryMovieRow:
    """Задать фильму магнет-ссылку

    Info-hash хранится как 40 шестнадцатеричных символов в нижнем регистре; один хеш — у одного фильма.
    """
    return library.set_magnet(movie_id, body["magnet"])


@bp.delete("/library/<int:movie_id>/magnet")
@bp.response(200, out.LibraryMovie)
@bp.refuses(NOT_FOUND)
def clear_magnet(movie_id: int) -> LibraryMovieRow:
    """Убрать у фильма магнет-ссылку"""
    return library.clear_magnet(movie_id)


@bp.post("/library/<int:movie_id>/download")
@bp.response(202, out.DownloadAccepted, description="В очереди: уйдёт в qBittorrent в фоне")
@bp.refuses({**NOT_FOUND, 409: ["no_magnet", "torrent_client_not_configured"]})
def request_download(movie_id: int) -> tuple[dict, int]:
    """Попросить qBittorrent скачать фильм

    Желание сначала записывается, а отправляет его фоновый обновлятель, поэтому оно переживёт недоступность
    qBittorrent.
    """
    configured = qbit_configured(current_app.config)
    movie = library.get_movie(movie_id)
    download = downloads.request_download(movie.id, configured=configured, in_client=in_client(movie))
    service_for(current_app).wake()  # stored first; the refresher sends it in a moment
    return {"download": download}, 202


@bp.delete("/library/<int:movie_id>/torrent")
@bp.arguments(RemoveTorrentQuery(), location="query")
@bp.response(
    202,
    out.RemovalAccepted,
    description="Записано: удалится из qBittorrent в фоне, и после перезапуска или сбоя тоже",
)
@bp.refuses({**NOT_FOUND, 409: ["no_magnet", "torrent_client_not_configured"]})
def remove_torrent(query: dict, movie_id: int) -> tuple[dict, int]:
    """Удалить торрент фильма из qBittorrent (вместо его скачивания)

    Желание сначала записывается, как `removal` фильма (`pending` → `sent` → `done`), и заменяет его
    скачивание; отправляет его фоновый обновлятель, когда qBittorrent ответит. Новый заказ скачивания его
    отменяет.
    """
    delete_files = query["delete_files"] == "1"
    removal = queue_torrent_removal(movie_id, delete_files)
    return {
        "removal": {"info_hash": removal.info_hash, "delete_files": delete_files, "status": "queued"}
    }, 202
