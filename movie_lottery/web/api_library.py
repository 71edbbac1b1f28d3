"""/api/library: the kept movies, their magnets, and asking for (or removing) their downloads."""

from __future__ import annotations

from flask import Response, current_app, jsonify

from .. import downloads, library, library_filters, viewings
from ..config import qbit_configured
from ..models import Download, LibraryMovie
from ..schemas import library_filter, parse_day
from ..torrent_status import service_for
from . import api_responses as out
from .api import bp, no_content
from .api_schemas import (
    LibraryMovieSchema,
    LibraryNotesSchema,
    LibraryQuery,
    MagnetSchema,
    MarksSchema,
    RandomQuery,
    RemoveTorrentQuery,
    ViewingSchema,
)
from .library_words import with_text

NOT_FOUND = {404: ["movie_not_found"]}


def _movie_json(movie) -> dict:
    return library.library_movie_to_dict(movie, current_app.config.get("TORRENT_SEARCH_URL"))


@bp.get("/library")
@bp.arguments(LibraryQuery(), location="query")
@bp.response(200, out.LibraryPage)
def list_library(query: dict) -> Response:
    """List the library, filtered and sorted, 24 per page

    By default everything except «не предлагать»; `counts` has the movies per status under the rest of
    the filter, for tabs.
    """
    found = library.list_movies(sort=query["sort"], page=query["page"], filters=library_filter(query))
    movies = [_movie_json(movie) for movie in found.movies]
    return jsonify(
        movies=movies, total=found.matched, page=found.page, pages=found.pages, counts=found.counts
    )


@bp.get("/library/random")
@bp.arguments(RandomQuery(), location="query")
@bp.response(200, out.RandomPick)
def random_from_library(query: dict) -> Response:
    """Pick n movies at random from the filter

    The server chooses (Python's `secrets`), n distinct movies, by default from want only. An excluded movie
    never comes out (one whose exclusion has ended counts as want); watched ones only when `status` asks.
    """
    flt = library_filter(query, library_filters.RANDOM_DEFAULT_STATUSES)
    picked = library_filters.pick_random(flt, query["n"])
    return jsonify(movies=[_movie_json(movie) for movie in picked])


@bp.get("/library/genres")
@bp.response(200, out.Genres)
def library_genres() -> Response:
    """The genres the library holds, for the genre filter"""
    return jsonify(genres=library_filters.genre_choices())


@bp.post("/library/notes")
@bp.arguments(LibraryNotesSchema())
@bp.response(200, out.LibraryNotes)
def library_notes(body: dict) -> Response:
    """What the library knows of a lottery's candidates

    For each movie sent (by the one same-movie rule: the Kinopoisk id, or the title and year), its status,
    exclusion, last viewing and «любимое», or null when the library lacks it.
    """
    today = library_filters.utc_today()
    return jsonify(notes=[with_text(note, today) for note in viewings.library_notes(body["movies"], today)])


@bp.patch("/library/<int:movie_id>")
@bp.arguments(MarksSchema())
@bp.response(200, out.LibraryMovie)
@bp.refuses(NOT_FOUND)
def update_library_movie(body: dict, movie_id: int) -> Response:
    """Change a movie's status, exclusion or «любимое»

    Only the fields sent change. `excluded_until` goes with the status excluded (sent now, or already the
    movie's): the day it is back in want, after today; null excludes for good. Another status clears it.
    """
    return jsonify(_movie_json(viewings.update_marks(movie_id, body)))


@bp.post("/library/<int:movie_id>/viewings")
@bp.arguments(ViewingSchema())
@bp.response(201, out.LibraryMovie, description="Recorded; the status is now watched")
@bp.alt_response(200, schema=out.LibraryMovie, description="That day was already recorded", success=True)
@bp.refuses({**NOT_FOUND, 409: ["conflict"]})
def add_viewing(body: dict, movie_id: int) -> tuple[Response, int]:
    """Record a viewing (default: today)

    The movie becomes watched; a movie may be watched again on another day. One viewing per day.
    """
    added = viewings.add_viewing(movie_id, body["date"])
    return jsonify(_movie_json(added.movie)), 201 if added.created else 200


@bp.delete("/library/<int:movie_id>/viewings/<day>")
@bp.response(204, description="Forgotten (the status stays)")
@bp.refuses({400: ["invalid_date"], 404: ["movie_not_found", "viewing_not_found"]})
def delete_viewing(movie_id: int, day: str) -> Response:
    """Forget a viewing (the day as YYYY-MM-DD)"""
    viewings.delete_viewing(movie_id, parse_day(day))
    return no_content()


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
