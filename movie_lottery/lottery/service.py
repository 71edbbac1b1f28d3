"""The lottery: create it, draw it exactly once, and let anyone verify the draw.

Fairness, in three lines (the README spells it out for checking by hand; reel.py holds the formula):
- at creation the server picks a secret 256-bit ``seed`` and publishes ``commitment = sha256(seed)``;
- the winner is ``int(sha256(seed + "\\n" + id + "\\n" + "\\n".join(names)), 16) % len(names)``;
- after the draw the seed is revealed, so anyone can recompute both.

Exactly once: the draw is one conditional UPDATE (``WHERE winner_position IS NULL``), so it holds across
threads, worker processes and instances. Since the winner is a function of the seed, every concurrent
drawer computes the same answer anyway; the UPDATE decides only who records it first.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import aliased, selectinload

from movie_lottery.core import events, reel
from movie_lottery.core.errors import Forbidden, InvalidInput, NotFound
from movie_lottery.core.extensions import db
from movie_lottery.core.models import (
    LibraryMovie,
    Lottery,
    LotteryMovie,
    MovieFields,
    Rating,
    Viewing,
    utcnow,
)
from movie_lottery.core.reel import commitment_for
from movie_lottery.core.same_movie import is_same_movie
from movie_lottery.core.storing import add_with_fresh_id
from movie_lottery.core.validation import load_movie

MIN_MOVIES = 2
MAX_MOVIES = 25
HISTORY_PAGE_SIZE = 20


def winner_index(seed: str, lottery_id: str, names: list[str]) -> int:
    """The documented draw: the reel's pick (reel.pick_index) among the candidates in listed order."""
    if not names:
        raise ValueError("a lottery needs candidates")
    return reel.pick_index(seed, lottery_id, names)


def validate_candidates(
    raw_movies: object, *, refuse_duplicates: bool = True, container: str = "одной лотерее"
) -> list[dict]:
    """Check the list as a whole: its size and that no movie appears twice (in a lottery or a poll).

    ``refuse_duplicates=False`` is for lotteries already made (a backup): one made before the rule grew
    stricter (ё/е) is still a fair draw over its list, and must stay restorable.
    """
    if not isinstance(raw_movies, list):
        raise InvalidInput("Нужен список фильмов", code="invalid_movies")
    if len(raw_movies) < MIN_MOVIES:
        raise InvalidInput(f"Нужно хотя бы {MIN_MOVIES} фильма", code="too_few_movies")
    if len(raw_movies) > MAX_MOVIES:
        raise InvalidInput(f"Не больше {MAX_MOVIES} фильмов в {container}", code="too_many_movies")
    movies: list[dict] = []
    for position, raw in enumerate(raw_movies):
        try:
            movie = load_movie(raw)
        except InvalidInput as exc:
            exc.message = f"Фильм №{position + 1}: {exc.message}"
            exc.details["index"] = position
            raise
        # Pairwise, as the library decides it: at most 25 × 24 / 2 comparisons.
        if refuse_duplicates and any(is_same_movie(movie, earlier) for earlier in movies):
            raise InvalidInput(
                f"«{movie['name']}» уже есть в списке", code="duplicate_movie", details={"index": position}
            )
        movies.append(movie)
    return movies


@dataclass(frozen=True)
class CreatedLottery:
    lottery: Lottery
    play_token: str


def create_lottery(
    raw_movies: object, auto_download: bool = False, *, send_to_chat: bool = False
) -> CreatedLottery:
    """``send_to_chat``: the bot posts the lottery's card to the bound chats (a NIGHT_CREATED listener adds
    the message in this transaction)."""
    movies = validate_candidates(raw_movies)

    def build(lottery_id: str) -> Lottery:
        seed = reel.new_seed()
        row = Lottery(
            id=lottery_id,
            seed=seed,
            commitment=commitment_for(seed),
            play_token=reel.new_token(),
            auto_download=bool(auto_download),
            movies=[LotteryMovie(position=i, **movie) for i, movie in enumerate(movies)],
        )
        events.emit(
            events.NIGHT_CREATED,
            kind="lottery",
            night_id=lottery_id,
            movies=movies,
            send_to_chat=send_to_chat,
        )
        return row

    lottery = add_with_fresh_id(build)
    return CreatedLottery(lottery=lottery, play_token=lottery.play_token)


def get_lottery(lottery_id: str) -> Lottery:
    lottery = db.session.get(Lottery, lottery_id, options=[selectinload(Lottery.movies)])
    if lottery is None:
        raise NotFound("Такой лотереи нет — проверьте ссылку", code="lottery_not_found")
    return lottery


def token_matches(lottery: Lottery, token: str | None) -> bool:
    return reel.token_matches(lottery.play_token, token)


@dataclass(frozen=True)
class DrawResult:
    lottery: Lottery
    newly_drawn: bool  # False when this call found the lottery already drawn


