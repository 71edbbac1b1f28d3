"""TorrentClient: the app's only door to qBittorrent, with hard time bounds and typed errors.

Nothing from the app is imported here and settings come in through the constructor. qbittorrent-api (and
with it requests) is imported only when a client is first used, so a worker that has no qBittorrent
configured never pays for it.

Time bounds. qbittorrent-api retries on its own: every HTTP call is attempted twice (its request manager
never goes below 2), urllib3 would retry once more, and without a scheme it first probes http and https.
Here the scheme is forced from the host, urllib3 retries are off, and every attempt has an explicit
(connect, read) timeout, so one public method costs at most about 2 x (connect + read) against a server
that accepts and never answers. Callers budget for that and call from background threads only.

Errors. Every failure leaves as ``TorrentClientError`` with a short Russian ``reason`` for the UI.
``TorrentLoginRejected`` means the credentials were refused: callers must open their breaker at once and
not try again, since qBittorrent bans the IP for an hour after 5 failed logins.
"""

from __future__ import annotations

import contextlib
import re
import ssl
import threading
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from movie_lottery.integrations.magnet import parse_magnet

_HASH = re.compile(r"[0-9a-f]{40}")
_ETA_UNKNOWN = 8640000
_STATE_ALIASES = {"stoppedDL": "pausedDL", "stoppedUP": "pausedUP"}


