"""Mini App init data proves a Telegram user only when Telegram signed it with our bot token, lately."""

from __future__ import annotations

import time

import pytest

from movie_lottery.integrations import telegram_mini_app as init_data
from movie_lottery.integrations.telegram_mini_app import InitDataRefused, TelegramUser
from tests.support.telegram_init_data import TEST_BOT_TOKEN, signed_init_data, telegram_user


def refusal(raw, token=TEST_BOT_TOKEN, now=None) -> str:
    with pytest.raises(InitDataRefused) as refused:
        init_data.check(raw, token, now=now)
    return refused.value.reason


def test_init_data_signed_with_the_bot_token_gives_the_telegram_user():
    raw = signed_init_data(user=telegram_user(42, "Аня", "Петрова", "anya_p"), start_param="poll-x")
    assert init_data.check(raw, TEST_BOT_TOKEN) == TelegramUser(42, "Аня", "Петрова", "anya_p")


def test_a_user_without_last_name_or_username_is_still_a_user():
    user = init_data.check(signed_init_data(user=telegram_user(7, "Боря")), TEST_BOT_TOKEN)
    assert (user.id, user.full_name, user.username) == (7, "Боря", None)


def test_init_data_signed_with_another_bot_token_is_refused():
    assert refusal(signed_init_data("999:another-bot")) == "bad_signature"


def test_a_changed_field_breaks_the_signature():
    raw = signed_init_data(user=telegram_user(42))
    assert refusal(raw.replace("%2242%22", "%2243%22").replace("42", "43", 1)) == "bad_signature"


def test_a_forged_hash_is_refused():
    raw = signed_init_data()
    forged = raw[: raw.index("hash=") + 5] + "0" * 64
    assert refusal(forged) == "bad_signature"


def test_init_data_without_a_hash_is_refused():
    assert refusal(signed_init_data(drop=("hash",))) == "no_hash"


def test_a_day_old_auth_date_is_stale():
    now = time.time()
    assert refusal(signed_init_data(auth_date=int(now) - 24 * 3600 - 5), now=now) == "stale"
    assert init_data.check(signed_init_data(auth_date=int(now) - 23 * 3600), TEST_BOT_TOKEN, now=now)


def test_an_auth_date_in_the_future_beyond_the_skew_is_refused():
    now = time.time()
    assert refusal(signed_init_data(auth_date=int(now) + 3600), now=now) == "from_the_future"
    assert init_data.check(signed_init_data(auth_date=int(now) + 60), TEST_BOT_TOKEN, now=now)


def test_signed_init_data_without_a_user_or_auth_date_proves_nobody():
    assert refusal(signed_init_data(signed_without=("user",))) == "no_user"
    assert refusal(signed_init_data(signed_without=("auth_date",))) == "malformed"


def test_a_user_field_that_is_not_a_telegram_user_proves_nobody():
    for user in (
        {"first_name": "Аня"},
        {"id": "42", "first_name": "Аня"},
        {"id": 42},
        {"id": -1, "first_name": "A"},
    ):
        assert refusal(signed_init_data(user=user)) == "no_user"


def test_without_a_bot_token_nothing_is_believed():
    assert refusal(signed_init_data(), token=None) == "no_token"
    assert refusal(signed_init_data(), token="") == "no_token"


def test_malformed_or_oversized_text_is_refused_before_any_work():
    assert refusal("") == "malformed"
    assert refusal("a=1&a=2&hash=x") == "malformed"
    assert refusal("x" * (init_data.MAX_LENGTH + 1)) == "malformed"
    assert refusal("%ff%fe=1") == "malformed"
