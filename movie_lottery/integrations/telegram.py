"""TelegramClient: the app's only door to the Bot API, a thin client on ``requests`` for the methods used.

Why not pyTelegramBotAPI: its calls go through a module-global ``apihelper`` (one API URL, one session, one
retry policy for the whole process), it logs and raises with the request URL, and the Bot API puts the token
in that URL's path. What the site needs is a dozen JSON POSTs: owning them keeps three things in our hands —
the token never leaves this module in any text, every call has a hard time bound, and Telegram's answers
become typed errors the sender can act on (``retry_after``, 5xx, timeouts). Nothing from the app is imported
here; settings come in through the constructor.

Time bound. ``requests``' (connect, read) timeout bounds each wait, not the whole answer: a server trickling
a byte at a time could hold a call for ever. The body is read in chunks against a deadline, so one call costs
at most about connect + 2 x read seconds. No retries here: the sender decides when to try again.

The token. The URL is built per call and never stored in an exception, log line or ``repr``. ``requests``'
own exceptions quote the URL; they are turned into ours outside the ``except`` block, so not even their
traceback rides along as ``__context__``.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

MAX_ANSWER_BYTES = 1024 * 1024  # Telegram's answers are a few KiB; anything bigger is not Telegram
CHUNK_BYTES = 16 * 1024


class TelegramError(Exception):
    """A Bot API call failed; ``reason`` is short Russian text for /status, never holding the token."""

    def __init__(self, method: str, reason: str) -> None:
        super().__init__(f"{method}: {reason}")
        self.method = method
        self.reason = reason


class TelegramUnreachable(TelegramError):
    """No answer: refused, reset, DNS, TLS. Worth trying again later."""


class TelegramTimeout(TelegramUnreachable):
    """No answer in time. Telegram may or may not have done it (a send may have gone out)."""


class TelegramServerError(TelegramError):
    """Telegram answered 5xx, or something that is not the Bot API's JSON. Try again later."""


class TelegramRetryAfter(TelegramError):
    """429: Telegram asks to wait ``retry_after`` seconds before the next call of this kind."""

    def __init__(self, method: str, retry_after: float, description: str = "") -> None:
        super().__init__(method, f"Telegram просит подождать {retry_after:g} с")
        self.retry_after = retry_after
        self.description = description


class TelegramRefused(TelegramError):
    """Telegram answered 4xx (bad request, the bot was blocked or removed, chat not found): trying the same
    thing again will not help. ``error_code`` and ``description`` are Telegram's own."""

    def __init__(self, method: str, error_code: int, description: str) -> None:
        super().__init__(method, f"Telegram отказал ({error_code}): {description}")
        self.error_code = error_code
        self.description = description


@dataclass(frozen=True)
class WebhookInfo:
    url: str
    pending_update_count: int
    last_error_date: int | None
    last_error_message: str | None

    @classmethod
    def from_result(cls, result: dict) -> WebhookInfo:
        return cls(
            url=str(result.get("url") or ""),
            pending_update_count=int(result.get("pending_update_count") or 0),
            last_error_date=result.get("last_error_date"),
            last_error_message=result.get("last_error_message"),
        )


def _masked(text: str, token: str) -> str:
    return text.replace(token, "***") if token else text


