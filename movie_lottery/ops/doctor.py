"""What is wrong with a deploy, said plainly: checks as plain functions that return verdicts.

Each check returns a ``Check``: a verdict (``ok``, ``warn``, ``fail``), what it saw, and when something is
wrong, what to do. ``flask doctor`` (cli.py) runs them all and prints a table; /status (web/status_pages.py)
shows those that need neither a network call nor a subprocess, next to what the worker knows from memory.

The checks, and what each may cost:
- gunicorn: the settings each start command in this repository (render.yaml, Procfile) would run with, read
  by gunicorn's own loader in a child process (gunicorn_probe.py); nothing is started. ~0.3 s.
- the database: reachable, engine, migrations at head (Alembic, through Flask-Migrate), the content-version
  triggers, the free plan's clock and the last backup. A few queries.
- secrets and access: from the settings alone.
- qBittorrent: at most ONE bounded login and version call, never repeated here: qBittorrent bans an address
  for an hour after 5 failed logins, so a rejected password is reported, not retried.
- Kinopoisk: configured or not; a token check costs one request of the daily quota, so only when asked.
"""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Literal

import sqlalchemy as sa
from flask import Flask

from movie_lottery.core.config import kinopoisk_configured, qbit_configured

Verdict = Literal["ok", "warn", "fail"]
ROOT = Path(__file__).resolve().parents[2]

PROBE_TIMEOUT_SECONDS = 60
MIN_TIMEOUT_SECONDS = 60  # below this a busy or slow-starting worker is killed (gunicorn's default is 30)
QBIT_CONNECT_SECONDS = 3.0
QBIT_READ_SECONDS = 5.0
MIN_SECRET_KEY_CHARS = 32
MIN_API_TOKEN_CHARS = 20

# Render's free PostgreSQL, as documented and reported (external-facts.md): it expires a fixed time after it
# was created — 90 days in Render's docs as read here, 30 in a 2026 report — is then suspended, and deleted
# after a 14-day grace period unless upgraded. Which of the two holds today is not knowable from here.
FREE_DAYS_REPORTED = 30
FREE_DAYS_DOCUMENTED = 90
GRACE_DAYS = 14
WARN_DAYS_BEFORE = 7
FREE_PLAN = (
    f"Render удаляет бесплатную базу через некоторое время после создания: в его документации было"
    f" {FREE_DAYS_DOCUMENTED} дней, по отчётам 2026 года — {FREE_DAYS_REPORTED}; после срока база"
    f" приостановлена, и {GRACE_DAYS} дней можно перейти на платный план, потом её удаляют вместе с данными."
)
BACKUP_FIX = (
    "Скачайте копию в библиотеке («Скачать копию») или на сервере: flask --app movie_lottery library export"
    " -o backup.json"
)


@dataclass(frozen=True)
class Check:
    name: str
    verdict: Verdict
    message: str
    fix: str | None = None

    def as_dict(self) -> dict[str, str | None]:
        return asdict(self)


def ok(name: str, message: str) -> Check:
    return Check(name, "ok", message)


def warn(name: str, message: str, fix: str | None = None) -> Check:
    return Check(name, "warn", message, fix)


def fail(name: str, message: str, fix: str | None = None) -> Check:
    return Check(name, "fail", message, fix)


def broken(checks: Iterable[Check]) -> bool:
    return any(check.verdict == "fail" for check in checks)


def run_all(app: Flask, *, kinopoisk: bool = False, root: Path = ROOT) -> list[Check]:
    """Every check, in the table's order. ``kinopoisk``: spend one request of the quota on the token."""
    from movie_lottery.core.config import gunicorn_settings

    config = app.config
    on_render = bool(config.get("RUNNING_ON_RENDER"))
    checks = gunicorn_checks(root, expected_bind=gunicorn_settings()["bind"], on_render=on_render)
    with app.app_context():
        checks += database_checks(app, with_migrations=True)
        checks += secret_checks(config, Path(app.instance_path))
        checks.append(qbittorrent_check(config))
        checks.append(kinopoisk_check(config, spend_quota=kinopoisk))
    return checks


# ---- gunicorn ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StartCommand:
    source: str  # "render.yaml", "Procfile"
    command: str
    gunicorn_args: list[str] | None  # None: the command starts no gunicorn


