"""What gunicorn's master does with the app it built once (preload_app) before handing it to workers."""

from __future__ import annotations

import gc

from flask import Flask


def freeze_startup_objects() -> None:
    """Move everything built so far out of the collector's sight, and let it collect again from here on.

    The app's modules, mappers and templates live as long as the process; sparing the collector from
    walking them keeps their memory pages shared with the master after fork.
    """
    gc.freeze()
    gc.enable()


def prepare_for_workers(app: Flask, server_settings: dict | None = None) -> None:
    """Work every worker would otherwise repeat on its first request, done once before the first fork.

    ``server_settings``: what gunicorn runs with (gunicorn_probe.settings_of); every worker inherits it and
    /status shows it as the settings in force.
    """
    if server_settings is not None:
        app.config["GUNICORN_SETTINGS"] = server_settings
    app.url_map.update()  # the URL matcher is compiled lazily, on the first request otherwise
    freeze_startup_objects()


def forget_inherited_connections(app: Flask) -> None:
    """A forked worker must not use the master's database connections; it opens its own."""
    database = app.extensions.get("sqlalchemy")  # Flask-SQLAlchemy's; absent in the bench's floor app
    if database is None:
        return
    with app.app_context():
        for engine in database.engines.values():
            engine.dispose(close=False)
