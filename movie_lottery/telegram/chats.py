"""The chats the owner connected: where the bot posts cards, results, progress and rating keyboards."""

from __future__ import annotations

import sqlalchemy as sa

from movie_lottery.core.extensions import db
from movie_lottery.telegram.models import BoundChat


def bound_chat_ids() -> list[int]:
    """Every connected chat's id, oldest binding first (usually one: the group's chat)."""
    return list(
        db.session.scalars(sa.select(BoundChat.chat_id).order_by(BoundChat.bound_at, BoundChat.chat_id))
    )
