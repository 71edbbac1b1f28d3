"""What several pages read from a request alike: the list's page number and a «Посмотрели» form."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from flask import flash, request

from movie_lottery.core.errors import DomainError
from movie_lottery.core.models import LibraryMovie
from movie_lottery.core.validation import parse_day
from movie_lottery.web.guards.query_numbers import small_number


def page_arg() -> int:
    """``?page=N`` of a paged list; anything but a sane positive number is the first page."""
    raw = request.args.get("page", "1")
    number = small_number(raw)
    return number if number is not None and 0 < number < 1_000_000 else 1


def mark_watched_from_form(mark: Callable[[date | None], LibraryMovie]) -> None:
    """A «Посмотрели» form's date (empty: today) given to ``mark``, and a flash saying how it went; an
    unknown lottery or poll stays a 404 page."""
    raw = (request.form.get("date") or "").strip()
    try:
        movie = mark(parse_day(raw) if raw else None)
    except DomainError as exc:
        if exc.status == 404:
            raise
        flash(exc.message, "error")
    else:
        flash(f"«{movie.name}»: посмотрели — записано в библиотеке", "success")
