"""``python -m movie_lottery.gunicorn_probe ARGS…``: the settings ``gunicorn ARGS…`` would run with, as JSON.

gunicorn's own loader reads them (``WSGIApplication``: the command line, ``GUNICORN_CMD_ARGS``, the file
named by ``-c`` or else ``./gunicorn.conf.py``, in gunicorn's order of precedence), and nothing is started:
no socket is bound, no worker forked, the app is not imported. A process of its own, because loading a
settings file runs it (ours switches the garbage collector off until the app is built) and gunicorn's loader
changes directory and exits on a bad file. `flask doctor` runs it from the repository's root, as Render does.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any


def settings_of(cfg: Any) -> dict[str, Any]:
    """The settings that matter to this site, from a gunicorn ``Config`` (here, or in the running master)."""
    return {
        "timeout": cfg.timeout,
        "graceful_timeout": cfg.graceful_timeout,
        "workers": cfg.workers,
        "threads": cfg.threads,
        "worker_connections": cfg.worker_connections,
        "worker_class": cfg.worker_class_str,
        "bind": list(cfg.bind),
        "preload_app": cfg.preload_app,
        "max_requests": cfg.max_requests,
        # The file gunicorn read: the one named (it must exist), else ./gunicorn.conf.py when there is one.
        "config_file": cfg.config if cfg.config and os.path.exists(cfg.config) else None,
    }


def main(argv: list[str]) -> int:
    sys.argv = ["gunicorn", *argv]  # gunicorn's loader parses sys.argv itself
    from gunicorn.app.wsgiapp import WSGIApplication

    cfg = WSGIApplication("%(prog)s [OPTIONS] [APP_MODULE]", prog="gunicorn").cfg  # exits 1 on bad settings
    print(json.dumps(settings_of(cfg)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
