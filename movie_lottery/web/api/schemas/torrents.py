"""/api/torrents: how qBittorrent's status, our torrents and the open wishes are answered."""

from __future__ import annotations

from typing import Any

from marshmallow import fields, validate

from movie_lottery.integrations.qbittorrent import TorrentStatus as QbitTorrent
from movie_lottery.web.api.schemas.base import Reply, maybe, required_text


class Breaker(Reply):
    state = required_text(validate=validate.OneOf(["closed", "open", "half_open"]))
    retry_at = maybe(fields.DateTime)


class Torrent(Reply):
    """Dumps ``(movie_id, torrent)``: qBittorrent's torrent, and the library movie with its hash (or None)."""

    movie_id = maybe(fields.Integer, "Фильм библиотеки с этим хешем, если есть")
    info_hash = required_text()
    name = required_text()
    state = required_text("Состояние в qBittorrent")
    progress = fields.Float(required=True, metadata={"description": "От 0 до 1"})
    dlspeed = fields.Integer(required=True, metadata={"description": "Байт в секунду"})
    eta = maybe(fields.Integer, "Секунды; `null`, если неизвестно")
    size = fields.Integer(required=True, metadata={"description": "Байты"})

    def get_attribute(self, obj: tuple[int | None, QbitTorrent], attr: str, default: Any) -> Any:
        movie_id, torrent = obj
        return movie_id if attr == "movie_id" else super().get_attribute(torrent, attr, default)

    def value_progress(self, torrent: QbitTorrent) -> float:
        return round(torrent.progress, 4)


class PendingDownload(Reply):
    movie_id = fields.Integer(required=True)
    info_hash = required_text()
    requested_at = fields.DateTime(required=True)
    attempts = fields.Integer(required=True)
    last_error = maybe(fields.String)


class PendingRemoval(Reply):
    movie_id = maybe(fields.Integer, "`null`, если фильм с тех пор удалён из библиотеки")
    info_hash = required_text()
    delete_files = fields.Boolean(required=True)
    status = required_text(validate=validate.OneOf(["pending", "sent"]))
    requested_at = fields.DateTime(required=True)


class TorrentStatus(Reply):
    configured = fields.Boolean(required=True)
    available = fields.Boolean(required=True)
    reason = maybe(fields.String, "Почему qBittorrent недоступен, по-русски")
    checked_at = maybe(fields.DateTime, "Когда снят снимок состояния")
    breaker = fields.Nested(Breaker, required=True)
    torrents = fields.List(fields.Nested(Torrent), required=True)
    pending = fields.List(fields.Nested(PendingDownload), required=True)
    removals = fields.List(
        fields.Nested(PendingRemoval), required=True, metadata={"description": "Ещё не выполненные удаления"}
    )
