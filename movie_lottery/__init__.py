"""Movie Lottery: a Flask app where friends put movies into a lottery and one of them spins the reel.

This file stays light on purpose: ``python -m movie_lottery.ops.launch`` and gunicorn's settings file
import the package before anything is served, and neither needs Flask or SQLAlchemy to do it. The app
itself is built by movie_lottery/app.py.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

# When this process first reached the site's code: the boot report (runtime/boot_report.py) counts what came
# before as the interpreter's and gunicorn's part.
PACKAGE_IMPORTED_AT = time.time()

if TYPE_CHECKING:
    from flask import Flask


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app (gunicorn's ``movie_lottery:create_app()``); see movie_lottery.app.create_app."""
    from movie_lottery.app import create_app as build

    return build(config)
