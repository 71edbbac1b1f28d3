"""/status: the owner's view of the running site — doctor's verdicts and this worker's memory, live.

From memory and the database only: no call to qBittorrent or Kinopoisk, no subprocess, no Alembic (a
worker that imported it would keep ~11 MB more for good). Never cached; admin only (the access guard). What
lives in a process (the breaker, the page cache, the memory) is this worker's: another request may land
in another worker with other numbers, and the page says so.
"""

from __future__ import annotations

import os
from pathlib import Path

import sqlalchemy as sa
from flask import Blueprint, current_app, render_template, session

from movie_lottery.backup import milestones
from movie_lottery.core.config import kinopoisk_configured, qbit_configured, telegram_configured
from movie_lottery.core.extensions import db
from movie_lottery.core.models import utcnow
from movie_lottery.downloads import queue as downloads
from movie_lottery.downloads.status import service_for
from movie_lottery.runtime import boot_report, process_info
from movie_lottery.search.client import gate_if_made
from movie_lottery.search.service import kinopoisk_calls_on
from movie_lottery.telegram.binding import CONNECT_LINK_SESSION_KEY, panel_facts
from movie_lottery.web.guards.auth import site_open
from movie_lottery.web.rendering.filters import duration_text
from movie_lottery.web.rendering.page_cache import cache_stats

bp = Blueprint("status_pages", __name__)

BOOT_PARTS = {"schema check": "проверка схемы", "imports": "импорт", "app": "приложение", "worker": "воркер"}

BREAKER_STATES = {
    "closed": "замкнут: запросы идут как обычно",
    "open": "разомкнут: запросы не идут до следующей попытки",
    "half_open": "пробная попытка идёт",
}


def _from_database(read, default):
    """A read for the page that must not take it down: with the database away, the verdicts say so."""
    try:
        return read()
    except sa.exc.SQLAlchemyError:
        db.session.rollback()
        return default


def _boot_facts(app) -> dict | None:
    """The last boot of the server this worker was forked from: how long, and on what (boot_report.py)."""
    boot = boot_report.current(app)
    if boot is None:
        return None
    return {
        "seconds": boot.seconds,
        "parts": [(BOOT_PARTS.get(what, what), seconds) for what, seconds in boot.parts()],
        "schema": boot.schema,
        "served_by_gunicorn": boot.worker_ready_at is not None,
    }


def _schema_revision() -> str | None:
    return db.session.scalar(sa.text("SELECT version_num FROM alembic_version LIMIT 1"))


def _telegram_panel(config) -> dict | None:
    """«Подключить чат» and the bound chats; the one-time link is shown once, right after it was made."""
    if not telegram_configured(config):
        return None
    facts = _from_database(panel_facts, {"bot_username": None, "chats": None})
    return {**facts, "link": session.pop(CONNECT_LINK_SESSION_KEY, None)}


@bp.get("/status")
def status_page():
    from movie_lottery.ops import doctor  # on the first visit: most workers never serve this page

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    config = app.config
    gate = gate_if_made(app)
    checks = doctor.live_checks(app, gate)
    now = utcnow()
    memory, memory_now = process_info.memory_bytes()
    service = service_for(app) if qbit_configured(config) else None
    open_to_everyone = site_open() and bool(config.get("OPEN_SITE"))
    commit = config.get("GIT_COMMIT")
    page = render_template(
        "status.html",
        collage=[],  # no backdrop: the page must render even with the database away
        checks=checks,
        broken=doctor.broken(checks),
        warned=sum(check.verdict == "warn" for check in checks),
        worker={
            "pid": os.getpid(),
            "started": process_info.process_started(),
            "uptime": duration_text(int((now - process_info.process_started()).total_seconds())),
            "site_started": process_info.site_started(),
            "boot": _boot_facts(app),
            "memory_mb": memory / 1024 / 1024,
            "memory_now": memory_now,
            "cache": cache_stats(app),
        },
        torrents={
            "configured": service is not None,
            "snapshot": service.peek() if service else None,
            "breaker": service.breaker_state() if service else None,
            "breaker_text": BREAKER_STATES.get(service.breaker_state().state, "") if service else "",
            "login_rejected": bool(service and service.login_rejected),
            "queue": _from_database(downloads.queue_counts, None),
        },
        kinopoisk={
            "configured": kinopoisk_configured(config),
            "calls_today": _from_database(lambda: kinopoisk_calls_on(now.date()), None),
            "paused_until": gate.paused_until() if gate is not None else None,
        },
        database={
            "revision": _from_database(_schema_revision, None),
            "milestones": _from_database(milestones.read_milestones, None),
        },
        telegram=_telegram_panel(config),
        commit=commit,
        free_plan=doctor.FREE_PLAN,
        settings=doctor.settings_in_force(config, Path(app.instance_path), hide_addresses=open_to_everyone),
    )
    response = current_app.make_response(page)
    response.headers["Cache-Control"] = "no-store"  # live, and the admin's alone
    return response
