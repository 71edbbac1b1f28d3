"""The chats the owner connected: where the bot posts cards, results, progress and rating keyboards."""

from __future__ import annotations

import sqlalchemy as sa

from movie_lottery.core.extensions import db
from movie_lottery.telegram.models import BoundChat


def bound_chats() -> list[BoundChat]:
    """Every connected chat, oldest binding first (usually one: the group's chat)."""
    return list(db.session.scalars(sa.select(BoundChat).order_by(BoundChat.bound_at, BoundChat.chat_id)))


def bound_chat_ids() -> list[int]:
    return [chat.chat_id for chat in bound_chats()]


def is_bound(chat_id: int) -> bool:
    return db.session.get(BoundChat, chat_id) is not None
