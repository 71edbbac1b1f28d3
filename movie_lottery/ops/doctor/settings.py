"""The settings in force, as /status lists them: secrets as «задан» / «не задан», never their value."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from movie_lottery.ops.doctor.deploy import describe_gunicorn


def _masked_url(url: str | None) -> str:
    """A URL without the password in it (user names stay: they are not secrets)."""
    if not url:
        return "—"
    try:
        return sa.engine.make_url(url).render_as_string(hide_password=True)
    except sa.exc.ArgumentError:
        from urllib.parse import urlsplit, urlunsplit

        parts = urlsplit(url)
        if parts.password:
            host = parts.hostname or ""
            netloc = f"{parts.username}:***@{host}" + (f":{parts.port}" if parts.port else "")
            return urlunsplit(parts._replace(netloc=netloc))
        return url


def settings_in_force(
    config: Mapping[str, Any], instance_path: Path, *, hide_addresses: bool
) -> list[tuple[str, str]]:
    """(setting, what it is set to) for /status. Secrets appear as «задан» / «не задан», never their value;
    ``hide_addresses`` also hides where qBittorrent lives (a site open to everyone shows this to everyone)."""

    def given(key: str) -> str:
        return "задан" if config.get(key) else "не задан"

    key_file = instance_path / "secret_key"
    from_file = key_file.exists() and key_file.read_text().strip() == str(config.get("SECRET_KEY") or "")
    qbit_address = "—"
    if config.get("QBIT_HOST"):
        port = config.get("QBIT_PORT")
        qbit_address = (
            "скрыт: сайт открыт всем"
            if hide_addresses
            else f"{config['QBIT_HOST']}{f':{port}' if port else ''}"
        )
    rows = [
        ("DATABASE_URL", _masked_url(config.get("SQLALCHEMY_DATABASE_URI"))),
        ("SECRET_KEY", "из instance/secret_key" if from_file else given("SECRET_KEY")),
        ("ADMIN_PASSWORD", given("ADMIN_PASSWORD")),
        ("OPEN_SITE", "да" if config.get("OPEN_SITE") else "нет"),
        ("API_TOKEN", given("API_TOKEN")),
        ("PROXY_HOPS", str(config.get("PROXY_HOPS") or 0)),
        ("KINOPOISK_API_TOKEN", given("KINOPOISK_API_TOKEN")),
        ("KINOPOISK_API_URL", _masked_url(config.get("KINOPOISK_API_URL"))),
        ("QBIT_HOST, QBIT_PORT", qbit_address),
        ("QBIT_USERNAME", given("QBIT_USERNAME")),
        ("QBIT_PASSWORD", given("QBIT_PASSWORD")),
        ("QBIT_CATEGORY", str(config.get("QBIT_CATEGORY") or "movie-lottery")),
        ("QBIT_VERIFY_TLS", "нет" if config.get("QBIT_VERIFY_TLS") is False else "да"),
        ("TORRENT_SEARCH_URL", _masked_url(config.get("TORRENT_SEARCH_URL"))),
        ("TELEGRAM_BOT_TOKEN", given("TELEGRAM_BOT_TOKEN")),
        ("TELEGRAM_API_URL", _masked_url(config.get("TELEGRAM_API_URL"))),
        (
            "TELEGRAM_WEBHOOK_SECRET",
            given("TELEGRAM_WEBHOOK_SECRET")
            if config.get("TELEGRAM_WEBHOOK_SECRET")
            else "выводится из SECRET_KEY и токена",
        ),
        ("SITE_URL", str(config.get("SITE_URL") or "не задан")),
        ("Render", "да" if config.get("RUNNING_ON_RENDER") else "нет"),
    ]
    running = config.get("GUNICORN_SETTINGS")
    rows.append(("gunicorn", describe_gunicorn(running) if running else "не gunicorn (flask run или тесты)"))
    return rows
