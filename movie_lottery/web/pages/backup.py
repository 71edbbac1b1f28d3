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

from movie_lottery.core.errors import DomainError
from movie_lottery.web.guards.auth import owner_only

bp = Blueprint("backup_pages", __name__)

# In the name of a file the import would refuse (ASCII: every browser keeps it as it is).
UNRESTORABLE = "-NOT-RESTORABLE"


@bp.get("/library/backup.json")
@owner_only
def library_backup():
    from movie_lottery.backup.verify import take_backup  # on first use: a wake never needs the backup code

    # Checked by the import's rules and recorded: /status, `flask doctor` and the library page say when
    # the last one that restores was taken, and what to fix when this one would not (backup/verify.py).
    taken = take_backup()
    # The date lives in the file name only: the body has no timestamp, so equal data stays equal bytes. A
    # file that would not restore is still handed out (it holds everything), marked in its name.
    mark = "" if taken.restores else UNRESTORABLE
    filename = f"movie-lottery-backup-{datetime.now(UTC):%Y-%m-%d}{mark}.json"
    response = Response(taken.body, mimetype="application/json")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["X-Backup-Check"] = "restores" if taken.restores else "unrestorable"
    response.headers["Cache-Control"] = "no-store"  # secrets: no proxy or browser cache keeps a copy
    return response


@bp.post("/library/backup")
@owner_only
def library_backup_upload():
    from movie_lottery.backup import transfer as backup  # on first use, as above

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
