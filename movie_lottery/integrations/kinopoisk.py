"""Client for the Kinopoisk API (api.kinopoisk.dev, v1.4) and parsing of its movie documents.

Standalone: no Flask, nothing from the app; all settings come through the constructor.
`requests` is imported lazily (only when a configured client makes its first request), so importing
this module stays cheap for web workers that never talk to Kinopoisk.
"""

from __future__ import annotations

import json
import math
import re
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

if TYPE_CHECKING:  # pragma: no cover
    import requests

__all__ = [
    "MAX_KINOPOISK_ID",
    "MIN_KINOPOISK_ID",
    "KinopoiskBadToken",
    "KinopoiskClient",
    "KinopoiskError",
    "KinopoiskMovie",
    "KinopoiskNotConfigured",
    "KinopoiskQuotaExceeded",
    "KinopoiskThrottled",
    "KinopoiskUnavailable",
    "normalize_query",
    "parse_kinopoisk_ref",
    "parse_movie",
]

MIN_KINOPOISK_ID = 250
MAX_KINOPOISK_ID = 10_000_000

DEFAULT_BASE_URL = "https://api.kinopoisk.dev"
SEARCH_LIMIT_MAX = 250

# --------------------------------------------------------------------------------------------------
# References typed by users: kinopoisk.ru film/series URLs or bare ids
# --------------------------------------------------------------------------------------------------

# At most 12 digits: keeps int() far away from Python's limit on very long digit strings.
_REF_URL_RE = re.compile(
    r"(?:https?://)?(?:www\.)?kinopoisk\.ru/(?:film|series)/([0-9]{1,12})(?:/[^\s?#]*)?(?:[?#]\S*)?",
    re.IGNORECASE | re.ASCII,
)
_BARE_ID_RE = re.compile(r"[0-9]{1,12}", re.ASCII)


def _id_in_range(value: int) -> int | None:
    return value if MIN_KINOPOISK_ID <= value <= MAX_KINOPOISK_ID else None


def parse_kinopoisk_ref(text: str) -> int | None:
    """Kinopoisk id from a kinopoisk.ru film/series URL or a bare numeric id; None for anything else.

    Ids outside 250..10_000_000 give None (a bare number like that is then searched as a title).
    """
    if not isinstance(text, str):
        return None
    text = text.strip()
    if not text:
        return None
    if _BARE_ID_RE.fullmatch(text):
        return _id_in_range(int(text))
    match = _REF_URL_RE.fullmatch(text)
    if match:
        return _id_in_range(int(match.group(1)))
    return None


def normalize_query(text: str) -> str:
    """Cache key for a search query: casefolded, whitespace collapsed, stripped."""
    return " ".join(text.casefold().split())


# --------------------------------------------------------------------------------------------------
# Tolerant field coercion (any field of a Kinopoisk document may be null, missing or mistyped)
# --------------------------------------------------------------------------------------------------

_INT_RE = re.compile(r"[+-]?[0-9]{1,12}", re.ASCII)
_SERIES_TYPES = frozenset({"tv-series", "animated-series", "mini-series"})


# What no text from Kinopoisk may carry into the site, which refuses it in every field (core.text_rules):
# controls (line breaks and tabs aside), NUL, lone surrogates (a "\ud800" escape in its JSON) and
# non-characters. Written out here: integrations import nothing from the app.
_NONCHARACTERS = "\ufdd0-\ufdef" + "".join(
    chr(p + 0xFFFE) + chr(p + 0xFFFF) for p in range(0, 0x110000, 0x10000)
)
_UNSHOWABLE = re.compile(f"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff{_NONCHARACTERS}]")


def _clean_str(value: Any) -> str | None:
    """Kinopoisk's text, scrubbed of what the site cannot store or show, and stripped."""
    if not isinstance(value, str):
        return None
    value = _UNSHOWABLE.sub("", value).strip()
    return value or None


def _clean_line(value: Any) -> str | None:
    """A title, a genre or a country: one line, spaces single."""
    text = _clean_str(value)
    return " ".join(text.split()) if text else None


def _as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if math.isfinite(value) and value.is_integer() else None
    if isinstance(value, str):
        value = value.strip()
        return int(value) if _INT_RE.fullmatch(value) else None
    return None


def _positive_int(value: Any) -> int | None:
    number = _as_int(value)
    return number if number is not None and number > 0 else None


def _year(value: Any) -> int | None:
    number = _as_int(value)
    return number if number is not None and 1800 <= number <= 2200 else None


