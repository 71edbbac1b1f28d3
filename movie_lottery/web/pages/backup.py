"""/library/backup: the admin's download and upload of the backup, the same files as ``flask library``.

The signed-in admin only, in every mode (``owner_only``): the file holds every lottery's and poll's secrets,
the play and manage links among them, the voters' cookies, and each undrawn lottery's seed, which gives its
winner away before the draw (an open poll's seed, its tie-break). On a site
without a password nobody is signed in, so there the owner uses ``flask library export`` / ``import``; an
upload is refused too, since an undrawn lottery brought in with a seed of the uploader's choosing would have
a winner known in advance.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, Response, flash, redirect, request, url_for

from movie_lottery.backup import milestones
from movie_lottery.backup import transfer as backup
from movie_lottery.core.errors import DomainError
from movie_lottery.web.guards.auth import owner_only

bp = Blueprint("backup_pages", __name__)


@bp.get("/library/backup.json")
@owner_only
def library_backup():
    body = backup.dumps_backup(backup.export_data()).encode("utf-8")
    milestones.record_backup()  # /status, `flask doctor` and the library's nudge say when the last one was
    # The date lives in the file name only: the body has no timestamp, so equal data stays equal bytes.
    filename = f"movie-lottery-backup-{datetime.now(UTC):%Y-%m-%d}.json"
    response = Response(body, mimetype="application/json")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"  # secrets: no proxy or browser cache keeps a copy
    return response


@bp.post("/library/backup")
@owner_only
def library_backup_upload():
    upload = request.files.get("backup")
    dry_run = request.form.get("dry_run") == "1"
    if upload is None or not upload.filename:
        flash("Выберите файл резервной копии", "error")
        return redirect(_back())
    try:
        report = backup.import_data(backup.loads_backup(upload.read()), dry_run=dry_run)
    except DomainError as exc:
        flash(f"Копия не загружена, база не изменилась. {exc.message}", "error")
    else:
        flash(report.describe(), "success")
    return redirect(_back())


def _back() -> str:
    # The top of the library, where the flash is shown (the panel itself sits at the bottom).
    return url_for("library_pages.library_page")
