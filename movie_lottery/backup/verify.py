"""Taking a backup: the export, checked by the import's own rules before it counts.

The file is read back from the very bytes handed out and checked as an upload of it would be
(check.check_backup: in memory, the database untouched). Only a file that passes moves ``backup_taken``;
one that fails is still handed out — it holds everything, and on Render's free plan it may be all the owner
has before the database is deleted — but it is recorded as unrestorable, with the import's words naming the
place to fix, and the library page, /status and `flask doctor` show them until a later backup restores.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from movie_lottery.backup import milestones
from movie_lottery.backup.check import check_backup
from movie_lottery.backup.restorable import check_restores_into_empty
from movie_lottery.backup.transfer import dumps_backup, export_data, loads_backup
from movie_lottery.core.errors import InvalidInput

# What the owner is told, wherever a backup that would not restore is shown (CLI, doctor, the pages).
UNRESTORABLE_TEXT = "копия не восстановится — загрузка её отклонит:"
UNRESTORABLE_FIX = (
    "Исправьте названное место на сайте и сделайте копию снова. Этот файл всё равно сохраните: в нём все"
    " данные, и названное место можно поправить прямо в нём, прежде чем загружать"
)


CHECK_BROKE = "Резервная копия: проверить её не удалось — ошибка самой проверки, подробности в журнале сайта"

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TakenBackup:
    body: bytes
    problem: str | None  # the import's refusal of this very file; None: it restores
    check_seconds: float  # what the dry run cost (bench and the README quote it)

    @property
    def restores(self) -> bool:
        return self.problem is None


def take_backup() -> TakenBackup:
    """Export, check the bytes, record the outcome (commits). Never raises for what the data holds."""
    text = dumps_backup(export_data())
    # A lone surrogate stored before the text rules refused it has no UTF-8 form: written as its JSON
    # escape («\ud800»), the file still holds it exactly, and the check below names where it is.
    body = text.encode("utf-8", errors="backslashreplace")
    started = time.perf_counter()
    try:
        problem = restore_problem(body)
    except Exception:  # a bug in the check must never cost the owner the file itself
        log.exception("the backup's dry run failed")
        problem = CHECK_BROKE
    spent = time.perf_counter() - started
    if problem is None:
        milestones.record_backup()
    else:
        milestones.record_unrestorable(problem)
    return TakenBackup(body=body, problem=problem, check_seconds=spent)


def restore_problem(body: bytes) -> str | None:
    """Why an upload of these bytes into an empty database would be refused, in the import's words; None
    when it would pass. In memory: the database is not read."""
    try:
        check_restores_into_empty(check_backup(loads_backup(body)))
    except InvalidInput as exc:
        return exc.message
    return None
