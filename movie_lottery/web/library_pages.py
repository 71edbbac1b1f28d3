"""/library: the kept movies as cards with their magnet and torrent state; forms that work without JS.

The page reads the database and this process's status snapshot, never qBittorrent. It costs a constant
number of queries however many movies there are (the backdrop, the count, the movies, their downloads).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import UTC, date, datetime

from flask import current_app, flash, redirect, request, url_for

from .. import downloads, library, milestones
from ..config import kinopoisk_configured, qbit_configured
from ..errors import DomainError
from ..integrations.qbittorrent import TorrentStatus
from ..models import Download
from ..torrent_status import Snapshot, service_for, status_summary
from .api_library import in_client, queue_torrent_removal
from .auth import is_admin
from .page_cache import cached_page
from .pages import bp, collage_fetched_at, page_arg, render_page

SORT_LABELS = {"added": "Сначала новые", "title": "По названию", "year": "По году", "rating": "По рейтингу"}
FORM_FIELDS = ("name", "year", "poster", "description", "magnet")
NBSP = "\u00a0"


# ---- the torrent badge (static/js/library.js draws the same badges from /api/torrents) ---------------


@dataclass(frozen=True)
class Badge:
    kind: str  # queue, sent, downloading, queued, paused, checking, done, error, failed, offline, missing,
    # removing
    text: str
    progress: int | None = None  # percent for the bar; None hides it
    title: str | None = None


def percent(progress: float) -> int:
    """Whole percent, never "100 %" before the last byte is there."""
    value = math.floor(progress * 100)
    return 100 if progress >= 1 else min(value, 99)


def duration_text(seconds: int) -> str:
    """ "12 мин", "1 ч 5 мин", "3 д 4 ч"; under a minute is "<1 мин"."""
    if seconds < 60:
        return f"<1{NBSP}мин"
    minutes = math.ceil(seconds / 60)
    if minutes < 60:
        return f"{minutes}{NBSP}мин"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours}{NBSP}ч {minutes}{NBSP}мин" if minutes else f"{hours}{NBSP}ч"
    days, hours = divmod(hours, 24)
    return f"{days}{NBSP}д {hours}{NBSP}ч" if hours else f"{days}{NBSP}д"


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
        if snapshot.checked_at is None:
            return Badge("sent", "отправлено")
        if not snapshot.available:
            return Badge("offline", "нет связи")
        return Badge("missing", "нет в qBittorrent")
    return None


def status_line(summary: dict) -> tuple[str, str, str | None]:
    """(kind, text, reason) for the line above the cards.

    The next attempt is given as a time, not a countdown: the text then stays the same while the breaker
    waits, so the page can be served from the cache (library.js shows the countdown from the same data).
    """
    if not summary["configured"]:
        return "off", "qBittorrent не настроен — скачивание выключено", None
    if summary["available"]:
        return "ok", "qBittorrent на связи", None
    if summary["checked_at"] is None:
        return "checking", "Проверяем связь с qBittorrent…", None
    retry_at = summary["breaker"]["retry_at"]
    if retry_at:
        at = datetime.fromisoformat(retry_at).astimezone(UTC)
        text = f"qBittorrent недоступен — следующая попытка в {at:%H:%M:%S}{NBSP}UTC"
        return "down", text, summary["reason"]
    return "down", "qBittorrent недоступен", summary["reason"]


# ---- pages --------------------------------------------------------------------------------------------


def _back(movie_id: int | None = None) -> str:
    """Back to the list the form was sent from (same filter and sort), at the movie's card."""
    target = request.form.get("back", "")
    if not target.startswith("/library") or target.startswith("//"):
        target = url_for("pages.library_page")
    return f"{target}#movie-{movie_id}" if movie_id else target


def _this_list(query: str, sort: str, page: int) -> str:
    """The list being shown, for the cards' forms to come back to. Built from the cleaned values, not the
    address: every card carries it in four forms, and a 1 MB ``?q=`` made each page megabytes."""
    return url_for(
        "pages.library_page",
        q=query or None,
        sort=None if sort == library.DEFAULT_SORT else sort,
        page=page if page > 1 else None,
    )


def _today() -> date:
    return datetime.now(UTC).date()


def _library_cache_key() -> tuple:
    """Besides the data: the backdrop, the date (the backup nudge counts days) and, with qBittorrent
    configured, everything the page shows from this process's memory — the snapshot (compared by value)
    and the status summary (the status line follows from it)."""
    if not qbit_configured(current_app.config):
        return collage_fetched_at(), _today()
    service = service_for(current_app)
    snapshot = service.snapshot()  # wakes the refresher for the page's polling, hit or miss
    summary = status_summary(service)
    return collage_fetched_at(), _today(), snapshot, json.dumps(summary, sort_keys=True)


