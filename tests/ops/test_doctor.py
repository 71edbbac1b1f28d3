"""`flask doctor`: each verdict, against the real parts — gunicorn's own loader, a PostgreSQL missing a
migration, a real qbittorrent-nox up, down, black-holed and refusing the password (one login, no more)."""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from movie_lottery.core.content_version import WATCHED_TABLES
from movie_lottery.core.extensions import db
from movie_lottery.ops.doctor import access, backups, database, deploy, integrations, verdicts
from tests.conftest import build_app, kinopoisk_settings, migrate, require
from tests.support.fakes.qbittorrent_fakes import BlackHoleServer, refused_port
from tests.support.fakes.qbittorrent_nox import QbittorrentNox, available
from tests.support.postgres import create_database

ROOT = Path(__file__).resolve().parents[2]
MIGRATIONS = ROOT / "migrations" / "versions"
NOW = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)
GOOD_SETTINGS = {
    "timeout": 300,
    "workers": 2,
    "threads": 1,
    "worker_connections": 1000,
    "worker_class": "gevent",
    "bind": ["0.0.0.0:10000"],
    "config_file": "gunicorn_config.py",
}


def by_name(checks: list[verdicts.Check]) -> dict[str, verdicts.Check]:
    return {check.name: check for check in checks}


def probe_env(**extra: str) -> dict[str, str]:
    """The environment a start command runs in, with the repository importable from anywhere."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("GUNICORN")}
    return {**env, "PYTHONPATH": str(ROOT), **extra}


# ---- gunicorn ------------------------------------------------------------------------------------------


def test_the_start_commands_in_this_repository_load_the_real_settings():
    checks = deploy.gunicorn_checks(
        ROOT, expected_bind="0.0.0.0:10123", on_render=True, env=probe_env(PORT="10123", WEB_CONCURRENCY="3")
    )
    assert [check.name for check in checks] == ["gunicorn: render.yaml", "gunicorn: Procfile"]
    for check in checks:
        assert check.verdict == "ok", check
        assert "timeout 300 с" in check.message
        assert "воркеров 3 × до 1000 соединений (gevent)" in check.message
        assert "bind 0.0.0.0:10123" in check.message


def deploy_folder(tmp_path: Path, start: str, *, with_conf: bool = False) -> Path:
    (tmp_path / "render.yaml").write_text(
        f"services:\n  - type: web\n    name: x\n    startCommand: {json.dumps(start)}\n", encoding="utf-8"
    )
    if with_conf:
        shutil.copy(ROOT / "gunicorn.conf.py", tmp_path)
        shutil.copy(ROOT / "gunicorn_config.py", tmp_path)
        shutil.copy(ROOT / "gunicorn_common.py", tmp_path)
    return tmp_path


def test_a_start_command_that_loads_no_settings_file_fails_with_the_30_second_timeout(tmp_path):
    # The previous deploy: gunicorn started without -c, from a folder without gunicorn.conf.py.
    folder = deploy_folder(tmp_path, 'gunicorn "movie_lottery:create_app()"')
    (check,) = deploy.gunicorn_checks(folder, expected_bind="0.0.0.0:5000", on_render=False, env=probe_env())
    assert check.verdict == "fail"
    assert "timeout 30 с" in check.message and "WORKER TIMEOUT" in check.message
    assert "файл настроек не прочитан" in check.message
    assert "-c gunicorn_config.py" in check.fix


def test_a_start_command_that_relies_on_gunicorn_conf_py_being_found_warns(tmp_path):
    folder = deploy_folder(tmp_path, 'gunicorn "movie_lottery:create_app()"', with_conf=True)
    (check,) = deploy.gunicorn_checks(folder, expected_bind="0.0.0.0:5000", on_render=False, env=probe_env())
    assert check.verdict == "warn"
    assert "timeout 300 с" in check.message and "./gunicorn.conf.py" in check.message


def test_settings_gunicorn_refuses_are_a_failure_in_its_own_words(tmp_path):
    folder = deploy_folder(tmp_path, 'gunicorn -c missing.py "movie_lottery:create_app()"')
    (check,) = deploy.gunicorn_checks(folder, expected_bind="0.0.0.0:5000", on_render=False, env=probe_env())
    assert check.verdict == "fail" and "missing.py" in check.message


def test_the_command_line_wins_over_the_settings_file_as_in_gunicorn():
    checks = deploy.gunicorn_checks(
        ROOT, expected_bind="0.0.0.0:5000", on_render=False, env=probe_env(GUNICORN_CMD_ARGS="--timeout 20")
    )
    assert {check.verdict for check in checks} == {"fail"}
    assert all("timeout 20 с" in check.message and "gunicorn_config.py" in check.message for check in checks)


def test_on_render_a_bind_other_than_its_port_fails():
    check = deploy.gunicorn_verdict(
        "gunicorn",
        {**GOOD_SETTINGS, "bind": ["127.0.0.1:5000"]},
        expected_bind="0.0.0.0:10000",
        on_render=True,
    )
    assert check.verdict == "fail" and "0.0.0.0:10000" in check.message
    elsewhere = deploy.gunicorn_verdict(
        "gunicorn",
        {**GOOD_SETTINGS, "bind": ["127.0.0.1:5000"]},
        expected_bind="0.0.0.0:10000",
        on_render=False,
    )
    assert elsewhere.verdict == "ok"


def test_the_sync_worker_is_a_warning():
    check = deploy.gunicorn_verdict(
        "gunicorn",
        {**GOOD_SETTINGS, "worker_class": "sync", "threads": 1},
        expected_bind=None,
        on_render=False,
    )
    assert check.verdict == "warn" and "по одному запросу" in check.message


def test_the_threaded_worker_is_a_warning_since_slow_clients_can_hold_every_thread():
    check = deploy.gunicorn_verdict(
        "gunicorn",
        {**GOOD_SETTINGS, "worker_class": "gthread", "threads": 4},
        expected_bind=None,
        on_render=False,
    )
    assert check.verdict == "warn" and "медленный клиент" in check.message and "потоков 4" in check.message
    assert "gevent" in check.fix


@pytest.mark.parametrize(
    ("workers", "cpus", "verdict"),
    [(2, 0.1, "warn"), (3, 0.5, "warn"), (1, 0.1, "ok"), (2, 2.0, "ok"), (2, None, "ok")],
)
def test_a_second_worker_on_a_fraction_of_a_cpu_is_flagged(workers, cpus, verdict):
    check = deploy.gunicorn_verdict(
        "gunicorn", {**GOOD_SETTINGS, "workers": workers}, expected_bind=None, on_render=True, cpus=cpus
    )
    assert check.verdict == verdict, check
    if verdict == "warn":
        assert "WEB_CONCURRENCY=1" in check.fix and f"воркеров {workers}" in check.message


@pytest.mark.parametrize(
    ("command", "args"),
    [
        ('flask --app movie_lottery db upgrade && gunicorn -c gunicorn_config.py "app:x()"',
         ["-c", "gunicorn_config.py", "app:x()"]),
        ("gunicorn app:x", ["app:x"]),
        ("PORT=1 .venv/bin/gunicorn --workers 3 app:x", ["--workers", "3", "app:x"]),
        ("python -m gunicorn app:x; echo done", ["app:x"]),
        ('python -m movie_lottery.ops.launch gunicorn -c gunicorn_config.py "app:x()"',
         ["-c", "gunicorn_config.py", "app:x()"]),
        (".venv/bin/python -m movie_lottery.ops.launch -- .venv/bin/gunicorn app:x", ["app:x"]),
        ("python -m movie_lottery.ops.launch flask run", None),
        ("flask run", None),
    ],
)  # fmt: skip
def test_the_gunicorn_arguments_are_found_in_a_shell_command(command, args):
    assert deploy.gunicorn_args(command) == args


# ---- the database --------------------------------------------------------------------------------------


def test_a_migrated_database_passes_every_database_check(app):
    with app.app_context():
        checks = by_name(database.database_checks(app, with_migrations=True))
    assert checks["База данных"].verdict == "ok"
    assert checks["Миграции"].verdict == "ok" and "0020" in checks["Миграции"].message
    assert checks["Триггеры версии"].verdict == "ok"


@pytest.mark.postgres
def test_a_postgres_missing_a_migration_fails_and_names_what_is_missing(postgres_admin_url):
    import flask_migrate

    from movie_lottery.ops.migrations import enable_migrations

    url = create_database(postgres_admin_url, "ml_doctor_behind")
    app = build_app(url)
    enable_migrations(app)
    with app.app_context():
        flask_migrate.upgrade(revision="0005")
        check = database.migrations_check(app)
        assert check.verdict == "fail"
        later = sorted(path.name[:4] for path in MIGRATIONS.glob("0*.py") if path.name[:4] > "0005")
        assert f"не применены: {', '.join(later)} " in check.message and "в базе: 0005" in check.message
        assert "db upgrade" in check.fix
        flask_migrate.upgrade()
        assert database.migrations_check(app).verdict == "ok"
        db.engine.dispose()


def test_a_missing_content_version_trigger_fails_and_names_it(tmp_path):
    url = f"sqlite:///{tmp_path / 'no-trigger.sqlite3'}"
    migrate(url)
    app = build_app(url)
    with app.app_context():
        db.session.execute(sa.text("DROP TRIGGER download_update_bumps_content_version"))
        db.session.commit()
        check = database.triggers_check()
        db.engine.dispose()
    assert check.verdict == "fail" and "download_update_bumps_content_version" in check.message


@pytest.mark.postgres
def test_on_postgres_every_watched_table_has_its_four_triggers(migrated_postgres_url):
    app = build_app(migrated_postgres_url)
    with app.app_context():
        check = database.triggers_check()
        db.engine.dispose()
    tables = len(WATCHED_TABLES)
    assert check.verdict == "ok" and f"{4 * tables} на {tables} таблиц" in check.message


def test_an_unreachable_database_is_one_failure_within_seconds():
    with refused_port() as port:
        app = build_app(f"postgresql://lottery:DBPASS-secret@127.0.0.1:{port}/gone")
        started = time.monotonic()
        with app.app_context():
            checks = database.database_checks(app, with_migrations=True)
            db.engine.dispose()
    assert time.monotonic() - started < 10
    (check,) = checks
    assert check.verdict == "fail" and "недоступна" in check.message and "не проверены" in check.message
    assert "DBPASS-secret" not in check.message  # the URL is shown with its password hidden


def test_sqlite_on_render_fails(tmp_path):
    url = f"sqlite:///{tmp_path / 'render.sqlite3'}"
    migrate(url)
    app = build_app(url, RUNNING_ON_RENDER=True)
    with app.app_context():
        checks = by_name(database.database_checks(app, with_migrations=False))
        db.engine.dispose()
    assert (
        checks["База данных"].verdict == "fail"
        and "стирается при каждом деплое" in checks["База данных"].message
    )


def test_the_free_plan_clock_is_quiet_far_from_the_deadline_and_warns_a_week_before_30_days():
    young = backups.free_database_check(NOW - timedelta(days=3), True, NOW)
    assert young.verdict == "ok" and "01.03.2027" not in young.message
    assert "при сроке 30 дней — 28.03.2027" in young.message and "при 90 — 27.05.2027" in young.message
    old = backups.free_database_check(NOW - timedelta(days=24), True, NOW)
    assert old.verdict == "warn"
    assert "90 дней" in old.message and "30" in old.message and "14 дней" in old.message
    assert "платный план" in old.fix and "library export" in old.fix


def test_a_database_that_is_not_renders_has_no_deadline():
    check = backups.free_database_check(NOW - timedelta(days=400), False, NOW)
    assert check.verdict == "ok" and "не база Render" in check.message


@pytest.mark.parametrize(
    ("host", "expected"),
    [("dpg-abc123-a", True), ("dpg-abc123-a.frankfurt-postgres.render.com", True), ("db.example.org", False),
     ("127.0.0.1", False), (None, False)],
)  # fmt: skip
def test_renders_database_hosts_are_recognised(host, expected):
    assert backups.render_database(host) is expected


def test_the_backup_verdict_follows_the_last_backup():
    started = NOW - timedelta(days=40)
    assert backups.backup_check(None, started, False, NOW).verdict == "ok"  # nothing to lose yet
    never = backups.backup_check(None, started, True, NOW)
    assert never.verdict == "warn" and "ещё не было" in never.message and "library export" in never.fix
    assert backups.backup_check(NOW - timedelta(days=2), started, True, NOW).verdict == "ok"
    stale = backups.backup_check(NOW - timedelta(days=8), started, True, NOW)
    assert stale.verdict == "warn" and "21.02.2027" in stale.message


# ---- secrets and access --------------------------------------------------------------------------------


def config(**values) -> dict:
    return {"SECRET_KEY": "k" * 48, "RUNNING_ON_RENDER": False, **values}


def test_the_development_key_file_is_fine_locally_and_a_failure_on_render(tmp_path):
    (tmp_path / "secret_key").write_text("dev-key-from-the-instance-folder\n")
    local = access.secret_key_check(config(SECRET_KEY="dev-key-from-the-instance-folder"), tmp_path)
    assert local.verdict == "ok" and "instance/secret_key" in local.message
    render = access.secret_key_check(
        config(SECRET_KEY="dev-key-from-the-instance-folder", RUNNING_ON_RENDER=True), tmp_path
    )
    assert render.verdict == "fail" and "generateValue" in render.fix
    assert access.secret_key_check(config(SECRET_KEY="short"), tmp_path).verdict == "warn"
    assert access.secret_key_check(config(RUNNING_ON_RENDER=True), tmp_path).verdict == "ok"


def test_the_lock_by_default_rule():
    assert access.access_check(config(ADMIN_PASSWORD="pw")).verdict == "ok"
    assert access.access_check(config(ADMIN_PASSWORD="pw", OPEN_SITE=True)).verdict == "warn"
    assert access.access_check(config(OPEN_SITE=True)).verdict == "warn"
    assert access.access_check(config()).verdict == "ok"  # open to this machine only
    nobody = access.access_check(config(RUNNING_ON_RENDER=True))
    assert nobody.verdict == "fail" and "войти в него нельзя" in nobody.message


def test_the_api_token():
    assert access.api_token_check(config()).verdict == "ok"
    assert access.api_token_check(config(API_TOKEN="t" * 30)).verdict == "warn"  # no password: no effect
    assert access.api_token_check(config(API_TOKEN="same", ADMIN_PASSWORD="same")).verdict == "warn"
    assert access.api_token_check(config(API_TOKEN="short", ADMIN_PASSWORD="pw")).verdict == "warn"
    assert access.api_token_check(config(API_TOKEN="t" * 30, ADMIN_PASSWORD="pw")).verdict == "ok"


# ---- qBittorrent ---------------------------------------------------------------------------------------


def test_qbittorrent_not_configured_is_fine_and_half_configured_warns():
    assert integrations.qbittorrent_check({}).verdict == "ok"
    half = integrations.qbittorrent_check({"QBIT_HOST": "192.0.2.1"})
    assert half.verdict == "warn" and "QBIT_USERNAME, QBIT_PASSWORD" in half.message


@pytest.fixture(scope="module")
def nox():
    require(available(), "qbittorrent-nox")
    with QbittorrentNox() as server:
        yield server


def qbit(host: str, port: int, username: str = "lottery", password: str = "x") -> dict:
    return {
        "QBIT_HOST": host,
        "QBIT_PORT": port,
        "QBIT_USERNAME": username,
        "QBIT_PASSWORD": password,
        "DOCTOR_QBIT_CONNECT_TIMEOUT": 1.0,
        "DOCTOR_QBIT_READ_TIMEOUT": 1.0,
    }


@pytest.mark.qbittorrent
def test_a_running_qbittorrent_is_reached_with_its_version_and_our_category(nox):
    check = integrations.qbittorrent_check({**qbit(nox.host, nox.port, nox.username, nox.password)})
    assert check.verdict == "ok", check
    assert "qBittorrent v4" in check.message and "«movie-lottery»" in check.message


def login_failures(server: QbittorrentNox) -> int:
    log = server.profile / "qBittorrent" / "data" / "logs" / "qbittorrent.log"
    return log.read_text(errors="replace").count("WebAPI login failure") if log.exists() else 0


@pytest.mark.qbittorrent
def test_a_wrong_password_fails_after_exactly_one_login_and_says_why_it_is_not_retried(nox):
    before = login_failures(nox)
    check = integrations.qbittorrent_check(qbit(nox.host, nox.port, nox.username, "not-the-password"))
    assert check.verdict == "fail"
    assert "вход отклонён" in check.message and "5 неудачных входов" in check.message
    assert "QBIT_PASSWORD" in check.fix
    deadline = time.monotonic() + 5
    while login_failures(nox) == before and time.monotonic() < deadline:
        time.sleep(0.05)  # qBittorrent writes its log a moment later
    time.sleep(0.3)
    assert login_failures(nox) - before == 1  # qBittorrent's own count: one attempt, not one more
    assert "not-the-password" not in check.message + (check.fix or "")


@pytest.mark.qbittorrent
def test_a_stopped_qbittorrent_is_a_refused_connection_at_once():
    require(available(), "qbittorrent-nox")
    with QbittorrentNox() as server:
        host, port = server.host, server.port
        server.stop()
        started = time.monotonic()
        check = integrations.qbittorrent_check(qbit(host, port))
    assert time.monotonic() - started < 2
    assert check.verdict == "fail" and "в соединении отказано" in check.message


def test_a_black_holed_address_is_no_answer_within_its_bound():
    with BlackHoleServer() as hole:
        started = time.monotonic()
        check = integrations.qbittorrent_check(qbit(hole.host, hole.port))
        elapsed = time.monotonic() - started
    assert check.verdict == "fail" and "соединение принято, но ответа нет за 1 с" in check.message
    # One login: two attempts of 1 s (qbittorrent-api's own retry), and no version call after it.
    assert elapsed < 4, elapsed


# ---- Kinopoisk -----------------------------------------------------------------------------------------


def test_kinopoisk_configured_spends_no_request_unless_asked(make_app, fake_kinopoisk):
    app = make_app(**kinopoisk_settings(fake_kinopoisk))
    with app.app_context():
        check = integrations.kinopoisk_check(app.config, spend_quota=False)
    assert check.verdict == "ok" and "--kinopoisk" in check.message
    assert fake_kinopoisk.request_count == 0


def test_the_kinopoisk_token_check_costs_one_request_and_counts_it(make_app, fake_kinopoisk):
    app = make_app(**kinopoisk_settings(fake_kinopoisk))
    with app.app_context():
        check = integrations.kinopoisk_check(app.config, spend_quota=True)
        assert check.verdict == "ok" and "запросов сегодня (UTC): 1" in check.message
    assert fake_kinopoisk.request_count == 1


def test_a_wrong_kinopoisk_token_fails(make_app, fake_kinopoisk):
    app = make_app(**{**kinopoisk_settings(fake_kinopoisk), "KINOPOISK_API_TOKEN": "wrong"})
    with app.app_context():
        check = integrations.kinopoisk_check(app.config, spend_quota=True)
    assert check.verdict == "fail" and "не принял токен" in check.message


def test_kinopoisk_not_configured_is_fine():
    assert integrations.kinopoisk_check({}, spend_quota=True).verdict == "ok"


# ---- the command ---------------------------------------------------------------------------------------


def test_flask_doctor_prints_one_line_per_check_and_exits_0_when_nothing_is_broken(app):
    result = app.test_cli_runner().invoke(args=["doctor"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    for name in (
        "gunicorn: render.yaml",
        "База данных",
        "Миграции",
        "SECRET_KEY",
        "qBittorrent",
        "Кинопоиск",
    ):
        assert any(name in line and line.startswith("OK") for line in lines), name
    assert "Сбоев нет" in result.output


def test_flask_doctor_exits_1_when_something_is_broken_and_speaks_json(make_app):
    app = make_app(RUNNING_ON_RENDER=True)  # on Render without ADMIN_PASSWORD: nobody can get in
    result = app.test_cli_runner().invoke(args=["doctor", "--json"])
    assert result.exit_code == 1
    report = json.loads(result.output)
    assert report["ok"] is False
    access = next(check for check in report["checks"] if check["name"] == "Доступ")
    assert access["verdict"] == "fail" and access["fix"]
    assert {check["verdict"] for check in report["checks"]} <= {"ok", "warn", "fail"}


def test_the_command_runs_under_the_flask_cli(tmp_path):
    import subprocess

    url = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    migrate(url)
    env = {key: value for key, value in os.environ.items() if not key.startswith(("QBIT_", "KINOPOISK_"))}
    env.update(DATABASE_URL=url, SECRET_KEY="s" * 48, ADMIN_PASSWORD="pw")
    result = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "movie_lottery", "doctor"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "закрыт паролем" in result.stdout
