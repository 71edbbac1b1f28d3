"""A local fake of api.kinopoisk.dev (v1.4) for tests, serving the fixtures in support/fixtures/kinopoisk/.

    with FakeKinopoiskServer(token="test-token") as server:
        client = KinopoiskClient("test-token", base_url=server.url)
        server.mode = "403"          # misbehave from now on
        server.request_count         # how many requests arrived
        server.reset()               # forget requests, back to mode "ok"

Routes (below `path_prefix`, default none):
- GET /v1.4/movie/search?query=...&page=&limit=  "тихая гавань" or anything containing "гавань"
  (case-insensitive) → search_tihaya_gavan.json, other queries → search_empty.json.
- GET /v1.4/movie/<id>  1000001 → movie_1000001.json, 1000004 → movie_1000004_sparse.json, 1000005 →
  movie_1000005_broken_text.json,
  1000002/1000003 → built from their search hit, other ids → 404 error_404.json.
- A missing or wrong X-API-KEY header → 401 error_401.json.

Modes (`server.mode`):
- "ok": behave.
- "401", "403", "429": the fixture error body with that status; any other 3-digit status (e.g. "500",
  "400", "502"): a generic error body; 3xx also gets a Location header pointing back at this server.
- "invalid_json": 200 with a truncated JSON body.
- "wrong_shape": 200 with JSON that is not an object (a list).
- "huge": 200 with a ~3 MB JSON body.
- "hang": accept, then wait `hang_seconds` (default 10) before answering normally; stop() cuts it short.
- "drip": answer normally but send the body one byte every `drip_interval` seconds (default 0.1).

Binds 127.0.0.1 on port 0; stdlib only; runs in a daemon thread; logs nothing.
"""

from __future__ import annotations

import copy
import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, NamedTuple, Self
from urllib.parse import parse_qsl, urlsplit

FIXTURES_DIR = Path(__file__).resolve().parent.parent / "fixtures" / "kinopoisk"

SEARCH_HIT_QUERY = "тихая гавань"
SEARCH_HIT_WORD = "гавань"
FULL_MOVIE_FILES = {
    1000001: "movie_1000001.json",
    1000004: "movie_1000004_sparse.json",
    1000005: "movie_1000005_broken_text.json",
}

_MODES = frozenset({"ok", "invalid_json", "wrong_shape", "huge", "hang", "drip"})
_STATUS_FIXTURES = {
    401: "error_401.json",
    403: "error_403_quota.json",
    404: "error_404.json",
    429: "error_429.json",
}
_MOVIE_PATH_RE = re.compile(r"/v1\.4/movie/([^/]+)/?")
_SEARCH_PATH_RE = re.compile(r"/v1\.4/movie/search/?")


class CaseInsensitiveHeaders(dict):
    """A dict of request headers with lower-cased keys that also answers to any spelling."""

    def __init__(self, items: Any = ()) -> None:
        super().__init__((str(k).lower(), v) for k, v in items)

    def __getitem__(self, key: str) -> str:
        return super().__getitem__(key.lower())

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and super().__contains__(key.lower())

    def get(self, key: str, default: Any = None) -> Any:
        return super().get(key.lower(), default)


class RecordedRequest(NamedTuple):
    method: str
    path: str
    query: dict[str, str]
    headers: CaseInsensitiveHeaders


def _normalize(text: str) -> str:
    return " ".join(text.casefold().split())


class _Handler(BaseHTTPRequestHandler):
    server: _HTTPServer
    protocol_version = "HTTP/1.0"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self.server.fake._handle(self)

    def do_POST(self) -> None:
        self.server.fake._handle(self)


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    fake: FakeKinopoiskServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # clients that hang up early (timeouts in tests) are expected