class TorrentClientError(Exception):
    """qBittorrent could not do what was asked; ``reason`` is short Russian text for the UI."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class TorrentLoginRejected(TorrentClientError):
    """The credentials were refused (or the IP is banned). Do not retry until someone changes them."""


class TorrentCertificateUntrusted(TorrentClientError):
    """qBittorrent's HTTPS certificate did not pass verification (self-signed, unknown issuer, wrong name,
    expired). Retrying will not change it; the owner either installs a trusted certificate or turns
    verification off for a home server."""


# OpenSSL's words for why a certificate failed (ssl.SSLCertVerificationError.verify_message), in Russian.
_CERTIFICATE_PROBLEMS = (
    ("self-signed", "он самоподписанный"),
    ("unable to get local issuer", "его выдал неизвестный центр сертификации"),
    ("mismatch", "он выдан для другого адреса"),
    ("expired", "срок его действия истёк"),
    ("not yet valid", "срок его действия ещё не начался"),
)


def _certificate_reason(error: ssl.SSLCertVerificationError) -> str:
    message = str(getattr(error, "verify_message", "") or error)
    why = next((words for key, words in _CERTIFICATE_PROBLEMS if key in message), None)
    text = "сертификат qBittorrent не прошёл проверку"
    return f"{text}: {why}" if why else text


@dataclass(frozen=True)
class TorrentStatus:
    info_hash: str
    name: str
    state: str
    raw_state: str
    progress: float
    dlspeed: int
    eta: int | None
    size: int
    amount_left: int
    added_on: int | None
    completion_on: int | None
    category: str
    tags: tuple[str, ...]

    @classmethod
    def from_api(cls, item: Any) -> TorrentStatus:
        """Build from one ``torrents/info`` entry; raise TorrentClientError if it is not one."""
        if not isinstance(item, dict) or not isinstance(item.get("hash"), str):
            raise TorrentClientError("ошибка qBittorrent: непонятный ответ")
        try:
            raw_state = str(item.get("state") or "unknown")
            eta = _int(item.get("eta"))
            tags = item.get("tags") or ""
            return cls(
                info_hash=item["hash"].lower(),
                name=str(item.get("name") or ""),
                state=_STATE_ALIASES.get(raw_state, raw_state),
                raw_state=raw_state,
                progress=min(max(float(item.get("progress") or 0.0), 0.0), 1.0),
                dlspeed=max(_int(item.get("dlspeed")) or 0, 0),
                eta=None if eta is None or eta < 0 or eta >= _ETA_UNKNOWN else eta,
                size=max(_int(item.get("size")) or 0, 0),
                amount_left=max(_int(item.get("amount_left")) or 0, 0),
                added_on=_epoch(item.get("added_on")),
                completion_on=_epoch(item.get("completion_on")),
                category=str(item.get("category") or ""),
                tags=tuple(tag.strip() for tag in str(tags).split(",") if tag.strip()),
            )
        except (TypeError, ValueError) as exc:
            raise TorrentClientError("ошибка qBittorrent: непонятный ответ") from exc


def _int(value: Any) -> int | None:
    if value is None or isinstance(value, bool):
        return None
    return int(value)


def _epoch(value: Any) -> int | None:
    number = _int(value)
    return number if number is not None and number > 0 else None


def build_base_url(host: str, port: int | None) -> str:
    """``"h"``, ``"http://h"``, ``"https://h:8443/qbt"`` + port -> ``"scheme://h:port/path"`` (default http).

    A port written in the host wins over ``port``; with neither, the scheme's default port is used.
    """
    raw = (host or "").strip()
    if not raw:
        raise TorrentClientError("не указан адрес qBittorrent")
    if "://" not in raw:
        raw = "http://" + raw
    try:
        parts = urlsplit(raw)
        host_port = parts.port
    except ValueError as exc:
        raise TorrentClientError("неверный адрес qBittorrent") from exc
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        raise TorrentClientError("неверный адрес qBittorrent")
    if port is not None and not 0 < int(port) < 65536:
        raise TorrentClientError("неверный порт qBittorrent")
    hostname = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    final_port = host_port if host_port is not None else port
    netloc = f"{hostname}:{final_port}" if final_port is not None else hostname
    return f"{scheme}://{netloc}{parts.path.rstrip('/')}"


class TorrentClient:
    """One logged-in qbittorrent-api client per instance, created and logged in on first use.

    The library logs in again by itself when qBittorrent answers 403 (session expired or qBittorrent
    restarted); this class never logs in per request. Safe to share between threads: the lazy log-in is
    done under a lock so two threads never send two logins (a wrong password would count twice).
    """

    def __init__(
        self,
        host: str,
        port: int | None,
        username: str,
        password: str,
        category: str = "movie-lottery",
        connect_timeout: float = 2.0,
        read_timeout: float = 3.0,
        verify_certificate: bool = True,
    ) -> None:
        if not category or "," in category:
            raise ValueError("category must be a non-empty name without commas")
        self.base_url = build_base_url(host, port)
        self.category = category
        self._username = username or ""
        self._password = password or ""
        self._timeout = (float(connect_timeout), float(read_timeout))
        self._verify = bool(verify_certificate)
        self._lock = threading.Lock()
        self._client: Any = None
        self._logged_in = False

    def __repr__(self) -> str:
        return f"TorrentClient({self.base_url!r}, category={self.category!r})"

    # -- public API ---------------------------------------------------------------------------------

    def version(self) -> str:
        """qBittorrent's application version, e.g. ``"v4.5.2"``."""
        return str(self._call(lambda qbt: qbt.app_version()))

    def list_torrents(self) -> list[TorrentStatus]:
        """Every torrent in our category (and only those)."""
        items = self._call(lambda qbt: qbt.torrents_info(category=self.category, SIMPLE_RESPONSES=True))
        if not isinstance(items, list):
            raise TorrentClientError("ошибка qBittorrent: непонятный ответ")
        statuses = [TorrentStatus.from_api(item) for item in items]
        return [status for status in statuses if status.category == self.category]

    def add_magnet(self, magnet_uri: str, tags: list[str], paused: bool = False) -> None:
        """Add a magnet in our category with ``tags``.

        Raises ``InvalidMagnet`` (a ValueError, before any network call) for a bad link. Adding a torrent
        qBittorrent already has counts as success, so a retried send never fails on its own first attempt.
        """
        magnet = parse_magnet(magnet_uri)
        clean_tags = [tag.strip() for tag in tags if tag and tag.strip()]
        if any("," in tag for tag in clean_tags):
            raise ValueError("tags must not contain commas")

        def add(qbt: Any) -> Any:
            return qbt.torrents_add(
                urls=magnet.uri, category=self.category, tags=clean_tags or None, is_paused=paused
            )

        answer = self._call(add)
        if isinstance(answer, str) and answer.strip() == "Ok.":
            return
        if isinstance(answer, str) and answer.strip() == "Fails." and self.has_torrent(magnet.info_hash):
            return
        raise TorrentClientError("ошибка qBittorrent: торрент не добавлен")

    def has_torrent(self, info_hash: str) -> bool:
        """Does qBittorrent have this torrent, in any category (so nobody adds it twice)?"""
        wanted = _normalise_hash(info_hash)
        if wanted is None:
            return False
        return self._find(wanted) is not None

    def delete(self, info_hash: str, delete_files: bool) -> bool:
        """Delete the torrent if it is ours (our category). False when absent or someone else's."""
        wanted = _normalise_hash(info_hash)
        if wanted is None:
            return False
        found = self._find(wanted)
        if found is None or found.category != self.category:
            return False
        self._call(lambda qbt: qbt.torrents_delete(delete_files=bool(delete_files), torrent_hashes=wanted))
        return True

    def close(self) -> None:
        """Forget the session (no network call). The next call logs in again."""
        with self._lock:
            client, self._client, self._logged_in = self._client, None, False
        if client is not None:
            with contextlib.suppress(Exception):  # closing must never fail
                client._trigger_session_initialization()  # closes the requests session

    # -- internals ----------------------------------------------------------------------------------

    def _find(self, info_hash: str) -> TorrentStatus | None:
        items = self._call(lambda qbt: qbt.torrents_info(torrent_hashes=info_hash, SIMPLE_RESPONSES=True))
        if not isinstance(items, list):
            raise TorrentClientError("ошибка qBittorrent: непонятный ответ")
        for item in items:
            status = TorrentStatus.from_api(item)
            if status.info_hash == info_hash:
                return status
        return None

    def _call(self, action: Any) -> Any:
        try:
            return action(self._logged_in_client())
        except TorrentClientError:
            raise
        except Exception as exc:  # every library/requests failure becomes ours
            error = translate_error(exc)
            if isinstance(error, TorrentLoginRejected):
                with self._lock:
                    self._logged_in = False
            raise error from exc

    def _logged_in_client(self) -> Any:
        with self._lock:
            if self._client is None:
                self._client = self._make_client()
            if not self._logged_in:
                self._client.auth_log_in()
                self._logged_in = True
            return self._client

    def _make_client(self) -> Any:
        import qbittorrentapi

        requests_args: dict[str, Any] = {"timeout": self._timeout}
        if not self._verify:
            # Per request, not only on the session: requests lets REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE in the
            # environment override a session's verify=False (measured: the self-signed test server was still
            # refused with those set). A per-request False is left alone.
            requests_args["verify"] = False
        client = qbittorrentapi.Client(
            host=self.base_url,
            username=self._username,
            password=self._password,
            FORCE_SCHEME_FROM_HOST=True,
            REQUESTS_ARGS=requests_args,
            HTTPADAPTER_ARGS={"max_retries": 0},
            VERIFY_WEBUI_CERTIFICATE=self._verify,
            RAISE_NOTIMPLEMENTEDERROR_FOR_UNIMPLEMENTED_API_ENDPOINTS=False,
            RAISE_ERROR_FOR_UNSUPPORTED_QBITTORRENT_VERSIONS=False,
            DISABLE_LOGGING_DEBUG_OUTPUT=True,
        )
        # The library falls back to QBITTORRENTAPI_* environment variables for empty settings (an empty
        # username, no API key). Settings come only from our constructor: pin them.
        client.username = self._username
        client._password = self._password
        client._api_key = None
        client._VERIFY_WEBUI_CERTIFICATE = self._verify
        return client


