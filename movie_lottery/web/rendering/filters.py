"""Russian text for the pages: Jinja filters, and the words they share with page modules (plural, durations).
Scripts re-render times in the viewer's zone; these are the fallback."""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime

from flask import Flask
from markupsafe import Markup

from movie_lottery.core.text_rules import client_rules
from movie_lottery.search.service import QUERY_MIN

NBSP = "\u00a0"
MONTHS_GENITIVE = (
    "января",
    "февраля",
    "марта",
    "апреля",
    "мая",
    "июня",
    "июля",
    "августа",
    "сентября",
    "октября",
    "ноября",
    "декабря",
)


def ru_datetime(value: datetime | None) -> str:
    """'29 ноября 2026, 21:40 UTC' — the server cannot know the viewer's zone, so it says which it uses."""
    if value is None:
        return ""
    value = value.astimezone(UTC)
    return f"{value.day}\u00a0{MONTHS_GENITIVE[value.month - 1]} {value.year}, {value:%H:%M}\u00a0UTC"


def plural(count: int, one: str, few: str, many: str) -> str:
    """Russian plural form for a count: 1 фильм, 2 фильма, 5 фильмов, 21 фильм."""
    count = abs(int(count))
    if count % 10 == 1 and count % 100 != 11:
        return one
    if 2 <= count % 10 <= 4 and not 12 <= count % 100 <= 14:
        return few
    return many


def duration_text(seconds: int) -> str:
    """ "12 мин", "1 ч 5 мин", "3 д 4 ч"; under a minute is "<1 мин"."""
    if seconds < 60:
        return f"<1{NBSP}мин"
    minutes = math.ceil(seconds / 60)
    if minutes < 60:
        return f"{minutes}{NBSP}мин"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours}{NBSP}ч {minutes}{NBSP}мин" if minutes else f"{hours}{NBSP}ч"
    days, hours = divmod(hours, 24)
    return f"{days}{NBSP}д {hours}{NBSP}ч" if hours else f"{days}{NBSP}д"


def seconds_text(seconds: float) -> str:
    """ "0,4 с", "12,3 с": a short span as the owner reads it (the boot and its parts on /status)."""
    return f"{seconds:.1f}".replace(".", ",") + f"{NBSP}с"


_BETWEEN_TAGS = re.compile(r">\s+<")


def compact(html: str) -> Markup:
    """Markup with every run of whitespace between two tags cut to one space: the browser shows the same
    (a run of spaces renders as one, and no card holds a <pre> or <textarea>), in a third of the bytes."""
    return Markup(_BETWEEN_TAGS.sub("> <", str(html)).strip())


def init_app(app: Flask) -> None:
    app.add_template_filter(ru_datetime)
    app.add_template_filter(plural)
    # A rule the server enforces and a page's script and hint repeat: the page reads it from here.
    app.jinja_env.globals["SEARCH_QUERY_MIN"] = QUERY_MIN
    # The text rules every page's scripts check with (the `text-rules` block of base.html).
    app.jinja_env.globals["TEXT_RULES"] = client_rules()
    app.add_template_filter(compact)
    app.add_template_global(seconds_text)
