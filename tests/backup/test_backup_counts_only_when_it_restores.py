"""A backup counts only when it restores: each export is checked by the import's own rules before it is
counted. One that would not restore is still handed out (it holds everything), marked; the library page,
/status and `flask doctor` say what to fix, and the last backup is not called fresh until one restores."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa

from movie_lottery.backup import milestones
from movie_lottery.core.extensions import db
from movie_lottery.core.models import LibraryMovie, LotteryMovie
from tests.backup.test_backup_commands_and_pages import flashes, sign_in, upload
from tests.backup.test_backup_export_import import export_text
from tests.support.backup_collection import stock_collection

BROKEN_NAME = "Гавань"  # stored with a year the API would refuse (as an old version or a race could leave it)


@pytest.fixture
def owner(stocked_owner):
    """The owner of a stocked site whose library holds one movie the import would refuse."""
    app, client = stocked_owner
    break_a_movie(app)
    return app, client


def break_a_movie(app, year: int = 1700) -> None:
    with app.app_context():
        db.session.execute(sa.update(LibraryMovie).where(LibraryMovie.name == BROKEN_NAME).values(year=year))
        db.session.commit()


def known(app) -> milestones.Milestones:
    with app.app_context():
        return milestones.read_milestones()


def doctor_backup_check(app):
    from movie_lottery.ops.doctor.backups import milestone_checks

    with app.app_context():
        return next(check for check in milestone_checks(None, False) if check.name == "Резервная копия")


def test_a_download_that_would_not_restore_is_handed_out_whole_marked_and_not_counted(owner):
    app, client = owner
    response = client.get("/library/backup.json")
    assert response.status_code == 200
    assert response.get_data(as_text=True) == export_text(app)  # nothing withheld: every row is in it
    assert "NOT-RESTORABLE" in response.headers["Content-Disposition"]
    assert response.headers["X-Backup-Check"] == "unrestorable"
    after = known(app)
    assert after.backup_taken is None  # not counted as the last backup
    assert after.unrestorable is not None and f"«{BROKEN_NAME}»" in after.unrestorable.problem
    assert "Год должен быть от 1888" in after.unrestorable.problem


def test_the_problem_is_the_very_refusal_an_upload_of_that_file_gets(owner):
    app, client = owner
    body = client.get("/library/backup.json").get_data()
    shown = flashes(client.get(upload(client, body, dry_run=True).headers["Location"]))
    assert any(known(app).unrestorable.problem in text for text in shown), shown


def test_the_library_page_status_and_doctor_say_what_to_fix(owner):
    app, client = owner
    client.get("/library/backup.json")
    problem = known(app).unrestorable.problem
    library = client.get("/library").get_data(as_text=True)
    assert 'data-testid="backup-unrestorable"' in library and _escaped(problem) in library
    status = client.get("/status").get_data(as_text=True)
    assert 'data-testid="backup-unrestorable"' in status and _escaped(problem) in status
    assert 'data-testid="last-backup">ещё не было' in status  # the file handed out is not the last backup
    check = doctor_backup_check(app)
    assert check.verdict == "warn" and problem in check.message and "не восстановится" in check.message
    assert check.fix and "сделайте копию снова" in check.fix


def test_a_later_backup_that_restores_clears_the_failure_and_counts(owner):
    app, client = owner
    client.get("/library/backup.json")
    break_a_movie(app, year=2008)  # the owner fixed the named place
    response = client.get("/library/backup.json")
    assert response.headers["X-Backup-Check"] == "restores"
    assert "NOT-RESTORABLE" not in response.headers["Content-Disposition"]
    after = known(app)
    assert after.unrestorable is None and after.backup_taken is not None
    assert 'data-testid="backup-unrestorable"' not in client.get("/library").get_data(as_text=True)
    assert doctor_backup_check(app).verdict == "ok"


def test_the_command_line_export_writes_the_file_warns_and_exits_1(owner, tmp_path: Path):
    app, _client = owner
    target = tmp_path / "backup.json"
    result = app.test_cli_runner().invoke(args=["library", "export", "-o", str(target)])
    assert result.exit_code == 1
    assert target.read_text(encoding="utf-8") == export_text(app)  # written all the same
    assert "не восстановится" in result.stderr and f"«{BROKEN_NAME}»" in result.stderr
    assert known(app).backup_taken is None and known(app).unrestorable is not None


def test_a_lone_surrogate_stored_before_the_text_rules_is_written_exactly_and_named(make_app):
    app = make_app(ADMIN_PASSWORD="correct horse", API_TOKEN="bot-token")
    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = "Bearer bot-token"
    sign_in(client)
    made = client.post("/api/lotteries", json={"movies": [{"name": "Маяк"}, {"name": "Гавань"}]})
    assert made.status_code == 201
    with app.app_context():  # as Kinopoisk's data could carry it in before the text rules (issue 21)
        db.session.execute(
            sa.update(LotteryMovie).where(LotteryMovie.position == 0).values(genres=["драма\ud800"])
        )
        db.session.commit()
    response = client.get("/library/backup.json")
    assert response.status_code == 200
    data = json.loads(response.get_data().decode("utf-8"))  # valid UTF-8, the character kept as its escape
    assert data["lotteries"][0]["candidates"][0]["genres"] == ["драма\ud800"]
    problem = known(app).unrestorable.problem
    assert problem.startswith("lotteries[0].candidates[0].genres[0]:") and "U+D800" in problem


def _escaped(text: str) -> str:
    from markupsafe import escape

    return str(escape(text))


def test_a_check_that_breaks_still_hands_the_file_out_and_counts_nothing(make_app, monkeypatch):
    from movie_lottery.backup import verify

    app = make_app(ADMIN_PASSWORD="correct horse", API_TOKEN="bot-token")
    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = "Bearer bot-token"
    sign_in(client)
    stock_collection(client)

    def broken(_document):
        raise RuntimeError("a bug in the check")

    monkeypatch.setattr(verify, "check_restores_into_empty", broken)
    response = client.get("/library/backup.json")
    assert response.status_code == 200 and response.get_data(as_text=True) == export_text(app)
    assert response.headers["X-Backup-Check"] == "unrestorable"
    assert known(app).backup_taken is None and "проверить её не удалось" in known(app).unrestorable.problem
