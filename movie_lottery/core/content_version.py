"""How far the stored nights and library have moved: one number, kept by database triggers.

The triggers move it in the same transaction as any real change to a watched row: an UPDATE that matches
nothing, or writes the values a row already holds, leaves it — and so every worker's kept pages — alone.
A write from any worker, instance or psql moves it, so reading it tells a process whether what it kept
is still true: one single-row read per kept page served.
"""

from __future__ import annotations

import sqlalchemy as sa

from movie_lottery.core.extensions import db
from movie_lottery.core.models import ContentVersion

# The tables whose rows the kept pages show, each with triggers that move the counter. A migration that
# adds such a table adds its triggers and its name here; `flask doctor` checks them all.
WATCHED_TABLES = (
    "lottery", "lottery_movie", "library_movie", "download", "viewing", "poll", "poll_movie", "ballot",
    "site_milestone", "rating",
)  # fmt: skip

# A Core select on the table, not the entity: skips the ORM's loading machinery on every kept page served.
_TABLE = ContentVersion.__table__
_CURRENT = sa.select(_TABLE.c.version).where(_TABLE.c.id == 1)


def read_content_version() -> int | None:
    """The counter from the table, or None when its row is missing: then nothing may be kept."""
    return db.session.execute(_CURRENT).scalar()