class FakeKinopoiskServer:
    def __init__(
        self,
        token: str = "test-token",
        *,
        path_prefix: str = "",
        fixtures_dir: Path | str = FIXTURES_DIR,
        hang_seconds: float = 10.0,
        drip_interval: float = 0.1,
    ) -> None:
        self.token = token
        self.path_prefix = "/" + path_prefix.strip("/") if path_prefix.strip("/") else ""
        self.fixtures_dir = Path(fixtures_dir)
        self.default_hang_seconds = hang_seconds
        self.default_drip_interval = drip_interval
        self.hang_seconds = hang_seconds
        self.drip_interval = drip_interval
        self._mode = "ok"
        self._requests: list[RecordedRequest] = []
        self._lock = threading.Lock()
        self._stop_event = threading.Event()
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._fixtures = {
            p.name: json.loads(p.read_text(encoding="utf-8")) for p in self.fixtures_dir.glob("*.json")
        }

    # -- control ---------------------------------------------------------------------------------

    @property
    def mode(self) -> str:
        return self._mode

    @mode.setter
    def mode(self, value: str) -> None:
        value = str(value)
        if value not in _MODES and not (len(value) == 3 and value.isdigit() and 100 <= int(value) <= 599):
            raise ValueError(f"unknown fake Kinopoisk mode {value!r}")
        self._mode = value

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    @property
    def request_count(self) -> int:
        with self._lock:
            return len(self._requests)

    def reset(self) -> None:
        """Forget recorded requests and go back to mode "ok" with the default hang/drip timings."""
        with self._lock:
            self._requests.clear()
        self._mode = "ok"
        self.hang_seconds = self.default_hang_seconds
        self.drip_interval = self.default_drip_interval

    @property
    def port(self) -> int:
        if self._httpd is None:
            raise RuntimeError("fake Kinopoisk server is not running")
        return self._httpd.server_address[1]

    @property
    def url(self) -> str:
        """Base URL for the client, including `path_prefix` if any."""
        return f"http://127.0.0.1:{self.port}{self.path_prefix}"

    def start(self) -> Self:
        if self._httpd is not None:
            return self
        self._stop_event.clear()
        httpd = _HTTPServer(("127.0.0.1", 0), _Handler)
        httpd.fake = self
        self._httpd = httpd
        self._thread = threading.Thread(
            target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, name="fake-kinopoisk", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        httpd, self._httpd = self._httpd, None
        if httpd is None:
            return
        self._stop_event.set()  # wakes "hang"/"drip" handlers
        httpd.shutdown()
        httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- request handling ------------------------------------------------------------------------

    def _handle(self, handler: _Handler) -> None:
        parts = urlsplit(handler.path)
        query = {}
        for key, value in parse_qsl(parts.query, keep_blank_values=True):
            query.setdefault(key, value)
        with self._lock:
            self._requests.append(
                RecordedRequest(
                    handler.command, parts.path, query, CaseInsensitiveHeaders(handler.headers.items())
                )
            )

        mode = self._mode
        if mode == "hang" and self._stop_event.wait(self.hang_seconds):
            return  # server stopping: hang up without answering
        status, body, headers = self._response(mode, handler, parts.path, query)
        try:
            handler.send_response(status)
            handler.send_header("Content-Type", "application/json; charset=utf-8")
            handler.send_header("Content-Length", str(len(body)))
            for name, value in headers.items():
                handler.send_header(name, value)
            handler.end_headers()
            if mode == "drip":
                for i in range(len(body)):
                    handler.wfile.write(body[i : i + 1])
                    if self._stop_event.wait(self.drip_interval):
                        return
            else:
                handler.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (that is what several tests provoke)

    def _response(self, mode: str, handler: _Handler, path: str, query: dict[str, str]):
        if mode == "invalid_json":
            return 200, b'{"docs": [{"id": 1000001, "name": "\xd0\xa2\xd0\xb8', {}
        if mode == "wrong_shape":
            return 200, b'["docs", "are", "missing"]', {}
        if mode == "huge":
            return 200, b'{"docs": [], "padding": "' + b"x" * (3 * 1024 * 1024) + b'"}', {}
        if mode.isdigit():
            status = int(mode)
            headers = (
                {"Location": f"http://127.0.0.1:{self.port}{handler.path}"} if 300 <= status < 400 else {}
            )
            return status, self._error_body(status), headers

        if handler.headers.get("X-API-KEY") != self.token:
            return 401, self._error_body(401), {}
        if handler.command != "GET":
            return 404, self._error_body(404, f"Cannot {handler.command} {path}"), {}

        route = path
        if self.path_prefix:
            if not path.startswith(self.path_prefix + "/"):
                return 404, self._error_body(404, f"Cannot GET {path}"), {}
            route = path[len(self.path_prefix) :]

        if _SEARCH_PATH_RE.fullmatch(route):
            return self._search(query)
        match = _MOVIE_PATH_RE.fullmatch(route)
        if match:
            return self._movie(match.group(1))
        return 404, self._error_body(404, f"Cannot GET {path}"), {}

    def _search(self, query: dict[str, str]):
        if "query" not in query:
            return 400, self._error_body(400, "query is required"), {}
        try:
            limit = int(query.get("limit", "10"))
            page = int(query.get("page", "1"))
        except ValueError:
            return 400, self._error_body(400, "limit and page must be numbers"), {}
        if not (1 <= limit <= 250) or page < 1:
            return 400, self._error_body(400, "limit must be 1..250, page >= 1"), {}
        text = _normalize(query["query"])
        name = (
            "search_tihaya_gavan.json"
            if text == SEARCH_HIT_QUERY or SEARCH_HIT_WORD in text
            else "search_empty.json"
        )
        return 200, self._json(self._fixtures[name]), {}

    def _movie(self, raw_id: str):
        if not raw_id.isascii() or not raw_id.isdigit() or not (250 <= int(raw_id) <= 10_000_000):
            return 400, self._error_body(400, "id must be a number in 250..10000000"), {}
        movie_id = int(raw_id)
        if movie_id in FULL_MOVIE_FILES:
            return 200, self._json(self._fixtures[FULL_MOVIE_FILES[movie_id]]), {}
        for hit in self._fixtures["search_tihaya_gavan.json"]["docs"]:
            if hit.get("id") == movie_id:
                doc = copy.deepcopy(hit)
                doc.setdefault("videos", {"trailers": [], "teasers": []})
                doc.setdefault("persons", [])
                return 200, self._json(doc), {}
        return 404, self._error_body(404), {}

    def _error_body(self, status: int, message: str | None = None) -> bytes:
        fixture = _STATUS_FIXTURES.get(status)
        if fixture is not None and message is None:
            return self._json(self._fixtures[fixture])
        return self._json(
            {"statusCode": status, "message": message or f"Fake error {status}", "error": "Error"}
        )

    @staticmethod
    def _json(data: Any) -> bytes:
        try:
            return json.dumps(data, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate (the broken-text fixture): as the escape "\ud800"
            return json.dumps(data).encode("ascii")
