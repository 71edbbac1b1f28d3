"""This process: when it started and how much memory it holds. Every worker answers for itself.

Imported by the package itself, so ``SITE_STARTED`` is when the app's code was loaded (under gunicorn with
preload_app, in the master); a forked worker notes its own birth at fork.
"""

from __future__ import annotations

import os
import resource
import time
from datetime import UTC, datetime
from pathlib import Path

SITE_STARTED = time.time()
_worker_started = SITE_STARTED


def _note_fork() -> None:
    global _worker_started
    _worker_started = time.time()


os.register_at_fork(after_in_child=_note_fork)


def site_started() -> datetime:
    return datetime.fromtimestamp(SITE_STARTED, tz=UTC)


def process_started() -> datetime:
    """When this process began serving: its fork from the master, or the start when nothing forked."""
    return datetime.fromtimestamp(_worker_started, tz=UTC)


def memory_bytes() -> tuple[int, bool]:
    """(bytes, current): the resident set now (Linux /proc), else the peak so far (``current`` False)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024, True
    except (OSError, ValueError, IndexError):
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024, False
