"""What the bot does with an update: a small table of commands. Handlers only add outbox rows (replies are
wishes like any other message), inside the transaction that marks the update handled; they never call
Telegram and never commit.

``/start <code>`` with a valid «Подключить чат» code binds the chat (telegram/binding.py); without one it
answers how to connect. ``/random``, ``/add`` and ``/library`` (telegram/commands.py) act in bound chats only.
``my_chat_member`` (the bot removed from a chat) unbinds it; every update tells telegram/members.py whom
the bot has seen in a connected chat. Anything else is stored and quietly left alone.
"""

from __future__ import annotations

from collections.abc import Callable

from movie_lottery.telegram import binding, commands, members, native_polls, outbox
from movie_lottery.telegram.callbacks import handle_callback

HOW_TO_CONNECT = (
    "Привет! Я бот Кинолотереи: приношу в чат лотереи, опросы и результаты.\n\n"
    "Чтобы я работал в этом чате, владелец сайта открывает свою страницу и нажимает «Подключить чат»: "
    "ссылка оттуда добавит меня сюда вместе с ключом. Без ключа я ничего здесь не делаю."
)
HELP = "Я бот Кинолотереи. Подключить чат может владелец сайта — кнопкой «Подключить чат» на своей странице."


def command_of(text: str, bot_username: str | None = None) -> tuple[str, str] | None:
    """``/start@kino_bot abc`` -> ("start", "abc"); None for a text that is no command (or another bot's)."""
    if not text.startswith("/"):
        return None
    head, _, rest = text[1:].partition(" ")
    name, _, addressee = head.partition("@")
    if addressee and bot_username and addressee.lower() != bot_username.lower():
        return None
    return name.lower(), rest.strip()


def _start(chat_id: int, argument: str, context: dict) -> None:
    chat = (context.get("message") or {}).get("chat") or {}
    title = chat.get("title") if isinstance(chat.get("title"), str) else ""
    if argument and binding.bind_with_code(argument, chat_id, title):
        return  # bound and greeted
    outbox.send_message(chat_id, HOW_TO_CONNECT)


def _help(chat_id: int, argument: str, context: dict) -> None:
    outbox.send_message(chat_id, HELP)


COMMANDS: dict[str, Callable[[int, str, dict], None]] = {
    "start": _start,
    "help": _help,
    **commands.BOUND_CHAT_COMMANDS,
}


def dispatch(update: dict, context: dict) -> None:
    members.notice(update)  # whom the bot sees in a connected chat (members-only polls)
    if isinstance(update.get("my_chat_member"), dict):
        commands.bot_membership_changed(update["my_chat_member"])
        return
    answer = update.get("poll_answer")
    if isinstance(answer, dict):  # a vote in the chat's own poll (native_polls.py)
        native_polls.on_poll_answer(answer)
        return
    query = update.get("callback_query")
    if isinstance(query, dict):  # a press on an inline button (the rating keyboard): telegram/callbacks.py
        handle_callback(query)
        return
    message = update.get("message")
    if not isinstance(message, dict):
        return
    text, chat = message.get("text"), message.get("chat")
    if not isinstance(text, str) or not isinstance(chat, dict) or not isinstance(chat.get("id"), int):
        return
    command = command_of(text.strip(), context.get("bot_username"))
    if command is None:
        return
    handler = COMMANDS.get(command[0])
    if handler is not None:
        handler(chat["id"], command[1], {**context, "message": message})
