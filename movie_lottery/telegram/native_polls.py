"""A site poll posted as Telegram's own poll in the bound chat(s): vote without leaving the chat.

Offered only where it keeps the site poll's promises (``offer_refusal``):
- approval polls only: a Telegram poll has no ranking;
- at most OPTION_LIMIT candidates (Telegram's current limit for a poll's options);
- results shown while voting (``results="live"``) only: a bot's ``sendPoll`` could not, when this was
  written, be trusted to hide the tally until the close (the MTProto poll has ``hide_results_until_close``;
  Bot API clients show a ``hide_results_until_closes`` parameter, but an older Bot API server silently ignores
  unknown parameters, and a Telegram poll showing its tally would break «результаты после закрытия»);
- a bot configured and a chat bound.

Nothing waits on Telegram. Creating the poll stores, in the poll's own transaction, one ``sendPoll`` outbox
row (non-anonymous, several answers) and one NativePoll row per bound chat. The worker sends it and keeps
Telegram's poll id (``remember_sent``). Each ``poll_answer`` update (``on_poll_answer``) becomes that Telegram
account's ballot in the same count as the web and Mini App ballots (polls.service.store_ballot, one ballot
per account): a changed answer replaces it, a retracted one (no options) withdraws it. A site poll closed by
anyone (creator, admin, deadline) or deleted is noticed by the worker's turn (``stop_closed``), which stores a
``stopPoll`` for each of its Telegram polls — or, when the ``sendPoll`` never left, cancels it.
"""

from __future__ import annotations

import logging
from datetime import datetime

import sqlalchemy as sa

from movie_lottery.core.errors import DomainError, InvalidInput
from movie_lottery.core.extensions import db
from movie_lottery.core.models import Poll, utcnow
from movie_lottery.integrations.telegram_mini_app import user_of_update
from movie_lottery.polls import service as polls
from movie_lottery.polls import voting
from movie_lottery.telegram import outbox
from movie_lottery.telegram.chats import bound_chat_ids
from movie_lottery.telegram.models import NativePoll, OutgoingMessage

log = logging.getLogger("movie_lottery.telegram")

OPTION_LIMIT = 12  # Bot API sendPoll: 2–12 options (10 until 2025)
OPTION_MAX = 100  # characters of one option
QUESTION = "Что смотрим? Отметьте все фильмы, которые готовы смотреть — итог подведёт сайт"
UNAVAILABLE = "telegram_poll_unavailable"
CANCELLED = "голосование закрыли раньше, чем его удалось отправить в чат"


def offer_refusal(*, method: str, results: str, movie_count: int, configured: bool) -> str | None:
    """Why this poll cannot also be Telegram's own poll (a sentence for the person), or None."""
    if not configured:
        return "Опрос в Telegram возможен, когда бот настроен (TELEGRAM_BOT_TOKEN)"
    if method != voting.APPROVAL:
        return "Опрос в Telegram — только для голосования «да/нет»: расставить фильмы по местам там нельзя"
    if results != "live":
        return (
            "Опрос в Telegram показывает, кто за что голосует, пока он открыт: его можно прислать только в"
            " голосование с результатами, видными сразу (results: live)"
        )
    if movie_count > OPTION_LIMIT:
        return f"В опросе Telegram не больше {OPTION_LIMIT} вариантов, а фильмов — {movie_count}"
    if not bound_chat_ids():
        return "Чат группы ещё не подключён: владелец подключает его кнопкой «Подключить чат»"
    return None


def require_offerable(*, method: str, results: str, movie_count: int, configured: bool) -> None:
    """400 ``telegram_poll_unavailable`` with the reason, before anything is stored."""
    reason = offer_refusal(method=method, results=results, movie_count=movie_count, configured=configured)
    if reason is not None:
        raise InvalidInput(reason, code=UNAVAILABLE)


def option_text(name: str, year: int | None) -> str:
    text = f"{name} ({year})" if year else name
    return text if len(text) <= OPTION_MAX else text[: OPTION_MAX - 1] + "…"


