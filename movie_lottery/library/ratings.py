"""Ratings after the night: once a lottery's or a poll's winner is marked watched, everyone with the link
rates it 1–10 under their name.

No password, as for ballots: the participant cookie of that lottery or poll is the rater (for a poll the same
cookie its ballot has, so a voter may rate without giving the name again). A name is unique per lottery or
poll by the same-movie rule's normalisation; in a poll it is also not another participant's ballot name,
and a voter rates under their own ballot's name only.
A later rating by the same participant replaces their score. At most MAX_RATINGS raters per night, held by
the database (``rating_count`` on the lottery or poll, kept by triggers and capped by a CHECK: 0011), so
ratings sent at once cannot pass it; its refusal is the same 409 ``ratings_full``. Every rating names the
library movie of the night's viewing, so the library card shows the group's average over every night of
that movie.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from movie_lottery.core import rate_limit, reel, telegram_names
from movie_lottery.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from movie_lottery.core.extensions import db
from movie_lottery.core.models import RATING_MAX, RATING_MIN, Poll, PollBallot, Rating, Viewing, utcnow
from movie_lottery.core.rate_limit import Origin
from movie_lottery.core.same_movie import normalise_text
from movie_lottery.core.storing import refused_by
from movie_lottery.integrations.telegram_mini_app import TelegramUser
from movie_lottery.lottery.service import get_lottery
from movie_lottery.polls import bursts
from movie_lottery.polls.service import (
    MAX_BALLOTS,
    NEW_VOTER_WINDOW_SECONDS,
    NEW_VOTERS_PER_WINDOW,
    clean_name,
    find_ballot,
    get_poll,
    manage_token_matches,
    name_key,
    valid_participant,
)

KINDS = ("lottery", "poll")
# Raters of one night, as a poll's ballots are capped: a script cannot bloat a night past it, and so a
# backup never holds more ratings of a night than its import takes back.
MAX_RATINGS = MAX_BALLOTS
FULL_CHECK = {"lottery": "ck_lottery_ratings_within_cap", "poll": "ck_poll_ratings_within_cap"}
# New raters per night from one address, as new voters per poll: a group on one Wi-Fi rates within a
# minute or two, twenty invented raters take a script minutes (and are one group the owner removes).
NEW_RATERS_PER_WINDOW = NEW_VOTERS_PER_WINDOW
NEW_RATER_WINDOW_SECONDS = NEW_VOTER_WINDOW_SECONDS
NEW_RATER_WAIT = (
    "С вашего адреса (одна сеть Wi-Fi) только что оценили несколько человек подряд — так оценки защищены"
    " от накрутки. Подождите {wait} и отправьте оценку ещё раз."
)
TELEGRAM_ONLY_RATINGS = (
    "В этом голосовании голосуют и оценивают только через Telegram: откройте его кнопкой из чата группы —"
    " имя подставится само"
)
OPENS_AFTER = "оценки откроются, когда его отметят «Посмотрели»"
NOT_WATCHED = {
    "lottery": f"Победителя этой лотереи ещё не посмотрели — {OPENS_AFTER}",
    "poll": f"Победителя этого голосования ещё не посмотрели — {OPENS_AFTER}",
}


@dataclass(frozen=True)
class Summary:
    """A night's ratings as the page shows them: the average, how many, and this participant's own."""

    watched: bool
    average: float | None
    count: int
    mine: Rating | None
    known_name: str | None  # the name this participant goes by here (their rating's, or their ballot's)
    participant: str | None = None  # set after a rating: the cookie to give back


def _column(kind: str):
    return Rating.lottery_id if kind == "lottery" else Rating.poll_id


def _night(kind: str, night_id: str) -> str:
    """The lottery's or poll's id, or NotFound (the web layer routes only the two kinds)."""
    if kind == "lottery":
        return get_lottery(night_id).id
    return get_poll(night_id, ballots=False).id


def _watched_movie(kind: str, night_id: str) -> int | None:
    """The library movie of that night's viewing, or None while not marked watched."""
    link = Viewing.lottery_id if kind == "lottery" else Viewing.poll_id
    return db.session.scalar(sa.select(Viewing.movie_id).where(link == night_id))


def _own(kind: str, night_id: str, participant: str | None) -> Rating | None:
    participant = valid_participant(participant)
    if participant is None:
        return None
    return db.session.scalar(
        sa.select(Rating).where(_column(kind) == night_id, Rating.participant == participant)
    )


