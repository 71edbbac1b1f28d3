"""A press on one of the bot's inline buttons (``callback_query``): today the 1–10 rating keyboard.

The rating is stored by the library's own rule (library.ratings.rate: one per Telegram account and night,
the unique indexes of migration 0016, the name made unique from the Telegram name), and every press is
answered with answerCallbackQuery — an outbox row like any other message, so nothing waits on Telegram.
"""

from __future__ import annotations

import sqlalchemy as sa

from movie_lottery.core.errors import DomainError
from movie_lottery.core.extensions import db
from movie_lottery.core.models import PollBallot
from movie_lottery.integrations.telegram_mini_app import user_of_update
from movie_lottery.library.ratings import rate
from movie_lottery.telegram import outbox
from movie_lottery.telegram.posts import parse_rating_data

UNKNOWN_BUTTON = "Эта кнопка больше ничего не делает."


def _voter(kind: str, night_id: str, telegram_user_id: int) -> str | None:
    """In a poll, the participant of this account's ballot (voted in the Mini App or in Telegram): the
    rating goes under the ballot's name, as it does from the Mini App's page."""
    if kind != "poll":
        return None
    return db.session.scalar(
        sa.select(PollBallot.participant).where(
            PollBallot.poll_id == night_id, PollBallot.telegram_user_id == telegram_user_id
        )
    )


def handle_callback(query: dict) -> None:
    """Inside the update's transaction. ``rate`` commits (or rolls back) on its own, so the update's
    «handled» mark is committed first: a press is acted on at most once, as every update is."""
    user, query_id = user_of_update(query.get("from")), query.get("id")
    if user is None or not isinstance(query_id, str):
        return
    parsed = parse_rating_data(query.get("data"))
    if parsed is None:
        outbox.answer_callback(user.id, query_id, UNKNOWN_BUTTON)
        return
    kind, night_id, score = parsed
    db.session.commit()
    try:
        summary = rate(kind, night_id, _voter(kind, night_id, user.id), score=score, telegram_user=user)
    except DomainError as error:
        db.session.rollback()
        outbox.answer_callback(user.id, query_id, error.message)
        return
    outbox.answer_callback(user.id, query_id, f"Спасибо! Ваша оценка — {score}. Оценок: {summary.count}.")
