"""Flask-Migrate bound to the app: Alembic is imported only when a command (or the doctor's migrations check)
needs it, so web workers never load it."""

from __future__ import annotations

from pathlib import Path

from flask import Flask

MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"


def enable_migrations(app: Flask) -> None:
    """Bind Flask-Migrate (idempotent). Called for every ``flask`` command, the doctor and the tests."""
    if "migrate" in app.extensions:
        return
    from flask_migrate import Migrate

    from movie_lottery.core.extensions import db

    Migrate(app, db, directory=str(MIGRATIONS_DIR), render_as_batch=True, compare_type=True)
