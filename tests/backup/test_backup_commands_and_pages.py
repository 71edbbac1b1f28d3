"""Backups from outside: ``flask library export/import`` and the admin's download and upload on /library."""

from __future__ import annotations

import io
import json
import re

import pytest

from movie_lottery.core.extensions import db
from movie_lottery.core.models import Lottery
from tests.backup.test_backup_export_import import EMPTY, export_text, wipe
from tests.support.backup_collection import handmade_document, stock_collection


def csrf_token(client) -> str:
    html = client.get("/library").get_data(as_text=True)
    return re.search(r'name="csrf-token" content="([^"]+)"', html).group(1)


def upload(client, body: bytes, dry_run: bool = False, filename: str = "backup.json"):
    data = {"csrf_token": csrf_token(client), "backup": (io.BytesIO(body), filename)}
    if dry_run:
        data["dry_run"] = "1"
    return client.post("/library/backup", data=data, content_type="multipart/form-data")


def flashes(response) -> list[str]:
    html = response.get_data(as_text=True)
    return [
        re.sub(r"\s+", " ", text) for text in re.findall(r'<p class="flash[^"]*"[^>]*>(.*?)</p>', html, re.S)
    ]


# ---- the command line -----------------------------------------------------------------------------------


def test_flask_library_export_prints_the_backup_as_utf8_bytes(app, client):
    stock_collection(client)
    result = app.test_cli_runner().invoke(args=["library", "export"])
    assert result.exit_code == 0, result.output
    assert result.stdout_bytes == export_text(app).encode("utf-8")
    assert "Тихая гавань".encode() in result.stdout_bytes


def test_flask_library_export_writes_the_same_bytes_to_a_file(app, client, tmp_path):
    stock_collection(client)
    target = tmp_path / "backup.json"
    result = app.test_cli_runner().invoke(args=["library", "export", "-o", str(target)])
    assert result.exit_code == 0, result.output
    assert target.read_bytes() == export_text(app).encode("utf-8")


def test_flask_library_import_restores_and_a_second_run_changes_nothing(app, client, tmp_path):
    stock_collection(client)
    backup = tmp_path / "backup.json"
    backup.write_text(export_text(app), encoding="utf-8")
    wipe(app)
    runner = app.test_cli_runner()
    first = runner.invoke(args=["library", "import", str(backup)])
    assert first.exit_code == 0, first.output
    assert first.output.startswith("Копия загружена. Библиотека: добавлено 5, обновлено 0, без изменений 0")
    assert export_text(app) == backup.read_text(encoding="utf-8")
    second = runner.invoke(args=["library", "import", str(backup)])
    assert second.exit_code == 0 and "ничего не изменилось" in second.output
    assert "Библиотека: добавлено 0, обновлено 0, без изменений 5." in second.output
    assert "Лотереи: добавлено 0, обновлено 0, без изменений 2." in second.output


def test_flask_library_import_dry_run_reports_and_writes_nothing(app, client, tmp_path):
    stock_collection(client)
    backup = tmp_path / "backup.json"
    backup.write_text(export_text(app), encoding="utf-8")
    wipe(app)
    result = app.test_cli_runner().invoke(args=["library", "import", str(backup), "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "Пробный прогон — ничего не записано" in result.output and "добавится 5" in result.output
    assert json.loads(export_text(app)) == EMPTY


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("это не JSON", "это не JSON (строка 1, позиция 1)"),
        ('{"format": "movie-lottery-backup", "version": 7}', "версия 7 не поддерживается"),
    ],
)
def test_flask_library_import_refuses_a_bad_file_with_a_message_and_exit_code_1(
    app, tmp_path, content, message
):
    bad = tmp_path / "bad.json"
    bad.write_text(content, encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["library", "import", str(bad)])
    assert result.exit_code == 1
    assert "Копия не загружена, база не изменилась." in result.stderr and message in result.stderr


def test_flask_library_import_of_a_missing_file_is_a_usage_error(app, tmp_path):
    result = app.test_cli_runner().invoke(args=["library", "import", str(tmp_path / "nope.json")])
    assert result.exit_code == 2 and "nope.json" in result.output


# ---- the library page -----------------------------------------------------------------------------------


@pytest.fixture
def locked_app(make_app):
    return make_app(ADMIN_PASSWORD="correct horse", API_TOKEN="bot-token")


def sign_in(client) -> None:
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    assert client.post("/login", data={"password": "correct horse", "csrf_token": token}).status_code == 302


@pytest.fixture
def admin(locked_app):
    """The signed-in admin; the bearer token lets stock_collection fill the library through the API."""
    client = locked_app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = "Bearer bot-token"
    sign_in(client)
    return client


def test_the_library_page_offers_the_backup_panel(admin):
    html = admin.get("/library").get_data(as_text=True)
    assert 'id="backup"' in html and "Резервная копия" in html
    assert 'href="/library/backup.json"' in html and 'enctype="multipart/form-data"' in html


