"""Telegram: does it reach the site, and is anything stuck in the outbox? Said with what to do.

/status judges from the database alone: the last registration and getWebhookInfo's answer, both written by
the background worker (telegram/registration.py), and the outbox's counts. ``flask doctor`` first asks
Telegram itself, once, bounded (getWebhookInfo), and keeps the answer for /status too.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from movie_lottery.core.config import telegram_configured
from movie_lottery.ops.doctor.verdicts import Check, fail, ok, warn

NAME = "Telegram"
DOCTOR_CONNECT_SECONDS = 3.0
DOCTOR_READ_SECONDS = 5.0


def telegram_check(config: Mapping[str, Any], *, ask_telegram: bool = False) -> Check:
    """Inside an app context. ``ask_telegram``: one bounded getWebhookInfo first (``flask doctor``)."""
    if not telegram_configured(config):
        return ok(NAME, "бот не настроен (TELEGRAM_BOT_TOKEN): ни одного обращения к Telegram")
    from movie_lottery.telegram import outbox, registration

    if registration.wanted(config) is None:
        return warn(
            NAME,
            "нет публичного https-адреса сайта: Telegram некуда присылать сообщения",
            "Задайте SITE_URL (https://…); на Render он берётся из RENDER_EXTERNAL_URL сам",
        )
    if ask_telegram:
        from movie_lottery.telegram.worker import client_from_config

        client = client_from_config(
            {
                **config,
                "TELEGRAM_CONNECT_TIMEOUT": DOCTOR_CONNECT_SECONDS,
                "TELEGRAM_READ_TIMEOUT": DOCTOR_READ_SECONDS,
            }
        )
        registration.refresh_info(client, config)
    facts = registration.facts()
    counts = outbox.outbox_counts()
    return _verdict(config, facts, counts)


def _verdict(config, facts: dict, counts) -> Check:
    wanted_url = registration_url(config)
    registered, info = facts.get("registered"), facts.get("info")
    stuck = ""
    if counts.stale:
        stuck = (
            f"; {counts.stale} сообщ. не отправлено больше часа ({counts.last_error or 'причина неизвестна'})"
        )
    elif counts.failed:
        stuck = f"; {counts.failed} сообщ. Telegram не принял ({counts.last_error or 'причина неизвестна'})"
    if registered is None:
        return warn(
            NAME,
            "вебхук ещё не зарегистрирован" + stuck,
            "Он регистрируется в фоне после первого запроса к сайту; вручную: flask telegram setup",
        )
    if not registered.get("ok"):
        return fail(
            NAME,
            f"Telegram не принял вебхук: {registered.get('error')}" + stuck,
            "Проверьте TELEGRAM_BOT_TOKEN (BotFather) и SITE_URL, затем flask telegram setup",
        )
    if registered.get("url") != wanted_url:
        return warn(NAME, "адрес сайта изменился: вебхук будет зарегистрирован заново" + stuck)
    if info is None or not info.get("ok"):
        why = info.get("error") if info else "ещё не спрашивали"
        return warn(NAME, f"вебхук зарегистрирован, но Telegram не ответил на проверку: {why}" + stuck)
    pending = int(info.get("pending_update_count") or 0)
    error, error_at = info.get("last_error_message"), info.get("last_error_date")
    if info.get("url") and info.get("url") != wanted_url:
        return fail(
            NAME,
            f"Telegram шлёт обновления на другой адрес: {info.get('url')}",
            "Один токен — один сайт: flask telegram setup зарегистрирует этот адрес",
        )
    if error:
        when = datetime.fromtimestamp(int(error_at), UTC).strftime("%d.%m %H:%M UTC") if error_at else ""
        return warn(
            NAME,
            f"Telegram не может достучаться до сайта ({when}): {error}; в очереди у Telegram: {pending}"
            + stuck,
            "Проверьте, что SITE_URL открывается из интернета по https и сайт отвечает",
        )
    if counts.stale or counts.failed:
        return warn(NAME, "Telegram достаёт до сайта" + stuck, "Сообщения уйдут, когда Telegram ответит")
    return ok(NAME, f"Telegram достаёт до сайта; в очереди у Telegram: {pending}, у сайта: {counts.waiting}")


def registration_url(config) -> str | None:
    from movie_lottery.telegram import registration

    wanted = registration.wanted(config)
    return wanted["url"] if wanted else None
