"""Read automatically by a bare ``gunicorn`` run in this folder; the settings live in gunicorn_config.py."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from gunicorn_config import *  # noqa: F403
from gunicorn_config import post_fork, post_worker_init, when_ready  # noqa: F401  (hooks: keep them explicit)