def _rating(value: Any) -> float | None:
    """A rating on the 0..10 scale; 0 means "no rating" in this API, so 0 (and garbage) give None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        try:
            value = float(value.strip().replace(",", "."))
        except ValueError:
            return None
    if not isinstance(value, (int, float)):
        return None
    number = float(value)
    if not math.isfinite(number) or number <= 0 or number > 10:
        return None
    return number


def _http_url(value: Any) -> str | None:
    text = _clean_str(value)
    if text is None:
        return None
    if text.startswith("//"):
        text = "https:" + text
    if any(ch.isspace() or not ch.isprintable() for ch in text):
        return None
    try:
        parts = urlsplit(text)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return text


def _name_list(value: Any) -> tuple[str, ...]:
    """[{"name": "драма"}, ...] (or plain strings) → ("драма", ...): stripped, no blanks, no duplicates."""
    if not isinstance(value, (list, tuple)):
        return ()
    names: list[str] = []
    for item in value:
        name = _clean_line(item.get("name")) if isinstance(item, Mapping) else _clean_line(item)
        if name is not None and name not in names:
            names.append(name)
    return tuple(names)


def _first_trailer(videos: Any) -> str | None:
    if not isinstance(videos, Mapping):
        return None
    trailers = videos.get("trailers")
    if not isinstance(trailers, list):
        return None
    for trailer in trailers:
        if isinstance(trailer, Mapping):
            url = _http_url(trailer.get("url"))
            if url is not None:
                return url
    return None


def _movie_url(kinopoisk_id: int, is_series: bool) -> str:
    kind = "series" if is_series else "film"
    return f"https://www.kinopoisk.ru/{kind}/{kinopoisk_id}/"


# --------------------------------------------------------------------------------------------------
# Movie
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class KinopoiskMovie:
    """One movie or series. Lists are stored as tuples (hashable); `to_dict` gives plain lists."""

    kinopoisk_id: int
    name: str
    year: int | None = None
    poster: str | None = None
    poster_preview: str | None = None
    description: str | None = None
    rating: float | None = None
    rating_imdb: float | None = None
    genres: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()
    length: int | None = None
    trailer_url: str | None = None
    is_series: bool = False
    # Derived from kinopoisk_id and is_series, never passed in.
    kinopoisk_url: str = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "genres", tuple(self.genres or ()))
        object.__setattr__(self, "countries", tuple(self.countries or ()))
        object.__setattr__(self, "kinopoisk_url", _movie_url(self.kinopoisk_id, self.is_series))

    def to_dict(self) -> dict[str, Any]:
        return {
            "kinopoisk_id": self.kinopoisk_id,
            "name": self.name,
            "year": self.year,
            "poster": self.poster,
            "poster_preview": self.poster_preview,
            "description": self.description,
            "rating": self.rating,
            "rating_imdb": self.rating_imdb,
            "genres": list(self.genres),
            "countries": list(self.countries),
            "length": self.length,
            "trailer_url": self.trailer_url,
            "is_series": self.is_series,
            "kinopoisk_url": self.kinopoisk_url,
        }


def parse_movie(doc: Any) -> KinopoiskMovie | None:
    """A Kinopoisk API movie document → KinopoiskMovie; None when it is not a dict with a valid id."""
    if not isinstance(doc, Mapping):
        return None
    kinopoisk_id = _positive_int(doc.get("id"))
    if kinopoisk_id is None:
        return None

    name = (
        _clean_line(doc.get("name"))
        or _clean_line(doc.get("alternativeName"))
        or _clean_line(doc.get("enName"))
        or f"Фильм {kinopoisk_id}"
    )
    poster = doc.get("poster")
    poster = poster if isinstance(poster, Mapping) else {}
    poster_url = _http_url(poster.get("url"))
    rating = doc.get("rating")
    rating = rating if isinstance(rating, Mapping) else {}
    is_series = doc.get("isSeries")
    if not isinstance(is_series, bool):
        is_series = _clean_str(doc.get("type")) in _SERIES_TYPES

    return KinopoiskMovie(
        kinopoisk_id=kinopoisk_id,
        name=name,
        year=_year(doc.get("year")),
        poster=poster_url,
        poster_preview=_http_url(poster.get("previewUrl")) or poster_url,
        description=_clean_str(doc.get("description")) or _clean_str(doc.get("shortDescription")),
        rating=_rating(rating.get("kp")),
        rating_imdb=_rating(rating.get("imdb")),
        genres=_name_list(doc.get("genres")),
        countries=_name_list(doc.get("countries")),
        length=_positive_int(doc.get("movieLength")),
        trailer_url=_first_trailer(doc.get("videos")),
        is_series=is_series,
    )


# --------------------------------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------------------------------


class KinopoiskError(Exception):
    """Base error. `message` is Russian and safe to show to users; `detail` is technical, for logs.

    `sent` is False when no request left this process (no token, a token no header can carry): such a
    failure cost none of the day's quota.
    """

    code: str = "kinopoisk_error"
    message: str = "Не удалось получить данные с Кинопоиска — добавьте фильм вручную"

    def __init__(
        self, detail: str | None = None, *, status_code: int | None = None, sent: bool = True
    ) -> None:
        super().__init__(self.message)
        self.detail = detail
        self.status_code = status_code
        self.sent = sent

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        name = type(self).__name__
        return f"{name}(code={self.code!r}, status_code={self.status_code!r}, detail={self.detail!r})"


class KinopoiskNotConfigured(KinopoiskError):
    code = "kinopoisk_not_configured"
    message = "Поиск по Кинопоиску не настроен — добавьте фильм вручную"


class KinopoiskBadToken(KinopoiskError):
    code = "kinopoisk_bad_token"
    message = "Кинопоиск не принял токен API — проверьте токен в настройках или добавьте фильм вручную"


class KinopoiskQuotaExceeded(KinopoiskError):
    code = "kinopoisk_quota_exceeded"
    message = "Дневной лимит Кинопоиска исчерпан — добавьте фильм вручную или попробуйте завтра"


class KinopoiskThrottled(KinopoiskError):
    code = "kinopoisk_throttled"
    message = "Слишком много запросов к Кинопоиску — подождите минуту и попробуйте снова"


class KinopoiskUnavailable(KinopoiskError):
    code = "kinopoisk_unavailable"
    message = "Кинопоиск сейчас не отвечает — попробуйте позже или добавьте фильм вручную"


_STATUS_ERRORS: dict[int, type[KinopoiskError]] = {
    401: KinopoiskBadToken,
    403: KinopoiskQuotaExceeded,
    429: KinopoiskThrottled,
}

# --------------------------------------------------------------------------------------------------
# HTTP client
# --------------------------------------------------------------------------------------------------

_NOT_FOUND = object()
_CHUNK_SIZE = 64 * 1024
_ERROR_BODY_MAX_BYTES = 64 * 1024
_DETAIL_MAX_CHARS = 300


def _short(text: str) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= _DETAIL_MAX_CHARS else text[: _DETAIL_MAX_CHARS - 1] + "…"


class KinopoiskClient:
    """Thin client for api.kinopoisk.dev v1.4. One session per client, no retries, bounded wall time.

    Every request costs daily quota (404s too): callers should cache results.
    """

    #: Bodies larger than this are refused (KinopoiskUnavailable).
    max_response_bytes = 2 * 1024 * 1024

    def __init__(
        self,
        token: str | None,
        base_url: str = DEFAULT_BASE_URL,
        connect_timeout: float = 3.0,
        read_timeout: float = 5.0,
        session: requests.Session | None = None,
    ) -> None:
        self._token = token.strip() if isinstance(token, str) else ""
        self._base_url = (base_url or "").strip().rstrip("/") or DEFAULT_BASE_URL
        self._connect_timeout = float(connect_timeout)
        self._read_timeout = float(read_timeout)
        if not (self._connect_timeout > 0 and self._read_timeout > 0):
            raise ValueError("Kinopoisk timeouts must be positive")
        self._session = session
        self._session_lock = threading.Lock()

    def __repr__(self) -> str:  # never shows the token
        return f"KinopoiskClient(base_url={self._base_url!r}, configured={self.configured})"

    @property
    def configured(self) -> bool:
        return bool(self._token)

    @property
    def base_url(self) -> str:
        return self._base_url

    # -- public API ----------------------------------------------------------------------------

    def search(self, query: str, limit: int = 10) -> list[KinopoiskMovie]:
        """GET /v1.4/movie/search. A blank query gives [] without a request."""
        self._require_configured()
        query = " ".join(str(query).split())
        if not query:
            return []
        number = _as_int(limit)
        limit = 10 if number is None else min(max(number, 1), SEARCH_LIMIT_MAX)
        data = self._get_json("/v1.4/movie/search", params={"query": query, "page": 1, "limit": limit})
        if not isinstance(data, Mapping) or not isinstance(data.get("docs"), list):
            raise KinopoiskUnavailable("search: unexpected JSON shape")
        movies: list[KinopoiskMovie] = []
        seen: set[int] = set()
        for doc in data["docs"]:
            movie = parse_movie(doc)
            if movie is not None and movie.kinopoisk_id not in seen:
                seen.add(movie.kinopoisk_id)
                movies.append(movie)
        return movies[:limit]

    def get_by_id(self, kinopoisk_id: int) -> KinopoiskMovie | None:
        """GET /v1.4/movie/{id}. None on 404, and (without a request) for ids outside 250..10_000_000."""
        self._require_configured()
        number = _as_int(kinopoisk_id)
        if number is None or _id_in_range(number) is None:
            return None
        data = self._get_json(f"/v1.4/movie/{number}", not_found_ok=True)
        if data is _NOT_FOUND:
            return None
        if not isinstance(data, Mapping):
            raise KinopoiskUnavailable("movie: unexpected JSON shape")
        return parse_movie(data)

    # -- internals -----------------------------------------------------------------------------

    def _require_configured(self) -> None:
        if not self.configured:
            raise KinopoiskNotConfigured("no Kinopoisk API token", sent=False)
        if not (self._token.isascii() and self._token.isprintable()):
            # Would not survive as an HTTP header; do not spend a request to learn that.
            raise KinopoiskBadToken("token contains characters that cannot be sent in a header", sent=False)

    def _get_session(self) -> requests.Session:
        with self._session_lock:
            if self._session is None:
                import requests
                from requests.adapters import HTTPAdapter

                session = requests.Session()
                adapter = HTTPAdapter(max_retries=0)
                session.mount("http://", adapter)
                session.mount("https://", adapter)
                self._session = session
            return self._session

    def _get_json(
        self, path: str, params: dict[str, Any] | None = None, *, not_found_ok: bool = False
    ) -> Any:
        session = self._get_session()
        import requests

        # Wall-clock budget for the whole exchange, so a server that drips its body byte by byte cannot
        # keep the read timeout alive forever. Worst case: deadline + one read_timeout.
        deadline = time.monotonic() + self._connect_timeout + self._read_timeout
        try:
            response = session.get(
                self._base_url + path,
                params=params,
                headers={"X-API-KEY": self._token, "Accept": "application/json"},
                timeout=(self._connect_timeout, self._read_timeout),
                stream=True,
                # A redirect would carry X-API-KEY to wherever it points (requests strips only Authorization).
                allow_redirects=False,
            )
        except requests.Timeout as exc:
            raise KinopoiskUnavailable(f"timeout: {_short(exc)}") from exc
        except requests.RequestException as exc:
            raise KinopoiskUnavailable(f"{type(exc).__name__}: {_short(exc)}") from exc

        try:
            status = response.status_code
            if status == 200:
                body = self._read_body(response, deadline, self.max_response_bytes)
                try:
                    return json.loads(body)
                except (ValueError, RecursionError) as exc:
                    raise KinopoiskUnavailable(f"invalid JSON: {_short(exc)}", status_code=status) from exc
            if status == 404 and not_found_ok:
                return _NOT_FOUND
            error_class = _STATUS_ERRORS.get(status, KinopoiskUnavailable)
            api_message = self._api_error_message(response, deadline)
            detail = f"HTTP {status}" + (f": {api_message}" if api_message else "")
            raise error_class(detail, status_code=status)
        finally:
            response.close()

    @staticmethod
    def _read_body(response: requests.Response, deadline: float, max_bytes: int) -> bytes:
        import requests
        import urllib3.exceptions

        raw = response.raw
        read1 = getattr(raw, "read1", None)
        if callable(read1):
            # read1 returns as soon as some bytes arrive, so the deadline is checked between small reads.
            def pieces():
                while True:
                    data = read1(_CHUNK_SIZE, decode_content=True)
                    if not data:
                        return
                    yield data
        else:  # an injected session with an unusual raw object

            def pieces():
                return response.iter_content(_CHUNK_SIZE)

        chunks: list[bytes] = []
        total = 0
        try:
            if time.monotonic() > deadline:
                raise KinopoiskUnavailable("response took too long", status_code=response.status_code)
            for data in pieces():
                total += len(data)
                if total > max_bytes:
                    raise KinopoiskUnavailable(
                        f"response larger than {max_bytes} bytes", status_code=response.status_code
                    )
                chunks.append(data)
                if time.monotonic() > deadline:
                    raise KinopoiskUnavailable("response took too long", status_code=response.status_code)
        except (requests.RequestException, urllib3.exceptions.HTTPError, OSError) as exc:
            raise KinopoiskUnavailable(
                f"reading response failed: {type(exc).__name__}: {_short(exc)}",
                status_code=response.status_code,
            ) from exc
        return b"".join(chunks)

    def _api_error_message(self, response: requests.Response, deadline: float) -> str | None:
        """The `message` of an error body like {"statusCode", "message", "error"}; None if unreadable."""
        try:
            data = json.loads(self._read_body(response, deadline, _ERROR_BODY_MAX_BYTES))
        except (KinopoiskError, ValueError, RecursionError):
            return None
        if not isinstance(data, Mapping):
            return None
        message = data.get("message")
        if isinstance(message, list):  # validation errors come as a list of strings
            message = "; ".join(str(item) for item in message)
        return _short(message) if isinstance(message, str) and message.strip() else None
