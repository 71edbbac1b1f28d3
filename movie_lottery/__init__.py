"""Movie Lottery: a Flask app where friends put movies into a lottery and one of them spins the reel.

This file stays light on purpose: ``python -m movie_lottery.ops.launch`` and gunicorn's settings file
import the package before anything is served, and neither needs Flask or SQLAlchemy to do it. The app
itself is built by movie_lottery/app.py.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app (gunicorn's ``movie_lottery:create_app()``); see movie_lottery.app.create_app."""
    from movie_lottery.app import create_app as build

    return build(config)
