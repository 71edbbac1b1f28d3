"""The schema for the whole product. Constraints live here, so the database enforces them too."""

from __future__ import annotations

from datetime import UTC, date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, column_property, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from movie_lottery.core import text_rules
from movie_lottery.core.extensions import db
from movie_lottery.core.same_movie import normalise_text, same_movie_key

DOWNLOAD_STATUSES = ("pending", "sent", "done", "failed")
# What a row wants of qBittorrent: the torrent there ("download") or gone ("removal").
DOWNLOAD_KINDS = ("download", "removal")
# What the group thinks of a library movie: «хочу посмотреть», «посмотрели», «не предлагать».
LIBRARY_STATUSES = ("want", "watched", "excluded")
# Between the normalised genres of ``LibraryMovie.genre_text``: a genre can hold no control character.
GENRE_SEPARATOR = "\n"
# Ballots of one poll, ratings of one night: held by counter columns and CHECKs (migration 0011), so no
# interleaving of writers can pass them; the services' own checks only answer sooner.
NIGHT_ROWS_MAX = 500


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC on every backend (SQLite stores naive text; we attach UTC on the way out)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; use an aware UTC datetime")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class MovieFields:
    """The movie shape shared by lottery candidates and library movies (the API's movie object)."""

    kinopoisk_id: Mapped[int | None] = mapped_column(sa.Integer)
    name: Mapped[str] = mapped_column(sa.String(200))
    year: Mapped[int | None] = mapped_column(sa.Integer)
    poster: Mapped[str | None] = mapped_column(sa.String(1000))
    description: Mapped[str | None] = mapped_column(sa.Text)
    rating: Mapped[float | None] = mapped_column(sa.Float)
    genres: Mapped[list] = mapped_column(sa.JSON, default=list)
    countries: Mapped[list] = mapped_column(sa.JSON, default=list)
    # Kinopoisk extras (poster preview, IMDb rating, length, trailer, page URL): shown, never queried.
    details: Mapped[dict] = mapped_column(sa.JSON, default=dict)


def _within_cap(column: str) -> sa.CheckConstraint:
    name = column.replace("_count", "s") + "_within_cap"
    return sa.CheckConstraint(f"{column} >= 0 AND {column} <= {NIGHT_ROWS_MAX}", name=name)


