"""The bot's tables: messages to send (the outbox), updates received, chats' pace, what was registered.

They live with the feature rather than in core/models.py: nothing else reads them, and the schema they belong
to is still one migration chain (0015). They are imported with the app (web/pages/telegram.py), so the
metadata always knows them.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from movie_lottery.core.extensions import db
from movie_lottery.core.models import Poll, UTCDateTime, utcnow

# pending -> sending (claimed by one worker until ``claimed_until``) -> sent, or failed (Telegram refused it:
# trying again would not help). A worker that dies mid-send leaves "sending": after the claim runs out, it is
# pending again for anyone.
OUTBOX_STATES = ("pending", "sending", "sent", "failed")
METHOD_MAX = 32
ERROR_MAX = 500


class OutgoingMessage(db.Model):
    """A message (or an edit of one) the bot is to send: stored first, sent by the background worker, once.

    ``edits_id``: an editMessageText of the message another row sent; its Telegram ``message_id`` is known
    only once that row is sent, so the edit waits for it.
    """

    __tablename__ = "telegram_outbox"
    __table_args__ = (
        sa.CheckConstraint(
            "state IN (" + ", ".join(f"'{s}'" for s in OUTBOX_STATES) + ")", name="known_state"
        ),
        sa.Index("telegram_outbox_due", "state", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    chat_id: Mapped[int] = mapped_column(sa.BigInteger)
    method: Mapped[str] = mapped_column(sa.String(METHOD_MAX))
    payload: Mapped[dict] = mapped_column(sa.JSON)
    edits_id: Mapped[int | None] = mapped_column(sa.ForeignKey("telegram_outbox.id", ondelete="SET NULL"))
    state: Mapped[str] = mapped_column(sa.String(16), default="pending")
    attempts: Mapped[int] = mapped_column(sa.Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    message_id: Mapped[int | None] = mapped_column(sa.BigInteger)  # Telegram's id of what was sent
    last_error: Mapped[str | None] = mapped_column(sa.String(ERROR_MAX))


class ReceivedUpdate(db.Model):
    """An update as Telegram posted it to the webhook, stored before anything is done with it.

    ``update_id`` is the primary key: Telegram redelivers until it gets a 2xx, and the second copy finds the
    first. ``handled_at`` is set by the one transaction that acts on it (a conditional UPDATE), so it is acted
    on once whatever the number of workers.
    """

    __tablename__ = "telegram_update"

    update_id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True, autoincrement=False)
    payload: Mapped[dict] = mapped_column(sa.JSON)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    handled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    last_error: Mapped[str | None] = mapped_column(sa.String(ERROR_MAX))


class ChatPace(db.Model):
    """When each chat may get its next message: Telegram's ~1 a second per chat, 20 a minute in groups, and
    a 429's ``retry_after``. Taken by a conditional UPDATE, so two workers never both take the same slot."""

    __tablename__ = "telegram_chat_pace"

    chat_id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True, autoincrement=False)
    next_at: Mapped[datetime] = mapped_column(UTCDateTime)


class BotState(db.Model):
    """What the bot last did or learned that every worker should know: the webhook registered (address,
    and fingerprints of the token and secret, never the secrets themselves) and getWebhookInfo's answer."""

    __tablename__ = "telegram_state"

    name: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    value: Mapped[dict] = mapped_column(sa.JSON)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class BoundChat(db.Model):
    """A Telegram chat the owner connected with «Подключить чат»: the bot posts the group's nights there.

    The group's memory (a restored backup keeps the chat connected), unlike the outbox and the updates."""

    __tablename__ = "telegram_chat"

    chat_id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True, autoincrement=False)
    title: Mapped[str] = mapped_column(sa.String(255), default="")
    bound_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ConnectCode(db.Model):
    """A one-time, expiring «Подключить чат» code (the ``startgroup`` parameter). Only its digest is kept:
    the link is the secret, like a lottery's manage token."""

    __tablename__ = "telegram_connect_code"

    digest: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    chat_id: Mapped[int | None] = mapped_column(sa.BigInteger)


class NativePoll(db.Model):
    """A site poll posted as Telegram's own poll in a bound chat (native_polls.py): the ``sendPoll`` row
    that posts it, and once sent Telegram's poll id (``poll_answer`` updates name it) and message id.
    ``stopped_at``: when its ``stopPoll`` was stored (the site poll closed). Operational, like the outbox:
    not in the backup (the ballots it brought are)."""

    __tablename__ = "telegram_native_poll"

    id: Mapped[int] = mapped_column(primary_key=True)
    # SET NULL: a deleted poll's Telegram poll is still stopped (or, never sent, cancelled) by stop_closed.
    poll_id: Mapped[str | None] = mapped_column(sa.ForeignKey("poll.id", ondelete="SET NULL"), index=True)
    chat_id: Mapped[int] = mapped_column(sa.BigInteger)
    outbox_id: Mapped[int | None] = mapped_column(sa.ForeignKey("telegram_outbox.id", ondelete="SET NULL"))
    telegram_poll_id: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    message_id: Mapped[int | None] = mapped_column(sa.BigInteger)
    stopped_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    poll: Mapped[Poll | None] = relationship(Poll)
    outbox: Mapped[OutgoingMessage | None] = relationship(OutgoingMessage)


class NightPost(db.Model):
    """A night sent to a chat with «Отправить в чат»: what the bot has posted of it there, each step once.

    Every later post (the result, the download's progress, the rating keyboard) is only for nights that have
    this row, and each is taken by a conditional UPDATE of its column, so two workers never both post it.
    ``progress_id``: the outbox row of the one progress message that later edits change. Operational, like
    the outbox: not in the backup (a restored site posts nothing more of an old night)."""

    __tablename__ = "telegram_night_post"
    __table_args__ = (sa.UniqueConstraint("kind", "night_id", "chat_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(8))  # "lottery" or "poll"
    night_id: Mapped[str] = mapped_column(sa.String(16), index=True)
    chat_id: Mapped[int] = mapped_column(sa.BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    result_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    progress_id: Mapped[int | None] = mapped_column(sa.ForeignKey("telegram_outbox.id", ondelete="SET NULL"))
    progress_step: Mapped[int] = mapped_column(sa.Integer, default=-1)  # tenths announced so far
    progress_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    keyboard_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ChatMember(db.Model):
    """Someone the bot has seen in a connected chat: they wrote, used a command, pressed a button, joined
    (``chat_member``), or Telegram said so when asked (getChatMember). Forgotten when they leave."""

    __tablename__ = "telegram_chat_member"
    __table_args__ = (sa.Index("telegram_chat_member_user", "user_id"),)

    chat_id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True, autoincrement=False)
    user_id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True, autoincrement=False)
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class MembersOnlyPoll(db.Model):
    """A poll only the connected chats' members may vote in (``members_of_chat``; verification telegram)."""

    __tablename__ = "telegram_members_only_poll"

    poll_id: Mapped[str] = mapped_column(sa.ForeignKey("poll.id", ondelete="CASCADE"), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
