"""A throwaway PostgreSQL cluster per test session, so one per pytest-xdist worker (or TEST_DATABASE_URL).

initdb refuses to run as root, so as root the cluster belongs to the ``postgres`` user. The server listens
on 127.0.0.1 only, on a free port below 32768, with fsync off: it is thrown away at the end.
"""

from __future__ import annotations

import contextlib
import os
import random
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

PG_BIN_DIRS = [
    Path("/usr/lib/postgresql/15/bin"),
    *sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True),
]


def find_pg_bin() -> Path | None:
    for directory in PG_BIN_DIRS:
        if (directory / "initdb").exists() and (directory / "pg_ctl").exists():
            return directory
    found = shutil.which("initdb")
    return Path(found).parent if found else None


def free_port() -> int:
    """A free port in 20000–32000 (below the ephemeral range, as the network rules ask)."""
    for _ in range(200):
        port = random.randint(20000, 32000)
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port found")


class PostgresCluster:
    def __init__(self) -> None:
        self.bin = find_pg_bin()
        self.dir: Path | None = None
        self.port: int | None = None
        self._as_user: list[str] = []

    @property
    def available(self) -> bool:
        if self.bin is None:
            return False
        return os.geteuid() != 0 or shutil.which("runuser") is not None

    def _run(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run([*self._as_user, *args], check=True, capture_output=True, text=True, timeout=60)

    def start(self) -> str:
        assert self.bin is not None
        self.dir = Path(tempfile.mkdtemp(prefix="ml-pg-"))
        if os.geteuid() == 0:
            shutil.chown(self.dir, user="postgres")
            self._as_user = ["runuser", "-u", "postgres", "--"]
        data = self.dir / "data"
        self._run(
            str(self.bin / "initdb"),
            "-D",
            str(data),
            "-A",
            "trust",
            "-U",
            "postgres",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
            "--no-sync",
        )
        self.port = free_port()
        options = (
            f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200"
        )
        self._run(
            str(self.bin / "pg_ctl"),
            "-D",
            str(data),
            "-w",
            "-l",
            str(self.dir / "log"),
            "-o",
            options,
            "start",
        )
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def stop(self) -> None:
        if self.dir is None:
            return
        with contextlib.suppress(subprocess.SubprocessError):
            self._run(str(self.bin / "pg_ctl"), "-D", str(self.dir / "data"), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.dir, ignore_errors=True)
        self.dir = None

    def restart(self, down_seconds: float = 0.0) -> None:
        """Stop hard and start again on the same port (for the outage drills)."""
        assert self.dir is not None
        data = str(self.dir / "data")
        self._run(str(self.bin / "pg_ctl"), "-D", data, "-m", "immediate", "-w", "stop")
        time.sleep(down_seconds)
        options = (
            f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200"
        )
        self._run(
            str(self.bin / "pg_ctl"), "-D", data, "-w", "-l", str(self.dir / "log"), "-o", options, "start"
        )


def create_database(admin_url: str, name: str) -> str:
    """Create a database (autocommit, as CREATE DATABASE requires) and return its URL.

    Under pytest-xdist the name carries the worker's id (``ml_test_gw1``): workers given one server through
    TEST_DATABASE_URL would otherwise drop each other's databases.
    """
    import psycopg2

    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if worker:
        name = f"{name}_{worker}"

    dsn = admin_url.replace("postgresql+psycopg2://", "postgresql://")
    connection = psycopg2.connect(dsn)
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            cursor.execute(f'CREATE DATABASE "{name}"')
    finally:
        connection.close()
    base, _, _ = dsn.rpartition("/")
    return f"{base}/{name}"