def start_commands(root: Path) -> list[StartCommand]:
    """The web start commands written in this repository: render.yaml's startCommand, Procfile's web."""
    found: list[StartCommand] = []
    blueprint = root / "render.yaml"
    if blueprint.exists():
        import yaml

        document = yaml.safe_load(blueprint.read_text(encoding="utf-8")) or {}
        for service in document.get("services") or []:
            if service.get("type") == "web" and service.get("startCommand"):
                command = str(service["startCommand"])
                found.append(StartCommand("render.yaml", command, gunicorn_args(command)))
    procfile = root / "Procfile"
    if procfile.exists():
        for line in procfile.read_text(encoding="utf-8").splitlines():
            name, _, command = line.partition(":")
            if name.strip() == "web" and command.strip():
                found.append(StartCommand("Procfile", command.strip(), gunicorn_args(command)))
    return found


def gunicorn_args(command: str) -> list[str] | None:
    """The arguments of the gunicorn in a shell command line (``a && gunicorn -c f app``), or None."""
    lexer = shlex.shlex(command, posix=True, punctuation_chars=";&|")
    lexer.whitespace_split = True
    words = list(lexer)
    segments: list[list[str]] = [[]]
    for word in words:
        if word and set(word) <= set(";&|"):
            segments.append([])
        else:
            segments[-1].append(word)
    for segment in segments:
        while segment and "=" in segment[0] and not segment[0].startswith("-"):
            segment = segment[1:]  # VAR=value before the command
        if segment and Path(segment[0]).name == "gunicorn":
            return segment[1:]
        if (
            len(segment) >= 3
            and Path(segment[0]).name.startswith("python")
            and segment[1:3] == ["-m", "gunicorn"]
        ):
            return segment[3:]
    return None


def load_gunicorn_settings(
    args: list[str], root: Path, env: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """What ``gunicorn ARGS`` would run with, read by gunicorn itself in a child process (see
    gunicorn_probe.py) started in ``root`` with this process's environment (``env`` replaces it in tests).
    Raises RuntimeError with gunicorn's own words when it refuses the settings."""
    result = subprocess.run(
        [sys.executable, "-m", "movie_lottery.runtime.gunicorn_probe", *args],
        cwd=root,
        env=None if env is None else dict(env),
        capture_output=True,
        text=True,
        timeout=PROBE_TIMEOUT_SECONDS,
        check=False,
    )
    if result.returncode != 0:
        lines = [line.strip() for line in (result.stderr or result.stdout).splitlines() if line.strip()]
        raise RuntimeError(lines[-1] if lines else f"exit status {result.returncode}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def gunicorn_checks(
    root: Path, *, expected_bind: str, on_render: bool, env: Mapping[str, str] | None = None
) -> list[Check]:
    checks = []
    for start in start_commands(root):
        name = f"gunicorn: {start.source}"
        if start.gunicorn_args is None:
            checks.append(fail(name, f"команда запуска не запускает gunicorn: {start.command}"))
            continue
        try:
            settings = load_gunicorn_settings(start.gunicorn_args, root, env)
        except (RuntimeError, OSError, subprocess.SubprocessError, ValueError) as exc:
            checks.append(
                fail(name, f"gunicorn не принял настройки: {exc}", "Исправьте команду или gunicorn_config.py")
            )
            continue
        checks.append(
            gunicorn_verdict(
                name, settings, expected_bind=expected_bind, on_render=on_render, args=start.gunicorn_args
            )
        )
    if not checks:
        checks.append(warn("gunicorn", "ни render.yaml, ни Procfile не нашлись: проверять нечего"))
    return checks


# Workers whose every request holds a thread while the client sends it: a slow client takes one whole.
THREAD_PER_REQUEST_WORKERS = frozenset({"sync", "gthread"})


def describe_gunicorn(settings: Mapping[str, Any]) -> str:
    workers, worker_class = settings["workers"], settings["worker_class"]
    bind = ", ".join(settings.get("bind") or [])
    if worker_class in THREAD_PER_REQUEST_WORKERS:
        each = f"потоков {settings['threads']}"
    else:  # gevent: connections, not threads, are what a worker holds at once
        each = f"до {settings.get('worker_connections', '?')} соединений"
    return f"timeout {settings['timeout']} с, воркеров {workers} × {each} ({worker_class}), bind {bind}"


def gunicorn_verdict(
    name: str,
    settings: Mapping[str, Any],
    *,
    expected_bind: str | None,
    on_render: bool,
    args: list[str] | None = None,
) -> Check:
    """Judge settings gunicorn would run (or runs) with. ``args``: the start command's, to see whether it
    names the settings file itself; None for the settings of the running server."""
    seen = describe_gunicorn(settings)
    config_file = settings.get("config_file")
    if settings["timeout"] < MIN_TIMEOUT_SECONDS:
        why = "файл настроек не прочитан" if not config_file else f"так задано в {config_file}"
        return fail(
            name,
            f"{seen}: воркер, занятый дольше {settings['timeout']} с, будет убит (WORKER TIMEOUT) — {why}",
            'Запускайте gunicorn -c gunicorn_config.py "movie_lottery:create_app()" из корня репозитория',
        )
    if on_render and expected_bind and expected_bind not in (settings.get("bind") or []):
        return fail(
            name,
            f"{seen}: Render ждёт сайт на {expected_bind}",
            "Уберите --bind из команды запуска: gunicorn_config.py слушает 0.0.0.0:$PORT",
        )
    if settings["worker_class"] in THREAD_PER_REQUEST_WORKERS:
        held = "воркер целиком" if settings["worker_class"] == "sync" else "поток"
        return warn(
            name,
            f"{seen}: по одному запросу на поток — медленный клиент (недописанный запрос, загрузка по "
            f"байту в секунду) занимает {held}, и несколько таких останавливают сайт",
            "gunicorn_config.py задаёт gevent: запускайте с -c gunicorn_config.py",
        )
    if args is not None and not _names_config(args):
        return warn(
            name,
            f"{seen}, но только потому, что gunicorn сам читает ./gunicorn.conf.py из папки запуска",
            "Назовите файл в команде: gunicorn -c gunicorn_config.py …",
        )
    return ok(name, seen)


def _names_config(args: list[str]) -> bool:
    return any(arg in ("-c", "--config") or arg.startswith("--config=") for arg in args)


# ---- the database -----------------------------------------------------------------------------------


def database_checks(app: Flask, *, with_migrations: bool) -> list[Check]:
    """Inside an app context. ``with_migrations`` imports Alembic: the CLI only, never a web worker."""
    from movie_lottery.core.extensions import db

    engine = db.engine
    url = engine.url
    where = url.render_as_string(hide_password=True)
    try:
        with engine.connect() as connection:
            server = _server_version(connection)
    except sa.exc.SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0][:300]
        return [
            fail(
                "База данных",
                f"{where} недоступна: {reason} (миграции, триггеры и даты не проверены)",
                "Проверьте DATABASE_URL. На Render бесплатная база могла истечь: Dashboard → база → статус",
            )
        ]
    checks = [_engine_check(app, engine.dialect.name, where, server)]
    if with_migrations:
        checks.append(migrations_check(app))
    checks.append(triggers_check())
    checks += milestone_checks(url.host, app.config.get("RUNNING_ON_RENDER", False))
    return checks


