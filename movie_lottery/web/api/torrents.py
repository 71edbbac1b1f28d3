"""/api/torrents: qBittorrent's status from this process's snapshot. Never waits on qBittorrent."""

from __future__ import annotations

from flask import current_app

from movie_lottery.downloads import queue as downloads
from movie_lottery.downloads.status import service_for
from movie_lottery.web.api.docs.openapi import ApiBlueprint
from movie_lottery.web.api.schemas.torrents import TorrentStatus

bp = ApiBlueprint("api_torrents", __name__, url_prefix="/api")


@bp.get("/torrents")
@bp.response(200, TorrentStatus)
def torrents_status() -> dict:
    """Состояние qBittorrent, наши торренты и очередь скачиваний

    Ответ из последнего снимка этого процесса: он никогда не ждёт qBittorrent.
    """
    service = service_for(current_app)
    snapshot = service.snapshot()  # marks "somebody is watching" and starts the refresher if needed
    torrents: list = []
    pending: list = []
    removals: list = []
    if snapshot.configured:
        movie_ids = downloads.movie_ids_for(torrent.info_hash for torrent in snapshot.torrents)
        torrents = [(movie_ids.get(torrent.info_hash), torrent) for torrent in snapshot.torrents]
        pending, removals = downloads.open_wishes()
    return {
        "configured": snapshot.configured,
        "available": snapshot.available,
        "reason": snapshot.reason,
        "checked_at": snapshot.checked_at,
        "breaker": service.breaker_state(),
        "torrents": torrents,
        "pending": pending,
        "removals": removals,
    }
