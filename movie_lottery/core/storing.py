"""Writes that a unique constraint can refuse, and the two ways this site survives that.

- A new lottery or poll takes a short random id (``reel.new_id``): a collision with a stored one is
  astronomically rare, but cheap to survive: build the row again with another id (``add_with_fresh_id``).
- A write that looks before it writes (is this movie in the library already? this day already recorded?)
  can lose a race to another request that wrote the same a moment ago: look again, once, and then it is
  there (``commit_looking_again``). A second collision is a 409 ``conflict``, never a 500.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.exc import IntegrityError

from movie_lottery.core import reel
from movie_lottery.core.errors import Conflict
from movie_lottery.core.extensions import db

Row = TypeVar("Row")
Result = TypeVar("Result")

ID_ATTEMPTS = 5
CONFLICT_MESSAGE = "Этот фильм только что изменили — повторите"


def refused_by(error: IntegrityError, constraint: str) -> bool:
    """Did this constraint (or the trigger that raises under its name) refuse the write? Both engines name
    it in the message: PostgreSQL's «violates check constraint "…"», SQLite's «CHECK constraint failed: …»."""
    return constraint in str(error.orig)


def add_with_fresh_id(build: Callable[[str], Row], attempts: int = ID_ATTEMPTS) -> Row:
    """Store ``build(id)`` under a fresh random id, building it again with another id if that one is taken.

    ``build`` makes the whole row (with its children) each time: a rolled-back row is not reused.
    """
    for _attempt in range(attempts):
        row = build(reel.new_id())
        db.session.add(row)
        try:
            db.session.commit()
        except IntegrityError:
            db.session.rollback()
            continue
        return row
    raise RuntimeError(f"could not allocate an id in {attempts} attempts")


def commit_looking_again(stage: Callable[[], Result]) -> Result:
    """Run ``stage`` (it reads what is stored and adds its changes) and commit; when a unique constraint
    refuses, roll back and run it once more, so it sees what the other request stored. Its result is
    returned after the commit (its rows are expired then: read them again to answer)."""
    for attempt in range(2):
        try:
            result = stage()  # its reads autoflush, so the collision can surface here too
            db.session.commit()
        except IntegrityError:
            db.session.rollback()
            if attempt == 0:
                continue
            raise Conflict(CONFLICT_MESSAGE, code="conflict") from None
        return result
    raise AssertionError("unreachable")  # pragma: no cover