def _summary(kind: str, night_id: str, participant: str | None, watched: bool) -> Summary:
    count, total = db.session.execute(
        sa.select(sa.func.count(Rating.id), sa.func.coalesce(sa.func.sum(Rating.score), 0)).where(
            _column(kind) == night_id
        )
    ).one()
    mine = _own(kind, night_id, participant)
    known = mine.name if mine else None
    if known is None and kind == "poll":
        ballot = find_ballot(night_id, participant)
        known = ballot.name if ballot else None
    average = round(total / count, 2) if count else None
    return Summary(watched=watched, average=average, count=count, mine=mine, known_name=known)


def summary(kind: str, night_id: str, participant: str | None) -> Summary:
    """What GET /api/ratings/<kind>/<id> answers: 404 for an unknown lottery or poll."""
    night_id = _night(kind, night_id)
    return _summary(kind, night_id, participant, _watched_movie(kind, night_id) is not None)


def _telegram_only(poll_id: str) -> bool:
    """A poll with ``verification="telegram"`` takes its ratings as it takes its ballots: from Telegram only
    (a web rating under an invented name would undo what the verified ballots promise)."""
    return db.session.scalar(sa.select(Poll.verification).where(Poll.id == poll_id)) == "telegram"


def check_score(score: object) -> int:
    if isinstance(score, bool) or not isinstance(score, int) or not RATING_MIN <= score <= RATING_MAX:
        raise InvalidInput(f"Оценка — целое число от {RATING_MIN} до {RATING_MAX}", code="invalid_score")
    return score


def rate(
    kind: str,
    night_id: str,
    participant: str | None,
    *,
    score: object,
    name: object = None,
    now: datetime | None = None,
    origin: Origin | None = None,
    telegram_user: TelegramUser | None = None,
) -> Summary:
    """Store or replace this participant's score of the night's winner; 409 ``not_watched`` before
    «Посмотрели». The answer's ``participant`` is the cookie value to give back (new on a first rating).
    ``origin``: where the request came from (None: not counted); a new rater from it is counted against
    NEW_RATERS_PER_WINDOW for this night first. ``telegram_user``: the account the Mini App proved; one
    rating per account (a unique index), under the name it votes under here, else its Telegram name made
    unique in the night (a ``name`` sent is not used)."""
    now = now or utcnow()
    night_id = _night(kind, night_id)
    if kind == "poll" and telegram_user is None and _telegram_only(night_id):
        raise Forbidden(TELEGRAM_ONLY_RATINGS, code="telegram_required")
    score = check_score(score)
    movie_id = _watched_movie(kind, night_id)
    if movie_id is None:
        raise Conflict(NOT_WATCHED[kind], code="not_watched")
    for attempt in range(2):
        mine = _own(kind, night_id, participant)
        if mine is None and telegram_user is not None:
            mine = _telegram_rating(kind, night_id, telegram_user.id)
            participant = mine.participant if mine else participant
        given = None if telegram_user is not None else name
        if given is None and telegram_user is not None and mine is None:
            known = _summary(kind, night_id, participant, True).known_name
            given = known or _free_telegram_name(kind, night_id, telegram_user)
        if given is None:
            known = _summary(kind, night_id, participant, True).known_name
            if known is None:
                raise InvalidInput("Как вас зовут? Оценка идёт под именем", code="name_required")
            given = known
        clean = clean_name(given)
        key = normalise_text(clean)[:200]
        if kind == "poll":
            _refuse_another_voters_name(night_id, participant, key, clean)
            _refuse_a_second_name(night_id, participant, key)
        if mine is None:
            raters = db.session.scalar(sa.select(sa.func.count(Rating.id)).where(_column(kind) == night_id))
            if raters >= MAX_RATINGS:
                raise _ratings_full()
            if origin is not None and attempt == 0:
                rate_limit.require(
                    f"rating:{kind}:{night_id}",
                    origin.key,
                    limit=NEW_RATERS_PER_WINDOW,
                    window=NEW_RATER_WINDOW_SECONDS,
                    message=NEW_RATER_WAIT,
                    now=now.timestamp(),
                )
            fresh = valid_participant(participant) or reel.new_token()
            mine = Rating(
                participant=fresh,
                telegram_user_id=telegram_user.id if telegram_user else None,
                origin=origin.tag if origin else None,
                arrived_at=now,
                **{_column(kind).key: night_id},
            )
            db.session.add(mine)
        mine.movie_id, mine.name, mine.name_key, mine.score, mine.rated_at = (
            movie_id, clean, key, score, now
        )  # fmt: skip
        try:
            db.session.commit()
        except IntegrityError as error:
            db.session.rollback()
            if refused_by(error, FULL_CHECK[kind]):
                raise _ratings_full() from None
            if attempt == 0 and _own(kind, night_id, participant) is not None:
                continue  # the same participant's first rating landed a moment ago: replace it
            raise _name_taken(clean) from None
        result = _summary(kind, night_id, mine.participant, True)
        return Summary(**{**result.__dict__, "participant": mine.participant})
    raise _name_taken(str(name))  # pragma: no cover


