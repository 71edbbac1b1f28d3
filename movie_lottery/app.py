"""The app factory: Flask, the database, the web layer and the ``flask`` commands, wired together."""

from __future__ import annotations

import logging
import resource
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

from movie_lottery.core import reel
from movie_lottery.core.config import (
    engine_options_for,
    kinopoisk_configured,
    launch_record,
    load_settings,
    normalize_database_url,
    qbit_configured,
)
from movie_lottery.core.extensions import csrf, db
from movie_lottery.runtime import process_info  # noqa: F401  (notes when this process started, for /status)
from movie_lottery.runtime.boot_report import Boot, record_app_built

log = logging.getLogger("movie_lottery")


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app. No network call and no database query happen here, so a worker starts at once."""
    started_at = time.time()
    # Named after the package, not this module: its templates, static files and instance/ folder.
    app = Flask("movie_lottery", instance_relative_config=True)

    settings = load_settings(Path(app.instance_path))
    app.config.update(settings.as_flask_config())
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_NAME="ml_session",
        WTF_CSRF_CHECK_DEFAULT=False,  # checked in web.security, where the API rules live
        WTF_CSRF_TIME_LIMIT=None,  # tied to the session instead; a page left open overnight still works
        REEL_SPIN_MS=reel.SPIN_MS,  # every page's reel lands this long after the draw (core/reel.py)
    )
    if config:
        app.config.update(config)
        if "SQLALCHEMY_DATABASE_URI" in config:
            url = normalize_database_url(config["SQLALCHEMY_DATABASE_URI"])
            app.config["SQLALCHEMY_DATABASE_URI"] = url
            if "SQLALCHEMY_ENGINE_OPTIONS" not in config:
                app.config["SQLALCHEMY_ENGINE_OPTIONS"] = engine_options_for(url)

    app.json.sort_keys = False  # keep the documented field order (id first) in API answers
    _configure_logging()
    db.init_app(app)
    app.teardown_appcontext(_release_session)  # runs before Flask-SQLAlchemy's own teardown
    csrf.init_app(app)

    from movie_lottery.web import register_web

    register_web(app)

    from movie_lottery.ops.cli import register_cli

    register_cli(app)

    _log_startup(app, record_app_built(app, started_at, launch_record()))
    return app


def _release_session(_exc: BaseException | None) -> None:
    """Close the request's session; a connection the database dropped mid-request is discarded quietly.

    Flask-SQLAlchemy's teardown would raise from the rollback on a dead connection, turning a clean 503
    (or even a 200 already computed) into a 500 during a database restart.
    """
    from sqlalchemy.exc import SQLAlchemyError

    try:
        db.session.remove()
    except SQLAlchemyError as exc:
        log.warning("dropped a database connection lost mid-request: %s", exc.__class__.__name__)
        db.session.registry.clear()


def _configure_logging() -> None:
    from movie_lottery.runtime.log_masking import MaskingFilter

    if not log.handlers and not logging.getLogger().handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s [%(name)s] %(message)s"))
        handler.addFilter(MaskingFilter())  # on the handler: it sees every movie_lottery.* logger's records
        log.addHandler(handler)
    log.setLevel(logging.INFO)


def _log_startup(app: Flask, boot: Boot) -> None:
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    qbit = "configured" if qbit_configured(app.config) else "not configured"
    kinopoisk = "configured" if kinopoisk_configured(app.config) else "not configured"
    if app.config.get("ADMIN_PASSWORD"):
        admin = "locked, password set" + (" (OPEN_SITE ignored)" if app.config.get("OPEN_SITE") else "")
    elif app.config.get("OPEN_SITE"):
        admin = "open to everyone (OPEN_SITE, no ADMIN_PASSWORD)"
    else:
        admin = "no ADMIN_PASSWORD: open to this machine only, locked for everyone else"
    log.info(
        "app ready in %.0f ms (%.0f ms since exec), peak RSS %.1f MB; database: %s; "
        "qBittorrent: %s; Kinopoisk: %s; admin: %s",
        (boot.app_ready_at - boot.app_started_at) * 1000,
        (boot.app_ready_at - boot.exec_at) * 1000,
        rss_mb,
        app.config["SQLALCHEMY_DATABASE_URI"].split(":", 1)[0],
        qbit,
        kinopoisk,
        admin,
    )
