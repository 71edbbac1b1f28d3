"""The queue of torrent wishes: downloads and removals. The wish is stored before anything is tried.

A download goes pending -> sent -> done (or failed); a removal goes pending -> sent -> done. Requests only
write rows here; the background refresher (torrent_status) carries them out. One row per movie holds the
movie's latest wish: asking for a removal turns its download into a removal, asking for a download again
turns it back, so the two never both stand. Every state change by the refresher is a conditional UPDATE on
the row as it was read, so a wish changed meanwhile is never overwritten by the old one's result, and two
worker processes doing the same row at once cannot undo each other. qBittorrent refuses a second copy of a
hash it already has, and a removal of a torrent it no longer has sends nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from movie_lottery.core.errors import Conflict
from movie_lottery.core.extensions import db
from movie_lottery.core.kept_movies import find_same_movie, get_movie
from movie_lottery.core.models import Download, LibraryMovie, Lottery, Poll, utcnow

log = logging.getLogger("movie_lottery.downloads.queue")

# qBittorrent answered but would not take the magnet: a few tries, then "failed" (it will not change by
# itself). Failures to reach qBittorrent never count: those rows wait as long as it takes.
MAX_REFUSALS = 3
ERROR_MAX = 500


class NotConfigured(Conflict):
    code = "torrent_client_not_configured"


def _reset(download: Download, magnet: str, info_hash: str) -> None:
    download.kind = "download"
    download.delete_files = False
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
    A removal not yet carried out is called off: the latest wish wins (if the torrent is still there, the
    refresher finds it and sends nothing; if it has gone, it is added again).
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
        not download.is_download
        or download.info_hash != movie.info_hash
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


def request_removal(
    movie_id: int, *, delete_files: bool, configured: bool, in_client: bool | None = None
) -> Download:
    """Store the wish to take the movie's torrent out of qBittorrent; the refresher sends it.

    The movie's row becomes the removal, so the card can say «удаляется…» until it is done, whatever happens
    to this worker meanwhile. A download still in the queue that qBittorrent is not known to have
    (``in_client`` as in request_download) is only called off: the removal is done at once, nothing is sent
    (and should the refresher be adding it at this very moment, it takes it out again: see torrent_status).
    """
    if not configured:
        raise NotConfigured("qBittorrent не настроен: удалять нечего")
    movie = get_movie(movie_id)
    download = movie.download
    info_hash = movie.info_hash or (download.info_hash if download else None)
    magnet = movie.magnet or (download.magnet if download else None)
    if not info_hash or not magnet:
        raise Conflict("У фильма нет магнет-ссылки — в qBittorrent его нет", code="no_magnet")
    called_off = (
        download is not None
        and download.is_download
        and download.status == "pending"
        and in_client is not True
    )
    values = _removal_values(info_hash, magnet, delete_files)
    if called_off:
        values.update(status="done", finished_at=values["requested_at"])
    for attempt in range(2):
        row = db.session.scalar(sa.select(Download).where(Download.movie_id == movie.id))
        if row is None:
            row = Download(movie_id=movie.id, **values)
            db.session.add(row)
        else:
            for name, value in values.items():
                setattr(row, name, value)
        try:
            db.session.commit()
        except IntegrityError:  # a download of the same movie was stored a moment ago: replace it
            db.session.rollback()
            if attempt:
                raise
            continue
        return row
    raise AssertionError("unreachable")  # pragma: no cover


def _removal_values(info_hash: str, magnet: str, delete_files: bool) -> dict:
    return {
        "kind": "removal",
        "delete_files": bool(delete_files),
        "info_hash": info_hash,
        "magnet": magnet,
        "status": "pending",
        "attempts": 0,
        "last_error": None,
        "requested_at": utcnow(),
        "sent_at": None,
        "finished_at": None,
    }


def unwanted_after_send(download_id: int, info_hash: str) -> bool:
    """A torrent was just added for this row but the row is no longer a download of that hash waiting to be
    marked (called off, deleted with its movie, or its link changed): nobody wants what was added. A
    removal still to be carried out is not counted here: it takes the torrent out itself, as it was asked."""
    row = db.session.get(Download, download_id)
    if row is None:
        return True
    if row.is_download:
        return row.info_hash != info_hash
    return row.status == "done"


def pending_downloads(limit: int = 50) -> list[Download]:
    return list(
        db.session.scalars(
            sa.select(Download)
            .options(selectinload(Download.movie))
            .where(Download.kind == "download", Download.status == "pending")
            .order_by(Download.requested_at, Download.id)
            .limit(limit)
        )
    )


def open_wishes(limit: int = 50) -> tuple[list[Download], list[Download]]:
    """In one query: the pending downloads, and the removals not yet done (pending ones to send, sent ones
    to confirm from qBittorrent's list), oldest first, at most ``limit`` of each."""
    waiting = sa.or_(
        sa.and_(Download.kind == "download", Download.status == "pending"),
        sa.and_(Download.kind == "removal", Download.status.in_(("pending", "sent"))),
    )
    query = sa.select(Download).where(waiting).order_by(Download.requested_at, Download.id).limit(2 * limit)
    rows = list(db.session.scalars(query))
    wanted = [row for row in rows if row.is_download][:limit]
    removals = [row for row in rows if not row.is_download][:limit]
    return wanted, removals


def removals_in_progress(limit: int = 50) -> list[Download]:
    """Removals not yet done: pending ones to send, sent ones to confirm from qBittorrent's list."""
    return list(
        db.session.scalars(
            sa.select(Download)
            .where(Download.kind == "removal", Download.status.in_(("pending", "sent")))
            .order_by(Download.requested_at, Download.id)
            .limit(limit)
        )
    )


def hashes_still_wanted(info_hashes: Iterable[str]) -> set[str]:
    """Of these hashes, those another movie's download wants kept: removing them would undo that wish."""
    hashes = sorted(set(info_hashes))
    if not hashes:
        return set()
    rows = db.session.scalars(
        sa.select(Download.info_hash).where(
            Download.kind == "download",
            Download.status.in_(("pending", "sent", "done")),
            Download.info_hash.in_(hashes),
        )
    )
    return set(rows)


def movie_ids_for(info_hashes: Iterable[str]) -> dict[str, int]:
    """Which library movie each hash belongs to (one query)."""
    hashes = sorted(set(info_hashes))
    if not hashes:
        return {}
    rows = db.session.execute(
        sa.select(LibraryMovie.info_hash, LibraryMovie.id).where(LibraryMovie.info_hash.in_(hashes))
    )
    return {info_hash: movie_id for info_hash, movie_id in rows}


@dataclass(frozen=True)
class QueueCounts:
    pending_downloads: int
    removals: int  # not done yet: pending ones to send, sent ones to confirm
    failed_downloads: int  # qBittorrent refused them; they wait for the owner
    oldest_pending: datetime | None  # when the longest-waiting wish was asked for
    last_error: str | None  # the newest error noted on a waiting or failed row


def queue_counts() -> QueueCounts:
    """What waits in the queue, for /status (two queries)."""
    waiting_removal = sa.and_(Download.kind == "removal", Download.status.in_(("pending", "sent")))
    pending_download = sa.and_(Download.kind == "download", Download.status == "pending")
    failed_download = sa.and_(Download.kind == "download", Download.status == "failed")
    row = db.session.execute(
        sa.select(
            sa.func.count().filter(pending_download),
            sa.func.count().filter(waiting_removal),
            sa.func.count().filter(failed_download),
            sa.func.min(Download.requested_at).filter(sa.or_(pending_download, waiting_removal)),
        )
    ).one()
    error = db.session.scalar(
        sa.select(Download.last_error)
        .where(Download.last_error.is_not(None), sa.or_(pending_download, waiting_removal, failed_download))
        .order_by(Download.requested_at.desc(), Download.id.desc())
        .limit(1)
    )
    oldest = row[3]
    if isinstance(oldest, str):  # SQLite gives an aggregate of a datetime column back as text
        oldest = datetime.fromisoformat(oldest)
    if oldest is not None and oldest.tzinfo is None:
        oldest = oldest.replace(tzinfo=UTC)
    return QueueCounts(row[0], row[1], row[2], oldest, error)


def has_pending() -> bool:
    """Is there anything for the refresher to do: a pending wish, or a removal still to confirm?"""
    waiting = sa.or_(
        Download.status == "pending", sa.and_(Download.kind == "removal", Download.status == "sent")
    )
    return db.session.scalar(sa.select(Download.id).where(waiting).limit(1)) is not None


def mark_sent(download_id: int, info_hash: str) -> bool:
    """pending -> sent, only if it is still pending for the same hash (the link may have changed)."""
    result = db.session.execute(
        sa.update(Download)
        .where(
            Download.id == download_id,
            Download.kind == "download",
            Download.status == "pending",
            Download.info_hash == info_hash,
        )
        .values(status="sent", sent_at=utcnow(), last_error=None)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return result.rowcount == 1


def record_failure(download_id: int, reason: str, *, refused: bool = False, permanent: bool = False) -> None:
    """Note a failed send. Unreachable qBittorrent: stays pending. Refused: failed after MAX_REFUSALS."""
    download = db.session.get(Download, download_id)
    if download is None or download.status != "pending" or not download.is_download:
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
        .where(Download.kind == "download", Download.status == "sent", Download.info_hash.in_(hashes))
        .values(status="done", finished_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return result.rowcount or 0


def _removal_as_read(removal_id: int, status: str, info_hash: str, delete_files: bool):
    """The row as the refresher read it: if the wish changed since (called off, asked again with other
    options, turned back into a download), the refresher's result no longer applies to it."""
    return (
        Download.id == removal_id,
        Download.kind == "removal",
        Download.status == status,
        Download.info_hash == info_hash,
        Download.delete_files == bool(delete_files),
    )


def mark_removal_sent(removal_id: int, info_hash: str, delete_files: bool) -> bool:
    """pending -> sent: qBittorrent answered the delete (or had nothing of ours to delete)."""
    result = db.session.execute(
        sa.update(Download)
        .where(*_removal_as_read(removal_id, "pending", info_hash, delete_files))
        .values(status="sent", sent_at=utcnow(), last_error=None)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return result.rowcount == 1


def finish_removals(gone: Iterable[int], still_there: Iterable[int]) -> int:
    """After a list of qBittorrent's torrents: sent removals whose torrent is gone are done; one still
    listed (qBittorrent lost the delete, e.g. it restarted) is pending again and will be sent again."""
    gone, still_there = sorted(set(gone)), sorted(set(still_there))
    changed = 0
    sent = (Download.kind == "removal", Download.status == "sent")
    if gone:
        result = db.session.execute(
            sa.update(Download)
            .where(*sent, Download.id.in_(gone))
            .values(status="done", finished_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        changed += result.rowcount or 0
    if still_there:
        result = db.session.execute(
            sa.update(Download)
            .where(*sent, Download.id.in_(still_there))
            .values(status="pending", sent_at=None)
            .execution_options(synchronize_session=False)
        )
        changed += result.rowcount or 0
    if gone or still_there:
        db.session.commit()
    return changed


KEPT_FOR_ANOTHER_MOVIE = "не удалён: этот торрент скачивается для другого фильма"


def skip_removal(
    removal_id: int, info_hash: str, delete_files: bool, reason: str = KEPT_FOR_ANOTHER_MOVIE
) -> bool:
    """pending -> done without a call: another movie's download wants this torrent kept."""
    result = db.session.execute(
        sa.update(Download)
        .where(*_removal_as_read(removal_id, "pending", info_hash, delete_files))
        .values(status="done", finished_at=utcnow(), last_error=reason[:ERROR_MAX])
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return result.rowcount == 1


def queue_winner_download(lottery: Lottery | Poll) -> Download | None:
    """A lottery's or poll's "download the winner" option: queue it if the library holds it with a magnet."""
    winner = lottery.winner
    if winner is None:
        return None
    movie = find_same_movie(winner.kinopoisk_id, winner.name, winner.year)
    if movie is None or not movie.magnet:
        log.info(
            "%s %s: winner «%s» has no magnet in the library", lottery.__tablename__, lottery.id, winner.name
        )
        return None
    return request_download(movie.id, configured=True)
