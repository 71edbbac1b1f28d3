"""What the JSON API answers, for the OpenAPI document only.

The views build their answers as plain dicts (no per-request serialisation on the polled endpoints); these
schemas describe them. Every object is closed (``additionalProperties: false``, marshmallow's RAISE), so the
fuzz test notices a field that an answer carries and the document does not.
"""

from __future__ import annotations

from marshmallow import RAISE, Schema, fields, validate

from ..models import DOWNLOAD_STATUSES, LIBRARY_STATUSES, POLL_CLOSERS
from .api_schemas import Shared


class Closed(Shared, Schema):
    class Meta:
        unknown = RAISE


def _text(description: str | None = None, **options) -> fields.String:
    metadata = {"description": description} if description else {}
    return fields.String(required=True, metadata=metadata, **options)


def _maybe(field: type[fields.Field], description: str | None = None, **options) -> fields.Field:
    """Always present, possibly null."""
    metadata = {"description": description} if description else {}
    return field(required=True, allow_none=True, metadata=metadata, **options)


def _extra(field: type[fields.Field], description: str) -> fields.Field:
    """Present only when known (the Kinopoisk extras)."""
    return field(allow_none=True, metadata={"description": description})


class Movie(Closed):
    kinopoisk_id = _maybe(fields.Integer)
    name = _text()
    year = _maybe(fields.Integer)
    poster = _maybe(fields.String, "http(s) URL of the poster")
    description = _maybe(fields.String)
    rating = _maybe(fields.Float, "Kinopoisk rating, 0–10")
    genres = fields.List(fields.String(), required=True)
    countries = fields.List(fields.String(), required=True)
    poster_preview = _extra(fields.String, "A smaller poster")
    rating_imdb = _extra(fields.Float, "IMDb rating, 0–10")
    length = _extra(fields.Integer, "Running time, minutes")
    trailer_url = _extra(fields.String, "Trailer (an embeddable URL)")
    kinopoisk_url = _extra(fields.String, "The movie's page on kinopoisk.ru")


STATUS_DOC = (
    "want «хочу посмотреть», watched «посмотрели», excluded «не предлагать» (an exclusion whose day has "
    "come is want)"
)


def _status() -> fields.String:
    return _text(STATUS_DOC, validate=validate.OneOf(LIBRARY_STATUSES))


class LibraryNote(Closed):
    """What the library knows of a movie (a lottery's candidate, a search hit)."""

    id = fields.Integer(required=True, metadata={"description": "The library movie"})
    status = _status()
    excluded_until = _maybe(fields.Date, "excluded: the day it is back in want; null: for good")
    favourite = fields.Boolean(required=True)
    last_watched = _maybe(fields.Date, "The latest viewing's day")
    times_watched = fields.Integer(required=True, metadata={"description": "Viewings recorded"})
    text = _text(
        "What the pages say of it: «смотрели 3 марта», «смотрели 2 раза, последний — 3 марта», «исключён до "
        "1 января», «исключён навсегда», or the status alone («хочу посмотреть», «посмотрели»)",
    )


class LibraryNotes(Closed):
    notes = fields.List(
        _maybe(fields.Nested, nested=LibraryNote),
        required=True,
        metadata={"description": "One per movie sent, in order; null: not in the library"},
    )


class SearchHit(Movie):
    is_series = fields.Boolean(metadata={"description": "A series rather than a film"})
    library = _maybe(fields.Nested, nested=LibraryNote, description="The library's movie; null if none")


class SearchResults(Closed):
    results = fields.List(fields.Nested(SearchHit), required=True)
    cached = fields.Boolean(required=True, metadata={"description": "Answered from the 24-hour cache"})


class Candidate(Movie):
    position = fields.Integer(required=True, metadata={"description": "0-based place in the list"})


class Lottery(Closed):
    id = _text("8 URL-safe characters")
    created_at = fields.DateTime(required=True)
    movies = fields.List(fields.Nested(Candidate), required=True)
    winner = _maybe(fields.Nested, nested=Candidate, description="null until drawn")
    drawn_at = _maybe(fields.DateTime)
    commitment = _text("sha256 of the seed, published at creation")
    seed = _maybe(fields.String, "Revealed once drawn: sha256(seed) must equal the commitment")
    auto_download = fields.Boolean(required=True)


class LotteryWithLinks(Lottery):
    wait_url = _text("The page everyone waits on")
    play_url = fields.String(metadata={"description": "The page that draws; for the admin only"})
    play_token = fields.String(metadata={"description": "The draw's token; for the admin only"})


class CreatedLottery(LotteryWithLinks):
    play_url = _text("The page that draws: send it to the friend who spins")
    play_token = _text("The token POST /draw needs")