def test_the_download_is_the_same_file_as_the_command_line_export(locked_app, admin):
    stock_collection(admin)
    response = admin.get("/library/backup.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert re.fullmatch(
        r'attachment; filename="movie-lottery-backup-\d{4}-\d\d-\d\d\.json"',
        response.headers["Content-Disposition"],
    )
    assert response.headers["Cache-Control"] == "no-store"  # it holds every lottery's play link
    cli = locked_app.test_cli_runner().invoke(args=["library", "export"])
    assert response.data == cli.stdout_bytes


def test_an_upload_imports_the_file_and_says_what_it_did(locked_app, admin):
    stock_collection(admin)
    body = admin.get("/library/backup.json").data
    wipe(locked_app)
    response = upload(admin, body)
    assert response.status_code == 302 and response.headers["Location"] == "/library"
    page = admin.get("/library")
    assert any(text.startswith("Копия загружена. Библиотека: добавлено 5") for text in flashes(page))
    assert admin.get("/library/backup.json").data == body
    again = upload(admin, body, dry_run=False)
    assert "ничего не изменилось" in flashes(admin.get(again.headers["Location"]))[0]


def test_a_dry_run_upload_reports_and_writes_nothing(locked_app, admin):
    stock_collection(admin)
    body = admin.get("/library/backup.json").data
    wipe(locked_app)
    response = upload(admin, body, dry_run=True)
    [message] = flashes(admin.get(response.headers["Location"]))
    assert message.startswith("Пробный прогон — ничего не записано") and "добавится 5" in message
    assert json.loads(export_text(locked_app)) == EMPTY


@pytest.mark.parametrize(
    ("body", "filename", "message"),
    [
        (b"<html>not a backup</html>", "page.html", "это не JSON"),
        (
            b'{"format": "movie-lottery-backup", "version": 1, "library": [{"name": "X"}]}',
            "b.json",
            "нет поля added_at",
        ),
        (b"", "", "Выберите файл резервной копии"),
    ],
)
def test_a_bad_upload_is_a_friendly_message_and_writes_nothing(locked_app, admin, body, filename, message):
    response = upload(admin, body, filename=filename)
    assert response.status_code == 302
    page = admin.get("/library")
    [text] = flashes(page)
    assert message in text and 'class="flash flash--error"' in page.get_data(as_text=True)
    assert json.loads(export_text(locked_app)) == EMPTY


def test_an_upload_without_the_csrf_token_is_refused(admin):
    response = admin.post(
        "/library/backup", data={"backup": (io.BytesIO(b"{}"), "b.json")}, content_type="multipart/form-data"
    )
    assert response.status_code == 403


def test_with_an_admin_password_a_visitor_can_neither_download_nor_upload(make_app):
    app = make_app(ADMIN_PASSWORD="correct horse")
    visitor = app.test_client()
    assert visitor.get("/library/backup.json").status_code == 302
    assert visitor.get("/library/backup.json").headers["Location"].startswith("/login")
    sent = visitor.post(
        "/library/backup", data={"backup": (io.BytesIO(b"{}"), "b.json")}, content_type="multipart/form-data"
    )
    assert sent.status_code == 302 and sent.headers["Location"].startswith("/login")
    assert visitor.get("/api/library/backup.json").status_code in (401, 404)

    admin = app.test_client()
    page = admin.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    admin.post("/login", data={"password": "correct horse", "csrf_token": token})
    assert admin.get("/library/backup.json").status_code == 200


# ---- an open site: no owner to tell from its visitors -----------------------------------------------------


@pytest.fixture(params=["this machine", "OPEN_SITE"])
def open_site(request, make_app):
    """A site without a password, open to a browser on the server itself, or to everyone by OPEN_SITE."""
    app = make_app(OPEN_SITE=request.param == "OPEN_SITE")
    client = app.test_client()
    if request.param == "OPEN_SITE":
        client.environ_base["REMOTE_ADDR"] = "203.0.113.7"
    return app, client


def test_an_open_site_refuses_the_backup_download_and_points_to_the_password_and_the_cli(open_site):
    app, client = open_site
    collection = stock_collection(client)
    with app.app_context():
        undrawn_seed = db.session.get(Lottery, collection["waiting"]["id"]).seed
    response = client.get("/library/backup.json")
    assert response.status_code == 403
    assert "attachment" not in response.headers.get("Content-Disposition", "")
    page = response.get_data(as_text=True)
    assert undrawn_seed not in page
    assert "ADMIN_PASSWORD" in page and "flask library export" in page
    assert "ещё не разыгранной" in page


def test_an_open_site_refuses_an_upload_and_imports_nothing(open_site):
    # An undrawn lottery brought in with a seed the uploader chose would have a winner known in advance.
    app, client = open_site
    document = handmade_document()
    document["lotteries"][0].update(drawn_at=None, winner_position=None)
    response = upload(client, json.dumps(document).encode())
    assert response.status_code == 403
    assert "flask library import" in response.get_data(as_text=True)
    assert json.loads(export_text(app)) == EMPTY


def test_an_open_site_shows_why_the_backup_panel_has_no_buttons(open_site):
    _app, client = open_site
    html = client.get("/library").get_data(as_text=True)
    assert 'data-testid="backup-owner-only"' in html and "flask library export" in html
    assert 'href="/library/backup.json"' not in html and 'action="/library/backup"' not in html
