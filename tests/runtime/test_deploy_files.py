"""Deploy settings cannot be lost: both gunicorn start forms get timeout 300; render.yaml is complete."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
GUNICORN = str(Path(sys.executable).parent / "gunicorn")


def print_config(*args: str) -> dict[str, str]:
    env = {**os.environ, "PORT": "10123", "WEB_CONCURRENCY": "3"}
    result = subprocess.run(
        [GUNICORN, *args, "--print-config", "movie_lottery:create_app()"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return dict(re.findall(r"^(\w+)\s+= (.*)$", result.stdout, re.MULTILINE))


@pytest.mark.parametrize("args", [(), ("-c", "gunicorn_config.py")], ids=["bare", "explicit-config"])
def test_both_gunicorn_start_forms_get_the_real_settings(args):
    config = print_config(*args)
    assert config["timeout"] == "300"
    assert config["worker_class"] == "gevent"  # a slow client costs a greenlet, not one of a few threads
    assert int(config["worker_connections"]) >= 100
    assert config["workers"] == "3"
    assert config["bind"] == "['0.0.0.0:10123']"
    assert int(config["max_requests"]) > 0 and int(config["max_requests_jitter"]) > 0
    assert config["preload_app"] == "True"  # workers fork from a master that built the app once


def test_render_blueprint_migrates_then_starts_gunicorn_with_its_config():
    blueprint = yaml.safe_load((ROOT / "render.yaml").read_text())
    web = next(s for s in blueprint["services"] if s["type"] == "web")
    assert web["runtime"] == "python"
    build = web["buildCommand"]
    # What a wake would otherwise compile again each time: the site's Python files and its templates.
    assert (
        build.index("pip install -r requirements.txt")
        < build.index("compileall")
        < build.index("compile-templates")
    )
    start = web["startCommand"]
    # The launcher (migrations when behind) becomes gunicorn, which is named with its settings file.
    assert start.startswith("python -m movie_lottery.ops.launch gunicorn ")
    assert "-c gunicorn_config.py" in start
    assert web["healthCheckPath"] == "/health"

    env = {item["key"]: item for item in web["envVars"]}
    database = blueprint["databases"][0]["name"]
    assert env["DATABASE_URL"]["fromDatabase"] == {"name": database, "property": "connectionString"}
    assert env["SECRET_KEY"].get("generateValue") is True
    for secret in ["KINOPOISK_API_TOKEN", "QBIT_HOST", "QBIT_USERNAME", "QBIT_PASSWORD"]:
        assert env[secret].get("sync") is False, secret


def test_a_render_deploy_is_locked_from_its_first_start():
    # Lock by default: the blueprint generates the admin password (the owner reads it in the dashboard), and
    # nothing in it opens the site; OPEN_SITE is the owner's own, deliberate addition.
    web = next(
        s for s in yaml.safe_load((ROOT / "render.yaml").read_text())["services"] if s["type"] == "web"
    )
    env = {item["key"]: item for item in web["envVars"]}
    assert env["ADMIN_PASSWORD"] == {"key": "ADMIN_PASSWORD", "generateValue": True}
    assert "OPEN_SITE" not in env
    assert "PROXY_HOPS" not in env  # Render's one proxy hop is the default there (the RENDER variable)


def test_procfile_has_release_and_web_processes():
    processes = dict(
        line.split(":", 1) for line in (ROOT / "Procfile").read_text().splitlines() if line.strip()
    )
    assert "db upgrade" in processes["release"]
    assert "-c gunicorn_config.py" in processes["web"]


def test_env_example_documents_every_setting():
    documented = set(re.findall(r"^([A-Z_]+)=", (ROOT / ".env.example").read_text(), re.MULTILINE))
    read_by_config = set(
        re.findall(r'environ\.get\("([A-Z_]+)"\)', (ROOT / "movie_lottery/core/config.py").read_text())
    )
    # Render's own: nobody sets them
    set_by_render = {"RENDER", "RENDER_GIT_COMMIT", "RENDER_CPU_COUNT", "RENDER_EXTERNAL_URL"}
    assert read_by_config - set_by_render <= documented