def _server_version(connection) -> str:
    if connection.dialect.name == "postgresql":
        return "PostgreSQL " + str(connection.scalar(sa.text("SHOW server_version")))
    if connection.dialect.name == "sqlite":
        return "SQLite " + str(connection.scalar(sa.text("SELECT sqlite_version()")))
    connection.scalar(sa.text("SELECT 1"))
    return connection.dialect.name


def _engine_check(app: Flask, dialect: str, where: str, server: str) -> Check:
    if dialect == "sqlite" and app.config.get("RUNNING_ON_RENDER"):
        return fail(
            "База данных",
            f"{server} в файле ({where}): диск Render стирается при каждом деплое — данные пропадут",
            "Задайте DATABASE_URL (render.yaml берёт его из базы movie-lottery-db)",
        )
    return ok("База данных", f"на связи: {server}, {where}")


def migrations_check(app: Flask) -> Check:
    """Alembic's own view, through Flask-Migrate's configuration: the heads in migrations/ against the
    revision the database carries."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError

    from movie_lottery.core.extensions import db
    from movie_lottery.ops.cli import enable_migrations

    enable_migrations(app)
    script = ScriptDirectory.from_config(app.extensions["migrate"].migrate.get_config())
    heads = tuple(script.get_heads())
    with db.engine.connect() as connection:
        current = tuple(MigrationContext.configure(connection).get_current_heads())
    name = "Миграции"
    if set(current) == set(heads):
        return ok(name, f"схема на последней ревизии ({', '.join(heads)})")
    try:
        missing = [rev.revision for rev in script.iterate_revisions(heads, current or "base")]
    except CommandError:
        return fail(
            name,
            f"в базе ревизия {', '.join(current)}, которой нет в migrations/: код старше базы",
            "Разверните код, который создал эту базу (или ту же ветку)",
        )
    missing.reverse()
    at = ", ".join(current) if current else "пустая база"
    return fail(
        name,
        f"не применены: {', '.join(missing)} (в базе: {at}; последняя: {', '.join(heads)})",
        "flask --app movie_lottery db upgrade (render.yaml делает это при каждом запуске)",
    )


def triggers_check() -> Check:
    """Every watched table has the triggers that move the content version (else cached pages go stale)."""
    from movie_lottery.core.content_version import WATCHED_TABLES
    from movie_lottery.core.extensions import db

    events = ("insert", "update", "delete")
    with db.engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            events += ("truncate",)
            rows = connection.execute(sa.text("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal"))
        else:
            rows = connection.execute(sa.text("SELECT name FROM sqlite_master WHERE type = 'trigger'"))
        present = {row[0] for row in rows}
    wanted = [f"{table}_{event}_bumps_content_version" for table in WATCHED_TABLES for event in events]
    missing = [name for name in wanted if name not in present]
    if missing:
        return fail(
            "Триггеры версии",
            f"нет {len(missing)} из {len(wanted)}: {', '.join(missing[:4])}{'…' if len(missing) > 4 else ''}"
            " — страницы из кэша не узнают о новых данных",
            "flask --app movie_lottery db upgrade; если не помогло — база создана не миграциями",
        )
    return ok("Триггеры версии", f"на месте: {len(wanted)} на {len(WATCHED_TABLES)} таблиц")


def milestone_checks(database_host: str | None, on_render: bool, now: datetime | None = None) -> list[Check]:
    from movie_lottery.backup.milestones import anything_to_lose, read_milestones
    from movie_lottery.core.models import utcnow

    try:
        known = read_milestones()
        holds_data = anything_to_lose()
    except sa.exc.SQLAlchemyError:  # before migration 0009: the migrations check already says so
        from movie_lottery.core.extensions import db

        db.session.rollback()
        return []
    now = now or utcnow()
    return [
        free_database_check(known.database_started, render_database(database_host), now),
        backup_check(known.backup_taken, known.database_started, holds_data, now),
    ]


def render_database(host: str | None) -> bool:
    """Is this one of Render's PostgreSQL instances? Their hosts are dpg-… (internal) or …render.com."""
    host = (host or "").lower()
    return host.startswith("dpg-") or host.endswith(".render.com")


