"""The words for what the group did with a movie: the one place the card, the builder and the search say them.

The library card (Jinja), the builder's candidate notes and the search results' notes (JSON that the scripts
show as text) all come through here, so «смотрели 3 марта» and «исключён до 1 января» cannot drift apart.
"""

from __future__ import annotations

from datetime import date

from flask import Flask

from movie_lottery.web.rendering.filters import MONTHS_GENITIVE, plural

NBSP = "\u00a0"
STATUS_LABELS = {"want": "хочу посмотреть", "watched": "посмотрели", "excluded": "не предлагать"}
# The tabs above the list and the buttons on a card: short, as they sit side by side on a phone.
STATUS_SHORT = {"want": "Хочу", "watched": "Посмотрели", "excluded": "Не предлагать"}


def ru_day(day: date | str, today: date) -> str:
    """«3 марта»; another year's day says its year: «3 марта 2025»."""
    day = date.fromisoformat(day) if isinstance(day, str) else day
    text = f"{day.day}{NBSP}{MONTHS_GENITIVE[day.month - 1]}"
    return text if day.year == today.year else f"{text} {day.year}"


def times_text(count: int) -> str:
    return f"{count}{NBSP}{plural(count, 'раз', 'раза', 'раз')}"


def score_text(average: float) -> str:
    """7.5 → «7,5», 8.0 → «8»: one decimal, as Russian writes it."""
    text = f"{average:.1f}".replace(".", ",")
    return text.removesuffix(",0")


def group_rating_text(rating: dict | None) -> str | None:
    """«оценка группы 7,5 · 4 голоса» (library.group_rating, or a night's ratings), None before any."""
    if not rating or not rating.get("count"):
        return None
    count = rating["count"]
    votes = f"{count}{NBSP}{plural(count, 'голос', 'голоса', 'голосов')}"
    return f"оценка группы {score_text(rating['average'])} · {votes}"


def marks_note(
    status: str,
    excluded_until: date | None,
    last_watched: date | None,
    times_watched: int,
    today: date,
) -> str | None:
    """What a movie's marks say in a few words, or None when there is nothing to say («хочу посмотреть»).

    The status given is the effective one: an exclusion whose day has come is already «want».
    """
    if status == "excluded":
        return f"исключён до {ru_day(excluded_until, today)}" if excluded_until else "исключён навсегда"
    if last_watched is None:
        return None
    day = ru_day(last_watched, today)
    if times_watched > 1:
        return f"смотрели {times_text(times_watched)}, последний — {day}"
    return f"смотрели {day}"


def _day(value: str | date | None) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(value)


def note_for(marks: dict | None, today: date) -> dict | None:
    """A library note (viewings.library_notes, or a movie's marks) as the pages show it: the status, its
    label and the sentence. None for a movie the library does not know."""
    if marks is None:
        return None
    times = marks.get("times_watched")
    if times is None:
        times = len(marks.get("viewings") or [])
    status = marks["status"]
    return {
        "status": status,
        "label": STATUS_LABELS[status],
        "favourite": bool(marks.get("favourite")),
        "text": marks_note(
            status, _day(marks.get("excluded_until")), _day(marks.get("last_watched")), times, today
        ),
    }


def init_app(app: Flask) -> None:
    app.add_template_filter(ru_day)
    app.add_template_filter(group_rating_text)
    app.jinja_env.globals["STATUS_LABELS"] = STATUS_LABELS
    app.jinja_env.globals["STATUS_SHORT"] = STATUS_SHORT
