"""``flask`` commands. Alembic is bound here, only when a command runs, so web workers never import it."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


def enable_migrations(app: Flask) -> None:
    """Bind Flask-Migrate (idempotent). Called for every ``flask`` command and by the tests."""
    if "migrate" in app.extensions:
        return
    from flask_migrate import Migrate

    from .extensions import db

    Migrate(app, db, directory=str(MIGRATIONS_DIR), render_as_batch=True, compare_type=True)


def register_cli(app: Flask) -> None:
    # Inside a click command (the ``flask`` CLI), bind migrations; gunicorn workers skip this.
    if click.get_current_context(silent=True) is not None:
        enable_migrations(app)

    @app.cli.command("demo")
    def demo_command() -> None:
        """Add a demo lottery so a fresh site has something to show."""
        from .lottery import create_lottery

        movies = [
            {
                "name": "Тихая гавань",
                "year": 2019,
                "genres": ["драма"],
                "countries": ["Россия"],
                "rating": 7.4,
            },
            {"name": "Гавань", "year": 2008, "genres": ["детектив"], "countries": ["Франция"], "rating": 6.8},
            {"name": "Маяк на краю света", "year": 2021, "genres": ["приключения"]},
        ]
        created = create_lottery(movies)
        click.echo(
            f"demo lottery: /l/{created.lottery.id}  play: /l/{created.lottery.id}/play/{created.play_token}"
        )
