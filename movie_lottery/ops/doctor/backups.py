"""What the data's future depends on: the free database's clock on Render and the last backup."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import sqlalchemy as sa

from movie_lottery.ops.doctor.verdicts import Check, ok, warn

if TYPE_CHECKING:
    from movie_lottery.backup.milestones import Unrestorable

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
        backup_check(known.backup_taken, known.database_started, holds_data, now, known.unrestorable),
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


def backup_check(
    taken: datetime | None,
    started: datetime | None,
    holds_data: bool,
    now: datetime,
    unrestorable: Unrestorable | None = None,
) -> Check:
    from movie_lottery.backup.milestones import BACKUP_NUDGE_AFTER, Milestones, backup_overdue

    name = "Резервная копия"
    if unrestorable is not None:  # newer than any that restores: the last backup cannot be counted on
        from movie_lottery.backup.verify import UNRESTORABLE_FIX, UNRESTORABLE_TEXT

        good = f"последняя годная — {taken:%d.%m.%Y %H:%M} UTC" if taken else "годной копии ещё не было"
        failed = f"копия от {unrestorable.at:%d.%m.%Y %H:%M} UTC"
        return warn(name, f"{failed}: {UNRESTORABLE_TEXT} {unrestorable.problem}; {good}", UNRESTORABLE_FIX)
    if taken is None and not holds_data:
        return ok(name, "копий ещё не было, но и терять пока нечего: в базе нет ни лотерей, ни фильмов")
    if taken is None:
        return warn(name, "резервной копии ещё не было", BACKUP_FIX)
    when = f"последняя — {taken:%d.%m.%Y %H:%M} UTC"
    if holds_data and backup_overdue(Milestones(started, taken), now.date()):
        return warn(name, f"{when}: старше {BACKUP_NUDGE_AFTER.days} дней", BACKUP_FIX)
    return ok(name, when)
