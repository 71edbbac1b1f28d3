"""Settings: the one place that reads the environment.

Everything else receives plain values from here (or from ``app.config``), so the rest of the code can be
tested without touching ``os.environ``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

DEFAULT_KINOPOISK_URL = "https://api.kinopoisk.dev"
DEFAULT_TELEGRAM_API_URL = "https://api.telegram.org"
MINI_APP_NAME_PATTERN = r"[A-Za-z0-9_]{3,30}"  # BotFather's rule for a Mini App's short name
# What Telegram lets a webhook's secret_token hold: 1-256 of A-Z a-z 0-9 _ -.
WEBHOOK_SECRET_PATTERN = r"^[A-Za-z0-9_-]{1,256}$"
DEFAULT_QBIT_CATEGORY = "movie-lottery"
MAX_PROXY_HOPS = 5
TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
FALSE_WORDS = frozenset({"0", "false", "no", "off"})


def normalize_database_url(url: str) -> str:
    """Return a URL SQLAlchemy maps to the installed psycopg2 driver.

    Render hands out ``postgres://``; SQLAlchemy 2.1 maps bare ``postgresql://`` to psycopg 3, which is not
    installed. Both become ``postgresql+psycopg2://``; explicit drivers and other backends pass unchanged.
    """
    url = url.strip()
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg2://" + url[len(prefix) :]
    return url


def engine_options_for(url: str) -> dict:
    """Engine options that fit the backend: pre-ping and bounded connects for PostgreSQL only.

    ``hide_parameters`` everywhere: a database error's text (logged with its traceback) would otherwise
    quote the statement's values, and a lottery's INSERT carries its seed and play token.
    """
    if url.startswith("postgresql"):
        return {
            "hide_parameters": True,
            "pool_pre_ping": True,
            "pool_recycle": 300,
            "pool_timeout": 10,
            "connect_args": {"connect_timeout": 5, "application_name": "movie-lottery"},
        }
    if url.startswith("sqlite"):
        # Threads of one gthread worker share the pool; wait on a locked file rather than fail at once.
        return {"hide_parameters": True, "connect_args": {"timeout": 15}}
    return {"hide_parameters": True}


def _clean(value: str | None) -> str | None:
    value = (value or "").strip()
    return value or None


def _int(value: str | None, default: int | None) -> int | None:
    value = _clean(value)
    if value is None:
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise ValueError(f"expected a whole number, got {value!r}") from exc


def _bool(value: str | None, default: bool, name: str) -> bool:
    value = _clean(value)
    if value is None:
        return default
    if value.lower() in TRUE_WORDS:
        return True
    if value.lower() in FALSE_WORDS:
        return False
    raise ValueError(f"{name}: expected true or false (1/0, yes/no, on/off), got {value!r}")


def _proxy_hops(environ: Mapping[str, str]) -> int:
    """How many proxies in front of the app may be believed about the client's address and scheme.

    Render puts exactly one in front; a self-hosted deploy has none unless its owner says so. Trusting a
    hop that is not there lets any client write its own X-Forwarded-For (and dodge the login throttle).
    """
    hops = _int(environ.get("PROXY_HOPS"), 1 if running_on_render(environ) else 0)
    if hops is None or not 0 <= hops <= MAX_PROXY_HOPS:
        raise ValueError(f"PROXY_HOPS must be between 0 and {MAX_PROXY_HOPS}, got {hops}")
    return hops


@dataclass(frozen=True)
class Settings:
    database_url: str
    secret_key: str
    admin_password: str | None = None
    api_token: str | None = None
    open_site: bool = False
    proxy_hops: int = 0
    kinopoisk_api_token: str | None = None
    kinopoisk_api_url: str = DEFAULT_KINOPOISK_URL
    qbit_host: str | None = None
    qbit_port: int | None = None
    qbit_username: str | None = None
    qbit_password: str | None = None
    qbit_category: str = DEFAULT_QBIT_CATEGORY
    # Check qBittorrent's HTTPS certificate. Off only for a home server with a self-signed one.
    qbit_verify_tls: bool = True
    torrent_search_url: str | None = None
    on_render: bool = False  # Render sets RENDER in its services' environment
    git_commit: str | None = None  # the deployed commit: Render sets RENDER_GIT_COMMIT
    cpus: float | None = None  # the instance's share of CPUs: Render sets RENDER_CPU_COUNT (0.1 when free)
    telegram_bot_token: str | None = None
    telegram_api_url: str = DEFAULT_TELEGRAM_API_URL
    telegram_webhook_secret: str | None = None  # None: derived from SECRET_KEY and the token
    telegram_mini_app: str | None = None  # the Mini App's short name (BotFather /newapp): buttons open it
    site_url: str | None = None  # the public address Telegram calls: SITE_URL, else RENDER_EXTERNAL_URL

    def as_flask_config(self) -> dict:
        return {
            "SQLALCHEMY_DATABASE_URI": self.database_url,
            "SQLALCHEMY_ENGINE_OPTIONS": engine_options_for(self.database_url),
            "SECRET_KEY": self.secret_key,
            "ADMIN_PASSWORD": self.admin_password,
            "API_TOKEN": self.api_token,
            "OPEN_SITE": self.open_site,
            "PROXY_HOPS": self.proxy_hops,
            "KINOPOISK_API_TOKEN": self.kinopoisk_api_token,
            "KINOPOISK_API_URL": self.kinopoisk_api_url,
            "QBIT_HOST": self.qbit_host,
            "QBIT_PORT": self.qbit_port,
            "QBIT_USERNAME": self.qbit_username,
            "QBIT_PASSWORD": self.qbit_password,
            "QBIT_CATEGORY": self.qbit_category,
            "QBIT_VERIFY_TLS": self.qbit_verify_tls,
            "TORRENT_SEARCH_URL": self.torrent_search_url,
            "RUNNING_ON_RENDER": self.on_render,
            "GIT_COMMIT": self.git_commit,
            "CPUS": self.cpus,
            "TELEGRAM_BOT_TOKEN": self.telegram_bot_token,
            "TELEGRAM_API_URL": self.telegram_api_url,
            "TELEGRAM_WEBHOOK_SECRET": self.telegram_webhook_secret,
            "TELEGRAM_MINI_APP": self.telegram_mini_app,
            "SITE_URL": self.site_url,
        }


def qbit_configured(config: Mapping) -> bool:
    """qBittorrent is on only when host, user name and password are all given: otherwise no call is made."""
    return bool(config.get("QBIT_HOST") and config.get("QBIT_USERNAME") and config.get("QBIT_PASSWORD"))


def qbit_verify_tls(config: Mapping) -> bool:
    """Check qBittorrent's certificate unless the owner turned it off (QBIT_VERIFY_TLS=false)."""
    return config.get("QBIT_VERIFY_TLS") is not False


