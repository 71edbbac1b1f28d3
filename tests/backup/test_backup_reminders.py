"""Nothing lost when the free database goes: the site knows when its database was set up and when a backup
was last taken, nudges the admin on the library page, and moves to another PostgreSQL with the CLI alone."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from movie_lottery.backup import milestones
from movie_lottery.core.extensions import db
from movie_lottery.core.models import SiteMilestone
from tests.backup.test_backup_export_import import export_text
from tests.conftest import build_app
from tests.support.backup_collection import stock_collection
from tests.web.test_admin_access import login


def add_movie(app, name: str) -> None:
    from movie_lottery.library import movies as library

    with app.app_context():
        library.add_movie({"name": name})


def set_milestone(app, name: str, at: datetime | None) -> None:
    with app.app_context():
        db.session.execute(sa.delete(SiteMilestone).where(SiteMilestone.name == name))
        if at is not None:
            db.session.add(SiteMilestone(name=name, at=at))
        db.session.commit()


def read(app) -> milestones.Milestones:
    with app.app_context():
        return milestones.read_milestones()


def days_ago(days: float) -> datetime:
    return datetime.now(UTC) - timedelta(days=days)


def alembic(url: str, action: str, revision: str = "head") -> None:
    import flask_migrate

    from movie_lottery.ops.migrations import enable_migrations

    app = build_app(url)
    enable_migrations(app)
    with app.app_context():
        getattr(flask_migrate, action)(revision=revision)
        db.engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def fresh_url(request, tmp_path) -> str:
    """An empty database nobody migrated yet."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
    from tests.support.postgres import create_database

    return create_database(request.getfixturevalue("postgres_admin_url"), "ml_milestones")


# ---- the dates ------------------------------------------------------------------------------------------


def test_the_first_migration_stamps_when_the_database_was_set_up(fresh_url):
    before = datetime.now(UTC)
    alembic(fresh_url, "upgrade")
    app = build_app(fresh_url)
    known = read(app)
    assert before - timedelta(seconds=5) <= known.database_started <= datetime.now(UTC)
    assert known.backup_taken is None
    with app.app_context():
        db.engine.dispose()


def test_a_database_that_already_held_rows_is_dated_by_its_oldest_row(fresh_url):
    alembic(fresh_url, "upgrade", "0006")
    engine = sa.create_engine(fresh_url.replace("postgresql://", "postgresql+psycopg2://", 1))
    with engine.begin() as connection:
        connection.execute(
            sa.text(
                "INSERT INTO lottery (id, created_at, seed, commitment, play_token, auto_download)"
                " VALUES ('old', '2026-01-15 10:00:00', 's', 'c', 't', false)"
            )
        )
    engine.dispose()
    alembic(fresh_url, "upgrade")
    app = build_app(fresh_url)
    assert read(app).database_started == datetime(2026, 1, 15, 10, 0, tzinfo=UTC)
    alembic(fresh_url, "downgrade", "0006")  # and back: the tables go, 0006's schema stays
    engine = sa.create_engine(fresh_url.replace("postgresql://", "postgresql+psycopg2://", 1))
    assert "site_milestone" not in sa.inspect(engine).get_table_names()
    engine.dispose()
    with app.app_context():
        db.engine.dispose()


def test_the_command_line_export_records_the_backup(app, client, tmp_path):
    stock_collection(client)
    assert read(app).backup_taken is None
    started = datetime.now(UTC)
    result = app.test_cli_runner().invoke(args=["library", "export", "-o", str(tmp_path / "b.json")])
    assert result.exit_code == 0, result.output
    assert read(app).backup_taken >= started - timedelta(seconds=1)


def test_the_web_download_records_the_backup(make_app):
    app = make_app(ADMIN_PASSWORD="pw")
    client = app.test_client()
    login(client, "pw")
    assert client.get("/library/backup.json").status_code == 200
    assert read(app).backup_taken is not None


def test_a_refused_download_records_nothing(make_app):
    app = make_app(ADMIN_PASSWORD="pw")
    assert app.test_client().get("/library/backup.json").status_code in (302, 401, 403)
    assert read(app).backup_taken is None


@pytest.mark.parametrize(
    ("backup_days", "database_days", "overdue"),
    [(None, 3, False), (None, 7, False), (None, 8, True), (2, 40, False), (7.4, 40, False), (8, 40, True),
     (30, 40, True)],
)  # fmt: skip
def test_overdue_means_no_backup_newer_than_a_week(backup_days, database_days, overdue):
    today = date(2027, 3, 10)
    noon = datetime(2027, 3, 10, 12, tzinfo=UTC)
    known = milestones.Milestones(
        database_started=noon - timedelta(days=database_days),
        backup_taken=None if backup_days is None else noon - timedelta(days=backup_days),
    )
    assert milestones.backup_overdue(known, today) is overdue