def backup_nudge() -> milestones.Milestones | None:
    """For the admin: the dates to show when no backup is newer than a week and there is data to lose."""
    if not is_admin():
        return None
    known = milestones.read_milestones()
    if not milestones.backup_overdue(known, _today()) or not milestones.anything_to_lose():
        return None
    return known


@bp.get("/library")
@cached_page(_library_cache_key)
def library_page(form: dict | None = None, form_error: str | None = None, status: int = 200):
    query = library.clean_query(request.args.get("q"))
    sort = library.clean_sort(request.args.get("sort"))
    found = library.list_movies(query, sort, page_arg())
    movies = found.movies
    total = library.count_movies() if query else found.matched
    config = current_app.config
    configured = qbit_configured(config)
    service = service_for(current_app)
    snapshot = service.snapshot()  # memory only; also wakes the refresher for the page's polling
    summary = status_summary(service)
    torrents = snapshot.by_hash()
    cards = [
        {
            "movie": movie,
            "badge": badge_for(configured, snapshot, movie.download, torrents.get(movie.info_hash or "")),
            "search_url": library.torrent_search_url(config.get("TORRENT_SEARCH_URL"), movie),
        }
        for movie in movies
    ]
    html = render_page(
        "library.html",
        cards=cards,
        total=total,
        query=query,
        sort=sort,
        sort_labels=SORT_LABELS,
        configured=configured,
        status=status_line(summary),
        summary=summary,
        search_enabled=kinopoisk_configured(config),
        form=form or {},
        form_error=form_error,
        back=_this_list(query, sort, found.page),
        found=found,
        nudge=backup_nudge(),
    )
    return html, status


@bp.post("/library")
def library_add():
    form = {field: request.form.get(field, "") for field in FORM_FIELDS}
    try:
        added = library.add_movie(form)
    except DomainError as exc:
        return library_page(form=form, form_error=exc.message, status=exc.status)
    verb = "добавлен в библиотеку" if added.created else "уже был в библиотеке — данные обновлены"
    flash(f"«{added.movie.name}» {verb}", "success")
    return redirect(f"{url_for('pages.library_page')}#movie-{added.movie.id}")


def _act(movie_id: int, action, success: str):
    """Run one card action; a refusal becomes a flash message next to the card, not an error page."""
    try:
        action()
    except DomainError as exc:
        if exc.status == 404:
            raise
        flash(exc.message, "error")
    else:
        flash(success, "success")
    return redirect(_back(movie_id))


@bp.post("/library/<int:movie_id>/magnet")
def library_set_magnet(movie_id: int):
    return _act(
        movie_id, lambda: library.set_magnet(movie_id, request.form.get("magnet", "")), "Магнет сохранён"
    )


@bp.post("/library/<int:movie_id>/magnet/clear")
def library_clear_magnet(movie_id: int):
    return _act(movie_id, lambda: library.clear_magnet(movie_id), "Магнет убран")


@bp.post("/library/<int:movie_id>/download")
def library_download(movie_id: int):
    def ask() -> None:
        movie = library.get_movie(movie_id)
        configured = qbit_configured(current_app.config)
        downloads.request_download(movie_id, configured=configured, in_client=in_client(movie))
        service_for(current_app).wake()

    return _act(movie_id, ask, "Скачивание в очереди: qBittorrent получит его в течение нескольких секунд")


@bp.post("/library/<int:movie_id>/torrent/remove")
def library_remove_torrent(movie_id: int):
    delete_files = request.form.get("delete_files") == "1"
    try:
        removal = queue_torrent_removal(movie_id, delete_files)
    except DomainError as exc:
        if exc.status == 404:
            raise
        flash(exc.message, "error")
        return redirect(_back(movie_id))
    if removal.status == "done":  # only called off: it never reached qBittorrent
        note = "Скачивание отменено"
    else:
        note = "Торрент и файлы будут удалены" if delete_files else "Торрент будет убран из qBittorrent"
        snapshot = service_for(current_app).peek()
        if snapshot.checked_at is not None and not snapshot.available:
            note += " — как только qBittorrent ответит"
    flash(note, "success")
    return redirect(_back(movie_id))


@bp.post("/library/<int:movie_id>/delete")
def library_delete(movie_id: int):
    movie = library.get_movie(movie_id)
    library.delete_movie(movie_id)
    flash(f"«{movie.name}» удалён из библиотеки", "success")
    return redirect(_back())