def free_database_check(started: datetime | None, on_render_database: bool, now: datetime) -> Check:
    name = "Срок бесплатной базы"
    if started is None:
        return warn(name, "дата создания базы не записана (миграция 0009 не применялась?)")
    age = (now - started).days
    since = f"база заведена не позже {started:%d.%m.%Y} ({age} дн. назад)"
    if not on_render_database:
        return ok(name, f"{since}; это не база Render, его сроки её не касаются")
    plan = "если база на бесплатном плане Render (render.yaml заводит её так)"
    reported_end = started + timedelta(days=FREE_DAYS_REPORTED)
    documented_end = started + timedelta(days=FREE_DAYS_DOCUMENTED)
    deadlines = (
        f"при сроке {FREE_DAYS_REPORTED} дней — {reported_end:%d.%m.%Y},"
        f" при {FREE_DAYS_DOCUMENTED} — {documented_end:%d.%m.%Y}"
    )
    fix = (
        "Перейдите на платный план базы в Dashboard Render или перенесите данные в другую PostgreSQL"
        " (README: «Переезд на платный план или другую PostgreSQL»). " + BACKUP_FIX
    )
    if age >= FREE_DAYS_REPORTED - WARN_DAYS_BEFORE:
        return warn(name, f"{since}; {plan}: {deadlines}. {FREE_PLAN}", fix)
    return ok(name, f"{since}; {plan}: {deadlines}")


def backup_check(taken: datetime | None, started: datetime | None, holds_data: bool, now: datetime) -> Check:
    from movie_lottery.backup.milestones import BACKUP_NUDGE_AFTER, Milestones, backup_overdue

    name = "Резервная копия"
    if taken is None and not holds_data:
        return ok(name, "копий ещё не было, но и терять пока нечего: в базе нет ни лотерей, ни фильмов")
    if taken is None:
        return warn(name, "резервной копии ещё не было", BACKUP_FIX)
    when = f"последняя — {taken:%d.%m.%Y %H:%M} UTC"
    if holds_data and backup_overdue(Milestones(started, taken), now.date()):
        return warn(name, f"{when}: старше {BACKUP_NUDGE_AFTER.days} дней", BACKUP_FIX)
    return ok(name, when)


# ---- secrets and access ---------------------------------------------------------------------------------


