"""The history page: lotteries and polls together, newest first, in a fixed number of statements."""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from movie_lottery.core.extensions import db
from movie_lottery.core.models import Lottery, LotteryMovie, Poll, PollBallot, PollMovie, Viewing, utcnow
from movie_lottery.lottery.service import HISTORY_PAGE_SIZE
from movie_lottery.polls import service as polls_service


@dataclass(frozen=True)
class HistoryItem:
    kind: str  # "lottery" or "poll"
    id: str
    created_at: datetime
    movie_count: int
    winner: dict | None  # name, year, poster
    method: str | None = None  # polls: approval or ranked
    status: str | None = None  # polls: open or closed
    voter_count: int = 0  # polls
    watched_on: date | None = None  # «Посмотрели» on a lottery's result page or a closed poll (viewings.py)
    deadline: datetime | None = None  # open polls: from then on the page must be read afresh
    play_token: str | None = None  # undrawn lotteries: the admin's history leads back to a lost play link
    movie_names: list[str] = field(default_factory=list)  # in the reel's order: tells one row from another


@dataclass(frozen=True)
class HistoryPage:
    items: list[HistoryItem]
    page: int
    pages: int
    total: int
    lotteries: int
    polls: int

    @property
    def next_deadline(self) -> datetime | None:
        """The first deadline of an open poll on this page: what it shows changes then."""
        return min((item.deadline for item in self.items if item.deadline is not None), default=None)


@functools.cache
def _lottery_query() -> sa.Select:
    winner = aliased(LotteryMovie)
    is_winner = sa.and_(winner.lottery_id == Lottery.id, winner.position == Lottery.winner_position)
    movie_count = (
        sa.select(sa.func.count())
        .where(LotteryMovie.lottery_id == Lottery.id)
        .correlate(Lottery)
        .scalar_subquery()
    )
    return (
        sa.select(
            Lottery.id,
            movie_count,
            winner.name,
            winner.year,
            winner.poster,
            Viewing.watched_on,
            Lottery.play_token,
        )
        .outerjoin(winner, is_winner)
        .outerjoin(Viewing, Viewing.lottery_id == Lottery.id)
        .where(Lottery.id.in_(sa.bindparam("ids", expanding=True)))
    )


@functools.cache
def _page_query() -> sa.Select:
    both = sa.union_all(
        sa.select(sa.literal("lottery").label("kind"), Lottery.id, Lottery.created_at),
        sa.select(sa.literal("poll").label("kind"), Poll.id, Poll.created_at),
    ).subquery()
    return (
        sa.select(both.c.kind, both.c.id, both.c.created_at)
        .order_by(both.c.created_at.desc(), both.c.id)
        .limit(sa.bindparam("limit"))
        .offset(sa.bindparam("offset"))
    )


@functools.cache
def _names_query() -> sa.Select:
    """The candidates' names of the lotteries and polls on a page, in their order, in one statement."""
    ids = sa.bindparam("ids", expanding=True)
    both = sa.union_all(
        sa.select(LotteryMovie.lottery_id.label("owner"), LotteryMovie.position, LotteryMovie.name).where(
            LotteryMovie.lottery_id.in_(ids)
        ),
        sa.select(PollMovie.poll_id.label("owner"), PollMovie.position, PollMovie.name).where(
            PollMovie.poll_id.in_(ids)
        ),
    ).subquery()
    return sa.select(both.c.owner, both.c.name).order_by(both.c.owner, both.c.position)


_COUNTS = sa.select(
    sa.select(sa.func.count()).select_from(Lottery).scalar_subquery(),
    sa.select(sa.func.count()).select_from(Poll).scalar_subquery(),
)


@functools.cache
def _poll_query() -> sa.Select:
    movie_count = (
        sa.select(sa.func.count()).where(PollMovie.poll_id == Poll.id).correlate(Poll).scalar_subquery()
    )
    voter_count = (
        sa.select(sa.func.count()).where(PollBallot.poll_id == Poll.id).correlate(Poll).scalar_subquery()
    )
    winner = aliased(PollMovie)
    is_winner = sa.and_(winner.poll_id == Poll.id, winner.position == Poll.winner_position)
    return (
        sa.select(
            Poll.id,
            Poll.created_at,
            Poll.method,
            Poll.closed_at,
            Poll.deadline,
            movie_count,
            voter_count,
            winner.name,
            winner.year,
            winner.poster,
            Viewing.watched_on,
        )
        .outerjoin(winner, is_winner)
        .outerjoin(Viewing, Viewing.poll_id == Poll.id)
        .where(Poll.id.in_(sa.bindparam("ids", expanding=True)))
    )


def history_page(page: int = 1, per_page: int = HISTORY_PAGE_SIZE) -> HistoryPage:
    lottery_total, poll_total = db.session.execute(_COUNTS).one()
    total = lottery_total + poll_total
    pages = max(1, math.ceil(total / per_page))
    page = min(max(1, page), pages)
    rows = db.session.execute(_page_query(), {"limit": per_page, "offset": (page - 1) * per_page}).all()
    lottery_ids = [row.id for row in rows if row.kind == "lottery"]
    poll_ids = [row.id for row in rows if row.kind == "poll"]
    lotteries = {}
    if lottery_ids:
        for lottery_id, count, name, year, poster, watched_on, token in db.session.execute(
            _lottery_query(), {"ids": lottery_ids}
        ):
            winner = {"name": name, "year": year, "poster": poster} if name is not None else None
            lotteries[lottery_id] = (count, winner, watched_on, None if winner else token)
    names: dict[str, list[str]] = {}
    if rows:
        for owner, name in db.session.execute(_names_query(), {"ids": [row.id for row in rows]}):
            names.setdefault(owner, []).append(name)
    polls = _poll_items(poll_ids, names) if poll_ids else {}
    items = []
    for row in rows:
        if row.kind == "lottery" and row.id in lotteries:
            count, winner, watched_on, token = lotteries[row.id]
            items.append(
                HistoryItem(
                    "lottery", row.id, row.created_at, count, winner,
                    watched_on=watched_on, play_token=token, movie_names=names.get(row.id, []),
                )
            )  # fmt: skip
        elif row.kind == "poll" and row.id in polls:
            items.append(polls[row.id])
    return HistoryPage(items, page, pages, total, lottery_total, poll_total)


def _poll_items(poll_ids: list[str], names: dict[str, list[str]]) -> dict[str, HistoryItem]:
    """The page's polls; a passed deadline is settled first, as any read that notices it does (rule 8), so
    an expired poll is never listed as still voting."""
    rows = db.session.execute(_poll_query(), {"ids": poll_ids}).all()
    now = utcnow()
    due = [row.id for row in rows if row.closed_at is None and row.deadline and row.deadline <= now]
    if due:
        for poll_id in due:
            polls_service.get_poll(poll_id, now, ballots=False)  # closes it and stores its result, once
        rows = db.session.execute(_poll_query(), {"ids": poll_ids}).all()
    items = {}
    for poll_id, created_at, method, closed_at, deadline, count, voters, name, year, poster, watched in rows:
        items[poll_id] = HistoryItem(
            "poll", poll_id, created_at, count,
            {"name": name, "year": year, "poster": poster} if name is not None else None,
            method=method, status="open" if closed_at is None else "closed", voter_count=voters,
            watched_on=watched, deadline=deadline if closed_at is None else None,
            movie_names=names.get(poll_id, []),
        )  # fmt: skip
    return items
