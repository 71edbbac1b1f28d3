"""Telegram Mini App init data, checked as Telegram documents it: who opened the page inside Telegram.

Inside Telegram a page gets its init data (``#tgWebAppData=…``) and sends it with every API call as
``Authorization: tma <initData>``. It is a query string signed by Telegram with the bot's token:

- ``data_check_string``: every field but ``hash``, sorted by key, as ``key=value`` lines joined by ``\\n``;
- ``secret = HMAC_SHA256(key="WebAppData", msg=bot_token)``;
- valid when ``hex(HMAC_SHA256(key=secret, msg=data_check_string))`` equals ``hash`` (compared in constant
  time), and ``auth_date`` is at most a day old and not in the future beyond a small skew (clocks differ).

Pure: plain values in (the token, the text, the time), a TelegramUser or an InitDataRefused out; no Flask, no
database, no network. Linear in the input and bounded: longer text is refused before it is parsed.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from urllib.parse import parse_qsl

MAX_LENGTH = 4096  # real init data is well under 1 KB (a user, a few ids, two signatures)
MAX_AGE_SECONDS = 24 * 3600
FUTURE_SKEW_SECONDS = 5 * 60
USER_ID_MAX = 2**53  # Telegram: user ids fit in 52 bits
NAME_FIELD_MAX = 256


class InitDataRefused(Exception):
    """Init data that does not prove a Telegram user; ``reason`` is one of REASONS."""

    REASONS = ("malformed", "no_hash", "bad_signature", "stale", "from_the_future", "no_user", "no_token")

    def __init__(self, reason: str):
        assert reason in self.REASONS, reason
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class TelegramUser:
    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None

    @property
    def full_name(self) -> str:
        return " ".join(part for part in (self.first_name, self.last_name) if part)


def user_of_update(raw: object) -> TelegramUser | None:
    """The person in an update the webhook stored (a button's ``from``, a poll answer's ``user``); None for a
    bot or anything that is not a user. Telegram delivered it to the secret webhook: no signature to check."""
    if not isinstance(raw, dict) or type(raw.get("id")) is not int or raw.get("is_bot"):
        return None
    first = raw.get("first_name")
    return TelegramUser(
        id=raw["id"],
        first_name=first if isinstance(first, str) else "",
        last_name=raw.get("last_name") if isinstance(raw.get("last_name"), str) else None,
        username=raw.get("username") if isinstance(raw.get("username"), str) else None,
    )


def secret_key(bot_token: str) -> bytes:
    return hmac.new(b"WebAppData", bot_token.encode(), hashlib.sha256).digest()


def data_check_string(fields: dict[str, str]) -> str:
    return "\n".join(f"{key}={fields[key]}" for key in sorted(fields) if key != "hash")


def signature_of(fields: dict[str, str], bot_token: str) -> str:
    """The ``hash`` Telegram puts in init data with these fields (the tests sign with it too)."""
    return hmac.new(secret_key(bot_token), data_check_string(fields).encode(), hashlib.sha256).hexdigest()


def _fields(raw: str) -> dict[str, str]:
    try:
        pairs = parse_qsl(raw, keep_blank_values=True, strict_parsing=True, errors="strict")
    except (ValueError, UnicodeDecodeError):
        raise InitDataRefused("malformed") from None
    fields = dict(pairs)
    if len(fields) != len(pairs):  # a key twice: which one was signed?
        raise InitDataRefused("malformed")
    return fields


def _text(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > NAME_FIELD_MAX:
        raise InitDataRefused("no_user")
    return value or None


def _user(raw: str | None) -> TelegramUser:
    if raw is None:
        raise InitDataRefused("no_user")
    try:
        user = json.loads(raw)
    except ValueError:
        raise InitDataRefused("no_user") from None
    if not isinstance(user, dict):
        raise InitDataRefused("no_user")
    user_id, first_name = user.get("id"), _text(user.get("first_name"))
    if type(user_id) is not int or not 0 < user_id < USER_ID_MAX or first_name is None:
        raise InitDataRefused("no_user")
    return TelegramUser(
        id=user_id,
        first_name=first_name,
        last_name=_text(user.get("last_name")),
        username=_text(user.get("username")),
    )


def check(raw: str | None, bot_token: str | None, now: float | None = None) -> TelegramUser:
    """The Telegram user these init data prove, or InitDataRefused (``no_token`` when no bot is set up:
    nothing can be checked, so nothing is believed)."""
    if not bot_token:
        raise InitDataRefused("no_token")
    if not raw or len(raw) > MAX_LENGTH:
        raise InitDataRefused("malformed")
    fields = _fields(raw)
    given = fields.get("hash")
    if not given:
        raise InitDataRefused("no_hash")
    if not hmac.compare_digest(signature_of(fields, bot_token).encode(), given.encode("utf-8", "replace")):
        raise InitDataRefused("bad_signature")
    auth_date = fields.get("auth_date", "")
    if not auth_date.isascii() or not auth_date.isdigit() or len(auth_date) > 12:
        raise InitDataRefused("malformed")
    now = time.time() if now is None else now
    if int(auth_date) < now - MAX_AGE_SECONDS:
        raise InitDataRefused("stale")
    if int(auth_date) > now + FUTURE_SKEW_SECONDS:
        raise InitDataRefused("from_the_future")
    return _user(fields.get("user"))
