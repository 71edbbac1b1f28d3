"""When the database was set up and when a backup was last taken: the two dates that keep the data safe.

Render deletes a free PostgreSQL some weeks after creating it, and everything on it goes with it. The
database's first migration stamps ``database_started`` (migration 0009); every backup, downloaded from the
site or written by ``flask library export``, moves ``backup_taken``. `flask doctor`, /status and the library
page's nudge read them from here.

A backup counts only when it restores: each one is checked by the import's own rules first (verify.py).
One that would not restore moves no ``backup_taken``; it is recorded as ``backup_unrestorable``, with the
import's refusal as its detail (which names the place to fix), until a later backup restores.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from movie_lottery.core.extensions import db
from movie_lottery.core.models import LibraryMovie, Lottery, SiteMilestone, utcnow

log = logging.getLogger(__name__)

DATABASE_STARTED = "database_started"
BACKUP_TAKEN = "backup_taken"
BACKUP_UNRESTORABLE = "backup_unrestorable"
# The library page nudges the admin when the newest backup (or, before the first one, the database itself)
# is older than this.
BACKUP_NUDGE_AFTER = timedelta(days=7)


@dataclass(frozen=True)
class Unrestorable:
    """A backup that was handed out but would not restore: when, and the import's words why."""

    at: datetime
    problem: str


@dataclass(frozen=True)
class Milestones:
    database_started: datetime | None
    backup_taken: datetime | None  # the newest backup that restores
    unrestorable: Unrestorable | None = None  # a newer one that would not


def read_milestones() -> Milestones:
    """Every milestone in one query (None when the table has no such row, or does not exist yet)."""
    rows = {
        name: (at, detail)
        for name, at, detail in db.session.execute(
            sa.select(SiteMilestone.name, SiteMilestone.at, SiteMilestone.detail)
        )
    }
    started, taken, failed = (
        rows.get(name) for name in (DATABASE_STARTED, BACKUP_TAKEN, BACKUP_UNRESTORABLE)
    )
    return Milestones(
        database_started=started[0] if started else None,
        backup_taken=taken[0] if taken else None,
        unrestorable=Unrestorable(failed[0], failed[1] or "") if failed else None,
    )


def record_backup(at: datetime | None = None) -> None:
    """A backup that restores was just handed out: remember when, and forget an earlier failure. Commits."""
    _record(BACKUP_TAKEN, at or utcnow(), forget=BACKUP_UNRESTORABLE)


def record_unrestorable(problem: str, at: datetime | None = None) -> None:
    """A backup was handed out that the import would refuse: remember when and why (backup_taken stays on
    the last one that restores). Commits."""
    _record(BACKUP_UNRESTORABLE, at or utcnow(), problem)


def _record(name: str, at: datetime, detail: str | None = None, forget: str | None = None) -> None:
    """Set one milestone (and delete ``forget``) in one transaction."""
    for _attempt in range(2):
        if forget is not None:
            db.session.execute(sa.delete(SiteMilestone).where(SiteMilestone.name == forget))
        updated = db.session.execute(
            sa.update(SiteMilestone).where(SiteMilestone.name == name).values(at=at, detail=detail)
        ).rowcount
        if not updated:
            db.session.add(SiteMilestone(name=name, at=at, detail=detail))
        try:
            db.session.commit()
            return
        except IntegrityError:  # another worker wrote the first row a moment ago: update it instead
            db.session.rollback()
    log.warning("could not record the milestone %s", name)


def backup_overdue(milestones: Milestones, today: date) -> bool:
    """Should the admin be nudged to take a backup? When the newest one (before the first one: the database
    itself) is older than BACKUP_NUDGE_AFTER.

    By whole days (``today``, UTC), so a cached page that shows the answer only has to be keyed by the date:
    a backup made on the 3rd is overdue from the 11th.
    """
    since = milestones.backup_taken or milestones.database_started
    if since is None:
        return False
    return since.date() < today - BACKUP_NUDGE_AFTER


def anything_to_lose() -> bool:
    """Does the database hold a lottery or a library movie (what a backup would save)? One query."""
    lottery = sa.exists().where(Lottery.id.is_not(None))
    movie = sa.exists().where(LibraryMovie.id.is_not(None))
    return bool(db.session.scalar(sa.select(sa.or_(lottery, movie))))
