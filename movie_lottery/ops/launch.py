"""The start command: bring the database to the migrations' head, then become the server.

    python -m movie_lottery.ops.launch gunicorn -c gunicorn_config.py "movie_lottery:create_app()"

With the schema already at head, which is every wake but the first after a deploy that adds a migration,
this costs one query (schema_state.py): neither Alembic nor the app is imported. Otherwise it runs
``flask --app movie_lottery db upgrade``, exactly what the start command ran before, and stops with that
command's exit status when it fails: no server starts on a database it could not migrate. Then it execs the
server command, which keeps this process's PID (Render's signals reach gunicorn itself). What it found, and
how long that took, travels in MOVIE_LOTTERY_LAUNCH to the boot line and /status (runtime/boot_report.py).
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

from movie_lottery.core.config import LAUNCH_RECORD, configured_database_url, process_environment
from movie_lottery.ops.schema_state import schema_state

INSTANCE_DIR = Path(__file__).resolve().parents[2] / "instance"  # Flask's instance folder for this package
UPGRADE = [sys.executable, "-m", "flask", "--app", "movie_lottery", "db", "upgrade"]


def bring_schema_to_head(database_url: str) -> tuple[bool, str]:
    """(ok, what happened): one query when the schema is current, the Alembic upgrade otherwise."""
    try:
        state = schema_state(database_url)
    except Exception as exc:
        why = f"could not check ({exc.__class__.__name__})"
    else:
        if state.at_head:
            return True, state.why
        why = state.why
    print(f"launch: {why}: running flask db upgrade", file=sys.stderr, flush=True)
    import subprocess  # only on this path: a wake at head never starts a child

    finished = subprocess.run(UPGRADE, check=False)
    if finished.returncode != 0:
        return False, f"flask db upgrade failed with exit status {finished.returncode}"
    return True, f"upgraded ({why})"


def main(argv: list[str]) -> int:
    command = argv[1:] if argv[:1] == ["--"] else argv
    if not command:
        print("usage: python -m movie_lottery.ops.launch SERVER-COMMAND [ARGS…]", file=sys.stderr)
        return 2
    launched_at = time.time()
    started = time.perf_counter()
    environ = process_environment()
    schema_ok, what = bring_schema_to_head(configured_database_url(INSTANCE_DIR, environ))
    seconds = time.perf_counter() - started
    if not schema_ok:
        print(f"launch: {what}; the server is not started", file=sys.stderr, flush=True)
        return 1
    print(f"launch: schema {what}, in {seconds * 1000:.0f} ms", file=sys.stderr, flush=True)
    record = {"at": launched_at, "schema": what, "seconds": round(seconds, 4), "exec_at": time.time()}
    record = json.dumps(record)
    os.execvpe(command[0], command, {**environ, LAUNCH_RECORD: record})
    return 0  # not reached: exec replaced this process


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