def _telegram_rating(kind: str, night_id: str, telegram_user_id: int) -> Rating | None:
    return db.session.scalar(
        sa.select(Rating).where(_column(kind) == night_id, Rating.telegram_user_id == telegram_user_id)
    )


def _free_telegram_name(kind: str, night_id: str, user: TelegramUser) -> str:
    """The Telegram name, unique among the night's raters (and, in a poll, its voters)."""
    taken = set(db.session.scalars(sa.select(Rating.name_key).where(_column(kind) == night_id)))
    if kind == "poll":
        taken |= set(db.session.scalars(sa.select(PollBallot.name_key).where(PollBallot.poll_id == night_id)))
    return telegram_names.unique_name(user, taken, name_key)


def _ratings_full() -> Conflict:
    return Conflict(f"Здесь уже {MAX_RATINGS} оценок — больше не принимаем", code="ratings_full")


def _name_taken(name: str) -> Conflict:
    return Conflict(f"Имя «{name}» здесь уже занято — добавьте, например, фамилию", code="name_taken")


def _refuse_a_second_name(poll_id: str, participant: str | None, key: str) -> None:
    """A voter is their ballot's name in that poll: rating under another would give one cookie two names
    (and take the second from whoever it belongs to)."""
    ballot = find_ballot(poll_id, participant)
    if ballot is not None and ballot.name_key != key:
        raise Conflict(
            f"В этом голосовании вы — «{ballot.name}»: оценка идёт под этим именем", code="ballot_name"
        )


def _refuse_another_voters_name(poll_id: str, participant: str | None, key: str, name: str) -> None:
    """In a poll a name is a participant's: another voter's ballot name is not free to rate under. The
    ballots of a closed poll no longer change, so checking them here cannot race."""
    owner = db.session.scalar(
        sa.select(PollBallot.participant).where(PollBallot.poll_id == poll_id, PollBallot.name_key == key)
    )
    if owner is not None and owner != valid_participant(participant):
        raise _name_taken(name)


# ---- the owner's grouped removal ----------------------------------------------------------------------


def _authorise(kind: str, night_id: str, token: str | None, by_admin: bool) -> None:
    """A poll's ratings: its creator (manage token) or the admin; a lottery's: the admin."""
    if by_admin:
        return
    if kind == "poll" and manage_token_matches(get_poll(night_id, ballots=False), token):
        return
    raise Forbidden(
        "Это может только создатель голосования (по ссылке управления) или администратор", code="bad_token"
    )


def _night_ratings(kind: str, night_id: str) -> list[Rating]:
    return list(db.session.scalars(sa.select(Rating).where(_column(kind) == night_id).order_by(Rating.id)))


def rating_bursts(kind: str, night_id: str, token: str | None, by_admin: bool = False) -> list[dict]:
    """The night's ratings that came from one address in a burst (polls/bursts.py), with their names."""
    night_id = _night(kind, night_id)
    _authorise(kind, night_id, token, by_admin)
    rows = _night_ratings(kind, night_id)
    names = {row.id: row.name for row in rows}
    found = bursts.bursts(bursts.Entry(row.id, row.origin, row.arrived_at) for row in rows)
    return [{"id": b.id, "names": [names[i] for i in b.ids], "first": b.first, "last": b.last} for b in found]


def remove_rating_burst(
    kind: str, night_id: str, burst_id: str, token: str | None, by_admin: bool = False
) -> list[str]:
    """Remove every rating of one burst in one statement; answers the removed raters' names."""
    night_id = _night(kind, night_id)
    _authorise(kind, night_id, token, by_admin)
    rows = _night_ratings(kind, night_id)
    found = bursts.bursts(bursts.Entry(row.id, row.origin, row.arrived_at) for row in rows)
    burst = next((b for b in found if b.id == burst_id), None)
    if burst is None:
        raise NotFound("Такой группы оценок нет — обновите страницу", code="group_not_found")
    names = [row.name for row in rows if row.id in burst.ids]
    db.session.execute(
        sa.delete(Rating)
        .where(_column(kind) == night_id, Rating.id.in_(burst.ids))
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return names
