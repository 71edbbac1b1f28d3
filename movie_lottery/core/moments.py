"""When something happened on the site: the span of a moment it records itself.

A lottery's creation and draw, a ballot, a rating, a poll's close, a movie's «added» date: the API takes
none of these from a visitor, the server stamps each with its clock (models.utcnow). So the one rule for
such a moment is what that clock can give: not before the first films (nothing here is older) and not after
now, with a day of slack for a server clock that runs ahead. A backup's import checks its timestamps by this
rule (backup/check.py), which also keeps year 1 and 9999 away from datetime arithmetic (an offset on either
overflows) and from the database.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from movie_lottery.core.errors import InvalidInput
from movie_lottery.core.validation import FIRST_FILM_YEAR

EARLIEST_MOMENT = datetime(FIRST_FILM_YEAR, 1, 1, tzinfo=UTC)
CLOCK_SLACK = timedelta(days=1)
FUTURE = "не в будущем: это время записывают часы сайта"


def check_recorded_moment(moment: datetime, now: datetime | None = None) -> datetime:
    """The moment in UTC, or InvalidInput when the site's clock could not have given it."""
    now = now or datetime.now(UTC)
    # By the year first: converting year 1 or 9999 with an offset would overflow before any comparison.
    if moment.year < FIRST_FILM_YEAR:
        raise InvalidInput(f"не раньше {FIRST_FILM_YEAR} года", code="invalid_date")
    if moment.year > (now + CLOCK_SLACK).year + 1:
        raise InvalidInput(FUTURE, code="invalid_date")
    moment = moment.astimezone(UTC)
    if moment < EARLIEST_MOMENT:
        raise InvalidInput(f"не раньше {FIRST_FILM_YEAR} года", code="invalid_date")
    if moment > now + CLOCK_SLACK:
        raise InvalidInput(FUTURE, code="invalid_date")
    return moment
