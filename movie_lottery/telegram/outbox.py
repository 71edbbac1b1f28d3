"""The outbox: every message the bot sends is a row first, and the background worker sends it once.

Requests (and the update dispatcher) only add rows: ``send_message`` and ``edit_message`` put them in the
caller's transaction, so a message exists exactly when what it announces was committed. The worker claims a
due row with one conditional UPDATE (pending -> sending, with a claim that runs out), so two workers or two
instances never both send it; the same transaction takes the chat's next slot (telegram_chat_pace), which
spaces messages per chat as Telegram asks (~1 a second, 20 a minute in a group) across every worker.

After the call: sent (with Telegram's ``message_id``, for later edits); Telegram slow, down or 5xx -> pending
again after a back-off; 429 -> pending again after its ``retry_after``, and the chat's pace moves by as much;
a refusal (the bot was removed, a bad request) -> failed, shown to the owner. A row nobody could send for
an hour is shown on /status and by ``flask doctor``.

A timeout is ambiguous: Telegram may have delivered before the answer was lost. The row is sent again then
(a rare duplicate beats a lost result); every other outcome sends it exactly once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from movie_lottery.core.extensions import db
from movie_lottery.core.models import utcnow
from movie_lottery.telegram.models import ERROR_MAX, ChatPace, OutgoingMessage

PRIVATE_GAP = timedelta(seconds=1)  # Bots FAQ: about one message a second in a chat
GROUP_GAP = timedelta(seconds=3)  # and at most 20 a minute in a group
BACKOFF_SECONDS = (5, 15, 60, 300, 900)  # Telegram slow, down, 5xx: then every 15 minutes, for ever
CLAIM = timedelta(seconds=60)  # far longer than one call's bound: a claim outlives only a dead worker
STALE_AFTER = timedelta(hours=1)  # unsent this long: the owner sees it
WAIT_FOR_ORIGINAL = timedelta(seconds=1)  # an edit whose message is being sent looks again this soon
NOT_MODIFIED = "message is not modified"  # an edit to the same words: Telegram's 400, and nothing to do


def gap_for(chat_id: int) -> timedelta:
    """Groups and channels have negative ids in the Bot API."""
    return GROUP_GAP if chat_id < 0 else PRIVATE_GAP


def send_message(chat_id: int, text: str, **extra: Any) -> OutgoingMessage:
    """Store a sendMessage in the caller's transaction (the caller commits)."""
    row = OutgoingMessage(chat_id=chat_id, method="sendMessage", payload={"text": text, **extra})
    _add(row)
    return row


def edit_message(of: OutgoingMessage, text: str, **extra: Any) -> OutgoingMessage:
    """Store an editMessageText of the message ``of`` sends (once it is sent: its id is known only then)."""
    if of.id is None:
        db.session.flush()
    row = OutgoingMessage(chat_id=of.chat_id, method="editMessageText", payload={"text": text, **extra})
    row.edits_id = of.id
    _add(row)
    return row


def call(
    chat_id: int, method: str, payload: dict, *, about: OutgoingMessage | None = None
) -> OutgoingMessage:
    """Store any other call (sendPoll, stopPoll…) in the caller's transaction. ``about``: the row whose sent
    message it acts on (its ``message_id`` is filled in once that row is sent, as for an edit)."""
    row = OutgoingMessage(chat_id=chat_id, method=method, payload=dict(payload))
    if about is not None:
        if about.id is None:
            db.session.flush()
        row.edits_id = about.id
    _add(row)
    return row


def _add(row: OutgoingMessage) -> None:
    now = utcnow()
    row.state, row.attempts, row.created_at, row.next_attempt_at = "pending", 0, now, now
    db.session.add(row)


# ---- the worker's side ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Claimed:
    """A row this worker holds: what to call, as plain values (no ORM row outlives its transaction)."""

    id: int
    chat_id: int
    method: str
    payload: dict


def _claimable(now: datetime):
    return sa.or_(
        sa.and_(OutgoingMessage.state == "pending", OutgoingMessage.next_attempt_at <= now),
        sa.and_(OutgoingMessage.state == "sending", OutgoingMessage.claimed_until < now),
    )


def due_ids(now: datetime | None = None, limit: int = 20) -> list[int]:
    now = now or utcnow()
    query = sa.select(OutgoingMessage.id).where(_claimable(now)).order_by(OutgoingMessage.id).limit(limit)
    return list(db.session.scalars(query))


def next_due_at() -> datetime | None:
    """When the earliest waiting row becomes due (None: nothing waits), for the worker's sleep."""
    value = db.session.scalar(
        sa.select(sa.func.min(OutgoingMessage.next_attempt_at)).where(OutgoingMessage.state == "pending")
    )
    return _aware(value)


def _take_slot(chat_id: int, now: datetime) -> bool:
    """The chat's next slot, in the caller's transaction: False while the chat must still wait."""
    taken = db.session.execute(
        sa.update(ChatPace)
        .where(ChatPace.chat_id == chat_id, ChatPace.next_at <= now)
        .values(next_at=now + gap_for(chat_id))
        .execution_options(synchronize_session=False)
    )
    if taken.rowcount == 1:
        return True
    # The chat's first message: open its pace, unless another worker did this very moment (then it waits).
    insert = insert_for(db.session.get_bind().dialect.name)
    opened = db.session.execute(
        insert(ChatPace)
        .values(chat_id=chat_id, next_at=now + gap_for(chat_id))
        .on_conflict_do_nothing(index_elements=["chat_id"])
    )
    return opened.rowcount == 1


def insert_for(dialect: str):
    """INSERT with ON CONFLICT for this backend (SQLite and PostgreSQL both have it)."""
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert


