"""What the bot last did or learned that every worker should know (telegram_state rows): the webhook
registered, getWebhookInfo's answer, getMe's username. Secrets are kept only as fingerprints."""

from __future__ import annotations

import hashlib

from movie_lottery.core.extensions import db
from movie_lottery.core.models import utcnow
from movie_lottery.telegram.models import BotState
from movie_lottery.telegram.outbox import insert_for


def fingerprint(text: str) -> str:
    """Enough of a digest to notice a change, nothing to learn the secret from."""
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def read(name: str) -> BotState | None:
    return db.session.get(BotState, name)


def keep(name: str, value: dict) -> None:
    """Insert or replace in one statement: two workers registering at once both succeed, the last one wins."""
    insert = insert_for(db.session.get_bind().dialect.name)
    now = utcnow()
    db.session.execute(
        insert(BotState)
        .values(name=name, value=value, at=now)
        .on_conflict_do_update(index_elements=["name"], set_={"value": value, "at": now})
    )
    db.session.commit()
    db.session.expire_all()
