"""The Bot API client against the local fake: typed answers, a hard time bound, and the token never shown."""

from __future__ import annotations

import logging
import time
import traceback

import pytest

from movie_lottery.integrations.telegram import (
    TelegramClient,
    TelegramRefused,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramTimeout,
    TelegramUnreachable,
)
from tests.support.fake_telegram import FakeTelegram

TOKEN = "123456:SECRET-token_never-shown-0123456789"


@pytest.fixture
def telegram():
    with FakeTelegram(token=TOKEN) as fake:
        yield fake


def _everything_about(exc: BaseException) -> str:
    return "".join(traceback.format_exception(exc)) + repr(exc) + str(exc)


def test_a_message_is_sent_and_its_message_id_comes_back(telegram):
    client = TelegramClient(TOKEN, telegram.url)
    result = client.send_message(-100, "Привет")
    assert result["message_id"] > 0
    assert telegram.sent("sendMessage") == [{"chat_id": -100, "text": "Привет"}]


def test_429_becomes_a_typed_error_carrying_retry_after(telegram):
    telegram.mode, telegram.retry_after = "429", 7
    with pytest.raises(TelegramRetryAfter) as caught:
        TelegramClient(TOKEN, telegram.url).send_message(1, "x")
    assert caught.value.retry_after == 7


def test_5xx_is_a_server_error_and_a_refusal_is_a_refusal(telegram):
    telegram.mode = "5xx"
    with pytest.raises(TelegramServerError):
        TelegramClient(TOKEN, telegram.url).get_me()
    telegram.mode = "ok"
    with pytest.raises(TelegramRefused) as caught:
        TelegramClient("999:wrong", telegram.url).get_me()
    assert caught.value.error_code == 401


def test_a_hanging_telegram_costs_at_most_the_calls_bound(telegram):
    telegram.mode = "hang"
    client = TelegramClient(TOKEN, telegram.url, connect_timeout=0.5, read_timeout=0.5)
    started = time.monotonic()
    with pytest.raises(TelegramTimeout):
        client.send_message(1, "x")
    assert time.monotonic() - started < 1.5


def test_an_answer_trickling_in_byte_by_byte_is_cut_off_at_the_calls_bound(telegram):
    telegram.mode = "drip"  # each byte well within the read timeout, the whole answer ~25 s
    client = TelegramClient(TOKEN, telegram.url, connect_timeout=0.5, read_timeout=0.5)
    started = time.monotonic()
    with pytest.raises(TelegramTimeout):
        client.get_me()
    assert time.monotonic() - started < 2.0  # connect + 2 x read


def test_an_unreachable_telegram_is_typed(telegram):
    url = telegram.url
    telegram.stop()
    with pytest.raises(TelegramUnreachable):
        TelegramClient(TOKEN, url, connect_timeout=0.5, read_timeout=0.5).get_me()


@pytest.mark.parametrize("mode", ["hang", "5xx", "429", "down", "wrong token"])
def test_the_token_is_in_no_error_text_traceback_repr_or_log_line(telegram, mode, caplog):
    url = telegram.url
    token = TOKEN
    if mode == "down":
        telegram.stop()
    elif mode == "wrong token":
        token = "123456:another-SECRET-token-0000000000"
    else:
        telegram.mode = mode
    client = TelegramClient(token, url, connect_timeout=0.3, read_timeout=0.3)
    caplog.set_level(logging.DEBUG)  # urllib3 logs each request line at DEBUG
    with pytest.raises(Exception) as caught:
        client.send_message(1, "x")
    seen = _everything_about(caught.value) + repr(client)
    assert token not in seen
    assert token.split(":")[1] not in seen
    from movie_lottery.runtime.log_masking import mask_secrets

    assert token.split(":")[1] not in mask_secrets(caplog.text)