def announce(poll: Poll) -> None:
    """Store the sendPoll for every bound chat in the caller's transaction (the poll's own)."""
    movies = sorted(poll.movies, key=lambda movie: movie.position)  # option i is the movie at position i
    payload = {
        "question": QUESTION,
        "options": [{"text": option_text(movie.name, movie.year)} for movie in movies],
        "is_anonymous": False,
        "allows_multiple_answers": True,
    }
    for chat_id in bound_chat_ids():
        row = outbox.call(chat_id, "sendPoll", payload)
        db.session.add(NativePoll(poll=poll, chat_id=chat_id, outbox=row))


def remember_sent(outbox_id: int, result: object) -> None:
    """The worker sent a sendPoll: keep Telegram's poll id (poll_answer names it) and message id."""
    poll = result.get("poll") if isinstance(result, dict) else None
    if not isinstance(poll, dict) or not poll.get("id"):
        return
    db.session.execute(
        sa.update(NativePoll)
        .where(NativePoll.outbox_id == outbox_id)
        .values(telegram_poll_id=str(poll["id"]), message_id=result.get("message_id"))
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


def on_poll_answer(answer: dict, now: datetime | None = None) -> None:
    """A ``poll_answer`` update: that account's ballot stored, replaced or withdrawn. An answer to a poll
    the site did not send, from a chat rather than a person, or to a closed or full poll changes nothing."""
    user = user_of_update(answer.get("user"))
    options = answer.get("option_ids")
    if user is None or not isinstance(options, list):
        return
    poll_id = db.session.scalar(
        sa.select(NativePoll.poll_id).where(NativePoll.telegram_poll_id == str(answer.get("poll_id")))
    )
    if poll_id is None:
        return
    try:
        if not options:
            polls.withdraw_telegram_ballot(poll_id, user.id, now)
        else:
            polls.store_ballot(poll_id, None, approve=sorted(set(options)), telegram_user=user, now=now)
    except DomainError as refusal:  # closed a moment ago, full, or an option the site does not know
        log.info("telegram poll answer for poll %s not counted: %s", poll_id, refusal.code)


def stop_closed(now: datetime | None = None) -> int:
    """Store a stopPoll for every Telegram poll whose site poll has closed (a passed deadline closes it
    here, as any reader would) or was deleted; how many were stopped or cancelled."""
    now = now or utcnow()
    due = db.session.execute(
        sa.select(NativePoll.id, Poll.id, Poll.closed_at)
        .outerjoin(Poll, Poll.id == NativePoll.poll_id)  # no poll: deleted (SQLite keeps no foreign keys)
        .where(NativePoll.stopped_at.is_(None))
        .where(sa.or_(Poll.id.is_(None), Poll.closed_at.is_not(None), Poll.deadline <= now))
        .order_by(NativePoll.id)
    ).all()
    done = 0
    for native_id, poll_id, closed_at in due:
        if poll_id is not None and closed_at is None:
            polls.get_poll(poll_id, now, ballots=False)  # the deadline passed: it closes here, once
        taken = db.session.execute(
            sa.update(NativePoll)
            .where(NativePoll.id == native_id, NativePoll.stopped_at.is_(None))
            .values(stopped_at=now)
            .execution_options(synchronize_session=False)
        )
        if taken.rowcount != 1:  # another worker took it
            db.session.rollback()
            continue
        native = db.session.get(NativePoll, native_id)
        sending = db.session.get(OutgoingMessage, native.outbox_id) if native.outbox_id else None
        if sending is not None and not _cancelled(sending.id):
            outbox.call(native.chat_id, "stopPoll", {}, about=sending)
        db.session.commit()
        done += 1
    return done


def _cancelled(outbox_id: int) -> bool:
    """A sendPoll that never left (Telegram down all along) is not sent at all once its poll closed."""
    return (
        db.session.execute(
            sa.update(OutgoingMessage)
            .where(OutgoingMessage.id == outbox_id, OutgoingMessage.state == "pending")
            .values(state="failed", last_error=CANCELLED)
            .execution_options(synchronize_session=False)
        ).rowcount
        == 1
    )