def secret_checks(config: Mapping[str, Any], instance_path: Path) -> list[Check]:
    return [secret_key_check(config, instance_path), access_check(config), api_token_check(config)]


def secret_key_check(config: Mapping[str, Any], instance_path: Path) -> Check:
    name = "SECRET_KEY"
    key = str(config.get("SECRET_KEY") or "")
    on_render = bool(config.get("RUNNING_ON_RENDER"))
    key_file = instance_path / "secret_key"
    from_file = key_file.exists() and key_file.read_text().strip() == key
    if not key:
        return fail(name, "не задан: сессии подделать проще простого", "Задайте SECRET_KEY")
    if from_file and on_render:
        return fail(
            name,
            "ключ из файла instance/secret_key, сделанного для запуска на своём компьютере",
            "Задайте SECRET_KEY в окружении Render (render.yaml генерирует его: generateValue)",
        )
    if from_file:
        return ok(name, "из instance/secret_key: годится для запуска на своём компьютере")
    if len(key) < MIN_SECRET_KEY_CHARS:
        return warn(
            name,
            f"короче {MIN_SECRET_KEY_CHARS} символов",
            'Сгенерируйте: python -c "import secrets; print(secrets.token_urlsafe(48))"',
        )
    return ok(name, "задан в окружении")


def access_check(config: Mapping[str, Any]) -> Check:
    name = "Доступ"
    password, open_site = config.get("ADMIN_PASSWORD"), bool(config.get("OPEN_SITE"))
    if password and open_site:
        return warn(
            name, "закрыт паролем; OPEN_SITE=true при этом ничего не делает", "Уберите OPEN_SITE из окружения"
        )
    if password:
        return ok(name, "закрыт паролем администратора (ADMIN_PASSWORD)")
    if open_site:
        return warn(
            name,
            "открыт всем (OPEN_SITE=true, ADMIN_PASSWORD не задан): любой может удалять лотереи и библиотеку",
            "Задайте ADMIN_PASSWORD, если это не нарочно",
        )
    if config.get("RUNNING_ON_RENDER"):
        return fail(
            name,
            "ADMIN_PASSWORD не задан: сайт закрыт для всех, и войти в него нельзя",
            "Задайте ADMIN_PASSWORD в окружении Render (render.yaml генерирует его)",
        )
    return ok(name, "без пароля: открыт только браузеру на этом компьютере, для остальных закрыт")


def api_token_check(config: Mapping[str, Any]) -> Check:
    name = "API_TOKEN"
    token, password = config.get("API_TOKEN"), config.get("ADMIN_PASSWORD")
    if not token and password:
        return ok(name, "не задан: с паролем на сайте API доступно только из браузера администратора")
    if not token:
        return ok(name, "не задан (без ADMIN_PASSWORD он и не действует)")
    if not password:
        return warn(
            name, "задан, но без ADMIN_PASSWORD не действует", "Задайте ADMIN_PASSWORD или уберите API_TOKEN"
        )
    if token == password:
        return warn(name, "совпадает с ADMIN_PASSWORD", "Сделайте его отдельным: токен уходит в скрипты")
    if len(token) < MIN_API_TOKEN_CHARS:
        return warn(name, f"короче {MIN_API_TOKEN_CHARS} символов", "Сгенерируйте длинный случайный токен")
    return ok(name, "задан: скрипты входят с Authorization: Bearer")


# ---- qBittorrent ------------------------------------------------------------------------------------


QBIT_NAME = "qBittorrent"
BAN_NOTE = "после 5 неудачных входов qBittorrent блокирует адрес на час"