def claim(message_id: int, now: datetime | None = None) -> Claimed | None:
    """Take the row for this worker, or None (another worker has it, the chat must wait, an edit's message
    is not sent yet). One transaction: the chat's slot and the row are taken together or not at all."""
    now = now or utcnow()
    row = db.session.get(OutgoingMessage, message_id)
    if row is None:
        db.session.rollback()
        return None
    chat_id, method, payload = row.chat_id, row.method, dict(row.payload or {})
    if row.edits_id is not None or method == "editMessageText":
        original = db.session.get(OutgoingMessage, row.edits_id) if row.edits_id else None
        if original is None or original.state == "failed":
            db.session.rollback()
            _finish(message_id, "failed", last_error="сообщение, которое нужно изменить, не было отправлено")
            return None
        if original.message_id is None:  # waits for its message to be sent: not due before that one
            _postpone(message_id, max(original.next_attempt_at, now + WAIT_FOR_ORIGINAL))
            return None
        payload["message_id"] = original.message_id
    if not _take_slot(chat_id, now):  # the chat's next slot is not yet: not due before it
        pace = db.session.get(ChatPace, chat_id)
        _postpone(message_id, pace.next_at if pace is not None else now + gap_for(chat_id))
        return None
    claimed = db.session.execute(
        sa.update(OutgoingMessage)
        .where(OutgoingMessage.id == message_id, _claimable(now))
        .values(state="sending", claimed_until=now + CLAIM, attempts=OutgoingMessage.attempts + 1)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        db.session.rollback()  # the chat's slot goes back with it
        return None
    db.session.commit()
    return Claimed(message_id, chat_id, method, {"chat_id": chat_id, **payload})


def _postpone(row_id: int, until: datetime) -> None:
    """A pending row that cannot go yet is not due before ``until``: the worker sleeps, it does not spin."""
    db.session.rollback()
    db.session.execute(
        sa.update(OutgoingMessage)
        .where(OutgoingMessage.id == row_id, OutgoingMessage.state == "pending")
        .where(OutgoingMessage.next_attempt_at < until)
        .values(next_attempt_at=until)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


def _finish(row_id: int, state: str, **values: Any) -> bool:
    result = db.session.execute(
        sa.update(OutgoingMessage)
        .where(OutgoingMessage.id == row_id, OutgoingMessage.state.in_(("sending", "pending")))
        .values(state=state, claimed_until=None, **values)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return result.rowcount == 1


def mark_sent(message_id: int, telegram_message_id: int | None) -> bool:
    return _finish(message_id, "sent", sent_at=utcnow(), message_id=telegram_message_id, last_error=None)


def mark_failed(message_id: int, reason: str) -> bool:
    return _finish(message_id, "failed", last_error=reason[:ERROR_MAX])


def retry_later(message_id: int, reason: str, attempts: int, after: float | None = None) -> bool:
    """Back to pending: after ``after`` seconds (a 429's retry_after), else after the back-off."""
    if after is None:
        after = BACKOFF_SECONDS[min(max(attempts, 1), len(BACKOFF_SECONDS)) - 1]
    return _finish(
        message_id,
        "pending",
        next_attempt_at=utcnow() + timedelta(seconds=after),
        last_error=reason[:ERROR_MAX],
    )


def hold_chat(chat_id: int, seconds: float) -> None:
    """Telegram said 429 for this chat: nothing more goes to it for ``seconds``."""
    until = utcnow() + timedelta(seconds=seconds)
    db.session.execute(
        sa.update(ChatPace)
        .where(ChatPace.chat_id == chat_id, ChatPace.next_at < until)
        .values(next_at=until)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


def attempts_of(message_id: int) -> int:
    return int(
        db.session.scalar(sa.select(OutgoingMessage.attempts).where(OutgoingMessage.id == message_id)) or 0
    )


# ---- for /status and the doctor ---------------------------------------------------------------------


@dataclass(frozen=True)
class OutboxCounts:
    waiting: int  # pending or being sent
    failed: int  # Telegram refused them
    oldest_waiting: datetime | None
    stale: int  # waiting longer than STALE_AFTER
    last_error: str | None


def outbox_counts(now: datetime | None = None) -> OutboxCounts:
    now = now or utcnow()
    waiting = OutgoingMessage.state.in_(("pending", "sending"))
    row = db.session.execute(
        sa.select(
            sa.func.count().filter(waiting),
            sa.func.count().filter(OutgoingMessage.state == "failed"),
            sa.func.min(OutgoingMessage.created_at).filter(waiting),
            sa.func.count().filter(waiting, OutgoingMessage.created_at < now - STALE_AFTER),
        )
    ).one()
    error = db.session.scalar(
        sa.select(OutgoingMessage.last_error)
        .where(OutgoingMessage.last_error.is_not(None), OutgoingMessage.state != "sent")
        .order_by(OutgoingMessage.id.desc())
        .limit(1)
    )
    return OutboxCounts(row[0], row[1], _aware(row[2]), row[3], error)


def _aware(value: Any) -> datetime | None:
    if isinstance(value, str):  # SQLite gives an aggregate of a datetime column back as text
        value = datetime.fromisoformat(value)
    if value is not None and value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value


def answer_callback(user_id: int, callback_query_id: str, text: str) -> OutgoingMessage:
    """Store an answerCallbackQuery (the button's spinner stops, ``text`` shows as a toast). Paced as the
    pressing user's private chat (1 a second), not the group's: answers are not messages in the group."""
    row = OutgoingMessage(
        chat_id=user_id,
        method="answerCallbackQuery",
        payload={"callback_query_id": callback_query_id, "text": text},
    )
    _add(row)
    return row
