"""A local fake of the Telegram Bot API for tests: it records every call and answers like Telegram.

    with FakeTelegram(token="123:abc") as telegram:
        client = TelegramClient("123:abc", api_url=telegram.url)
        telegram.mode = "429"           # misbehave from now on ("ok", "429", "5xx", "hang")
        telegram.calls                  # [Call(method, payload), …] of the calls that reached a method
        telegram.sent("sendMessage")    # the payloads of one method's calls

Answers as the Bot API does: ``{"ok": true, "result": …}``; a wrong token in the path is a 401
``{"ok": false, "error_code": 401, "description": "Unauthorized"}``. Methods: getMe, sendMessage (a result
with a new ``message_id`` per chat), sendPoll (also a new poll ``id``), stopPoll, editMessageText,
answerCallbackQuery, setWebhook (remembered, so
getWebhookInfo tells it back with ``pending_update_count`` and ``last_error_message`` as the test sets them),
deleteWebhook, getWebhookInfo, setMyCommands, getChatMember (the status the test put in ``chat_members``
under ``(chat_id, user_id)``, else "left"); any other method answers ``true``.

Modes: "ok"; "429": ``error_code`` 429 with ``parameters.retry_after`` = ``retry_after`` (default 1);
"5xx": a 502 with Telegram's error shape; "hang": accept and answer nothing for ``hang_seconds`` (default
30; ``stop()`` cuts it short); "drip": a 200 whose body comes a byte every ``drip_interval`` s (0.1).
A call in a failing mode is recorded in ``attempts``, not in ``calls``: calls are what Telegram did.
Binds 127.0.0.1 on port 0; stdlib only; a daemon thread; logs nothing.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, NamedTuple, Self

MODES = frozenset({"ok", "429", "5xx", "hang", "drip"})


class Call(NamedTuple):
    method: str
    payload: dict
    at: float  # time.monotonic() when it arrived


class FakeTelegram:
    def __init__(self, token: str = "123456:TEST-token_abcdefghijklmnopqrstuvwxyz") -> None:
        self.token = token
        self.mode = "ok"
        self.retry_after = 1
        self.hang_seconds = 30.0
        self.drip_interval = 0.1
        self.calls: list[Call] = []
        self.attempts: list[Call] = []
        self.webhook: dict[str, Any] = {}
        self.pending_update_count = 0
        self.last_error_message: str | None = None
        self.chat_members: dict[tuple[int, int], str] = {}
        self._next_message_id = 100
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server: ThreadingHTTPServer | None = None

    # -- what tests read ---------------------------------------------------------------------------

    @property
    def url(self) -> str:
        assert self._server is not None, "start the server first"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def sent(self, method: str) -> list[dict]:
        with self._lock:
            return [call.payload for call in self.calls if call.method == method]

    def reset(self) -> None:
        with self._lock:
            self.calls.clear()
            self.attempts.clear()
        self.mode = "ok"

    # -- lifecycle ------------------------------------------------------------------------------------

    def start(self) -> Self:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                fake._handle(self, raw)

            do_GET = do_POST

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, name="fake-telegram", daemon=True).start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- one request ----------------------------------------------------------------------------------

    def _handle(self, handler: BaseHTTPRequestHandler, raw: bytes) -> None:
        path = handler.path.split("?", 1)[0]
        prefix, _, method = path.lstrip("/").partition("/")
        try:
            payload = json.loads(raw) if raw else {}
        except ValueError:
            payload = {}
        if prefix != f"bot{self.token}":
            return self._answer(handler, 401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
        call = Call(method, payload, time.monotonic())
        with self._lock:
            self.attempts.append(call)
        mode = self.mode
        if mode == "hang":
            self._stopping.wait(self.hang_seconds)
            return
        if mode == "drip":
            return self._drip(handler, {"ok": True, "result": True})
        if mode == "429":
            return self._answer(
                handler,
                429,
                {
                    "ok": False,
                    "error_code": 429,
                    "description": f"Too Many Requests: retry after {self.retry_after}",
                    "parameters": {"retry_after": self.retry_after},
                },
            )
        if mode == "5xx":
            return self._answer(handler, 502, {"ok": False, "error_code": 502, "description": "Bad Gateway"})
        with self._lock:
            self.calls.append(call)
            result = self._result(method, payload)
        self._answer(handler, 200, {"ok": True, "result": result})

    def _result(self, method: str, payload: dict) -> Any:
        if method == "getMe":
            return {
                "id": int(self.token.split(":")[0]),
                "is_bot": True,
                "first_name": "Кино",
                "username": "kino_bot",
            }
        if method == "sendMessage":
            self._next_message_id += 1
            return {
                "message_id": self._next_message_id,
                "date": int(time.time()),
                "chat": {"id": payload.get("chat_id")},
                "text": payload.get("text"),
            }
        if method == "sendPoll":  # a Message whose poll has a new id, as Telegram's ids: a string
            self._next_message_id += 1
            return {
                "message_id": self._next_message_id,
                "date": int(time.time()),
                "chat": {"id": payload.get("chat_id")},
                "poll": {**self._poll_of(payload), "id": f"poll-{self._next_message_id}", "is_closed": False},
            }
        if method == "stopPoll":
            return {**self._poll_of(payload), "id": "stopped", "is_closed": True}
        if method == "editMessageText":
            return {"message_id": payload.get("message_id"), "chat": {"id": payload.get("chat_id")}}
        if method == "getChatMember":
            user_id = payload.get("user_id")
            status = self.chat_members.get((payload.get("chat_id"), user_id), "left")
            return {"status": status, "user": {"id": user_id, "is_bot": False, "first_name": "Гость"}}
        if method == "setWebhook":
            self.webhook = dict(payload)
            return True
        if method == "deleteWebhook":
            self.webhook = {}
            return True
        if method == "getWebhookInfo":
            info: dict[str, Any] = {
                "url": self.webhook.get("url", ""),
                "has_custom_certificate": False,
                "pending_update_count": self.pending_update_count,
            }
            if self.last_error_message:
                info["last_error_date"] = int(time.time())
                info["last_error_message"] = self.last_error_message
            return info
        return True

    @staticmethod
    def _poll_of(payload: dict) -> dict:
        options = [{"text": o.get("text", ""), "voter_count": 0} for o in payload.get("options") or []]
        return {"question": payload.get("question", ""), "options": options, "total_voter_count": 0}

    def _drip(self, handler: BaseHTTPRequestHandler, body: dict) -> None:
        """Headers at once, then the body a byte every ``drip_interval`` seconds: no single wait is long."""
        data = json.dumps(body).encode() + b" " * 200
        try:
            handler.send_response(200)
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", str(len(data)))
            handler.end_headers()
            handler.wfile.flush()
            for byte in data:
                if self._stopping.wait(self.drip_interval):
                    return
                handler.wfile.write(bytes([byte]))
                handler.wfile.flush()
        except OSError:
            pass

    def _answer(self, handler: BaseHTTPRequestHandler, status: int, body: dict) -> None:
        data = json.dumps(body, ensure_ascii=False).encode()
        try:
            handler.send_response(status)
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", str(len(data)))
            handler.end_headers()
            handler.wfile.write(data)
        except OSError:
            pass  # the client gave up (a test's timeout): nothing to answer