def qbittorrent_check(config: Mapping[str, Any]) -> Check:
    """Not configured, or one bounded login and version call, never repeated."""
    given = [key for key in ("QBIT_HOST", "QBIT_USERNAME", "QBIT_PASSWORD") if config.get(key)]
    if not qbit_configured(config):
        if given:
            absent = [key for key in ("QBIT_HOST", "QBIT_USERNAME", "QBIT_PASSWORD") if key not in given]
            return warn(
                QBIT_NAME,
                f"задано {', '.join(given)}, но не {', '.join(absent)}: скачивание выключено",
                f"Задайте {', '.join(absent)}",
            )
        return ok(QBIT_NAME, "не настроен: скачивание выключено (QBIT_HOST, QBIT_USERNAME, QBIT_PASSWORD)")
    from movie_lottery.integrations.qbittorrent import TorrentClient, TorrentClientError

    try:
        client = TorrentClient(
            config["QBIT_HOST"],
            config.get("QBIT_PORT"),
            config["QBIT_USERNAME"],
            config["QBIT_PASSWORD"],
            category=config.get("QBIT_CATEGORY") or "movie-lottery",
            connect_timeout=float(config.get("DOCTOR_QBIT_CONNECT_TIMEOUT", QBIT_CONNECT_SECONDS)),
            read_timeout=float(config.get("DOCTOR_QBIT_READ_TIMEOUT", QBIT_READ_SECONDS)),
            verify_certificate=config.get("QBIT_VERIFY_TLS") is not False,
        )
    except (TorrentClientError, ValueError) as exc:
        reason = getattr(exc, "reason", None) or str(exc)
        return fail(
            QBIT_NAME, f"{reason}: {config['QBIT_HOST']}", "Проверьте QBIT_HOST, QBIT_PORT и QBIT_CATEGORY"
        )
    try:
        version = client.version()  # logs in first: one login, one call
    except TorrentClientError as exc:
        return _qbit_failure(client, exc, config)
    finally:
        client.close()
    return ok(
        QBIT_NAME,
        f"на связи: {client.base_url}, qBittorrent {version}; торренты идут в категорию «{client.category}»"
        " (qBittorrent создаст её сам)",
    )


def _qbit_failure(client, exc, config: Mapping[str, Any]) -> Check:
    from movie_lottery.integrations import qbittorrent as qbt

    where = client.base_url
    connect = float(config.get("DOCTOR_QBIT_CONNECT_TIMEOUT", QBIT_CONNECT_SECONDS))
    read = float(config.get("DOCTOR_QBIT_READ_TIMEOUT", QBIT_READ_SECONDS))
    if isinstance(exc, qbt.TorrentLoginRejected):
        return fail(
            QBIT_NAME,
            f"{where}: вход отклонён ({exc.reason}). Проверка не повторялась: {BAN_NOTE}",
            "Исправьте QBIT_USERNAME и QBIT_PASSWORD и перезапустите сайт; до этого не запускайте проверку"
            " снова (после блокировки подождите час или снимите её в настройках WebUI)",
        )
    if isinstance(exc, qbt.TorrentCertificateUntrusted):
        return fail(
            QBIT_NAME,
            f"{where}: {exc.reason}",
            "Поставьте доверенный сертификат или, для домашнего сервера, задайте QBIT_VERIFY_TLS=false",
        )
    why = qbt.unreachable_because(exc)
    address = where.split("://", 1)[-1]
    if why == qbt.REFUSED:
        return fail(
            QBIT_NAME,
            f"{address}: в соединении отказано — компьютер отвечает, но на этом порту никто не слушает",
            "Запустите qBittorrent, включите веб-интерфейс и проверьте QBIT_PORT",
        )
    if why == qbt.NO_CONNECTION:
        return fail(
            QBIT_NAME,
            f"{address}: нет ответа за {connect:g} с — компьютер выключен, адрес не тот, или порт закрыт"
            " фаерволом / не проброшен на роутере",
            "Проверьте QBIT_HOST и проброс порта веб-интерфейса к компьютеру с qBittorrent",
        )
    if why == qbt.NO_ANSWER:
        return fail(
            QBIT_NAME,
            f"{address}: соединение принято, но ответа нет за {read:g} с — на порту не qBittorrent, он"
            " завис, или запросы поглощает что-то по пути",
            "Откройте адрес в браузере: должна появиться страница входа qBittorrent",
        )
    if why == qbt.UNKNOWN_NAME:
        return fail(QBIT_NAME, f"{address}: такого имени нет (DNS)", "Проверьте QBIT_HOST")
    return fail(QBIT_NAME, f"{where}: {exc.reason}", "Проверьте адрес и что там веб-интерфейс qBittorrent")


# ---- Kinopoisk --------------------------------------------------------------------------------------


KINOPOISK_NAME = "Кинопоиск"


