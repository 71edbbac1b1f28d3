"""/api/torrents: qBittorrent's status from this process's snapshot. Never waits on qBittorrent."""

from __future__ import annotations

from flask import Response, current_app

from movie_lottery.downloads import queue as downloads
from movie_lottery.downloads.status import service_for
from movie_lottery.web.api.docs.openapi import ApiBlueprint
from movie_lottery.web.api.event_stream import EVENTS_DOC, STREAM_REFUSALS, event_stream, hub
from movie_lottery.web.api.schemas.base import dump_text
from movie_lottery.web.api.schemas.torrents import TorrentStatus

bp = ApiBlueprint("api_torrents", __name__, url_prefix="/api")


@bp.get("/torrents")
@bp.response(200, TorrentStatus)
def torrents_status() -> dict:
    """Состояние qBittorrent, наши торренты и очередь скачиваний

    Ответ из последнего снимка этого процесса: он никогда не ждёт qBittorrent.
    """
    return _status()


@bp.get("/torrents/events")
@bp.doc(responses={"200": EVENTS_DOC})
@bp.refuses(STREAM_REFUSALS)
def torrents_events() -> Response:
    """Состояние qBittorrent, поток событий

    То же, что `/api/torrents`, но сервер сам присылает его заново, когда оно меняется. Один снимок на
    процесс и секунду, сколько бы потоков ни было открыто; пока поток открыт, снимок обновляется.
    """
    live = hub()
    return event_stream(lambda: live.shared.get("torrents", _status_text), refresh=live.settings.tick)


_STATUS = TorrentStatus()


def _status_text() -> str:
    return dump_text(_STATUS, _status())


def _status() -> dict:
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