class TelegramClient:
    """One bot's client. ``api_url``: https://api.telegram.org, a mirror, or the tests' fake server."""

    def __init__(
        self,
        token: str,
        api_url: str = "https://api.telegram.org",
        *,
        connect_timeout: float = 3.0,
        read_timeout: float = 10.0,
    ) -> None:
        if not token:
            raise ValueError("TelegramClient needs a bot token")
        self._token = token
        self.api_url = api_url.rstrip("/")
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self._session = None

    def __repr__(self) -> str:
        return f"TelegramClient(api_url={self.api_url!r}, token=***)"

    # -- the methods the site uses -------------------------------------------------------------------

    def get_me(self) -> dict:
        return self.call("getMe")

    def send_message(self, chat_id: int, text: str, **extra: Any) -> dict:
        return self.call("sendMessage", {"chat_id": chat_id, "text": text, **extra})

    def edit_message_text(self, chat_id: int, message_id: int, text: str, **extra: Any) -> dict:
        return self.call(
            "editMessageText", {"chat_id": chat_id, "message_id": message_id, "text": text, **extra}
        )

    def answer_callback_query(self, callback_query_id: str, text: str | None = None) -> Any:
        payload: dict[str, Any] = {"callback_query_id": callback_query_id}
        if text:
            payload["text"] = text
        return self.call("answerCallbackQuery", payload)

    def set_webhook(self, url: str, secret_token: str, allowed_updates: list[str] | None = None) -> Any:
        payload: dict[str, Any] = {"url": url, "secret_token": secret_token}
        if allowed_updates is not None:
            payload["allowed_updates"] = allowed_updates
        return self.call("setWebhook", payload)

    def delete_webhook(self) -> Any:
        return self.call("deleteWebhook")

    def get_webhook_info(self) -> WebhookInfo:
        return WebhookInfo.from_result(self.call("getWebhookInfo") or {})

    def set_my_commands(self, commands: list[dict[str, str]]) -> Any:
        return self.call("setMyCommands", {"commands": commands})

    # -- one call --------------------------------------------------------------------------------------

    def call(self, method: str, payload: dict | None = None) -> Any:
        """POST ``payload`` as JSON to ``method``; Telegram's ``result``, or a TelegramError subclass."""
        failure: TelegramError | None = None
        try:
            status, body = self._post(method, payload or {})
        except _Deadline:
            failure = TelegramTimeout(method, "Telegram не ответил вовремя")
        except Exception as exc:  # requests' errors quote the URL, and with it the token: none leaves here
            failure = self._unreachable(method, exc)
        if failure is not None:
            raise failure  # outside the except block: no __context__ carrying the URL
        return self._result(method, status, body)

    def _unreachable(self, method: str, exc: Exception) -> TelegramError:
        import requests

        if isinstance(exc, requests.Timeout):
            return TelegramTimeout(method, "Telegram не ответил вовремя")
        if isinstance(exc, requests.ConnectionError):
            return TelegramUnreachable(method, "нет связи с Telegram")
        return TelegramUnreachable(method, f"нет связи с Telegram ({exc.__class__.__name__})")

    def _post(self, method: str, payload: dict) -> tuple[int, bytes]:
        import requests

        if self._session is None:
            self._session = requests.Session()
        deadline = time.monotonic() + self.connect_timeout + 2 * self.read_timeout
        response = self._session.post(
            f"{self.api_url}/bot{self._token}/{method}",
            data=json.dumps(payload, ensure_ascii=False).encode(),
            headers={"Content-Type": "application/json"},
            timeout=(self.connect_timeout, self.read_timeout),
            stream=True,
            allow_redirects=False,
        )
        try:
            chunks, size = [], 0
            # read1: whatever has arrived, one wait at most; so the deadline is checked as bytes trickle in
            # (iter_content's read(n) would wait for all n, or the end, whatever the deadline).
            while chunk := response.raw.read1(CHUNK_BYTES):
                chunks.append(chunk)
                size += len(chunk)
                if size > MAX_ANSWER_BYTES:
                    break
                if time.monotonic() > deadline:
                    raise _Deadline
            return response.status_code, b"".join(chunks)
        finally:
            response.close()

    def _result(self, method: str, status: int, body: bytes) -> Any:
        try:
            answer = json.loads(body)
        except ValueError:
            answer = None
        if not isinstance(answer, dict):
            return self._not_bot_api(method, status)
        if answer.get("ok") is True and status < 400:
            return answer.get("result")
        code = int(answer.get("error_code") or status)
        description = _masked(str(answer.get("description") or ""), self._token)[:300]
        parameters = answer.get("parameters") if isinstance(answer.get("parameters"), dict) else {}
        if code == 429:
            retry_after = parameters.get("retry_after")
            retry_after = (
                float(retry_after) if isinstance(retry_after, int | float) and retry_after > 0 else 5.0
            )
            raise TelegramRetryAfter(method, retry_after, description)
        if code >= 500 or status >= 500:
            raise TelegramServerError(method, f"ошибка на стороне Telegram ({code})")
        raise TelegramRefused(method, code, description)

    def _not_bot_api(self, method: str, status: int) -> Any:
        if status >= 500:
            raise TelegramServerError(method, f"ошибка на стороне Telegram ({status})")
        raise TelegramServerError(method, f"ответ не похож на Bot API (HTTP {status})")

    def close(self) -> None:
        if self._session is not None:
            self._session.close()
            self._session = None


class _Deadline(Exception):
    """The whole answer did not arrive within the call's bound."""
