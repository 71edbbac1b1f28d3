"""A visitor's download wishes as a request makes them: whether qBittorrent already has the torrent (from this
process's snapshot, never by asking it) and a removal stored before the refresher is woken to send it."""

from __future__ import annotations

from flask import current_app

from movie_lottery.core.config import qbit_configured
from movie_lottery.core.kept_movies import get_movie
from movie_lottery.core.models import Download, LibraryMovie
from movie_lottery.downloads import queue as downloads
from movie_lottery.downloads.status import service_for


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


def queue_torrent_removal(movie_id: int, delete_files: bool, wake: bool = True) -> Download:
    """Store the removal in place of the download and wake the refresher (it only touches our category).

    The library page wakes it itself (``wake=False``), once its answer shows the removal as stored."""
    configured = qbit_configured(current_app.config)
    movie = get_movie(movie_id)
    removal = downloads.request_removal(
        movie.id, delete_files=delete_files, configured=configured, in_client=in_client(movie)
    )
    if removal.status == "pending" and wake:
        service_for(current_app).wake()  # stored first; the refresher sends it in a moment
    return removal