def kinopoisk_check(config: Mapping[str, Any], *, spend_quota: bool) -> Check:
    """Configured or not; with ``spend_quota``, one search (one request of the day's quota)."""
    if not kinopoisk_configured(config):
        return ok(
            KINOPOISK_NAME, "не настроен: фильмы добавляют вручную (KINOPOISK_API_TOKEN включает поиск)"
        )
    today = _calls_today()
    if not spend_quota:
        return ok(
            KINOPOISK_NAME,
            f"токен задан{today}; проверка токена тратит запрос из дневного лимита: flask doctor --kinopoisk",
        )
    from movie_lottery.integrations import kinopoisk as kp
    from movie_lottery.search.service import counted_call

    client = kp.KinopoiskClient(
        config.get("KINOPOISK_API_TOKEN"),
        base_url=config.get("KINOPOISK_API_URL") or kp.DEFAULT_BASE_URL,
        connect_timeout=float(config.get("KINOPOISK_CONNECT_TIMEOUT", 3.0)),
        read_timeout=float(config.get("KINOPOISK_READ_TIMEOUT", 5.0)),
    )
    try:
        counted_call(lambda: client.search("Матрица", limit=1))
    except kp.KinopoiskBadToken:
        return fail(KINOPOISK_NAME, "Кинопоиск не принял токен", "Проверьте KINOPOISK_API_TOKEN")
    except kp.KinopoiskQuotaExceeded:
        return warn(KINOPOISK_NAME, "токен верный, но дневной лимит запросов исчерпан", "Подождите до завтра")
    except kp.KinopoiskThrottled:
        return warn(
            KINOPOISK_NAME, "токен верный, но Кинопоиск просит подождать (429)", "Повторите через минуту"
        )
    except kp.KinopoiskError as exc:
        return fail(
            KINOPOISK_NAME,
            f"{client.base_url} не ответил как Кинопоиск: {exc.detail or exc.code}",
            "Проверьте KINOPOISK_API_URL (или подождите, если Кинопоиск лежит)",
        )
    return ok(KINOPOISK_NAME, f"токен принят ({client.base_url}){_calls_today()}")


def _calls_today() -> str:
    from movie_lottery.core.extensions import db
    from movie_lottery.core.models import utcnow
    from movie_lottery.search.service import kinopoisk_calls_on

    try:
        calls = kinopoisk_calls_on(utcnow().date())
    except sa.exc.SQLAlchemyError:
        db.session.rollback()
        return ""
    return f"; запросов сегодня (UTC): {calls}"


# ---- the table ------------------------------------------------------------------------------------------


MARKS = {"ok": "OK", "warn": "ВНИМАНИЕ", "fail": "СБОЙ"}


def table(checks: list[Check]) -> str:
    """One line per check; what to do on the next line, when something is wrong."""
    width = max((len(check.name) for check in checks), default=0)
    lines = []
    for check in checks:
        lines.append(f"{MARKS[check.verdict]:<9} {check.name:<{width}}  {check.message}")
        if check.fix:
            lines.append(f"{'':<9} {'':<{width}}  → {check.fix}")
    failed = sum(check.verdict == "fail" for check in checks)
    warned = sum(check.verdict == "warn" for check in checks)
    if failed:
        lines.append(f"\nСбоев: {failed}, предупреждений: {warned}. Код выхода 1.")
    else:
        lines.append(f"\nСбоев нет, предупреждений: {warned}.")
    return "\n".join(lines)


def as_json(checks: list[Check]) -> str:
    return json.dumps(
        {"ok": not broken(checks), "checks": [check.as_dict() for check in checks]},
        ensure_ascii=False,
        indent=2,
    )


# ---- the live picture (/status): memory and the database only ------------------------------------------


def live_checks(app: Flask, kinopoisk_gate: Any | None = None) -> list[Check]:
    """The checks /status shows: no network call, no subprocess, no Alembic. Inside an app context."""
    from movie_lottery.core.config import gunicorn_settings
    from movie_lottery.downloads.status import service_for

    config = app.config
    checks = database_checks(app, with_migrations=False)
    checks += secret_checks(config, Path(app.instance_path))
    running = config.get("GUNICORN_SETTINGS")
    if running:
        bind = gunicorn_settings()["bind"]
        checks.append(
            gunicorn_verdict(
                "gunicorn", running, expected_bind=bind, on_render=bool(config.get("RUNNING_ON_RENDER"))
            )
        )
    else:
        checks.append(ok("gunicorn", "сайт запущен не через gunicorn (flask run или тесты)"))
    checks.append(qbittorrent_live_check(service_for(app) if qbit_configured(config) else None))
    checks.append(kinopoisk_live_check(config, kinopoisk_gate))
    return checks


