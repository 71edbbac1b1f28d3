"""What a library card says about its torrent, the status line, and the small rules of the library."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from urllib.parse import quote

import pytest

from movie_lottery.core.models import Download
from movie_lottery.core.same_movie import title_key
from movie_lottery.downloads.status import Snapshot
from movie_lottery.integrations.qbittorrent import TorrentStatus
from movie_lottery.library.movies import torrent_search_url
from movie_lottery.web.rendering.filters import duration_text
from movie_lottery.web.rendering.torrent_badges import badge_for, percent, status_line, torrent_badge

NBSP = "\u00a0"
NOW = datetime(2026, 11, 29, 21, 40, tzinfo=UTC)
AVAILABLE = Snapshot(configured=True, available=True, reason=None, checked_at=NOW)
DOWN = Snapshot(configured=True, available=False, reason="таймаут", checked_at=NOW)
UNCHECKED = Snapshot(configured=True, available=False, reason=None, checked_at=None)


def torrent(state: str = "downloading", progress: float = 0.42, eta: int | None = 720) -> TorrentStatus:
    return TorrentStatus.from_api(
        {"hash": "a" * 40, "name": "Movie", "state": state, "progress": progress, "eta": eta, "size": 1}
    )


def download(status: str, last_error: str | None = None, kind: str = "download") -> Download:
    return Download(status=status, last_error=last_error, kind=kind)


def test_percent_never_says_100_before_the_last_byte():
    assert percent(0) == 0
    assert percent(0.429) == 42
    assert percent(0.9999) == 99
    assert percent(1.0) == 100


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(30, "<1 мин"), (60, "1 мин"), (720, "12 мин"), (3600, "1 ч"), (3900, "1 ч 5 мин"), (90000, "1 д 1 ч")],
)
def test_durations_read_naturally_with_non_breaking_spaces(seconds, text):
    assert duration_text(seconds) == text.replace(" мин", f"{NBSP}мин").replace(" ч", f"{NBSP}ч").replace(
        " д", f"{NBSP}д"
    )


def test_a_downloading_torrent_shows_percent_and_time_left():
    badge = torrent_badge(torrent())
    assert (badge.kind, badge.progress) == ("downloading", 42)
    assert badge.text == f"качается 42{NBSP}% · 12{NBSP}мин"


def test_unknown_time_left_is_simply_left_out():
    assert torrent_badge(torrent(eta=8640000)).text == f"качается 42{NBSP}%"


@pytest.mark.parametrize(
    ("state", "progress", "kind", "text"),
    [
        ("pausedDL", 0.0, "paused", f"пауза 0{NBSP}%"),
        ("stoppedDL", 0.1, "paused", f"пауза 10{NBSP}%"),  # qBittorrent 5 names it so
        ("metaDL", 0.0, "downloading", "качается · ищем метаданные"),
        ("checkingDL", 0.5, "checking", f"проверка 50{NBSP}%"),
        ("queuedDL", 0.2, "queued", f"ждёт очереди 20{NBSP}%"),
        ("stalledDL", 0.3, "downloading", f"качается 30{NBSP}% · 12{NBSP}мин"),
        ("uploading", 1.0, "done", "готово"),
        ("stoppedUP", 1.0, "done", "готово"),
        ("error", 0.3, "error", "ошибка"),
        ("missingFiles", 1.0, "error", "ошибка"),
    ],
)
def test_every_qbittorrent_state_has_words(state, progress, kind, text):
    badge = torrent_badge(torrent(state, progress))
    assert (badge.kind, badge.text) == (kind, text)


@pytest.mark.parametrize(
    ("snapshot", "status", "kind", "text"),
    [
        (AVAILABLE, "pending", "queue", "в очереди"),
        (DOWN, "pending", "queue", "в очереди"),
        (AVAILABLE, "failed", "failed", "ошибка"),
        (DOWN, "done", "done", "готово"),
        (UNCHECKED, "sent", "sent", "отправлено"),
        (DOWN, "sent", "offline", "нет связи"),
        (AVAILABLE, "sent", "missing", "нет в qBittorrent"),
    ],
)
def test_without_the_torrent_in_sight_the_queue_speaks(snapshot, status, kind, text):
    badge = badge_for(True, snapshot, download(status), None)
    assert (badge.kind, badge.text) == (kind, text)


def test_qbittorrents_word_wins_over_the_queue():
    assert badge_for(True, AVAILABLE, download("sent"), torrent("pausedDL", 0)).kind == "paused"


def test_no_badge_without_a_download_or_without_qbittorrent():
    assert badge_for(True, AVAILABLE, None, None) is None
    assert badge_for(False, AVAILABLE, download("pending"), None) is None


@pytest.mark.parametrize("status", ["pending", "sent"])
def test_a_removal_not_yet_done_says_removing_even_while_qbittorrent_still_lists_the_torrent(status):
    removal = download(status, kind="removal")
    for snapshot, seen in ((AVAILABLE, torrent("pausedDL", 0)), (DOWN, None), (UNCHECKED, None)):
        badge = badge_for(True, snapshot, removal, seen)
        assert (badge.kind, badge.text) == ("removing", "удаляется…")
    assert "когда он ответит" in badge_for(True, DOWN, removal, None).title


def test_a_removal_done_leaves_no_badge():
    assert badge_for(True, AVAILABLE, download("done", kind="removal"), None) is None


def test_a_pending_download_shows_its_last_error_on_hover():
    badge = badge_for(True, DOWN, download("pending", "нет связи"), None)
    assert badge.title == "Последняя ошибка: нет связи"


def summary(**changes) -> dict:
    base = {
        "configured": True,
        "available": False,
        "reason": "таймаут",
        "checked_at": NOW.isoformat(),
        "breaker": {"state": "open", "retry_at": (NOW + timedelta(seconds=110)).isoformat()},
    }
    return {**base, **changes}


def test_status_line_says_when_the_next_attempt_is():
    line = status_line(summary())
    assert line.kind == "down"
    retry_at = (NOW + timedelta(seconds=110)).astimezone(UTC)
    assert line.full_text == f"qBittorrent недоступен — следующая попытка в {retry_at:%H:%M:%S}{NBSP}UTC"
    assert line.retry_at == retry_at  # the page's script counts down to it: «через 1 мин»
    assert line.reason == "таймаут"


def test_status_line_other_states():
    assert status_line(summary(configured=False)).kind == "off"
    ok = status_line(summary(available=True))
    assert (ok.kind, ok.full_text) == ("ok", "qBittorrent на связи")
    assert status_line(summary(checked_at=None)).kind == "checking"
    no_retry = status_line(summary(breaker={"state": "closed", "retry_at": None}))
    assert (no_retry.full_text, no_retry.reason) == ("qBittorrent недоступен", "таймаут")


def test_a_download_sent_after_the_last_list_says_sent_not_missing():
    """qBittorrent's list was taken before the download went out: it cannot show it yet."""
    sent = Download(status="sent", kind="download", sent_at=NOW + timedelta(seconds=1))
    assert badge_for(True, AVAILABLE, sent, None).text == "отправлено"
    sent_before = Download(status="sent", kind="download", sent_at=NOW - timedelta(seconds=1))
    assert badge_for(True, AVAILABLE, sent_before, None).text == "нет в qBittorrent"


def test_search_link_is_built_from_the_template_with_title_and_year():
    movie = SimpleNamespace(name="Тихая гавань & Co", year=2019)
    url = torrent_search_url("https://tracker.example/search?q={query}", movie)
    assert (
        url
        == "https://tracker.example/search?q=%D0%A2%D0%B8%D1%85%D0%B0%D1%8F%20%D0%B3%D0%B0%D0%B2%D0%B0%D0%BD%D1%8C%20%26%20Co%202019"
    )
    assert torrent_search_url(None, movie) is None
    assert torrent_search_url("", movie) is None
    assert torrent_search_url("javascript:alert('{query}')", movie) is None
    assert torrent_search_url("https://tracker.example/", movie) is None  # no {query}: nothing to fill in
    no_year = SimpleNamespace(name="Гавань", year=None)
    assert (
        torrent_search_url("https://t.example/?q={query}", no_year)
        == f"https://t.example/?q={quote('Гавань')}"
    )


def test_title_key_ignores_case_spacing_and_yo_but_not_the_year():
    assert title_key("  Ёлки  ПАЛКИ ", 2010) == title_key("елки палки", 2010)
    assert title_key("Ёлки", 2010) != title_key("Ёлки", 2011)
