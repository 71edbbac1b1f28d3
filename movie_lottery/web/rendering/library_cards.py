"""A library card as the server renders it (partials/library_card.html): on the page, in /library/live and in
the answer to a card's own form. From the database and this process's status snapshot, never qBittorrent."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from flask import current_app, get_template_attribute

from movie_lottery.core.config import qbit_configured
from movie_lottery.core.models import LibraryMovie
from movie_lottery.downloads.status import Snapshot, service_for
from movie_lottery.integrations.qbittorrent import TorrentStatus
from movie_lottery.library import movies as library
from movie_lottery.web.rendering.library_words import note_for
from movie_lottery.web.rendering.torrent_badges import DOWNLOADABLE_KINDS, badge_for

LIVE_PARTS = ("torrent", "marks", "controls")


@dataclass(frozen=True)
class CardView:
    """What every card of one rendering shares."""

    configured: bool
    admin: bool
    back: str
    csrf: str | None  # None: the page's own token; "" in /library/live (the script puts the page's in)
    today: date


@dataclass
class Torrents:
    configured: bool
    snapshot: Snapshot
    by_hash: dict[str, TorrentStatus] = field(default_factory=dict)


def current_torrents() -> Torrents:
    configured = qbit_configured(current_app.config)
    snapshot = service_for(current_app).snapshot()  # memory only; wakes the refresher for the page's polling
    return Torrents(configured, snapshot, snapshot.by_hash())


def card_for(movie: LibraryMovie, torrents: Torrents, today: date) -> dict:
    marks = library.marks_to_dict(movie, today)
    badge = badge_for(
        torrents.configured, torrents.snapshot, movie.download, torrents.by_hash.get(movie.info_hash or "")
    )
    return {
        "movie": movie,
        "badge": badge,
        "downloadable": badge is None or badge.kind in DOWNLOADABLE_KINDS,
        "search_url": library.torrent_search_url(current_app.config.get("TORRENT_SEARCH_URL"), movie),
        "marks": marks,
        "note": note_for(marks, today),
        "group_rating": library.group_rating(movie),
    }


def render_part(name: str, card: dict, view: CardView) -> str:
    macro = get_template_attribute("partials/library_card.html", f"{name}_part")
    return str(macro(card, view))
