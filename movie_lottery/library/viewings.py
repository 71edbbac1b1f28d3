"""What the group did with a library movie: its status, the «любимое» mark, the days it was watched.

- ``update_marks``: PATCH /api/library/<id> — status, the exclusion's end, «любимое», only what is given.
- ``add_viewing`` / ``delete_viewing``: a movie night on a day (default today), recorded by hand; it makes
  the movie «посмотрели».
- ``mark_lottery_watched`` / ``mark_poll_watched``: «Посмотрели» on a drawn lottery or a closed poll — the
  winner goes into the library if it is not there (the one "same movie" rule), gets a viewing linked to
  that lottery or poll, and becomes «посмотрели».

Each night (a lottery or a poll) has its own viewing row (0011): a lottery and a poll won by one movie on
one day are two viewings, both counted, and correcting one night's day moves only its own row. A viewing
recorded by hand is one per movie and day; the first night marked (or moved) onto that day takes it over,
as it was that night recorded by hand. A date in ``DELETE /api/library/<id>/viewings/<date>`` names the
hand-recorded viewing of that day, or else the night of that day recorded last: one viewing per call.
- ``library_notes``: for candidates of a lottery being built, what the library knows of each (one query).

Days are calendar dates. The server's "today" is the UTC day (library_filters.utc_today); pages send the
viewer's own day. An exclusion «до 1 января» ends on 1 January: from that day the movie is «want» again.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa

from movie_lottery.core import events
from movie_lottery.core.errors import Conflict, InvalidInput, NotFound
from movie_lottery.core.extensions import db
from movie_lottery.core.kept_movies import find_same_movie, get_movie
from movie_lottery.core.models import LIBRARY_STATUSES, LibraryMovie, Viewing
from movie_lottery.core.same_movie import is_same_movie, normalise_text
from movie_lottery.core.storing import commit_looking_again
from movie_lottery.core.validation import FIRST_FILM_YEAR
from movie_lottery.library.filters import effective_status, expire_exclusions, last_watched_sql, utc_today
from movie_lottery.library.movies import add_movie
from movie_lottery.lottery.service import get_lottery, movie_to_dict
from movie_lottery.polls.service import get_poll

MARK_FIELDS = ("status", "excluded_until", "favourite")
# A viewing may be dated a day ahead of the server's UTC day: the viewer's evening can be tomorrow in UTC.
VIEWING_DAYS_AHEAD = 1
EXCLUSION_YEARS_AHEAD = 100

NOTHING_TO_CHANGE = "Нечего менять: укажите status, excluded_until или favourite"
UNTIL_NEEDS_EXCLUDED = "Дату «не предлагать до» можно задать только фильму со статусом «не предлагать»"
UNTIL_IN_THE_PAST = "Дата «не предлагать до» должна быть позже сегодняшней"


# ---- days ---------------------------------------------------------------------------------------------


def check_viewing_day(day: date, today: date | None = None) -> date:
    """A viewing's day: not before the first films, not in the future (beyond the time-zone day)."""
    today = today or utc_today()
    if day.year < FIRST_FILM_YEAR:
        raise InvalidInput(f"Дата просмотра — не раньше {FIRST_FILM_YEAR} года", code="invalid_date")
    if day > today + timedelta(days=VIEWING_DAYS_AHEAD):
        raise InvalidInput("Дата просмотра не может быть в будущем", code="invalid_date")
    return day


def check_exclusion_end(day: date, today: date | None = None) -> date:
    today = today or utc_today()
    if day <= today:
        raise InvalidInput(UNTIL_IN_THE_PAST, code="invalid_date")
    return check_exclusion_horizon(day, today)


def check_exclusion_horizon(day: date, today: date | None = None) -> date:
    """How far ahead an exclusion may end. A backup's import checks by it too; a day already past is not
    refused there: that exclusion has simply ended (the movie is «want» again)."""
    today = today or utc_today()
    if day.year > today.year + EXCLUSION_YEARS_AHEAD:
        message = f"Дата «не предлагать до» — не дальше {today.year + EXCLUSION_YEARS_AHEAD} года"
        raise InvalidInput(message, code="invalid_date")
    return day


# ---- status, exclusion, «любимое» --------------------------------------------------------------------


