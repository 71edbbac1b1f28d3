"""``Authorization: tma <initData>``: a request from the Mini App, made by the Telegram user it proves.

Checked once per request, before any view (integrations/telegram_mini_app.py, with TELEGRAM_BOT_TOKEN): a
request that brings it and does not verify — forged, stale, or no bot token configured, so nothing can be
checked — is a 401 JSON error, whatever it asked for. Without the header nothing changes: the browser's own
participant (web.participants) as before.
"""

from __future__ import annotations

from flask import Flask, current_app, g, request

from movie_lottery.core.errors import DomainError
from movie_lottery.integrations import telegram_mini_app as init_data
from movie_lottery.integrations.telegram_mini_app import InitDataRefused, TelegramUser

SCHEME = "tma "
TELEGRAM_REFUSALS = {401: ["telegram_unverified"]}  # for the API's documented refusals
UNVERIFIED = (
    "Не получилось проверить, что вы — это вы в Telegram. Закройте страницу и откройте её из Telegram заново"
)


class TelegramUnverified(DomainError):
    status = 401
    code = "telegram_unverified"


def telegram_user() -> TelegramUser | None:
    """The Telegram user this request's init data proved, or None when it brought none."""
    return g.get("telegram_user")


def _check_header() -> None:
    header = request.headers.get("Authorization", "")
    if header[: len(SCHEME)].lower() != SCHEME:
        return
    try:
        g.telegram_user = init_data.check(
            header[len(SCHEME) :].strip(), current_app.config.get("TELEGRAM_BOT_TOKEN")
        )
    except InitDataRefused as refused:
        raise TelegramUnverified(UNVERIFIED, details={"reason": refused.reason}) from None


def init_app(app: Flask) -> None:
    app.before_request(_check_header)
