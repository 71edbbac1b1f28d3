"""/api/library: the kept movies, their magnets, and asking for (or removing) their downloads."""

from __future__ import annotations

from flask import current_app, jsonify, request

from .. import downloads, library
from ..config import qbit_configured
from ..errors import Conflict, InvalidInput
from ..models import LibraryMovie
from ..torrent_status import service_for
from .api import bp, json_body, page_number


def _movie_json(movie) -> dict:
    return library.library_movie_to_dict(movie, current_app.config.get("TORRENT_SEARCH_URL"))


@bp.get("/library")
def list_library():
    found = library.list_movies(request.args.get("q"), request.args.get("sort"), page_number())
    movies = [_movie_json(movie) for movie in found.movies]
    return jsonify(movies=movies, total=found.matched, page=found.page, pages=found.pages)


@bp.post("/library")
def add_to_library():
    added = library.add_movie(json_body())
    return jsonify(_movie_json(added.movie)), 201 if added.created else 200


@bp.get("/library/<int:movie_id>")
def get_library_movie(movie_id: int):
    return jsonify(_movie_json(library.get_movie(movie_id)))


@bp.delete("/library/<int:movie_id>")
def delete_library_movie(movie_id: int):
    library.delete_movie(movie_id)
    return "", 204


@bp.put("/library/<int:movie_id>/magnet")
def set_magnet(movie_id: int):
    magnet = json_body().get("magnet")
    if not isinstance(magnet, str):
        raise InvalidInput("Нужно поле magnet со ссылкой magnet:?xt=urn:btih:…", code="invalid_magnet")
    return jsonify(_movie_json(library.set_magnet(movie_id, magnet)))


@bp.delete("/library/<int:movie_id>/magnet")
def clear_magnet(movie_id: int):
    return jsonify(_movie_json(library.clear_magnet(movie_id)))


def in_client(movie: LibraryMovie) -> bool | None:
    """Does qBittorrent have this movie's torrent, as far as the latest snapshot can tell (None: unknown)?"""
    snapshot = service_for(current_app).peek()
    if not snapshot.available or snapshot.checked_at is None or not movie.info_hash:
        return None
    if movie.info_hash in snapshot.by_hash():
        return True
    sent_at = movie.download.sent_at if movie.download else None
    if sent_at is not None and sent_at >= snapshot.checked_at:
        return None  # sent after that list was taken: the next one will tell
    return False


@bp.post("/library/<int:movie_id>/download")
def request_download(movie_id: int):
    configured = qbit_configured(current_app.config)
    movie = library.get_movie(movie_id)
    download = downloads.request_download(movie.id, configured=configured, in_client=in_client(movie))
    service_for(current_app).wake()  # stored first; the refresher sends it in a moment
    return jsonify(download=library.download_to_dict(download)), 202


@bp.delete("/library/<int:movie_id>/torrent")
def remove_torrent(movie_id: int):
    delete_files = request.args.get("delete_files", "0")
    if delete_files not in ("0", "1"):
        raise InvalidInput("delete_files должен быть 0 или 1", code="invalid_delete_files")
    info_hash = queue_torrent_removal(movie_id, delete_files == "1")
    return jsonify(
        removal={"info_hash": info_hash, "delete_files": delete_files == "1", "status": "queued"}
    ), 202


def queue_torrent_removal(movie_id: int, delete_files: bool) -> str:
    """Forget the download and ask the refresher to remove the torrent (only ever one in our category)."""
    if not qbit_configured(current_app.config):
        raise downloads.NotConfigured("qBittorrent не настроен: удалять нечего")
    movie = library.get_movie(movie_id)
    info_hash = movie.info_hash or (movie.download.info_hash if movie.download else None)
    if not info_hash:
        raise Conflict("У фильма нет магнет-ссылки — в qBittorrent его нет", code="no_magnet")
    downloads.forget(movie.id)
    service_for(current_app).queue_removal(info_hash, delete_files)
    return info_hash
