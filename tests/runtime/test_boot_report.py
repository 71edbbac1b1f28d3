"""The owner sees the boot: one log line with what the wake spent, and the same figures on /status."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from tests.support.gunicorn_server import GunicornServer

ROOT = Path(__file__).resolve().parents[2]

POSTGRESQL = pytest.param("postgresql", marks=pytest.mark.postgres)  # the deploy's database
BOOT_LINE = re.compile(
    r"booted in (?P<total>[\d.]+) s \(schema check (?P<check>[\d.]+) s, imports (?P<imports>[\d.]+) s, "
    r"app (?P<app>[\d.]+) s, worker (?P<worker>[\d.]+) s\); schema at head \w+"
)


@pytest.mark.parametrize("database_url", [POSTGRESQL], indirect=True)
def test_a_launched_boot_logs_its_parts_once_and_status_shows_them(database_url, tmp_path):
    log = tmp_path / "gunicorn.log"
    with GunicornServer(database_url, workers=2, log_path=log, launched=True) as server:
        with urllib.request.urlopen(server.url + "/status", timeout=30) as response:
            page = response.read().decode()
        waited = server.started_in
    lines = BOOT_LINE.findall(log.read_text())
    assert len(lines) == 1, log.read_text()[-3000:]  # once for the boot, not once per worker
    match = BOOT_LINE.search(log.read_text())
    parts = [float(match[name]) for name in ("check", "imports", "app", "worker")]
    assert all(part >= 0 for part in parts)
    # The parts add up to the whole, and the whole is what the test itself waited, give or take the polls.
    assert abs(sum(parts) - float(match["total"])) < 0.05
    assert float(match["total"]) <= waited + 0.5
    assert 'data-testid="boot"' in page
    assert "проверка схемы" in page and "воркер" in page and "схема: at head" in page


# Machinery a wake must not load before the first visitor is served: each is loaded on its first use.
LOADED_ON_FIRST_USE = (
    "alembic",  # migrations: the launcher's upgrade, `flask db`, the doctor
    "flask_migrate",
    "movie_lottery.ops.doctor",  # /status and `flask doctor`
    "movie_lottery.backup.transfer",  # the backup download and upload
    "movie_lottery.backup.verify",
    "requests",  # Kinopoisk and qBittorrent, only when configured and called
    "qbittorrentapi",
)


def test_the_app_gunicorn_preloads_leaves_the_rarely_used_machinery_unloaded(tmp_path):
    code = (
        "import json, sys, gunicorn_config, movie_lottery\n"
        "movie_lottery.create_app()\n"
        f"print(json.dumps([m for m in {LOADED_ON_FIRST_USE!r} if m in sys.modules]))\n"
    )
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}", "SECRET_KEY": "k"}
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.splitlines()[-1]) == []
