"""/library/backup: the admin's download and upload of the backup, the same files as ``flask library``.

Admin-only through the default-deny access guard (neither view is ``@public``): the file holds every
lottery's secrets, the play links among them.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Response, flash, redirect, request, url_for

from .. import backup
from ..errors import DomainError
from .pages import bp


@bp.get("/library/backup.json")
def library_backup():
    body = backup.dumps_backup(backup.export_data()).encode("utf-8")
    # The date lives in the file name only: the body has no timestamp, so equal data stays equal bytes.
    filename = f"movie-lottery-backup-{datetime.now(UTC):%Y-%m-%d}.json"
    response = Response(body, mimetype="application/json")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"  # secrets: no proxy or browser cache keeps a copy
    return response


@bp.post("/library/backup")
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
    return url_for("pages.library_page")
