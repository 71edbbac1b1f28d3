"""The webhook's registration with Telegram, and what Telegram says about reaching it.

Registered by the background worker, never inside a request: when the address (SITE_URL + /telegram/webhook),
the token or the secret differ from what was last registered (telegram_state "webhook" keeps the address and
fingerprints, never a secret), or a failed attempt is old enough to try again. ``flask telegram setup`` does
it by hand. getWebhookInfo's answer is read in the background too and kept in telegram_state "webhook_info",
so /status and every worker read it from the database.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from movie_lottery.core.config import telegram_webhook_secret
from movie_lottery.core.models import utcnow
from movie_lottery.integrations.telegram import TelegramClient, TelegramError
from movie_lottery.telegram import bot_state

WEBHOOK_PATH = "/telegram/webhook"
# chat_member: who joins and leaves a connected chat (members-only polls); Telegram sends it only when asked
ALLOWED_UPDATES = ["message", "callback_query", "my_chat_member", "chat_member", "poll_answer"]
RETRY_FAILED_AFTER = timedelta(minutes=5)
INFO_EVERY = timedelta(minutes=10)


def wanted(config: Mapping[str, Any]) -> dict | None:
    """What should be registered now; None without a public https address (nothing can be)."""
    site = config.get("SITE_URL")
    token = config.get("TELEGRAM_BOT_TOKEN")
    if not token or not site or not str(site).startswith("https://"):
        return None
    return {
        "url": str(site).rstrip("/") + WEBHOOK_PATH,
        "token": bot_state.fingerprint(token),
        "secret": bot_state.fingerprint(telegram_webhook_secret(config) or ""),
        "updates": ",".join(ALLOWED_UPDATES),  # a new kind of update asked for registers again
    }


def registration_due(config: Mapping[str, Any]) -> bool:
    target = wanted(config)
    if target is None:
        return False
    row = bot_state.read("webhook")
    if row is None:
        return True
    done = row.value or {}
    same = all(done.get(key) == target[key] for key in ("url", "token", "secret", "updates"))
    if same and done.get("ok"):
        return False
    return not same or utcnow() - row.at >= RETRY_FAILED_AFTER


def register(client: TelegramClient, config: Mapping[str, Any]) -> dict:
    """setWebhook with the secret; the outcome is stored (ok or the error) and returned."""
    target = wanted(config)
    if target is None:
        return {"ok": False, "error": "нет публичного https-адреса сайта (SITE_URL)"}
    try:
        client.set_webhook(target["url"], telegram_webhook_secret(config) or "", ALLOWED_UPDATES)
        outcome = {**target, "ok": True, "error": None}
    except TelegramError as exc:
        outcome = {**target, "ok": False, "error": exc.reason}
    bot_state.keep("webhook", outcome)
    return outcome


def info_due() -> bool:
    row = bot_state.read("webhook_info")
    return row is None or utcnow() - row.at >= INFO_EVERY


def refresh_info(client: TelegramClient, config: Mapping[str, Any] | None = None) -> dict:
    """getWebhookInfo, kept for /status: Telegram's own word on whether it reaches the site. When Telegram
    holds another address (or none: the webhook was deleted, another copy of the site took the token), the
    registration is marked as not in force, so the worker registers again."""
    try:
        info = client.get_webhook_info()
        value = {
            "ok": True,
            "url": info.url,
            "pending_update_count": info.pending_update_count,
            "last_error_date": info.last_error_date,
            "last_error_message": info.last_error_message,
        }
    except TelegramError as exc:
        value = {"ok": False, "error": exc.reason}
    bot_state.keep("webhook_info", value)
    target = wanted(config) if config is not None else None
    if target is not None and value.get("ok") and value.get("url") != target["url"]:
        gone = "Telegram шлёт обновления не сюда: " + (value.get("url") or "вебхук снят")
        bot_state.keep("webhook", {**target, "ok": False, "error": gone})
    return value


def facts() -> dict:
    """What the database knows: the last registration and Telegram's last word on the webhook."""
    registered, info = bot_state.read("webhook"), bot_state.read("webhook_info")
    return {
        "registered": dict(registered.value, at=registered.at) if registered else None,
        "info": dict(info.value, at=info.at) if info else None,
    }
