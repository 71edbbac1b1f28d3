"""Updates from the webhook: stored by ``update_id`` before anything is done, then acted on once.

The webhook only stores (``store_update``) and answers: Telegram redelivers an update until it gets a 2xx,
and the second copy meets the first's primary key. The background worker acts on stored updates
(``handle_waiting``): one conditional UPDATE sets ``handled_at`` and, in the same transaction, the
dispatcher's replies are added to the outbox, so an update's replies exist exactly once, whatever the number
of workers. An update whose handler fails is marked handled with the error: acted on at most once, and a
broken update never blocks the ones after it.
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from movie_lottery.core.extensions import db
from movie_lottery.core.models import utcnow
from movie_lottery.telegram.dispatcher import dispatch
from movie_lottery.telegram.models import ERROR_MAX, ReceivedUpdate

log = logging.getLogger("movie_lottery.telegram")


def store_update(update: dict) -> bool:
    """Keep the update; False when it was stored before (a redelivery)."""
    db.session.add(ReceivedUpdate(update_id=int(update["update_id"]), payload=update, received_at=utcnow()))
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return False
    return True


def waiting_ids(limit: int = 50) -> list[int]:
    query = (
        sa.select(ReceivedUpdate.update_id)
        .where(ReceivedUpdate.handled_at.is_(None))
        .order_by(ReceivedUpdate.update_id)
        .limit(limit)
    )
    return list(db.session.scalars(query))


def handle(update_id: int, context: dict) -> bool:
    """Act on one stored update unless someone already did: True when this call acted."""
    taken = db.session.execute(
        sa.update(ReceivedUpdate)
        .where(ReceivedUpdate.update_id == update_id, ReceivedUpdate.handled_at.is_(None))
        .values(handled_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if taken.rowcount != 1:
        db.session.rollback()
        return False
    payload = db.session.scalar(
        sa.select(ReceivedUpdate.payload).where(ReceivedUpdate.update_id == update_id)
    )
    try:
        dispatch(payload or {}, context)
        db.session.commit()
    except Exception as exc:
        db.session.rollback()
        log.exception("telegram update %s: the handler failed; it is not tried again", update_id)
        db.session.execute(
            sa.update(ReceivedUpdate)
            .where(ReceivedUpdate.update_id == update_id, ReceivedUpdate.handled_at.is_(None))
            .values(handled_at=utcnow(), last_error=f"{exc.__class__.__name__}: {exc}"[:ERROR_MAX])
            .execution_options(synchronize_session=False)
        )
        db.session.commit()
    return True


def handle_waiting(context: dict, limit: int = 50) -> int:
    """Act on every stored update not acted on yet, oldest first; how many this call acted on."""
    done = 0
    for update_id in waiting_ids(limit):
        done += int(handle(update_id, context))
    return done


def unhandled_count() -> int:
    return int(db.session.scalar(sa.select(sa.func.count()).where(ReceivedUpdate.handled_at.is_(None))) or 0)
