"""How long the site took to wake, and on what: one log line when the first worker is ready, and /status.

A boot, in wall-clock seconds as the first visitor waits them:
- the schema check: the start command (ops/launch.py) before the server process exists;
- imports: from the server process's exec to the app factory: the interpreter, gevent, gunicorn and the
  libraries the app needs;
- app: the factory itself (our modules, the routes, the database engine; no query, no network);
- worker: from the app being built to a worker ready to serve (gunicorn binding, the fork, the worker's own
  set-up).
Every worker keeps the boot it was forked from (the master recorded it before the fork) plus its own ready
time, so /status shows the same boot whichever worker answers.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass, replace
from pathlib import Path

from flask import Flask

EXTENSION_KEY = "boot_report"
log = logging.getLogger("movie_lottery.boot")


@dataclass(frozen=True)
class Boot:
    exec_at: float  # this server process's exec (epoch seconds)
    app_started_at: float
    app_ready_at: float
    launched_at: float | None = None  # the start command's launcher, when there was one
    schema: str | None = None  # what the launcher found: "at head 0014", "upgraded (…)"
    schema_seconds: float | None = None
    worker_ready_at: float | None = None  # set in each gunicorn worker (post_worker_init)

    @property
    def started_at(self) -> float:
        return self.launched_at if self.launched_at is not None else self.exec_at

    @property
    def ready_at(self) -> float:
        return self.worker_ready_at if self.worker_ready_at is not None else self.app_ready_at

    @property
    def seconds(self) -> float:
        return self.ready_at - self.started_at

    def parts(self) -> list[tuple[str, float]]:
        """(what, seconds) in the order they happened; the launcher's part only when it ran."""
        parts = []
        if self.launched_at is not None and self.schema_seconds is not None:
            parts.append(("schema check", self.schema_seconds))
        parts += [
            ("imports", self.app_started_at - self.exec_at),
            ("app", self.app_ready_at - self.app_started_at),
        ]
        if self.worker_ready_at is not None:
            parts.append(("worker", self.worker_ready_at - self.app_ready_at))
        return parts

    def line(self) -> str:
        spent = ", ".join(f"{what} {seconds:.2f} s" for what, seconds in self.parts())
        schema = f"; schema {self.schema}" if self.schema else ""
        return f"booted in {self.seconds:.2f} s ({spent}){schema}"


def process_exec_time() -> float:
    """When this process was started (Linux: /proc), in epoch seconds; now where /proc is not there."""
    try:
        fields = Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()
        ticks = int(fields[19])  # starttime: field 22 of stat, counted after the ")" that ends the name
        lines = Path("/proc/stat").read_text().splitlines()
        system_boot = next(int(line.split()[1]) for line in lines if line.startswith("btime"))
        return system_boot + ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError, StopIteration):
        return time.time()


def record_app_built(app: Flask, app_started_at: float, launch: dict | None) -> Boot:
    """Called at the end of the app factory; ``launch``: the launcher's record (core.config.launch_record)."""
    launch = launch or {}
    launched_at = _number(launch.get("at"))
    # exec keeps the process's start time: after the launcher it is the launcher's, so it says when it exec'd.
    exec_at = _number(launch.get("exec_at")) if launched_at is not None else None
    boot = Boot(
        exec_at=min(exec_at or process_exec_time(), app_started_at),
        app_started_at=app_started_at,
        app_ready_at=time.time(),
        launched_at=launched_at,
        schema=str(launch["schema"]) if launched_at is not None and launch.get("schema") else None,
        schema_seconds=_number(launch.get("seconds")) if launched_at is not None else None,
    )
    app.extensions[EXTENSION_KEY] = boot
    return boot


def record_worker_ready(app: Flask, log_it: bool) -> Boot | None:
    """In a gunicorn worker ready to serve: completes its copy of the boot; ``log_it`` for the first one."""
    boot = app.extensions.get(EXTENSION_KEY)
    if boot is None:  # an app that is not this site (the bench's floor)
        return None
    boot = replace(boot, worker_ready_at=time.time())
    app.extensions[EXTENSION_KEY] = boot
    if log_it:
        log.info(boot.line())
    return boot


def current(app: Flask) -> Boot | None:
    return app.extensions.get(EXTENSION_KEY)


def _number(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None
