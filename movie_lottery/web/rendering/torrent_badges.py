"""The torrent badge on a library card and the status line above the cards: the one rule, worded once, shown
on /library and in /library/live."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime

from movie_lottery.core.models import Download
from movie_lottery.downloads.status import Snapshot
from movie_lottery.integrations.qbittorrent import TorrentStatus
from movie_lottery.web.rendering.filters import NBSP, duration_text


@dataclass(frozen=True)
class Badge:
    kind: str  # queue, sent, downloading, queued, paused, checking, done, error, failed, offline, missing,
    # removing
    text: str
    progress: int | None = None  # percent for the bar; None hides it
    title: str | None = None


# The page asks again soon while one of these is on a card (library.js: FAST_MS), rarely otherwise.
MOVING_KINDS = frozenset({"queue", "sent", "downloading", "queued", "checking", "removing"})
# «Скачать» is offered again for these (asking again calls a removal off).
DOWNLOADABLE_KINDS = frozenset({"failed", "missing", "removing"})


def percent(progress: float) -> int:
    """Whole percent, never "100 %" before the last byte is there."""
    value = math.floor(progress * 100)
    return 100 if progress >= 1 else min(value, 99)


def torrent_badge(torrent: TorrentStatus) -> Badge:
    state, pct = torrent.state, percent(torrent.progress)
    if state in ("error", "missingFiles"):
        return Badge("error", "ошибка", pct, "qBittorrent сообщает об ошибке торрента")
    if torrent.progress >= 1:
        return Badge("done", "готово", 100)
    if state == "pausedDL":
        return Badge("paused", f"пауза {pct}{NBSP}%", pct)
    if state.startswith("checking") or state == "moving":
        return Badge("checking", f"проверка {pct}{NBSP}%", pct)
    if state == "queuedDL":
        return Badge("queued", f"ждёт очереди {pct}{NBSP}%", pct)
    if state in ("metaDL", "forcedMetaDL"):
        return Badge("downloading", "качается · ищем метаданные", pct)
    eta = f" · {duration_text(torrent.eta)}" if torrent.eta is not None else ""
    return Badge("downloading", f"качается {pct}{NBSP}%{eta}", pct)


def badge_for(
    configured: bool, snapshot: Snapshot, download: Download | None, torrent: TorrentStatus | None
) -> Badge | None:
    """What a card says about its torrent: a removal in progress first (the snapshot may be older than the
    wish), then qBittorrent's word, then the queue's. A removal done leaves no badge."""
    if not configured:
        return None
    if download is not None and not download.is_download:
        if not download.removing:
            return None
        waiting = None if snapshot.available else "qBittorrent недоступен — торрент уберём, когда он ответит"
        return Badge("removing", "удаляется…", None, waiting)
    if torrent is not None:
        return torrent_badge(torrent)
    status = download.status if download else None
    if status == "pending":
        title = f"Последняя ошибка: {download.last_error}" if download and download.last_error else None
        return Badge("queue", "в очереди", None, title)
    if status == "failed":
        return Badge("failed", "ошибка", None, download.last_error if download else None)
    if status == "done":
        return Badge("done", "готово", 100)
    if status == "sent":
        if snapshot.checked_at is None or _sent_after_the_list(download, snapshot):
            return Badge("sent", "отправлено")
        if not snapshot.available:
            return Badge("offline", "нет связи")
        return Badge("missing", "нет в qBittorrent")
    return None


def _sent_after_the_list(download: Download | None, snapshot: Snapshot) -> bool:
    """Sent after qBittorrent's list was taken: that list cannot have it yet, the next one will tell."""
    sent_at = download.sent_at if download else None
    return sent_at is not None and snapshot.checked_at is not None and sent_at >= snapshot.checked_at


@dataclass(frozen=True)
class StatusLine:
    """The line above the cards. The next attempt is given as a time, not a countdown: the text then stays
    the same while the breaker waits, so the page can be served from the cache; the script turns that
    time into «через 12 с» as it passes."""

    kind: str  # off, ok, checking, down
    text: str
    reason: str | None = None
    retry_at: datetime | None = None

    @property
    def full_text(self) -> str:
        if self.retry_at is None:
            return self.text
        return f"{self.text} в {self.retry_at:%H:%M:%S}{NBSP}UTC"


def status_line(summary: dict) -> StatusLine:
    if not summary["configured"]:
        return StatusLine("off", "qBittorrent не настроен — скачивание выключено")
    if summary["available"]:
        return StatusLine("ok", "qBittorrent на связи")
    if summary["checked_at"] is None:
        return StatusLine("checking", "Проверяем связь с qBittorrent…")
    retry_at = summary["breaker"]["retry_at"]
    if retry_at:
        at = datetime.fromisoformat(retry_at).astimezone(UTC)
        return StatusLine("down", "qBittorrent недоступен — следующая попытка", summary["reason"], at)
    return StatusLine("down", "qBittorrent недоступен", summary["reason"])
