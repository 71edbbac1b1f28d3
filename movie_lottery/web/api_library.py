"""/api/library: the kept movies, their magnets, and asking for (or removing) their downloads."""

from __future__ import annotations

from flask import Response, current_app, jsonify

from .. import downloads, library
from ..config import qbit_configured
from ..models import Download, LibraryMovie
from ..torrent_status import service_for
from . import api_responses as out
from .api import bp, no_content
from .api_schemas import LibraryMovieSchema, LibraryQuery, MagnetSchema, RemoveTorrentQuery

NOT_FOUND = {404: ["movie_not_found"]}


def _movie_json(movie) -> dict:
    return library.library_movie_to_dict(movie, current_app.config.get("TORRENT_SEARCH_URL"))


@bp.get("/library")
@bp.arguments(LibraryQuery(), location="query")
@bp.response(200, out.LibraryPage)
def list_library(query: dict) -> Response:
    """List the library, filtered and sorted, 24 per page"""
    found = library.list_movies(query["q"], query["sort"], query["page"])
    movies = [_movie_json(movie) for movie in found.movies]
    return jsonify(movies=movies, total=found.matched, page=found.page, pages=found.pages)


@bp.post("/library")
@bp.arguments(LibraryMovieSchema())
@bp.response(201, out.LibraryMovie, description="Added")
@bp.alt_response(200, schema=out.LibraryMovie, description="Already there: updated", success=True)
@bp.refuses({409: ["magnet_in_use", "conflict"]})
def add_to_library(body: dict) -> tuple[Response, int]:
    """Add a movie (or update the one already there)

    The same Kinopoisk id, or the same title and year, is the same movie: its details are updated, its date
    kept, and a blank field never wipes a known one. A magnet link may come along.
    """
    added = library.add_movie(body)
    return jsonify(_movie_json(added.movie)), 201 if added.created else 200


@bp.get("/library/<int:movie_id>")
@bp.response(200, out.LibraryMovie)
@bp.refuses(NOT_FOUND)
def get_library_movie(movie_id: int) -> Response:
    """Read a library movie"""
    return jsonify(_movie_json(library.get_movie(movie_id)))


@bp.delete("/library/<int:movie_id>")
@bp.response(204, description="Deleted, with its download (the torrent stays in qBittorrent)")
@bp.refuses(NOT_FOUND)
def delete_library_movie(movie_id: int) -> Response:
    """Delete a library movie"""
    library.delete_movie(movie_id)
    return no_content()


@bp.put("/library/<int:movie_id>/magnet")
@bp.arguments(MagnetSchema())
@bp.response(200, out.LibraryMovie)
@bp.refuses({**NOT_FOUND, 409: ["magnet_in_use"]})
def set_magnet(body: dict, movie_id: int) -> Response:
    """Set a movie's magnet link

    The info-hash is stored as 40 lowercase hex characters; one hash belongs to one movie.
    """
    return jsonify(_movie_json(library.set_magnet(movie_id, body["magnet"])))


@bp.delete("/library/<int:movie_id>/magnet")
@bp.response(200, out.LibraryMovie)
@bp.refuses(NOT_FOUND)
def clear_magnet(movie_id: int) -> Response:
    """Remove a movie's magnet link"""
    return jsonify(_movie_json(library.clear_magnet(movie_id)))


def in_client(movie: LibraryMovie) -> bool | None:
    """Does qBittorrent have this movie's torrent, as far as the latest snapshot can tell (None: unknown)?"""
    snapshot = service_for(current_app).peek()
    if not snapshot.available or snapshot.checked_at is None or not movie.info_hash:
        return None
    if movie.info_hash in snapshot.by_hash():
        return True
    sent_at = movie.download.sent_at if movie.download and movie.download.is_download else None
    if sent_at is not None and sent_at >= snapshot.checked_at:
        return None  # sent after that list was taken: the next one will tell
    return False


@bp.post("/library/<int:movie_id>/download")
@bp.response(202, out.DownloadAccepted, description="Queued: sent to qBittorrent in the background")
@bp.refuses({**NOT_FOUND, 409: ["no_magnet", "torrent_client_not_configured"]})
def request_download(movie_id: int) -> tuple[Response, int]:
    """Ask qBittorrent to download a movie

    The wish is stored first and sent by the background refresher, so it survives qBittorrent being down.
    """
    configured = qbit_configured(current_app.config)
    movie = library.get_movie(movie_id)
    download = downloads.request_download(movie.id, configured=configured, in_client=in_client(movie))
    service_for(current_app).wake()  # stored first; the refresher sends it in a moment
    return jsonify(download=library.download_to_dict(download)), 202


@bp.delete("/library/<int:movie_id>/torrent")
@bp.arguments(RemoveTorrentQuery(), location="query")
@bp.response(
    202,
    out.RemovalAccepted,
    description="Stored: removed from qBittorrent in the background, also after a restart or an outage",
)
@bp.refuses({**NOT_FOUND, 409: ["no_magnet", "torrent_client_not_configured"]})
def remove_torrent(query: dict, movie_id: int) -> tuple[Response, int]:
    """Remove a movie's torrent from qBittorrent (instead of its download)

    The wish is stored first, as the movie's `removal` (pending -> sent -> done), and replaces its download;
    the background refresher sends it, once qBittorrent answers. Asking for the download again calls it off.
    """
    delete_files = query["delete_files"] == "1"
    removal = queue_torrent_removal(movie_id, delete_files)
    body = {"info_hash": removal.info_hash, "delete_files": delete_files, "status": "queued"}
    return jsonify(removal=body), 202


def queue_torrent_removal(movie_id: int, delete_files: bool, wake: bool = True) -> Download:
    """Store the removal in place of the download and wake the refresher (it only touches our category).

    The library page wakes it itself (``wake=False``), once its answer shows the removal as stored."""
    configured = qbit_configured(current_app.config)
    movie = library.get_movie(movie_id)
    removal = downloads.request_removal(
        movie.id, delete_files=delete_files, configured=configured, in_client=in_client(movie)
    )
    if removal.status == "pending" and wake:
        service_for(current_app).wake()  # stored first; the refresher sends it in a moment
    return removal
