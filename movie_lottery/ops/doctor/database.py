"""The database: reachable, engine, migrations at head (Alembic, through Flask-Migrate), the content-version
triggers; then the free plan's clock and the last backup (backups.py). A few queries."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Flask

from movie_lottery.ops.doctor.backups import milestone_checks
from movie_lottery.ops.doctor.verdicts import Check, fail, ok


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
    from movie_lottery.ops.migrations import enable_migrations

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
