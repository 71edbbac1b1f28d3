"""The download queue: pending -> sent -> done (or failed). The wish is stored before anything is tried.

Requests only write rows here; the background refresher (torrent_status) sends them to qBittorrent. Every
state change is a conditional UPDATE, so two worker processes sending the same row at once cannot undo each
other, and qBittorrent itself refuses a second copy of a hash it already has.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from .errors import Conflict
from .extensions import db
from .library import find_same_movie, get_movie
from .models import Download, LibraryMovie, Lottery, utcnow

log = logging.getLogger("movie_lottery.downloads")

# qBittorrent answered but would not take the magnet: a few tries, then "failed" (it will not change by
# itself). Failures to reach qBittorrent never count: those rows wait as long as it takes.
MAX_REFUSALS = 3
ERROR_MAX = 500


class NotConfigured(Conflict):
    code = "torrent_client_not_configured"


def _reset(download: Download, magnet: str, info_hash: str) -> None:
    download.magnet, download.info_hash = magnet, info_hash
    download.status = "pending"
    download.attempts = 0
    download.last_error = None
    download.requested_at = utcnow()
    download.sent_at = download.finished_at = None


def request_download(movie_id: int, *, configured: bool, in_client: bool | None = None) -> Download:
    """Store the wish to download a library movie; the refresher sends it.

    ``in_client`` is what the latest status snapshot says about this hash (None when unknown). A download
    already sent stays as it is, unless qBittorrent is known to no longer have it: then it is queued again.
    """
    movie = get_movie(movie_id)
    if not configured:
        raise NotConfigured("qBittorrent не настроен: скачивание недоступно")
    if not movie.magnet or not movie.info_hash:
        raise Conflict("Сначала добавьте магнет-ссылку", code="no_magnet")
    download = movie.download
    if download is None:
        download = Download(movie_id=movie.id, magnet=movie.magnet, info_hash=movie.info_hash)
        _reset(download, movie.magnet, movie.info_hash)
        db.session.add(download)
    elif (
        download.info_hash != movie.info_hash
        or download.status == "failed"
        or (download.status in ("sent", "done") and in_client is False)
    ):
        _reset(download, movie.magnet, movie.info_hash)
    try:
        db.session.commit()
    except IntegrityError:  # the same movie asked twice at once: the other request stored it
        db.session.rollback()
        existing = db.session.scalar(sa.select(Download).where(Download.movie_id == movie_id))
        if existing is None:
            raise
        return existing
    return download


def forget(movie_id: int) -> None:
    """Drop the movie's download record (its torrent is being removed from qBittorrent)."""
    db.session.execute(sa.delete(Download).where(Download.movie_id == movie_id))
    db.session.commit()


def pending_downloads(limit: int = 50) -> list[Download]:
    return list(
        db.session.scalars(
            sa.select(Download)
            .options(selectinload(Download.movie))
            .where(Download.status == "pending")
            .order_by(Download.requested_at, Download.id)
            .limit(limit)
        )
    )


def movie_ids_for(info_hashes: Iterable[str]) -> dict[str, int]:
    """Which library movie each hash belongs to (one query)."""
    hashes = sorted(set(info_hashes))
    if not hashes:
        return {}
    rows = db.session.execute(
        sa.select(LibraryMovie.info_hash, LibraryMovie.id).where(LibraryMovie.info_hash.in_(hashes))
    )
    return {info_hash: movie_id for info_hash, movie_id in rows}


def has_pending() -> bool:
    return db.session.scalar(sa.select(Download.id).where(Download.status == "pending").limit(1)) is not None


def mark_sent(download_id: int, info_hash: str) -> bool:
    """pending -> sent, only if it is still pending for the same hash (the link may have changed)."""
    result = db.session.execute(
        sa.update(Download)
        .where(Download.id == download_id, Download.status == "pending", Download.info_hash == info_hash)
        .values(status="sent", sent_at=utcnow(), last_error=None)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return result.rowcount == 1


def record_failure(download_id: int, reason: str, *, refused: bool = False, permanent: bool = False) -> None:
    """Note a failed send. Unreachable qBittorrent: stays pending. Refused: failed after MAX_REFUSALS."""
    download = db.session.get(Download, download_id)
    if download is None or download.status != "pending":
        return
    download.last_error = reason[:ERROR_MAX]
    if refused or permanent:
        download.attempts += 1
        if permanent or download.attempts >= MAX_REFUSALS:
            download.status = "failed"
            download.finished_at = utcnow()
    db.session.commit()


def mark_finished(info_hashes: Iterable[str]) -> int:
    """sent -> done for every hash qBittorrent reports complete."""
    hashes = sorted(set(info_hashes))
    if not hashes:
        return 0
    result = db.session.execute(
        sa.update(Download)
        .where(Download.status == "sent", Download.info_hash.in_(hashes))
        .values(status="done", finished_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return result.rowcount or 0


def queue_winner_download(lottery: Lottery) -> Download | None:
    """The lottery's "download the winner" option: queue it if the library holds the winner with a magnet."""
    winner = lottery.winner
    if winner is None:
        return None
    movie = find_same_movie(winner.kinopoisk_id, winner.name, winner.year)
    if movie is None or not movie.magnet:
        log.info("lottery %s: winner «%s» has no magnet in the library", lottery.id, winner.name)
        return None
    return request_download(movie.id, configured=True)
