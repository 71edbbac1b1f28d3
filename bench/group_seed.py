"""A database the size a real group reaches: a library of hundreds of movies and a couple hundred nights.

Nights go through the domain (create, draw or vote and close, «Посмотрели», ratings), so every row is one the
site itself would write. Fixed random seed: two runs seed the same shapes.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import timedelta

from bench.seed import _movie

NAMES = ["Аня", "Борис", "Вера", "Гоша", "Дина", "Егор"]


@dataclass(frozen=True)
class GroupIds:
    waiting_lottery: str  # not drawn yet: what the waiting page and its polled API read
    drawn_lottery: str  # drawn, watched and rated: the result page
    open_poll: str  # open, with ballots: what the poll page and its polled API read
    closed_poll: str  # closed, watched and rated


def seed_group(
    database_url: str, library: int = 400, lotteries: int = 150, polls: int = 50, voters: int = 6
) -> GroupIds:
    from movie_lottery import create_app
    from movie_lottery.core.extensions import db
    from movie_lottery.core.models import LibraryMovie
    from movie_lottery.library import ratings, viewings
    from movie_lottery.library.filters import utc_today
    from movie_lottery.lottery import service as lotteries_service
    from movie_lottery.polls import service as polls_service

    rng = random.Random(20261207)
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "bench"})
    with app.app_context():
        kept = [_movie(rng, i) for i in range(library)]
        for i, movie in enumerate(kept):
            magnet = f"magnet:?xt=urn:btih:{i:040x}" if i % 4 == 0 else None
            db.session.add(
                LibraryMovie(details={}, magnet=magnet, info_hash=f"{i:040x}" if magnet else None, **movie)
            )
        db.session.commit()
        today = utc_today()

        def candidates(count: int) -> list[dict]:
            return [dict(movie) for movie in rng.sample(kept, count)]

        def rate(kind: str, night_id: str, voters: dict[str, str] | None = None) -> None:
            for name in rng.sample(NAMES, rng.randint(2, 5)):
                participant = (voters or {}).get(name)  # a poll's voter rates under the ballot's name
                ratings.rate(kind, night_id, participant, score=rng.randint(4, 10), name=name)

        drawn = ""
        for n in range(lotteries):
            created = lotteries_service.create_lottery(candidates(rng.randint(2, 6)))
            lotteries_service.draw(created.lottery.id, created.play_token)
            viewings.mark_lottery_watched(created.lottery.id, today - timedelta(days=lotteries - n), today)
            rate("lottery", created.lottery.id)
            drawn = created.lottery.id
        closed = ""
        for n in range(polls):
            poll = polls_service.create_poll(candidates(rng.randint(3, 8)), veto=True).poll
            participants = {}
            for name in rng.sample(NAMES, voters):
                approve = sorted(rng.sample(range(len(poll.movies)), rng.randint(1, len(poll.movies))))
                stored = polls_service.store_ballot(poll.id, None, name=name, approve=approve)
                participants[name] = stored.participant
            polls_service.close(poll.id, poll.manage_token)
            viewings.mark_poll_watched(poll.id, today - timedelta(days=polls - n), today)
            rate("poll", poll.id, participants)
            closed = poll.id
        waiting = lotteries_service.create_lottery(candidates(5)).lottery.id
        open_poll = polls_service.create_poll(candidates(8), veto=True).poll
        for name in NAMES:
            approve = sorted(rng.sample(range(8), rng.randint(1, 8)))
            polls_service.store_ballot(open_poll.id, None, name=name, approve=approve)
        ids = GroupIds(waiting, drawn, open_poll.id, closed)
        db.engine.dispose()
    return ids
