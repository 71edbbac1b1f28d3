"""/api/torrents: qBittorrent's status from this process's snapshot. Never waits on qBittorrent."""

from __future__ import annotations

from flask import Response, current_app, jsonify

from movie_lottery.downloads import queue as downloads
from movie_lottery.downloads.status import service_for, status_summary
from movie_lottery.web.api.docs.openapi import ApiBlueprint
from movie_lottery.web.api.schemas.torrents import TorrentStatus

bp = ApiBlueprint("api_torrents", __name__, url_prefix="/api")


def torrents_payload() -> dict:
    """The documented shape: status, breaker, our torrents (with their movie), the pending downloads and
    the removals not yet done."""
    service = service_for(current_app)
    snapshot = service.snapshot()  # marks "somebody is watching" and starts the refresher if needed
    data = status_summary(service)
    if not snapshot.configured:
        return {**data, "torrents": [], "pending": [], "removals": []}
    movie_ids = downloads.movie_ids_for(t.info_hash for t in snapshot.torrents)
    data["torrents"] = [
        {
            "movie_id": movie_ids.get(torrent.info_hash),
            "info_hash": torrent.info_hash,
            "name": torrent.name,
            "state": torrent.state,
            "progress": round(torrent.progress, 4),
            "dlspeed": torrent.dlspeed,
            "eta": torrent.eta,
            "size": torrent.size,
        }
        for torrent in snapshot.torrents
    ]
    pending, removals = downloads.open_wishes()
    data["pending"] = [
        {
            "movie_id": item.movie_id,
            "info_hash": item.info_hash,
            "requested_at": item.requested_at.isoformat(),
            "attempts": item.attempts,
            "last_error": item.last_error,
        }
        for item in pending
    ]
    data["removals"] = [
        {
            "movie_id": item.movie_id,
            "info_hash": item.info_hash,
            "delete_files": bool(item.delete_files),
            "status": item.status,
            "requested_at": item.requested_at.isoformat(),
        }
        for item in removals
    ]
    return data


@bp.get("/torrents")
@bp.response(200, TorrentStatus)
def torrents_status() -> Response:
    """Состояние qBittorrent, наши торренты и очередь скачиваний

    Ответ из последнего снимка этого процесса: он никогда не ждёт qBittorrent.
    """
    return jsonify(torrents_payload())
