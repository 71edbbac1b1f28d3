"""The name a Telegram user votes and rates under: their Telegram name, made unique in the night.

Pure: a TelegramUser and the name keys already taken there in, the first free name out. «Аня», then
«Аня (@anya_p)» when she has a username, then «Аня (2)», «Аня (3)»…; every one fits the participant name
rule (core.text_rules), so a name from Telegram never makes a ballot fail.
"""

from __future__ import annotations

from collections.abc import Callable, Container, Iterator

from movie_lottery.core.text_rules import PARTICIPANT_NAME_MAX, collapse_spaces, is_participant_name
from movie_lottery.integrations.telegram_mini_app import TelegramUser

FALLBACK = "Гость из Telegram"
MOST_TRIED = 1000  # a poll holds far fewer names than this (NIGHT_ROWS_MAX): the loop always ends sooner


def _fits(text: str, room: int) -> str:
    return collapse_spaces(text.replace("/", " "))[:room].strip(" ")


def base_name(user: TelegramUser) -> str:
    """The Telegram name in the kept form: the full name, else the username, else FALLBACK."""
    for raw in (user.full_name, user.username or ""):
        name = _fits(raw, PARTICIPANT_NAME_MAX)
        if is_participant_name(name):
            return name
    return FALLBACK


def _candidates(user: TelegramUser) -> Iterator[str]:
    base = base_name(user)
    yield base
    if user.username:
        suffix = f" (@{user.username})"
        yield _fits(base, PARTICIPANT_NAME_MAX - len(suffix)) + suffix
    for number in range(2, MOST_TRIED):
        suffix = f" ({number})"
        yield _fits(base, PARTICIPANT_NAME_MAX - len(suffix)) + suffix


def unique_name(user: TelegramUser, taken: Container[str], key: Callable[[str], str]) -> str:
    """The first of the user's names whose ``key`` (the night's name rule) is not in ``taken``."""
    for name in _candidates(user):
        if is_participant_name(name) and key(name) not in taken:
            return name
    raise AssertionError("a night never holds MOST_TRIED names")  # pragma: no cover
