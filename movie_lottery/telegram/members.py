"""«Only that chat's members» (issue 24, item 6): who may vote in a members-only poll, without a request
waiting on Telegram whenever it can be helped.

The bot remembers whom it has seen in a connected chat (``notice``, from every update the worker handles:
a message, a command, a button pressed, a ``chat_member`` change), so most voters are known from the
database alone. A Mini App voter not seen yet is asked about once with getChatMember (``ask``: the caller
gives a client with a hard time bound and a breaker); a «yes» is remembered, so the next ballot is free.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

from movie_lottery.core.extensions import db
from movie_lottery.core.models import utcnow
from movie_lottery.integrations.telegram import TelegramError, TelegramRefused
from movie_lottery.integrations.telegram_mini_app import user_of_update
from movie_lottery.telegram.chats import bound_chat_ids, is_bound
from movie_lottery.telegram.models import BoundChat, ChatMember, MembersOnlyPoll
from movie_lottery.telegram.outbox import insert_for

PRESENT = ("creator", "administrator", "member")
GONE = ("left", "kicked")


def remember(chat_id: int, user_id: int) -> None:
    """Seen in the chat now (the caller commits); a second sighting only moves ``seen_at``."""
    insert = insert_for(db.session.get_bind().dialect.name)
    now = utcnow()
    db.session.execute(
        insert(ChatMember)
        .values(chat_id=chat_id, user_id=user_id, seen_at=now)
        .on_conflict_do_update(index_elements=["chat_id", "user_id"], set_={"seen_at": now})
    )


def forget(chat_id: int, user_id: int) -> None:
    db.session.execute(
        sa.delete(ChatMember)
        .where(ChatMember.chat_id == chat_id, ChatMember.user_id == user_id)
        .execution_options(synchronize_session=False)
    )


def _person(value: Any) -> int | None:
    user = user_of_update(value)
    return user.id if user is not None else None


def _present(member: dict) -> bool:
    """In the chat, by getChatMember's or a chat_member update's ChatMember."""
    status = member.get("status")
    return status in PRESENT or (status == "restricted" and bool(member.get("is_member")))


def _chat_id(value: Any) -> int | None:
    return value.get("id") if isinstance(value, dict) and type(value.get("id")) is int else None


def notice(update: dict) -> None:
    """Whom this update shows in a connected chat (in the worker's transaction for the update)."""
    change = update.get("chat_member")
    if isinstance(change, dict):
        chat_id, new = _chat_id(change.get("chat")), change.get("new_chat_member")
        user_id = _person(new.get("user")) if isinstance(new, dict) else None
        if chat_id is None or user_id is None or not is_bound(chat_id):
            return
        if _present(new):
            remember(chat_id, user_id)
        elif new.get("status") in GONE or new.get("status") == "restricted":
            forget(chat_id, user_id)
        return
    for key in ("message", "callback_query"):
        item = update.get(key)
        if not isinstance(item, dict):
            continue
        chat = item.get("chat") if key == "message" else (item.get("message") or {}).get("chat")
        chat_id, user_id = _chat_id(chat), _person(item.get("from"))
        if chat_id is not None and user_id is not None and is_bound(chat_id):
            remember(chat_id, user_id)


# ---- members-only polls ---------------------------------------------------------------------------------


def restrict(poll_id: str) -> None:
    """The poll takes ballots only from the connected chats' members (the caller commits)."""
    db.session.add(MembersOnlyPoll(poll_id=poll_id, created_at=utcnow()))


def members_only(poll_id: str) -> bool:
    return db.session.get(MembersOnlyPoll, poll_id) is not None


def known_member(user_id: int) -> bool:
    """Seen by the bot in a chat that is still connected."""
    query = (
        sa.select(ChatMember.user_id)
        .join(BoundChat, BoundChat.chat_id == ChatMember.chat_id)
        .where(ChatMember.user_id == user_id)
        .limit(1)
    )
    return db.session.scalar(query) is not None


class MembershipUnknown(Exception):
    """Telegram could not say (slow, down, 429, or the breaker is open): neither yes nor no."""


def ask(user_id: int, get_chat_member: Callable[[int, int], dict], budget_left: Callable[[], bool]) -> bool:
    """Ask Telegram whether the user is in a connected chat; a «yes» is remembered and committed.

    ``get_chat_member(chat_id, user_id)`` is the bounded call; ``budget_left()`` says whether another chat
    may still be asked within the request's bound. Raises MembershipUnknown when no chat said yes and one
    could not answer; False when every connected chat said no."""
    unknown = False
    for chat_id in bound_chat_ids():
        if not budget_left():
            unknown = True
            break
        try:
            member = get_chat_member(chat_id, user_id) or {}
        except TelegramRefused:
            continue  # «user not found», «chat not found»: not a member there
        except TelegramError:
            unknown = True
            continue
        if isinstance(member, dict) and _present(member):
            remember(chat_id, user_id)
            db.session.commit()
            return True
    if unknown:
        raise MembershipUnknown
    return False