def update_marks(movie_id: int, changes: Mapping[str, Any], today: date | None = None) -> LibraryMovie:
    """Change what ``changes`` names (``status``, ``excluded_until``, ``favourite``); the rest stays.

    - ``status`` «excluded» without ``excluded_until`` excludes for good, unless the movie was already
      excluded: then its end stays. Any other status clears the end.
    - ``excluded_until`` (a day after today, or None for good) only with the status «excluded», given now
      or already the movie's.
    """
    today = today or utc_today()
    given = {key: changes[key] for key in MARK_FIELDS if key in changes}
    if not given:
        raise InvalidInput(NOTHING_TO_CHANGE, code="nothing_to_change")
    status = given.get("status")
    if status is not None and status not in LIBRARY_STATUSES:
        raise InvalidInput("Статус — want, watched или excluded", code="invalid_status")
    movie = get_movie(movie_id)
    expire_exclusions(today, [movie.id])  # an exclusion that has ended is «want» here too
    current = effective_status(movie.status, movie.excluded_until, today)
    target = status or current
    until = given.get("excluded_until")
    if "excluded_until" in given and target != "excluded" and until is not None:
        raise InvalidInput(UNTIL_NEEDS_EXCLUDED, code="excluded_until_not_excluded")
    if until is not None:
        check_exclusion_end(until, today)
    if target == "excluded":
        if "excluded_until" in given:
            movie.excluded_until = until
        elif current != "excluded":
            movie.excluded_until = None
    else:
        movie.excluded_until = None
    movie.status = target
    if "favourite" in given:
        movie.favourite = bool(given["favourite"])
    db.session.commit()
    return get_movie(movie_id)


# ---- viewings -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ViewingAdded:
    movie: LibraryMovie
    created: bool  # False: the movie already had a viewing on that day


def _watched(movie: LibraryMovie) -> None:
    movie.status = "watched"
    movie.excluded_until = None


def add_viewing(movie_id: int, day: date | None = None, today: date | None = None) -> ViewingAdded:
    """A viewing on ``day`` (default today); the movie becomes «посмотрели». The same day twice is one, and
    a day that already has a night (a lottery's or a poll's) is that night: nothing is added."""
    today = today or utc_today()
    day = check_viewing_day(day or today, today)

    def stage() -> bool:  # on a second look the same day stored a moment ago by another request is there
        movie = get_movie(movie_id)
        created = not any(viewing.watched_on == day for viewing in movie.viewings)
        if created:
            movie.viewings.append(Viewing(watched_on=day))
        _watched(movie)
        return created

    created = commit_looking_again(stage)
    return ViewingAdded(movie=get_movie(movie_id), created=created)


def delete_viewing(movie_id: int, day: date) -> LibraryMovie:
    """Forget one viewing of that day: the one recorded by hand, or else the night recorded last (so a
    script that deletes each listed day once still clears them all). The status stays what it is:
    «посмотрели» without a date is still a status."""
    movie = get_movie(movie_id)
    that_day = [v for v in movie.viewings if v.watched_on == day]
    viewing = max(that_day, key=lambda v: (_hand_recorded(v), v.id), default=None)
    if viewing is None:
        raise NotFound("У этого фильма нет просмотра в этот день", code="viewing_not_found")
    movie.viewings.remove(viewing)
    db.session.commit()
    return get_movie(movie_id)


def mark_lottery_watched(lottery_id: str, day: date | None = None, today: date | None = None) -> LibraryMovie:
    """«Посмотрели» for a drawn lottery's winner; a lottery not drawn yet is a 409 ``not_drawn``.

    The winner is the library's movie by the one "same movie" rule, added from the lottery when the library
    lacks it (a movie already there keeps its details). Its viewing is linked to the lottery, so asking
    again with another day moves that viewing rather than adding a second night.
    """
    lottery = get_lottery(lottery_id)
    if lottery.winner is None:
        raise Conflict("Лотерея ещё не разыграна — победителя пока нет", code="not_drawn")
    return _mark_night_watched(Viewing.lottery_id, lottery.id, lottery.winner, day, today)


def mark_poll_watched(poll_id: str, day: date | None = None, today: date | None = None) -> LibraryMovie:
    """«Посмотрели» for a closed poll's winner, as for a lottery's; an open poll is a 409 ``not_closed``."""
    poll = get_poll(poll_id, ballots=False)
    if poll.winner is None:
        raise Conflict("Голосование ещё не закрыто — победителя пока нет", code="not_closed")
    return _mark_night_watched(Viewing.poll_id, poll.id, poll.winner, day, today)


def _mark_night_watched(
    link: Any, night_id: str, winner: Any, day: date | None, today: date | None
) -> LibraryMovie:
    """The winner of one movie night (a lottery or a poll: ``link`` is the viewing's column naming it)
    into the library if missing, with that night's viewing on ``day``, and «посмотрели»."""
    today = today or utc_today()
    day = check_viewing_day(day or today, today)
    found = find_same_movie(winner.kinopoisk_id, winner.name, winner.year)
    movie_id = found.id if found is not None else add_movie(movie_to_dict(winner)).movie.id
    kind = "lottery" if link is Viewing.lottery_id else "poll"

    def stage() -> None:
        _link_viewing(link, night_id, movie_id, day)
        events.emit(events.NIGHT_WATCHED, kind=kind, night_id=night_id)  # the bot's rating keyboard

    commit_looking_again(stage)
    return get_movie(movie_id)