class LotteryPage(Closed):
    lotteries = fields.List(fields.Nested(LotteryWithLinks), required=True)
    page = fields.Integer(required=True)
    pages = fields.Integer(required=True)
    total = fields.Integer(required=True)


class PollResult(Closed):
    winner = _maybe(
        fields.Integer,
        "The winner's place; once closed, the reel's pick among `tied` (null while a live poll is tied)",
    )
    tied = fields.List(
        fields.Integer(), required=True, metadata={"description": "The places sharing first, in list order"}
    )
    ballots = fields.Integer(required=True, metadata={"description": "Ballots counted"})
    vetoes = fields.List(fields.Integer(), required=True, metadata={"description": "Vetoes per movie"})
    excluded = fields.List(
        fields.Integer(),
        required=True,
        metadata={"description": "Vetoed movies left out of the count (none when every movie is vetoed)"},
    )
    counts = fields.List(fields.Integer(), metadata={"description": "Approval: «да» per movie"})
    pairwise = fields.List(
        fields.List(fields.Integer()),
        metadata={"description": "Ranked: pairwise[a][b] = ballots that put a above b (Schulze reads it)"},
    )


class Poll(Closed):
    id = _text("8 URL-safe characters")
    created_at = fields.DateTime(required=True)
    status = _text(validate=validate.OneOf(["open", "closed"]))
    method = _text(validate=validate.OneOf(["approval", "ranked"]))
    results = _text("When the result is shown", validate=validate.OneOf(["after_close", "live"]))
    veto = fields.Boolean(required=True, metadata={"description": "Each participant may veto one movie"})
    auto_download = fields.Boolean(
        required=True, metadata={"description": "The winner is queued once closed"}
    )
    movies = fields.List(fields.Nested(Candidate), required=True)
    voters = fields.List(fields.String(), required=True, metadata={"description": "Who has voted, in order"})
    deadline = _maybe(fields.DateTime, "When it closes by itself; null: when its creator closes it")
    closed_at = _maybe(fields.DateTime)
    closed_by = _maybe(fields.String, "creator, admin or deadline", validate=validate.OneOf(POLL_CLOSERS))
    commitment = _text("sha256 of the seed, published at creation")
    seed = _maybe(fields.String, "Revealed once closed: sha256(seed) must equal the commitment")
    result = _maybe(fields.Nested, nested=PollResult, description="null until shown (live, or once closed)")
    poll_url = _text("The page everyone votes on")
    manage_url = fields.String(metadata={"description": "Close early, remove a ballot; for the admin only"})
    manage_token = fields.String(metadata={"description": "The manage link's token; for the admin only"})


class CreatedPoll(Poll):
    manage_url = _text("The creator's page: close early, remove a ballot")
    manage_token = _text("The token POST /close and DELETE /ballots/<name> need")


class OwnBallot(Closed):
    name = _text()
    approve = fields.List(fields.Integer(), metadata={"description": "Approval polls"})
    ranking = fields.List(fields.Integer(), metadata={"description": "Ranked polls, best first"})
    veto = _maybe(fields.Integer)


class Download(Closed):
    status = _text(validate=validate.OneOf(DOWNLOAD_STATUSES))
    info_hash = _text("40 lowercase hex characters")
    requested_at = fields.DateTime(required=True)
    sent_at = _maybe(fields.DateTime)
    finished_at = _maybe(fields.DateTime)
    attempts = fields.Integer(required=True)
    last_error = _maybe(fields.String)


class RemovalState(Closed):
    status = _text(
        "pending: stored, sent when qBittorrent answers; sent: qBittorrent took the delete; done: gone",
        validate=validate.OneOf(["pending", "sent", "done"]),
    )
    info_hash = _text("40 lowercase hex characters")
    delete_files = fields.Boolean(required=True)
    requested_at = fields.DateTime(required=True)
    sent_at = _maybe(fields.DateTime)
    finished_at = _maybe(fields.DateTime)


class GroupRating(Closed):
    average = fields.Float(required=True)
    count = fields.Integer(required=True)


class LibraryMovie(Movie):
    id = fields.Integer(required=True)
    status = _status()
    excluded_until = _maybe(
        fields.Date, "excluded: the day it is back in want; null: for good (or not excluded)"
    )
    favourite = fields.Boolean(required=True, metadata={"description": "«любимое»"})
    viewings = fields.List(
        fields.Date(), required=True, metadata={"description": "Days watched, newest first"}
    )
    last_watched = _maybe(fields.Date, "The newest of viewings")
    added_at = fields.DateTime(required=True)
    magnet = _maybe(fields.String)
    info_hash = _maybe(fields.String, "40 lowercase hex characters")
    torrent_search_url = _maybe(fields.String, "The tracker search for it, when TORRENT_SEARCH_URL is set")
    download = _maybe(fields.Nested, nested=Download, description="The download asked for; null if none")
    removal = _maybe(
        fields.Nested,
        nested=RemovalState,
        description="The torrent's removal asked for instead; null if none",
    )
    group_rating = _maybe(
        fields.Nested,
        nested=GroupRating,
        description="The group's 1–10 ratings over every night it was watched; null before anyone rated",
    )