def kinopoisk_configured(config: Mapping) -> bool:
    return bool(config.get("KINOPOISK_API_TOKEN"))


def telegram_configured(config: Mapping) -> bool:
    """The bot is on only with a token: without one no call is made and /telegram/… answers 404."""
    return bool(config.get("TELEGRAM_BOT_TOKEN"))


def telegram_webhook_secret(config: Mapping) -> str | None:
    """The secret Telegram sends back in ``X-Telegram-Bot-Api-Secret-Token`` (None without a token).

    TELEGRAM_WEBHOOK_SECRET when given; else HMAC-SHA256 of the token under SECRET_KEY, base64url without
    padding (43 characters of A-Z a-z 0-9 _ -, the alphabet Telegram allows). Derived, it changes with the
    token or the key, and the background registration notices and registers it again.
    """
    token = config.get("TELEGRAM_BOT_TOKEN")
    if not token:
        return None
    given = _clean(config.get("TELEGRAM_WEBHOOK_SECRET"))
    if given:
        return given
    import base64
    import hashlib
    import hmac

    key = str(config.get("SECRET_KEY") or "").encode()
    digest = hmac.new(key, b"telegram-webhook\n" + token.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _webhook_secret(value: str | None) -> str | None:
    import re

    value = _clean(value)
    if value is not None and not re.match(WEBHOOK_SECRET_PATTERN, value):
        raise ValueError("TELEGRAM_WEBHOOK_SECRET: 1-256 characters of A-Z a-z 0-9 _ - (Telegram's rule)")
    return value


def _mini_app_name(value: str | None) -> str | None:
    import re

    value = _clean(value)
    if value is not None and not re.fullmatch(MINI_APP_NAME_PATTERN, value):
        raise ValueError("TELEGRAM_MINI_APP: the short name from BotFather's /newapp, 3-30 of A-Z a-z 0-9 _")
    return value


def _site_url(environ: Mapping[str, str]) -> str | None:
    url = _clean(environ.get("SITE_URL")) or _clean(environ.get("RENDER_EXTERNAL_URL"))
    return url.rstrip("/") if url else None


def _cpus(value: str | None) -> float | None:
    try:
        cpus = float(_clean(value) or "nan")
    except ValueError:
        return None
    return cpus if 0 < cpus < 1024 else None  # NaN and nonsense compare false: unknown


def running_on_render(environ: Mapping[str, str]) -> bool:
    return bool(environ.get("RENDER"))


def _local_secret_key(instance_path: Path) -> str:
    """A key generated once per checkout and kept in the instance folder, so sessions survive restarts."""
    key_file = instance_path / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    instance_path.mkdir(parents=True, exist_ok=True)
    import secrets  # here: the launcher reads this module too, and a wake never makes a key

    key = secrets.token_urlsafe(48)
    # O_EXCL: two workers starting together must not both write; the loser reads the winner's key.
    try:
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return key_file.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key


def process_environment() -> Mapping[str, str]:
    """This process's environment, with ``.env`` (python-dotenv) filling what it does not set."""
    from dotenv import load_dotenv

    load_dotenv(override=False)
    return os.environ


# What the start command (ops/launch.py) found before it became the server: JSON, set by it alone.
LAUNCH_RECORD = "MOVIE_LOTTERY_LAUNCH"


def launch_record(environ: Mapping[str, str] | None = None) -> dict | None:
    """The launcher's record for this process (``at``, ``schema``, ``seconds``, ``exec_at``), or None."""
    import json

    raw = (os.environ if environ is None else environ).get(LAUNCH_RECORD)
    try:
        record = json.loads(raw) if raw else None
    except ValueError:
        return None
    return record if isinstance(record, dict) else None


def configured_database_url(instance_path: Path, environ: Mapping[str, str]) -> str:
    """DATABASE_URL as SQLAlchemy takes it, or the SQLite file in the instance folder when it is unset."""
    database_url = _clean(environ.get("DATABASE_URL"))
    if database_url is None:
        instance_path.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{instance_path / 'movie_lottery.sqlite3'}"
    return normalize_database_url(database_url)


def load_settings(instance_path: Path, environ: Mapping[str, str] | None = None) -> Settings:
    """Read settings from the environment (and ``.env``, loaded by python-dotenv)."""
    environ = process_environment() if environ is None else environ
    database_url = configured_database_url(instance_path, environ)

    secret_key = _clean(environ.get("SECRET_KEY"))
    if secret_key is None:
        if running_on_render(environ):
            raise RuntimeError("SECRET_KEY must be set in production (render.yaml generates one).")
        secret_key = _local_secret_key(instance_path)

    return Settings(
        database_url=database_url,
        secret_key=secret_key,
        admin_password=_clean(environ.get("ADMIN_PASSWORD")),
        api_token=_clean(environ.get("API_TOKEN")),
        open_site=_bool(environ.get("OPEN_SITE"), False, "OPEN_SITE"),
        proxy_hops=_proxy_hops(environ),
        kinopoisk_api_token=_clean(environ.get("KINOPOISK_API_TOKEN")),
        kinopoisk_api_url=_clean(environ.get("KINOPOISK_API_URL")) or DEFAULT_KINOPOISK_URL,
        qbit_host=_clean(environ.get("QBIT_HOST")),
        qbit_port=_int(environ.get("QBIT_PORT"), None),
        qbit_username=_clean(environ.get("QBIT_USERNAME")),
        qbit_password=_clean(environ.get("QBIT_PASSWORD")),
        qbit_category=_clean(environ.get("QBIT_CATEGORY")) or DEFAULT_QBIT_CATEGORY,
        qbit_verify_tls=_bool(environ.get("QBIT_VERIFY_TLS"), True, "QBIT_VERIFY_TLS"),
        torrent_search_url=_clean(environ.get("TORRENT_SEARCH_URL")),
        on_render=running_on_render(environ),
        git_commit=_clean(environ.get("RENDER_GIT_COMMIT")),
        cpus=_cpus(environ.get("RENDER_CPU_COUNT")),
        telegram_bot_token=_clean(environ.get("TELEGRAM_BOT_TOKEN")),
        telegram_api_url=(_clean(environ.get("TELEGRAM_API_URL")) or DEFAULT_TELEGRAM_API_URL).rstrip("/"),
        telegram_webhook_secret=_webhook_secret(environ.get("TELEGRAM_WEBHOOK_SECRET")),
        telegram_mini_app=_mini_app_name(environ.get("TELEGRAM_MINI_APP")),
        site_url=_site_url(environ),
    )


def gunicorn_settings(environ: Mapping[str, str] | None = None) -> dict:
    """The values gunicorn_config.py needs from the environment (PORT, WEB_CONCURRENCY)."""
    environ = os.environ if environ is None else environ
    port = _int(environ.get("PORT"), 5000)
    return {
        "bind": f"0.0.0.0:{port}",
        # One by default: on Render's free tenth of a core a second worker adds memory and boot time, no CPU
        # (README, «Cold start»); gevent serves many connections in one worker.
        "workers": max(1, _int(environ.get("WEB_CONCURRENCY"), 1) or 1),
    }
