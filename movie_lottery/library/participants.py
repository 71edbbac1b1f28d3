"""Old participant values handed over to the server's: a browser from before the signed browser id brings
its per-night cookies once (web.participants), and its ballots and ratings take the values the server
derives for it, so it keeps every night it took part in and the old cookies can go.

Plain values in, one transaction: a night's ballot and its ratings move together (a poll's voter rates under
the ballot's participant). A value never comes from a visitor alone: a row moves only when the browser sent
the exact (night, value) pair it was given, which only its holder knows.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from movie_lottery.core.extensions import db
from movie_lottery.core.models import PollBallot, Rating


def hand_over(moves: dict[tuple[str, str, str], str]) -> int:
    """``moves``: (kind, night id, old participant) -> the server's participant for that night. Returns how
    many rows moved; nothing moves when one of the new values is already taken there (the browser voted
    afresh meanwhile: its new rows win, and the old ones stay as they are)."""
    polls = [(night, old) for kind, night, old in moves if kind == "poll"]
    lotteries = [(night, old) for kind, night, old in moves if kind == "lottery"]
    rows: list[tuple[str, str, PollBallot | Rating]] = []
    if polls:
        pairs = sa.tuple_(PollBallot.poll_id, PollBallot.participant).in_(polls)
        rows += [("poll", row.poll_id, row) for row in db.session.scalars(sa.select(PollBallot).where(pairs))]
    conditions = []
    if polls:
        conditions.append(sa.tuple_(Rating.poll_id, Rating.participant).in_(polls))
    if lotteries:
        conditions.append(sa.tuple_(Rating.lottery_id, Rating.participant).in_(lotteries))
    if conditions:
        for rating in db.session.scalars(sa.select(Rating).where(sa.or_(*conditions))):
            kind = "poll" if rating.poll_id is not None else "lottery"
            rows.append((kind, rating.poll_id or rating.lottery_id, rating))
    if not rows:
        return 0
    for kind, night, row in rows:
        row.participant = moves[(kind, night, row.participant)]
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return 0
    return len(rows)