class Lottery(db.Model):
    """``rating_count`` is kept by triggers on rating (0011): the night's ratings, at most NIGHT_ROWS_MAX."""

    __tablename__ = "lottery"
    __table_args__ = (
        sa.CheckConstraint("(winner_position IS NULL) = (drawn_at IS NULL)", name="drawn_together"),
        _within_cap("rating_count"),
    )

    id: Mapped[str] = mapped_column(sa.String(16), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    seed: Mapped[str] = mapped_column(sa.String(64))
    commitment: Mapped[str] = mapped_column(sa.String(64))
    play_token: Mapped[str] = mapped_column(sa.String(64))
    winner_position: Mapped[int | None] = mapped_column(sa.Integer)
    drawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    auto_download: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    rating_count: Mapped[int] = mapped_column(sa.Integer, default=0, server_default="0")

    movies: Mapped[list[LotteryMovie]] = relationship(
        back_populates="lottery",
        order_by="LotteryMovie.position",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )

    @property
    def winner(self) -> LotteryMovie | None:
        if self.winner_position is None:
            return None
        return next((m for m in self.movies if m.position == self.winner_position), None)


class LotteryMovie(MovieFields, db.Model):
    __tablename__ = "lottery_movie"
    __table_args__ = (
        sa.UniqueConstraint("lottery_id", "position"),
        sa.UniqueConstraint("lottery_id", "kinopoisk_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    lottery_id: Mapped[str] = mapped_column(sa.ForeignKey("lottery.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(sa.Integer)

    lottery: Mapped[Lottery] = relationship(back_populates="movies")


POLL_METHODS = ("approval", "ranked")
POLL_RESULTS = ("after_close", "live")  # when the result is shown: once closed, or while it is open
# Who may vote: anyone with the link, or only people Telegram vouches for (a Mini App's signed init data).
POLL_VERIFICATIONS = ("none", "telegram")
POLL_CLOSERS = ("creator", "admin", "deadline")
PARTICIPANT_NAME_MAX = text_rules.PARTICIPANT_NAME_MAX  # names are counted in code points, as VARCHAR


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN (" + ", ".join(f"'{v}'" for v in values) + ")"


class Poll(db.Model):
    """A group vote over 2–25 candidates. Like a lottery it commits to a seed at creation (polls.py).

    Closed exactly once, by one conditional UPDATE of ``closed_at`` (from then on no ballot is taken); the
    result, a function of the ballots frozen by it and of the seed, is then stored once with its winner, by
    another (``winner_position`` and ``result`` are set together, and only on a closed poll).

    ``ballot_count`` and ``rating_count`` are kept by triggers on ballot and rating (0011) and capped by
    CHECKs: the trigger's UPDATE of this row also makes concurrent ballots of one poll pass one at a time.
    Never written by the app.
    """

    __tablename__ = "poll"
    __table_args__ = (
        sa.CheckConstraint(_one_of("method", POLL_METHODS), name="known_method"),
        sa.CheckConstraint(_one_of("results", POLL_RESULTS), name="known_results"),
        sa.CheckConstraint(_one_of("verification", POLL_VERIFICATIONS), name="known_verification"),
        sa.CheckConstraint(_one_of("closed_by", POLL_CLOSERS), name="known_closer"),
        sa.CheckConstraint("(closed_at IS NULL) = (closed_by IS NULL)", name="closed_together"),
        sa.CheckConstraint(
            "(winner_position IS NULL) = (result IS NULL) AND (result IS NULL OR closed_at IS NOT NULL)",
            name="counted_once_closed",
        ),
        _within_cap("ballot_count"),
        _within_cap("rating_count"),
    )

    id: Mapped[str] = mapped_column(sa.String(16), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    method: Mapped[str] = mapped_column(sa.String(16), default="approval")
    results: Mapped[str] = mapped_column(sa.String(16), default="after_close")
    veto: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    auto_download: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    verification: Mapped[str] = mapped_column(sa.String(16), default="none", server_default="none")
    deadline: Mapped[datetime | None] = mapped_column(UTCDateTime)
    seed: Mapped[str] = mapped_column(sa.String(64))
    commitment: Mapped[str] = mapped_column(sa.String(64))
    manage_token: Mapped[str] = mapped_column(sa.String(64))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_by: Mapped[str | None] = mapped_column(sa.String(16))
    winner_position: Mapped[int | None] = mapped_column(sa.Integer)
    result: Mapped[dict | None] = mapped_column(sa.JSON(none_as_null=True))
    ballot_count: Mapped[int] = mapped_column(sa.Integer, default=0, server_default="0")
    rating_count: Mapped[int] = mapped_column(sa.Integer, default=0, server_default="0")

    movies: Mapped[list[PollMovie]] = relationship(
        back_populates="poll",
        order_by="PollMovie.position",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )
    ballots: Mapped[list[PollBallot]] = relationship(
        back_populates="poll", order_by="PollBallot.id", cascade="all, delete-orphan", passive_deletes=True
    )

    @property
    def winner(self) -> PollMovie | None:
        if self.winner_position is None:
            return None
        return next((m for m in self.movies if m.position == self.winner_position), None)


class PollMovie(MovieFields, db.Model):
    """A poll's candidate: the lottery candidate's shape."""

    __tablename__ = "poll_movie"
    __table_args__ = (
        sa.UniqueConstraint("poll_id", "position"),
        sa.UniqueConstraint("poll_id", "kinopoisk_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    poll_id: Mapped[str] = mapped_column(sa.ForeignKey("poll.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(sa.Integer)

    poll: Mapped[Poll] = relationship(back_populates="movies")


class PollBallot(db.Model):
    """One participant's whole ballot in one row, so it is stored whole or not at all.

    ``participant`` is the id the server derives for the voter's browser (web/participants.py);
    ``name_key`` is the name as the
    same-movie rule compares titles (case, spacing, ё/е), unique per poll. ``choices`` are positions: the
    movies approved (ascending) or the ranking, best first. ``telegram_user_id``: the Telegram account
    whose Mini App cast it (its init data checked, integrations/telegram_mini_app.py); one ballot per account
    per poll.
    """

    __tablename__ = "ballot"
    __table_args__ = (
        sa.UniqueConstraint("poll_id", "participant"),
        sa.UniqueConstraint("poll_id", "name_key"),
        sa.Index("uq_ballot_poll_id_telegram_user_id", "poll_id", "telegram_user_id", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    poll_id: Mapped[str] = mapped_column(sa.ForeignKey("poll.id", ondelete="CASCADE"))
    participant: Mapped[str] = mapped_column(sa.String(64))
    name: Mapped[str] = mapped_column(sa.String(PARTICIPANT_NAME_MAX))
    name_key: Mapped[str] = mapped_column(sa.String(200))
    choices: Mapped[list] = mapped_column(sa.JSON, default=list)
    veto: Mapped[int | None] = mapped_column(sa.Integer)
    cast_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Where the ballot first came from, for the owner's burst groups (polls/bursts.py): a keyed hash of
    # the address (core/rate_limit.Origin), and when. Not in the backup: NULL after an import.
    origin: Mapped[str | None] = mapped_column(sa.String(16))
    arrived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    telegram_user_id: Mapped[int | None] = mapped_column(sa.BigInteger)

    poll: Mapped[Poll] = relationship(back_populates="ballots")


class LibraryMovie(MovieFields, db.Model):
    """A kept movie. ``status`` is what is stored; an exclusion whose ``excluded_until`` has come counts as
    «want» wherever it is read (library_filters.effective_status_sql), so no scheduler has to flip it.

    One row per movie by the same-movie rule, held by the database (0011): ``kinopoisk_id`` is unique;
    ``same_key`` (year and normalised title) is unique among movies without an id; and a trigger refuses a
    movie without an id beside one with an id and the same key (two ids with one title are two movies, so
    that case cannot be an index). Its refusal is an IntegrityError like a unique constraint's."""

    __tablename__ = "library_movie"
    __table_args__ = (
        sa.UniqueConstraint("kinopoisk_id"),
        sa.Index(
            "uq_library_movie_same_key_without_id",
            "same_key",
            unique=True,
            sqlite_where=sa.text("kinopoisk_id IS NULL"),
            postgresql_where=sa.text("kinopoisk_id IS NULL"),
        ),
        sa.UniqueConstraint("info_hash"),
        sa.CheckConstraint(
            "status IN (" + ", ".join(f"'{s}'" for s in LIBRARY_STATUSES) + ")", name="known_status"
        ),
        sa.CheckConstraint("excluded_until IS NULL OR status = 'excluded'", name="until_only_when_excluded"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Derived on every save (see below), so SQL sorts and filters Cyrillic the same on SQLite and
    # PostgreSQL: SQLite's lower() folds only ASCII.
    sort_title: Mapped[str] = mapped_column(sa.String(200), default="", index=True)
    search_text: Mapped[str] = mapped_column(sa.Text, default="")
    same_key: Mapped[str] = mapped_column(sa.Text, default="", server_default="", index=True)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    magnet: Mapped[str | None] = mapped_column(sa.Text)
    info_hash: Mapped[str | None] = mapped_column(sa.String(40))
    # Derived like search_text: "\nдрама\nкомедия\n", so one genre is a LIKE '%\nдрама\n%' on any backend.
    genre_text: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    status: Mapped[str] = mapped_column(sa.String(16), default="want", server_default="want", index=True)
    excluded_until: Mapped[date | None] = mapped_column(sa.Date)  # null: excluded for good
    favourite: Mapped[bool] = mapped_column(sa.Boolean, default=False, server_default=sa.false())

    download: Mapped[Download | None] = relationship(
        back_populates="movie", cascade="all, delete-orphan", passive_deletes=True, uselist=False
    )
    # Newest first, as the API lists them. Loaded with the movie (get_movie, list_movies) so that deleting
    # it through the ORM deletes them too: SQLite runs here without foreign-key enforcement.
    viewings: Mapped[list[Viewing]] = relationship(
        back_populates="movie",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="Viewing.watched_on.desc()",
    )


def library_search_text(movie: LibraryMovie) -> str:
    parts = (movie.name, movie.year, *(movie.genres or []), *(movie.countries or []))
    return normalise_text(" ".join(str(part) for part in parts if part))


def genre_key(genre: str) -> str:
    """A genre as the filter compares it (case, spacing and ё/е aside)."""
    return normalise_text(genre)


def library_genre_text(genres: list | None) -> str:
    keys = [genre_key(str(genre)) for genre in genres or [] if genre_key(str(genre))]
    return GENRE_SEPARATOR + GENRE_SEPARATOR.join(keys) + GENRE_SEPARATOR if keys else ""


@sa.event.listens_for(LibraryMovie, "before_insert")
@sa.event.listens_for(LibraryMovie, "before_update")
def _derive_library_columns(_mapper, _connection, movie: LibraryMovie) -> None:
    movie.sort_title = normalise_text(movie.name)[:200]
    movie.same_key = same_movie_key(movie.name, movie.year)
    movie.search_text = library_search_text(movie)
    movie.genre_text = library_genre_text(movie.genres)


class Viewing(db.Model):
    """One movie night: the day a library movie was watched. ``lottery_id`` is the drawn lottery whose winner
    it was («Посмотрели» on the result page): the history shows the day next to that lottery; ``poll_id``
    likewise the closed poll whose winner it was (0010). A night watched opens its ratings (``Rating``).

    Each night has its own row (0011): a viewing names at most one lottery or poll, so two nights of one
    movie on one day are two rows and correcting one never touches the other. A viewing recorded by hand
    (no night) is one per movie and day (a partial unique index): that is what a date names in
    ``DELETE /api/library/<id>/viewings/<date>`` first (viewings.delete_viewing)."""

    __tablename__ = "viewing"
    __table_args__ = (
        sa.UniqueConstraint("lottery_id"),
        sa.UniqueConstraint("poll_id"),
        sa.CheckConstraint("lottery_id IS NULL OR poll_id IS NULL", name="one_night"),
        sa.Index(
            "uq_viewing_hand_recorded_day",
            "movie_id",
            "watched_on",
            unique=True,
            sqlite_where=sa.text("lottery_id IS NULL AND poll_id IS NULL"),
            postgresql_where=sa.text("lottery_id IS NULL AND poll_id IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    movie_id: Mapped[int] = mapped_column(sa.ForeignKey("library_movie.id", ondelete="CASCADE"), index=True)
    watched_on: Mapped[date] = mapped_column(sa.Date)
    lottery_id: Mapped[str | None] = mapped_column(sa.ForeignKey("lottery.id", ondelete="SET NULL"))
    poll_id: Mapped[str | None] = mapped_column(sa.ForeignKey("poll.id", ondelete="SET NULL"))

    movie: Mapped[LibraryMovie] = relationship(back_populates="viewings")


RATING_MIN, RATING_MAX = 1, 10


class Rating(db.Model):
    """One participant's 1–10 score of a watched winner: of a lottery or of a poll (ratings.py).

    ``participant`` is the id the server derives for the rater's browser in that lottery or poll (a
    voter's is their ballot's, web/participants.py); ``name_key`` the
    name as the same-movie rule compares titles, unique per lottery or poll. ``movie_id`` is the library
    movie the night's viewing is of, so the library card's average is one lookup. A rating outlives its
    lottery or poll (SET NULL: the card still counts it), not its movie.
    """

    __tablename__ = "rating"
    __table_args__ = (
        sa.UniqueConstraint("lottery_id", "participant"),
        sa.UniqueConstraint("lottery_id", "name_key"),
        sa.UniqueConstraint("poll_id", "participant"),
        sa.UniqueConstraint("poll_id", "name_key"),
        sa.Index("uq_rating_lottery_id_telegram_user_id", "lottery_id", "telegram_user_id", unique=True),
        sa.Index("uq_rating_poll_id_telegram_user_id", "poll_id", "telegram_user_id", unique=True),
        sa.CheckConstraint(f"score >= {RATING_MIN} AND score <= {RATING_MAX}", name="score_range"),
        sa.CheckConstraint("lottery_id IS NULL OR poll_id IS NULL", name="one_night"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    movie_id: Mapped[int] = mapped_column(sa.ForeignKey("library_movie.id", ondelete="CASCADE"), index=True)
    lottery_id: Mapped[str | None] = mapped_column(sa.ForeignKey("lottery.id", ondelete="SET NULL"))
    poll_id: Mapped[str | None] = mapped_column(sa.ForeignKey("poll.id", ondelete="SET NULL"))
    participant: Mapped[str] = mapped_column(sa.String(64))
    name: Mapped[str] = mapped_column(sa.String(PARTICIPANT_NAME_MAX))
    name_key: Mapped[str] = mapped_column(sa.String(200))
    score: Mapped[int] = mapped_column(sa.Integer)
    rated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    origin: Mapped[str | None] = mapped_column(sa.String(16))  # as a ballot's: for the owner's burst groups
    arrived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    telegram_user_id: Mapped[int | None] = mapped_column(sa.BigInteger)  # as a ballot's: one per account


# The group's ratings of a library movie, summed and counted in the statement that loads it (deferred:
# library.MOVIE_LOADS undefers them for the cards and the API, so the library page costs no statement more).
LibraryMovie.rating_sum = column_property(
    sa.select(sa.func.coalesce(sa.func.sum(Rating.score), 0))
    .where(Rating.movie_id == LibraryMovie.id)
    .correlate_except(Rating)
    .scalar_subquery(),
    deferred=True,
)
LibraryMovie.rating_count = column_property(
    sa.select(sa.func.count(Rating.id))
    .where(Rating.movie_id == LibraryMovie.id)
    .correlate_except(Rating)
    .scalar_subquery(),
    deferred=True,
)


class Download(db.Model):
    """A torrent wish for a library movie, stored first and carried out by the background worker.

    ``kind`` says which: "download" (pending -> sent -> done, or failed) puts the torrent in qBittorrent,
    "removal" (pending -> sent -> done) takes it out again. One row per movie, so the latest wish replaces
    the previous one. A removal outlives its movie (``movie_id`` becomes NULL when the movie is deleted):
    the torrent still goes.
    """

    __tablename__ = "download"
    __table_args__ = (
        sa.UniqueConstraint("movie_id"),
        sa.CheckConstraint(
            "status IN (" + ", ".join(f"'{s}'" for s in DOWNLOAD_STATUSES) + ")", name="known_status"
        ),
        sa.CheckConstraint(
            "kind IN (" + ", ".join(f"'{k}'" for k in DOWNLOAD_KINDS) + ")", name="known_kind"
        ),
        sa.CheckConstraint("movie_id IS NOT NULL OR kind = 'removal'", name="has_movie"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    movie_id: Mapped[int | None] = mapped_column(sa.ForeignKey("library_movie.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(sa.String(16), default="download")
    delete_files: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    info_hash: Mapped[str] = mapped_column(sa.String(40))
    magnet: Mapped[str] = mapped_column(sa.Text)
    status: Mapped[str] = mapped_column(sa.String(16), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(sa.Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(sa.String(500))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    movie: Mapped[LibraryMovie | None] = relationship(back_populates="download")

    @property
    def is_download(self) -> bool:
        return self.kind != "removal"  # a row not flushed yet has no kind: it is a download

    @property
    def removing(self) -> bool:
        """A removal not carried out yet: the card says «удаляется…»."""
        return self.kind == "removal" and self.status in ("pending", "sent")


class KinopoiskCacheEntry(db.Model):
    """One Kinopoisk answer per normalised query or id: shared by every worker, survives restarts."""

    __tablename__ = "kinopoisk_cache"

    key: Mapped[str] = mapped_column(sa.String(300), primary_key=True)
    payload: Mapped[list] = mapped_column(sa.JSON)
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class ContentVersion(db.Model):
    """One counter moved by database triggers when a row of the lotteries or the library changes (0003, 0006).

    Per-process page caches compare against it, so a cached page is never older than the data.
    """

    __tablename__ = "content_version"
    __table_args__ = (sa.CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    version: Mapped[int] = mapped_column(sa.BigInteger)


class LoginAttempt(db.Model):
    """Sign-in attempts per client address in the current window (login_throttle.py), shared by every worker.

    Times are whole seconds since the epoch: the window arithmetic happens in one SQL statement and must
    mean the same on SQLite and PostgreSQL. Not watched by the content-version triggers: no page shows it.
    """

    __tablename__ = "login_attempt"

    address: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    window_started: Mapped[int] = mapped_column(sa.BigInteger, index=True)
    attempts: Mapped[int] = mapped_column(sa.Integer)


class AdminSession(db.Model):
    """One admin sign-in, alive until logout deletes it or it is older than the session's lifetime
    (web/guards/admin_sessions.py). The signed cookie names its row, so a copied cookie dies with it.
    Not watched by the content-version triggers: no page shows it.
    """

    __tablename__ = "admin_session"

    id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class RateLimitHit(db.Model):
    """Hits per (bucket, client address) in the current window (core/rate_limit.py), shared by every worker:
    new voters and raters per night, anonymous creates on an open site. Times are whole seconds since the
    epoch, as for login_attempt. Not watched by the content-version triggers: no page shows it."""

    __tablename__ = "rate_limit_hit"

    bucket: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    window_started: Mapped[int] = mapped_column(sa.BigInteger, index=True)
    hits: Mapped[int] = mapped_column(sa.Integer)


class SiteMilestone(db.Model):
    """When something happened to the site's data, by name (milestones.py): when this database was first set
    up (stamped by migration 0009) and when a backup was last taken. Render deletes a free database some
    weeks after it was created, so the owner is told both.

    Watched by the content-version triggers (0009): the library page shows a nudge when no backup is recent.
    """

    __tablename__ = "site_milestone"

    name: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Words for a milestone that needs them: why the backup taken ``at`` would not restore (0014).
    detail: Mapped[str | None] = mapped_column(sa.Text)


class KinopoiskUsage(db.Model):
    """Requests sent to Kinopoisk per UTC day, by every worker (the free key allows about 200 a day).

    Not watched by the content-version triggers: only /status shows it, and /status is never cached.
    """

    __tablename__ = "kinopoisk_usage"

    day: Mapped[date] = mapped_column(sa.Date, primary_key=True)
    calls: Mapped[int] = mapped_column(sa.Integer)