def _hand_recorded(viewing: Viewing) -> bool:
    return viewing.lottery_id is None and viewing.poll_id is None


def _link_viewing(link: Any, night_id: str, movie_id: int, day: date) -> None:
    """This night's own viewing on ``day``: moved there if it exists (another night's row is never touched),
    made otherwise; a viewing recorded by hand on that day is taken over (it was this night)."""
    mine = db.session.scalar(sa.select(Viewing).where(link == night_id))
    movie = get_movie(movie_id)
    if mine is not None and (mine.movie_id, mine.watched_on) == (movie_id, day):
        _watched(movie)
        return
    by_hand = next((v for v in movie.viewings if v.watched_on == day and _hand_recorded(v)), None)
    if mine is not None:
        if by_hand is not None:
            movie.viewings.remove(by_hand)
            db.session.flush()
        mine.movie_id, mine.watched_on = movie_id, day  # the day was corrected (or the winner moved)
    elif by_hand is not None:
        setattr(by_hand, link.key, night_id)
    else:
        movie.viewings.append(Viewing(watched_on=day, **{link.key: night_id}))
    _watched(movie)


def lottery_viewing_day(lottery_id: str) -> date | None:
    """The day the lottery's winner was watched, as «Посмотрели» recorded it (None: not marked)."""
    return db.session.scalar(sa.select(Viewing.watched_on).where(Viewing.lottery_id == lottery_id))


def poll_viewing_day(poll_id: str) -> date | None:
    """The day the poll's winner was watched, as «Посмотрели» recorded it (None: not marked)."""
    return db.session.scalar(sa.select(Viewing.watched_on).where(Viewing.poll_id == poll_id))


# ---- what the library knows of a lottery's candidates ------------------------------------------------


def library_notes(candidates: Sequence[Mapping[str, Any]], today: date | None = None) -> list[dict | None]:
    """For each candidate (``kinopoisk_id``, ``name``, ``year``), the library's marks or None: one query.

    A note is ``{"id", "status", "excluded_until", "favourite", "last_watched", "times_watched"}``, the
    status effective (an ended exclusion is «want»), so the builder can say «смотрели 3 марта» or
    «исключён до 1 января» before the lottery is made.
    """
    today = today or utc_today()
    ids = {c["kinopoisk_id"] for c in candidates if c.get("kinopoisk_id") is not None}
    titles = {normalise_text(str(c.get("name") or ""))[:200] for c in candidates}
    if not candidates:
        return []
    times = (
        sa.select(sa.func.count(Viewing.id))
        .where(Viewing.movie_id == LibraryMovie.id)
        .correlate(LibraryMovie)
        .scalar_subquery()
    )
    rows = db.session.execute(
        sa.select(
            LibraryMovie.id,
            LibraryMovie.kinopoisk_id,
            LibraryMovie.name,
            LibraryMovie.year,
            LibraryMovie.status,
            LibraryMovie.excluded_until,
            LibraryMovie.favourite,
            last_watched_sql(),
            times,
        )
        .where(sa.or_(LibraryMovie.kinopoisk_id.in_(ids), LibraryMovie.sort_title.in_(titles)))
        .order_by(LibraryMovie.id)
    ).all()
    return [_note(_match(candidate, rows), today) for candidate in candidates]


def _match(candidate: Mapping[str, Any], rows: list) -> Any:
    """As find_same_movie: the Kinopoisk id first, then the same title and year by the one rule."""
    kinopoisk_id = candidate.get("kinopoisk_id")
    if kinopoisk_id is not None:
        for row in rows:
            if row.kinopoisk_id == kinopoisk_id:
                return row
    given = {
        "kinopoisk_id": kinopoisk_id,
        "name": str(candidate.get("name") or ""),
        "year": candidate.get("year"),
    }
    for row in rows:
        if is_same_movie(given, {"kinopoisk_id": row.kinopoisk_id, "name": row.name, "year": row.year}):
            return row
    return None


def _note(row: Any, today: date) -> dict | None:
    if row is None:
        return None
    status = effective_status(row.status, row.excluded_until, today)
    until = row.excluded_until if status == "excluded" else None
    return {
        "id": row.id,
        "status": status,
        "excluded_until": until,
        "favourite": bool(row.favourite),
        "last_watched": row[7],
        "times_watched": row[8] or 0,
    }
