"""A members-only poll's ballot from the Mini App: is this Telegram account in a connected chat?

Known members come from the database (telegram/members.py: whom the bot has seen there). An account not
seen yet costs one getChatMember per connected chat, inside the request — the only Telegram call a request
makes — so it is hard-bounded: each call at most connect + 2 × read = 1.5 s, no second chat asked once
0.5 s have gone (about 2 s in all), and a per-process breaker that, after three failures in a row, answers
«Telegram недоступен» at once instead of making every voter wait. A «yes» is remembered: asked once per
person. When Telegram cannot answer, the ballot is refused with 503 and a message saying to send it again
in a minute: it cannot be counted without knowing, and the page keeps the choice to send again.
"""

from __future__ import annotations

import time

from flask import Flask, current_app

from movie_lottery.core.errors import Forbidden, InvalidInput, Unavailable
from movie_lottery.core.extensions import db
from movie_lottery.integrations.breaker import CircuitBreaker
from movie_lottery.integrations.telegram import TelegramError, TelegramRefused
from movie_lottery.integrations.telegram_mini_app import TelegramUser
from movie_lottery.telegram import members
from movie_lottery.telegram.chats import bound_chat_ids
from movie_lottery.telegram.worker import client_from_config

EXTENSION_KEY = "telegram_member_check"
CONNECT_SECONDS = 0.5
READ_SECONDS = 0.5
NEXT_CHAT_WITHIN = 0.5  # a second chat is asked only while the first answered this fast
MEMBERS_OF_CHAT_REFUSALS = ["members_need_telegram", "no_bound_chat"]  # creating a poll: 400
NOT_A_MEMBER = (
    "В этом голосовании голосуют только участники чата группы в Telegram, а вас там нет. "
    "Попросите добавить вас в чат — и откройте голосование снова."
)
UNAVAILABLE = (
    "Telegram сейчас не отвечает, и мы не можем проверить, что вы в чате группы. "
    "Голос не записан: отправьте его ещё раз через минуту."
)


class NotAChatMember(Forbidden):
    code = "not_chat_member"


class TelegramUnavailable(Unavailable):
    code = "telegram_unavailable"


class _Checker:
    def __init__(self, app: Flask) -> None:
        config = app.config
        self.breaker = CircuitBreaker(failure_threshold=3, backoff=(30, 60, 300))
        self.client = client_from_config(
            config,
            connect_timeout=float(config.get("TELEGRAM_MEMBER_CONNECT_TIMEOUT", CONNECT_SECONDS)),
            read_timeout=float(config.get("TELEGRAM_MEMBER_READ_TIMEOUT", READ_SECONDS)),
        )

    def get_chat_member(self, chat_id: int, user_id: int) -> dict:
        try:
            answer = self.client.call("getChatMember", {"chat_id": chat_id, "user_id": user_id})
        except TelegramRefused:
            self.breaker.record_success()  # Telegram answered: «no such user or chat»
            raise
        except TelegramError as exc:
            self.breaker.record_failure(exc.reason)
            raise
        self.breaker.record_success()
        return answer if isinstance(answer, dict) else {}


def _checker() -> _Checker:
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    checker = app.extensions.get(EXTENSION_KEY)
    if checker is None:
        checker = app.extensions[EXTENSION_KEY] = _Checker(app)
    return checker


def require_member(poll_id: str, user: TelegramUser | None) -> None:
    """Refuse a members-only poll's ballot from an account that is not in a connected chat (403), or when
    Telegram cannot say (503). Without init data nothing is decided here: the poll's verification refuses
    it (403 telegram_required)."""
    if user is None or not members.members_only(poll_id) or members.known_member(user.id):
        return
    checker = _checker()
    if not checker.breaker.allow():
        raise TelegramUnavailable(UNAVAILABLE)
    started = time.monotonic()
    try:
        member = members.ask(
            user.id, checker.get_chat_member, lambda: time.monotonic() - started < NEXT_CHAT_WITHIN
        )
    except members.MembershipUnknown:
        raise TelegramUnavailable(UNAVAILABLE) from None
    if not member:
        raise NotAChatMember(NOT_A_MEMBER)


def check_members_of_chat(verification: str) -> None:
    """``members_of_chat`` on a new poll: only with Telegram verification, and with a chat connected."""
    if verification != "telegram":
        raise InvalidInput(
            "«Только участники чата» — вместе с голосованием через Telegram (verification: telegram)",
            code="members_need_telegram",
        )
    if not bound_chat_ids():
        raise InvalidInput(
            "Ни один чат Telegram не подключён: подключите его на странице «Состояние» («Подключить чат»)",
            code="no_bound_chat",
        )


def restrict_to_members(poll_id: str) -> None:
    members.restrict(poll_id)
    db.session.commit()
