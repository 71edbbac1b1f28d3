"""The days the site counts in (UTC), asked when a test runs, not when it is collected.

A suite that crosses midnight must compare with the day the request was served on: module constants
computed at import were a day behind for the tests that ran after 00:00 (a CI run at 23:50 failed 8).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta


def today() -> date:
    return datetime.now(UTC).date()


def days_from_today(days: int) -> str:
    return (today() + timedelta(days=days)).isoformat()


def next_new_year() -> date:
    return date(today().year + 1, 1, 1)


def last_march_3() -> date:
    """The latest 3 March that is not in the future: a viewing day the API accepts in any month."""
    this_year = date(today().year, 3, 3)
    return this_year if this_year <= today() else date(today().year - 1, 3, 3)