class RatingOwn(Closed):
    name = _text()
    score = fields.Integer(required=True, validate=validate.Range(1, 10))


class RatingSummary(Closed):
    watched = fields.Boolean(
        required=True, metadata={"description": "The winner is marked watched: ratings are open"}
    )
    average = _maybe(fields.Float, "The group's average score, 1–10; null before anyone rated")
    count = fields.Integer(required=True, metadata={"description": "How many rated"})
    text = _maybe(fields.String, "In words: «оценка группы 7,5 · 4 голоса»; null before anyone rated")
    mine = _maybe(fields.Nested, nested=RatingOwn, description="Your rating (the participant cookie's)")
    name = _maybe(
        fields.String, "The name the participant cookie goes by here (its rating's or its ballot's), if any"
    )


class StatusCounts(Closed):
    want = fields.Integer(required=True)
    watched = fields.Integer(required=True)
    excluded = fields.Integer(required=True)


class LibraryPage(Closed):
    movies = fields.List(fields.Nested(LibraryMovie), required=True)
    total = fields.Integer(required=True, metadata={"description": "Movies that pass the filter"})
    page = fields.Integer(required=True)
    pages = fields.Integer(required=True)
    counts = fields.Nested(
        StatusCounts,
        required=True,
        metadata={"description": "Movies per status under the rest of the filter (genre, years, rating, q)"},
    )


class RandomPick(Closed):
    movies = fields.List(
        fields.Nested(LibraryMovie),
        required=True,
        metadata={"description": "Distinct, in the order drawn; fewer than n when fewer match"},
    )


class Genres(Closed):
    genres = fields.List(fields.String(), required=True, metadata={"description": "Normalised, sorted"})


class DownloadAccepted(Closed):
    download = fields.Nested(Download, required=True)


class Removal(Closed):
    info_hash = _text()
    delete_files = fields.Boolean(required=True)
    status = _text(
        "Stored: the removal is carried out in the background, also after a restart; follow it in the "
        "movie's `removal` (a download still queued is only called off: its removal is done at once)",
        validate=validate.OneOf(["queued"]),
    )


class RemovalAccepted(Closed):
    removal = fields.Nested(Removal, required=True)


class Breaker(Closed):
    state = _text(validate=validate.OneOf(["closed", "open", "half_open"]))
    retry_at = _maybe(fields.DateTime)


class Torrent(Closed):
    movie_id = _maybe(fields.Integer, "The library movie with this hash, if any")
    info_hash = _text()
    name = _text()
    state = _text("qBittorrent's state")
    progress = fields.Float(required=True, metadata={"description": "0–1"})
    dlspeed = fields.Integer(required=True, metadata={"description": "bytes/s"})
    eta = _maybe(fields.Integer, "seconds; null when unknown")
    size = fields.Integer(required=True, metadata={"description": "bytes"})


class PendingDownload(Closed):
    movie_id = fields.Integer(required=True)
    info_hash = _text()
    requested_at = fields.DateTime(required=True)
    attempts = fields.Integer(required=True)
    last_error = _maybe(fields.String)


class PendingRemoval(Closed):
    movie_id = _maybe(fields.Integer, "null when the movie has been deleted from the library since")
    info_hash = _text()
    delete_files = fields.Boolean(required=True)
    status = _text(validate=validate.OneOf(["pending", "sent"]))
    requested_at = fields.DateTime(required=True)


class TorrentStatus(Closed):
    configured = fields.Boolean(required=True)
    available = fields.Boolean(required=True)
    reason = _maybe(fields.String, "Why qBittorrent is not available, in Russian")
    checked_at = _maybe(fields.DateTime, "When the snapshot was taken")
    breaker = fields.Nested(Breaker, required=True)
    torrents = fields.List(fields.Nested(Torrent), required=True)
    pending = fields.List(fields.Nested(PendingDownload), required=True)
    removals = fields.List(
        fields.Nested(PendingRemoval), required=True, metadata={"description": "Removals not yet done"}
    )


class ErrorBody(Closed):
    code = _text("Stable, for scripts: e.g. invalid_input, lottery_not_found")
    message = _text("Russian, for people")
    details = fields.Dict(metadata={"description": "Field messages (fields) and, for a movie, its index"})


class Error(Closed):
    error = fields.Nested(ErrorBody, required=True)