# ---- the nudge on the library page ------------------------------------------------------------------


def nudge(client) -> str | None:
    html = client.get("/library").get_data(as_text=True)
    found = re.search(r'<aside class="backup-nudge".*?</aside>', html, re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", found.group(0)).split()) if found else None


@pytest.fixture
def locked(make_app):
    app = make_app(ADMIN_PASSWORD="pw")
    admin = app.test_client()
    login(admin, "pw")
    add_movie(app, "Сталкер")
    return app, admin


def test_the_admin_is_nudged_when_no_backup_is_newer_than_a_week_until_one_is_taken(locked):
    app, admin = locked
    set_milestone(app, milestones.DATABASE_STARTED, days_ago(10))
    shown = nudge(admin)
    assert shown and "Резервной копии ещё не было" in shown and "Скачать копию" in shown
    assert admin.get("/library/backup.json").status_code == 200
    assert nudge(admin) is None  # the cached page knew at once: the milestone moved the content version


def test_an_old_backup_is_named_in_the_nudge(locked):
    app, admin = locked
    set_milestone(app, milestones.DATABASE_STARTED, days_ago(60))
    set_milestone(app, milestones.BACKUP_TAKEN, datetime(2026, 1, 2, 3, 4, tzinfo=UTC))
    shown = nudge(admin)
    assert shown and "больше недели назад" in shown and "2 января 2026" in shown


def test_a_recent_backup_or_a_young_database_is_no_reason_to_nudge(locked):
    app, admin = locked
    set_milestone(app, milestones.DATABASE_STARTED, days_ago(2))
    assert nudge(admin) is None
    set_milestone(app, milestones.DATABASE_STARTED, days_ago(60))
    set_milestone(app, milestones.BACKUP_TAKEN, days_ago(3))
    assert nudge(admin) is None


def test_visitors_are_never_nudged_and_an_empty_site_has_nothing_to_lose(make_app):
    app = make_app(ADMIN_PASSWORD="pw")
    set_milestone(app, milestones.DATABASE_STARTED, days_ago(60))
    admin = app.test_client()
    login(admin, "pw")
    assert nudge(admin) is None  # nothing stored yet
    add_movie(app, "Сталкер")
    assert nudge(admin) is not None
    assert app.test_client().get("/library").status_code == 302  # a visitor does not even see the page


def test_without_a_password_the_nudge_points_to_the_command_line(client, app):
    client.post("/api/library", json={"name": "Сталкер"})
    set_milestone(app, milestones.DATABASE_STARTED, days_ago(60))
    shown = nudge(client)
    assert shown and "flask --app movie_lottery library export -o backup.json" in shown
    assert "Скачать копию" not in shown


# ---- moving to another PostgreSQL: the README's steps, with the CLI -----------------------------------


@pytest.mark.postgres
def test_moving_to_a_fresh_postgres_with_export_upgrade_and_import_keeps_everything(
    postgres_admin_url, tmp_path: Path
):
    from movie_lottery.ops.migrations import enable_migrations
    from tests.support.postgres import create_database

    old_url = create_database(postgres_admin_url, "ml_move_from")
    alembic(old_url, "upgrade")
    old = build_app(old_url)
    links = stock_collection(old.test_client())
    backup = tmp_path / "backup.json"
    assert old.test_cli_runner().invoke(args=["library", "export", "-o", str(backup)]).exit_code == 0

    new_url = create_database(postgres_admin_url, "ml_move_to")  # step 2: the new, empty database
    new = build_app(new_url)
    enable_migrations(new)
    runner = new.test_cli_runner()
    upgraded = runner.invoke(args=["db", "upgrade"])  # step 3
    assert upgraded.exit_code == 0, upgraded.output
    dry = runner.invoke(args=["library", "import", "--dry-run", str(backup)])  # step 4
    assert dry.exit_code == 0 and export_text(new) != export_text(old)  # nothing written yet
    imported = runner.invoke(args=["library", "import", str(backup)])  # step 5
    assert imported.exit_code == 0, imported.output

    assert export_text(new).encode("utf-8") == backup.read_bytes()  # step 6: the same bytes
    waiting = links["waiting"]
    assert new.test_client().get(f"/l/{waiting['id']}/play/{waiting['play_token']}").status_code == 200
    doctor = runner.invoke(args=["doctor", "--json"])
    assert '"Миграции"' in doctor.output and "схема на последней ревизии" in doctor.output
    for app in (old, new):
        with app.app_context():
            db.engine.dispose()
