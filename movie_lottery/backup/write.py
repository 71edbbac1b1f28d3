"""The backup file's shape, as export writes it: one canonical form for every row.

Export builds each entry with the functions below; import (check.py) checks an incoming entry and turns it
into the very same canonical form, with these keys and values. So "unchanged" means exactly "a new export
would print the same bytes", and a document validated from an export equals that export.

Canonical means identical text on SQLite and PostgreSQL: datetimes always as ``YYYY-MM-DDTHH:MM:SS.ffffffZ``
(``isoformat()`` drops zero microseconds and varies the offset spelling), floats rounded to 6 decimals (a
float4 column or driver noise would otherwise print 7.400000095367432 on one backend and 7.4 on the other).
No database ids: they differ between databases. Pure functions, no database access.

The versions of the format:
- 1: the library's movies (with magnets) and the lotteries.
- 2 adds each library movie's marks: ``status``, ``excluded_until``, ``favourite`` and its ``viewings``
  (``{"date", "lottery_id"}``, oldest first). An exclusion whose day has come is written as «want», as
  every read of it says.
- 3 adds ``polls``: each poll's settings, candidates, seed and commitment, manage token, whether and how it
  closed, its stored result, and its ballots (``{"participant", "name", "choices", "veto", "cast_at"}``) in
  the order they were first cast, which is the order the poll page lists its voters. Format 3 also carries
  a viewing's ``poll_id`` beside its ``lottery_id`` (the closed poll whose winner it was), and each library
  movie's ``ratings`` (``{"lottery_id", "poll_id", "participant", "name", "score", "rated_at"}``, oldest
  first): the group's 1–10 scores, each under the night (lottery or poll) it was given for — both null once
  that night was deleted, as the database keeps it — with the participant cookie's value, so a browser
  that rated keeps its own rating after a restore. Some early format 3 files lack these two; they read as
  none. Since migration 0011 one day may hold several viewings of a movie: one per night (lottery or
  poll), and at most one recorded by hand (both null); a viewing names at most one night. Older files,
  where a viewing could name a lottery and a poll at once, read as one viewing per night.
  Since migration 0015 a poll carries ``verification`` (``none`` or ``telegram``: who may vote) and every
  ballot and rating its ``telegram_user_id`` (the Telegram account a Mini App proved, or null): one per
  account per night, as the database holds it. Files without them read as ``none`` and null.
  Since migration 0017 a file may carry ``telegram_chats``: the Telegram chats the owner connected
  (``{"chat_id", "title", "bound_at"}``, by chat id), written only when there is one, so a site without
  Telegram writes the same bytes as before. The one-time connect codes are not kept: they last an hour.
  Since migration 0018 it may carry ``telegram_members_only_polls``: the ids of the polls only a connected
  chat's members may vote in (``members_of_chat``), sorted, written only when there is one. Whom the bot has
  seen in a chat is not kept: Telegram tells it again.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime
from typing import Any

from movie_lottery.core.models import LibraryMovie, Lottery, MovieFields, Poll, Rating
from movie_lottery.core.same_movie import title_key
from movie_lottery.library.filters import effective_status, utc_today

FORMAT = "movie-lottery-backup"
VERSION = 3
TOP_KEYS = (
    "format",
    "version",
    "library",
    "lotteries",
    "polls",
    "telegram_chats",
    "telegram_members_only_polls",
)
CHAT_KEYS = ("chat_id", "title", "bound_at")
MOVIE_KEYS = (
    "kinopoisk_id",
    "name",
    "year",
    "poster",
    "description",
    "rating",
    "genres",
    "countries",
    "details",
)
MARK_KEYS = ("status", "excluded_until", "favourite")
LIBRARY_KEYS = (*MOVIE_KEYS, "magnet", "info_hash", "added_at", *MARK_KEYS, "viewings", "ratings")
VIEWING_KEYS = ("date", "lottery_id", "poll_id")
RATING_KEYS = ("lottery_id", "poll_id", "participant", "name", "score", "rated_at", "telegram_user_id")
NIGHT_KEYS = ("lottery_id", "poll_id")
LOTTERY_KEYS = (
    "id",
    "created_at",
    "drawn_at",
    "seed",
    "commitment",
    "play_token",
    "winner_position",
    "auto_download",
    "candidates",
)
CANDIDATE_KEYS = ("position", *MOVIE_KEYS)
POLL_KEYS = (
    "id",
    "created_at",
    "method",
    "results",
    "veto",
    "auto_download",
    "verification",
    "deadline",
    "seed",
    "commitment",
    "manage_token",
    "closed_at",
    "closed_by",
    "result",
    "candidates",
    "ballots",
)
BALLOT_KEYS = ("participant", "name", "choices", "veto", "cast_at", "telegram_user_id")
TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"
FLOAT_DECIMALS = 6


# ---- canonical values -----------------------------------------------------------------------------------


def timestamp(value: datetime) -> str:
    return value.astimezone(UTC).strftime(TIMESTAMP_FORMAT)


def parse_timestamp(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def canonical_number(value: Any) -> Any:
    return round(float(value), FLOAT_DECIMALS) if isinstance(value, float) else value


def movie_fields(movie: MovieFields) -> dict:
    return {
        "kinopoisk_id": movie.kinopoisk_id,
        "name": movie.name,
        "year": movie.year,
        "poster": movie.poster,
        "description": movie.description,
        "rating": canonical_number(movie.rating),
        "genres": list(movie.genres or []),
        "countries": list(movie.countries or []),
        "details": {key: canonical_number(value) for key, value in (movie.details or {}).items()},
    }


def library_entry(movie: LibraryMovie, ratings: Iterable[Rating] = (), today: date | None = None) -> dict:
    """The movie as the file holds it; ``ratings`` are its rows of the rating table (the model has no
    relationship for them: the card reads only their sum and count)."""
    status = effective_status(movie.status, movie.excluded_until, today or utc_today())
    until = movie.excluded_until if status == "excluded" else None
    return {
        **movie_fields(movie),
        "magnet": movie.magnet,
        "info_hash": movie.info_hash,
        "added_at": timestamp(movie.added_at),
        "status": status,
        "excluded_until": until.isoformat() if until else None,
        "favourite": bool(movie.favourite),
        "viewings": sorted(
            (
                {"date": v.watched_on.isoformat(), "lottery_id": v.lottery_id, "poll_id": v.poll_id}
                for v in movie.viewings
            ),
            key=viewing_order,
        ),
        "ratings": sorted((rating_entry(rating) for rating in ratings), key=rating_order),
    }


def viewing_order(viewing: dict) -> tuple:
    """Oldest first; nights of one day (several since 0011) by their lottery, then their poll, the day
    recorded by hand first."""
    return viewing["date"], viewing["lottery_id"] or "", viewing["poll_id"] or ""


def rating_entry(rating: Rating) -> dict:
    return {
        "lottery_id": rating.lottery_id,
        "poll_id": rating.poll_id,
        "participant": rating.participant,
        "name": rating.name,
        "score": rating.score,
        "rated_at": timestamp(rating.rated_at),
        "telegram_user_id": rating.telegram_user_id,
    }


def rating_order(entry: dict) -> tuple:
    """Oldest first; a night and its participant name one rating, so the order is total."""
    return entry["rated_at"], entry["lottery_id"] or "", entry["poll_id"] or "", entry["participant"]


def lottery_entry(lottery: Lottery) -> dict:
    """Everything needed to bring a lottery back as it was, its secrets included.

    ``play_token`` is in the file because the play link (``/l/<id>/play/<token>``) was already sent to a
    friend: without the token a restored, undrawn lottery could never be drawn from that link. ``seed`` is
    there because the draw is a function of it and the published commitment must keep matching. So a
    backup is as secret as the admin password.
    """
    return {
        "id": lottery.id,
        "created_at": timestamp(lottery.created_at),
        "drawn_at": timestamp(lottery.drawn_at) if lottery.drawn_at else None,
        "seed": lottery.seed,
        "commitment": lottery.commitment,
        "play_token": lottery.play_token,
        "winner_position": lottery.winner_position,
        "auto_download": bool(lottery.auto_download),
        "candidates": [
            {"position": movie.position, **movie_fields(movie)}
            for movie in sorted(lottery.movies, key=lambda m: m.position)
        ],
    }


def poll_entry(poll: Poll) -> dict:
    """A poll as it can be brought back, its secrets included as a lottery's are: the seed (its tie-break,
    which the published commitment must keep matching), the manage token (the creator's link was sent) and
    each participant's cookie value (a browser that voted keeps its own ballot after a restore)."""
    return {
        "id": poll.id,
        "created_at": timestamp(poll.created_at),
        "method": poll.method,
        "results": poll.results,
        "veto": bool(poll.veto),
        "auto_download": bool(poll.auto_download),
        "verification": poll.verification,
        "deadline": timestamp(poll.deadline) if poll.deadline else None,
        "seed": poll.seed,
        "commitment": poll.commitment,
        "manage_token": poll.manage_token,
        "closed_at": timestamp(poll.closed_at) if poll.closed_at else None,
        "closed_by": poll.closed_by,
        "result": poll.result,
        "candidates": [
            {"position": movie.position, **movie_fields(movie)}
            for movie in sorted(poll.movies, key=lambda m: m.position)
        ],
        # In the order they were first cast (the voters' order on the poll page), not by any id.
        "ballots": [
            {
                "participant": ballot.participant,
                "name": ballot.name,
                "choices": list(ballot.choices),
                "veto": ballot.veto,
                "cast_at": timestamp(ballot.cast_at),
                "telegram_user_id": ballot.telegram_user_id,
            }
            for ballot in poll.ballots
        ],
    }


def library_order(entry: dict) -> tuple:
    """Kinopoisk id first, then title and year: natural keys, compared in Python, never by a DB collation."""
    kinopoisk_id, year = entry["kinopoisk_id"], entry["year"]
    return (
        kinopoisk_id is None,
        kinopoisk_id or 0,
        title_key(entry["name"], None)[0],
        year is None,
        year or 0,
        entry["added_at"],
        entry["name"],
        entry["info_hash"] or "",
    )


def lottery_order(entry: dict) -> tuple:
    """Oldest first, so a newer backup differs from an older one by lines appended at the end."""
    return entry["created_at"], entry["id"]


poll_order = lottery_order


def chat_entry(chat: Any) -> dict:
    """A connected Telegram chat (telegram.models.BoundChat)."""
    return {"chat_id": chat.chat_id, "title": chat.title, "bound_at": timestamp(chat.bound_at)}