def _normalise_hash(info_hash: str) -> str | None:
    value = (info_hash or "").strip().lower() if isinstance(info_hash, str) else ""
    return value if _HASH.fullmatch(value) else None


def translate_error(exc: BaseException) -> TorrentClientError:
    """Map a qbittorrent-api / requests exception to TorrentClientError with a Russian reason."""
    import qbittorrentapi
    import requests

    if isinstance(exc, TorrentClientError):
        return exc
    if isinstance(exc, (qbittorrentapi.LoginFailed, qbittorrentapi.Unauthorized401Error)):
        return TorrentLoginRejected("неверный логин или пароль")
    if isinstance(exc, qbittorrentapi.Forbidden403Error):
        return TorrentLoginRejected("qBittorrent отказал в доступе (неверный пароль или IP заблокирован)")
    if isinstance(exc, qbittorrentapi.HTTP5XXError):
        return TorrentClientError(f"ошибка qBittorrent: HTTP {_status(exc) or '5xx'}")
    if isinstance(exc, qbittorrentapi.HTTPError):
        return TorrentClientError(f"ошибка qBittorrent: HTTP {_status(exc) or '4xx'}")
    if isinstance(exc, (qbittorrentapi.APIConnectionError, requests.RequestException)):
        causes = _causes(exc)
        if any(isinstance(cause, requests.Timeout) for cause in causes):
            return TorrentClientError("таймаут")
        untrusted = next((c for c in causes if isinstance(c, ssl.SSLCertVerificationError)), None)
        if untrusted is not None:
            return TorrentCertificateUntrusted(_certificate_reason(untrusted))
        if any(isinstance(cause, requests.exceptions.SSLError) for cause in causes):
            return TorrentClientError("нет связи: ошибка TLS-сертификата")
        return TorrentClientError("нет связи")
    if isinstance(exc, (qbittorrentapi.APIError, ValueError)):
        return TorrentClientError("ошибка qBittorrent: непонятный ответ")
    return TorrentClientError(f"ошибка qBittorrent: {type(exc).__name__}")


def _status(exc: BaseException) -> int | None:
    response = getattr(exc, "response", None)
    return getattr(response, "status_code", None)


def _causes(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


# Why an address could not be reached, for people who have to fix it (`flask doctor`).
REFUSED = "refused"  # the host answered that nothing listens on the port
NO_CONNECTION = "no_connection"  # no answer to the connection at all within the connect timeout
NO_ANSWER = "no_answer"  # the connection was accepted, then no HTTP answer within the read timeout
UNKNOWN_NAME = "unknown_name"  # the host name does not resolve


def unreachable_because(error: TorrentClientError) -> str | None:
    """Which of REFUSED, NO_CONNECTION, NO_ANSWER, UNKNOWN_NAME made this call fail; None for anything else
    (qBittorrent answered, a certificate, …). Read from the exceptions the error was raised from."""
    import socket

    import requests

    causes = _causes(error)
    if any(isinstance(cause, requests.ConnectTimeout) for cause in causes):
        return NO_CONNECTION
    if any(isinstance(cause, requests.ReadTimeout) for cause in causes):
        return NO_ANSWER
    if any(isinstance(cause, ConnectionRefusedError) for cause in causes):
        return REFUSED
    if any(isinstance(cause, socket.gaierror) for cause in causes):
        return UNKNOWN_NAME
    texts = " ".join(str(cause) for cause in causes)
    if "Name or service not known" in texts or "NameResolutionError" in texts:
        return UNKNOWN_NAME
    return None