def qbittorrent_live_check(service: Any | None) -> Check:
    """From this process's snapshot and breaker: what the refresher last learned, and when it tries again."""
    if service is None:
        return ok(QBIT_NAME, "не настроен: скачивание выключено")
    snapshot, breaker = service.peek(), service.breaker_state()
    if service.login_rejected:
        return fail(
            QBIT_NAME,
            f"вход отклонён ({breaker.reason}); автоматических попыток больше не будет: {BAN_NOTE}",
            "Исправьте QBIT_USERNAME и QBIT_PASSWORD и перезапустите сайт",
        )
    if snapshot.available:
        return ok(QBIT_NAME, f"на связи (проверено {snapshot.checked_at:%H:%M:%S} UTC)")
    if snapshot.checked_at is None:
        return ok(
            QBIT_NAME,
            "этот процесс ещё не обращался к qBittorrent: он делает это, пока кто-то смотрит библиотеку"
            " или что-то ждёт отправки",
        )
    retry = f"; следующая попытка в {breaker.retry_at:%H:%M:%S} UTC" if breaker.retry_at else ""
    return warn(
        QBIT_NAME,
        f"недоступен: {snapshot.reason}{retry}. Скачивания ждут в очереди и уйдут, когда он ответит",
        "flask --app movie_lottery doctor скажет, почему (одна попытка входа)",
    )


def kinopoisk_live_check(config: Mapping[str, Any], gate: Any | None) -> Check:
    if not kinopoisk_configured(config):
        return ok(KINOPOISK_NAME, "не настроен: фильмы добавляют вручную")
    paused = gate.paused_until() if gate is not None else None
    if paused is not None:
        return warn(
            KINOPOISK_NAME,
            f"дневной лимит исчерпан: этот процесс не спрашивает Кинопоиск до {paused:%H:%M} UTC"
            + _calls_today(),
            "Фильмы можно добавлять вручную; поиск вернётся сам",
        )
    return ok(KINOPOISK_NAME, f"токен задан{_calls_today()}")


def _masked_url(url: str | None) -> str:
    """A URL without the password in it (user names stay: they are not secrets)."""
    if not url:
        return "—"
    try:
        return sa.engine.make_url(url).render_as_string(hide_password=True)
    except sa.exc.ArgumentError:
        from urllib.parse import urlsplit, urlunsplit

        parts = urlsplit(url)
        if parts.password:
            host = parts.hostname or ""
            netloc = f"{parts.username}:***@{host}" + (f":{parts.port}" if parts.port else "")
            return urlunsplit(parts._replace(netloc=netloc))
        return url


def settings_in_force(
    config: Mapping[str, Any], instance_path: Path, *, hide_addresses: bool
) -> list[tuple[str, str]]:
    """(setting, what it is set to) for /status. Secrets appear as «задан» / «не задан», never their value;
    ``hide_addresses`` also hides where qBittorrent lives (a site open to everyone shows this to everyone)."""

    def given(key: str) -> str:
        return "задан" if config.get(key) else "не задан"

    key_file = instance_path / "secret_key"
    from_file = key_file.exists() and key_file.read_text().strip() == str(config.get("SECRET_KEY") or "")
    qbit_address = "—"
    if config.get("QBIT_HOST"):
        port = config.get("QBIT_PORT")
        qbit_address = (
            "скрыт: сайт открыт всем"
            if hide_addresses
            else f"{config['QBIT_HOST']}{f':{port}' if port else ''}"
        )
    rows = [
        ("DATABASE_URL", _masked_url(config.get("SQLALCHEMY_DATABASE_URI"))),
        ("SECRET_KEY", "из instance/secret_key" if from_file else given("SECRET_KEY")),
        ("ADMIN_PASSWORD", given("ADMIN_PASSWORD")),
        ("OPEN_SITE", "да" if config.get("OPEN_SITE") else "нет"),
        ("API_TOKEN", given("API_TOKEN")),
        ("PROXY_HOPS", str(config.get("PROXY_HOPS") or 0)),
        ("KINOPOISK_API_TOKEN", given("KINOPOISK_API_TOKEN")),
        ("KINOPOISK_API_URL", _masked_url(config.get("KINOPOISK_API_URL"))),
        ("QBIT_HOST, QBIT_PORT", qbit_address),
        ("QBIT_USERNAME", given("QBIT_USERNAME")),
        ("QBIT_PASSWORD", given("QBIT_PASSWORD")),
        ("QBIT_CATEGORY", str(config.get("QBIT_CATEGORY") or "movie-lottery")),
        ("QBIT_VERIFY_TLS", "нет" if config.get("QBIT_VERIFY_TLS") is False else "да"),
        ("TORRENT_SEARCH_URL", _masked_url(config.get("TORRENT_SEARCH_URL"))),
        ("Render", "да" if config.get("RUNNING_ON_RENDER") else "нет"),
    ]
    running = config.get("GUNICORN_SETTINGS")
    rows.append(("gunicorn", describe_gunicorn(running) if running else "не gunicorn (flask run или тесты)"))
    return rows
