"""What is wrong with a deploy, said plainly: checks as plain functions that return verdicts.

Each check returns a ``Check`` (verdicts.py): a verdict (``ok``, ``warn``, ``fail``), what it saw, and when
something is wrong, what to do. ``flask doctor`` (ops/cli.py) runs them all (``run_all``) and prints a table;
/status (web/pages/status.py) shows those that need neither a network call nor a subprocess
(``live_checks``), next to what the worker knows from memory.

The checks by area, and what each may cost:
- deploy.py: gunicorn's settings for each start command, read by gunicorn in a child process. ~0.3 s.
- database.py: reachable, engine, migrations at head, the content-version triggers. A few queries.
- backups.py: the free plan's clock and the last backup. One query.
- access.py: secrets and access, from the settings alone.
- integrations.py: qBittorrent (one bounded login, never repeated) and Kinopoisk (a quota request only when
  asked); on /status, from this process's snapshot and pause instead.
- telegram.py: the webhook's registration and Telegram's last word on it, the outbox (``flask doctor``
  asks getWebhookInfo once, bounded; /status reads what the background worker stored).
- settings.py: the settings in force, for /status.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask

from movie_lottery.core.config import qbit_configured
from movie_lottery.ops.doctor.access import secret_checks
from movie_lottery.ops.doctor.backups import FREE_PLAN
from movie_lottery.ops.doctor.database import database_checks
from movie_lottery.ops.doctor.deploy import ROOT, gunicorn_checks, gunicorn_verdict
from movie_lottery.ops.doctor.integrations import (
    kinopoisk_check,
    kinopoisk_live_check,
    qbittorrent_check,
    qbittorrent_live_check,
)
from movie_lottery.ops.doctor.settings import settings_in_force
from movie_lottery.ops.doctor.telegram import telegram_check
from movie_lottery.ops.doctor.verdicts import Check, as_json, broken, ok, table

__all__ = ["FREE_PLAN", "Check", "as_json", "broken", "live_checks", "run_all", "settings_in_force", "table"]


def run_all(app: Flask, *, kinopoisk: bool = False, root: Path = ROOT) -> list[Check]:
    """Every check, in the table's order. ``kinopoisk``: spend one request of the quota on the token."""
    from movie_lottery.core.config import gunicorn_settings

    config = app.config
    on_render = bool(config.get("RUNNING_ON_RENDER"))
    checks = gunicorn_checks(
        root, expected_bind=gunicorn_settings()["bind"], on_render=on_render, cpus=config.get("CPUS")
    )
    with app.app_context():
        checks += database_checks(app, with_migrations=True)
        checks += secret_checks(config, Path(app.instance_path))
        checks.append(qbittorrent_check(config))
        checks.append(kinopoisk_check(config, spend_quota=kinopoisk))
        checks.append(_telegram(config, ask_telegram=True))
    return checks


def live_checks(app: Flask, kinopoisk_gate: Any | None = None) -> list[Check]:
    """The checks /status shows: no network call, no subprocess, no Alembic. Inside an app context."""
    from movie_lottery.core.config import gunicorn_settings
    from movie_lottery.downloads.status import service_for

    config = app.config
    checks = database_checks(app, with_migrations=False)
    checks += secret_checks(config, Path(app.instance_path))
    running = config.get("GUNICORN_SETTINGS")
    if running:
        bind = gunicorn_settings()["bind"]
        checks.append(
            gunicorn_verdict(
                "gunicorn",
                running,
                expected_bind=bind,
                on_render=bool(config.get("RUNNING_ON_RENDER")),
                cpus=config.get("CPUS"),
            )
        )
    else:
        checks.append(ok("gunicorn", "сайт запущен не через gunicorn (flask run или тесты)"))
    checks.append(qbittorrent_live_check(service_for(app) if qbit_configured(config) else None))
    checks.append(kinopoisk_live_check(config, kinopoisk_gate))
    checks.append(_telegram(config))
    return checks


def _telegram(config, ask_telegram: bool = False) -> Check:
    """The Telegram verdict; with the database away it says so rather than taking the page down."""
    import sqlalchemy as sa

    from movie_lottery.core.extensions import db

    try:
        return telegram_check(config, ask_telegram=ask_telegram)
    except sa.exc.SQLAlchemyError:
        db.session.rollback()
        from movie_lottery.ops.doctor.verdicts import warn

        return warn("Telegram", "не прочитать состояние бота: база данных недоступна")
