"""Mini App init data signed as Telegram signs it, for tests: ``signed_init_data(token, user_id=…)``."""

from __future__ import annotations

import json
import time
from urllib.parse import quote, urlencode

from movie_lottery.integrations.telegram_mini_app import signature_of

TEST_BOT_TOKEN = "123456789:AAtest-bot-token_for-the-tests-only"


def telegram_user(user_id: int = 1001, first_name: str = "Аня", last_name: str | None = None,
                  username: str | None = None) -> dict:  # fmt: skip
    user: dict = {"id": user_id, "first_name": first_name}
    if last_name:
        user["last_name"] = last_name
    if username:
        user["username"] = username
    user["language_code"] = "ru"
    return user


def signed_init_data(
    token: str = TEST_BOT_TOKEN,
    *,
    user: dict | None = None,
    auth_date: int | None = None,
    drop: tuple[str, ...] = (),
    signed_without: tuple[str, ...] = (),
    **extra: str,
) -> str:
    """The query string a Mini App gets in ``#tgWebAppData=``: user, auth_date, query_id, hash (and
    ``extra`` fields), signed with ``token``; ``signed_without`` leaves fields out before signing (a valid
    signature over missing fields), ``drop`` after it (a signature that no longer matches)."""
    fields = {
        "query_id": "AAHdF6IQAAAAAN0XohDhrOrc",
        "user": json.dumps(user or telegram_user(), ensure_ascii=False, separators=(",", ":")),
        "auth_date": str(int(time.time()) if auth_date is None else auth_date),
        **extra,
    }
    for key in signed_without:
        fields.pop(key, None)
    fields["hash"] = signature_of(fields, token)
    for key in drop:
        fields.pop(key, None)
    return urlencode(fields, quote_via=quote)


def tma_header(init_data: str) -> dict:
    return {"Authorization": f"tma {init_data}"}