def draw(lottery_id: str, token: str | None, by_admin: bool = False) -> DrawResult:
    """Draw the winner, or return the one already drawn. The token or an admin is required."""
    lottery = get_lottery(lottery_id)
    if not by_admin and not token_matches(lottery, token):
        raise Forbidden("Крутить барабан может только тот, у кого ссылка для розыгрыша", code="bad_token")
    if lottery.winner_position is not None:
        return DrawResult(lottery, newly_drawn=False)
    index = winner_index(lottery.seed, lottery.id, [m.name for m in lottery.movies])
    result = db.session.execute(
        sa.update(Lottery)
        .where(Lottery.id == lottery.id, Lottery.winner_position.is_(None))
        .values(winner_position=index, drawn_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if result.rowcount == 1:  # once: the result's post is in the draw's own transaction
        events.emit(events.LOTTERY_DRAWN, lottery_id=lottery.id, winner_position=index)
    db.session.commit()
    db.session.refresh(lottery)
    return DrawResult(lottery, newly_drawn=result.rowcount == 1)


@dataclass(frozen=True)
class LotteryPage:
    lotteries: list[Lottery]
    page: int
    pages: int
    total: int


def list_lotteries(page: int = 1, per_page: int = HISTORY_PAGE_SIZE) -> LotteryPage:
    """Newest first; a fixed number of queries whatever the page holds."""
    total = db.session.scalar(sa.select(sa.func.count()).select_from(Lottery)) or 0
    pages = max(1, math.ceil(total / per_page))
    page = min(max(1, page), pages)
    lotteries = list(
        db.session.scalars(
            sa.select(Lottery)
            .options(selectinload(Lottery.movies))
            .order_by(Lottery.created_at.desc(), Lottery.id)
            .limit(per_page)
            .offset((page - 1) * per_page)
        )
    )
    return LotteryPage(lotteries=lotteries, page=page, pages=pages, total=total)


def delete_lottery(lottery_id: str) -> None:
    lottery = get_lottery(lottery_id)
    keep_the_night_without("lottery_id", lottery.id)
    db.session.delete(lottery)
    db.session.commit()


def keep_the_night_without(night_key: str, night_id: str) -> None:
    """Before a lottery or poll (``night_key`` "lottery_id" or "poll_id") is deleted: its movie night and
    ratings stay in the library without it, the ratings still counting on the movie's card. ON DELETE SET NULL
    does it on PostgreSQL; SQLite runs here without foreign-key enforcement, and a restored night of that id
    would inherit them.

    Its viewing becomes a day recorded by hand, and those are one per movie and day (0011): when the movie
    has one on that day already, the night's viewing goes instead. The movie's row is locked first, so two
    nights of one movie and day deleted at once take turns (SQLite's write lock does that by itself)."""
    column = getattr(Viewing, night_key)
    movie_ids = sa.select(Viewing.movie_id).where(column == night_id).scalar_subquery()
    db.session.execute(  # not FOR UPDATE: a rating's foreign-key check (KEY SHARE) need not wait for it
        sa.select(LibraryMovie.id).where(LibraryMovie.id == movie_ids).with_for_update(key_share=True)
    )
    by_hand = aliased(Viewing)
    db.session.execute(
        sa.delete(Viewing)
        .where(
            column == night_id,
            sa.exists().where(
                by_hand.movie_id == Viewing.movie_id,
                by_hand.watched_on == Viewing.watched_on,
                by_hand.lottery_id.is_(None),
                by_hand.poll_id.is_(None),
            ),
        )
        .execution_options(synchronize_session=False)
    )
    for table in (Viewing, Rating):
        db.session.execute(
            sa.update(table)
            .where(getattr(table, night_key) == night_id)
            .values({night_key: None})
            .execution_options(synchronize_session=False)
        )


def recent_winner_posters(limit: int = 12) -> list[str]:
    """Posters of the latest winners, for the decorative background collage."""
    rows = db.session.execute(
        sa.select(LotteryMovie.poster)
        .join(Lottery, Lottery.id == LotteryMovie.lottery_id)
        .where(Lottery.winner_position == LotteryMovie.position, LotteryMovie.poster.is_not(None))
        .order_by(Lottery.drawn_at.desc())
        .limit(limit)
    )
    return [poster for (poster,) in rows]


# ---- what a reader may see --------------------------------------------------------------------------


def revealed_seed(lottery: Lottery) -> str | None:
    """The seed once drawn; before that it would give the winner away."""
    return lottery.seed if lottery.winner_position is not None else None


def movie_extras(movie: MovieFields) -> dict:
    """The Kinopoisk extras a stored movie knows (``details``), and its kinopoisk.ru page given its id."""
    extras = dict(movie.details or {})
    if "kinopoisk_url" not in extras and movie.kinopoisk_id:
        extras["kinopoisk_url"] = f"https://www.kinopoisk.ru/film/{movie.kinopoisk_id}/"
    return extras


def movie_to_dict(movie: MovieFields) -> dict:
    """A stored movie's fields as plain values: what a candidate is built from, or a library movie added."""
    return {
        "kinopoisk_id": movie.kinopoisk_id,
        "name": movie.name,
        "year": movie.year,
        "poster": movie.poster,
        "description": movie.description,
        "rating": movie.rating,
        "genres": list(movie.genres or []),
        "countries": list(movie.countries or []),
        **movie_extras(movie),
    }
