"""The library's filter as visitors send it (GET /api/library, /api/library/random, the library page's
query string): validated into the domain's LibraryFilter, with the refusals in Russian."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate, validates_schema

from movie_lottery.core.errors import InvalidInput
from movie_lottery.core.models import LIBRARY_STATUSES
from movie_lottery.core.validation import (
    FIRST_FILM_YEAR,
    LIST_ITEM_MAX,
    NoControls,
    Text,
    WholeNumber,
    first_message,
    in_russian,
    latest_allowed_year,
    year_in_range,
)
from movie_lottery.library.filters import DEFAULT_STATUSES, QUERY_MAX, LibraryFilter

STATUS_TEXT_MAX = 40
ALL_STATUSES = "all"
STATUS_INVALID = "Статус — want, watched, excluded или all (можно несколько через запятую)"
YEARS_REVERSED = "Год «с» должен быть не больше года «по»"
RATING_INVALID = "Рейтинг — число от 0 до 10"
FAVOURITE_INVALID = "favourite должен быть 0 или 1"


class StatusSet(Text):
    """``want``, ``watched,want``, ``all``: a set of library statuses, kept in the canonical order."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> tuple[str, ...] | None:
        text = super()._deserialize(value, attr, data, **kwargs)
        super()._validate(text)  # length and controls on the text itself, before it becomes a set
        words = [word.strip() for word in text.split(",") if word.strip()]
        if not words:
            return None
        if words == [ALL_STATUSES]:
            return LIBRARY_STATUSES
        if any(word not in LIBRARY_STATUSES for word in words):
            raise ValidationError(STATUS_INVALID)
        return tuple(status for status in LIBRARY_STATUSES if status in words)

    def _validate(self, value: Any) -> None:
        """Already done on the text, in _deserialize."""


def _filter_year() -> WholeNumber:
    return WholeNumber(
        load_default=None,
        allow_none=True,
        strict=False,
        validate=year_in_range,
        error_messages={"invalid": "Год должен быть числом"},
        metadata={"minimum": FIRST_FILM_YEAR, "maximum": latest_allowed_year()},
    )


class LibraryFilterSchema(Schema):
    """The library's filter as a query string gives it; LibraryFilter is what it loads into."""

    class Meta:
        unknown = EXCLUDE

    q = Text(
        load_default=None,
        validate=[validate.Length(max=QUERY_MAX), NoControls()],
        metadata={"description": "Слова, которые все должны найтись в названии, годе, жанрах или странах."},
    )
    status = StatusSet(
        load_default=None,
        validate=[validate.Length(max=STATUS_TEXT_MAX), NoControls()],
        error_messages={"invalid": STATUS_INVALID},
        metadata={
            "description": "`want`, `watched`, `excluded`, несколько через запятую (`want,watched`) "
            "или `all`. По умолчанию `want,watched` — всё, кроме «не предлагать». Исключение, чей день "
            "настал, — это `want`."
        },
    )
    genre = Text(
        load_default=None,
        validate=[validate.Length(max=LIST_ITEM_MAX), NoControls()],
        metadata={"description": "Один жанр, например драма: регистр, пробелы и ё/е не важны."},
    )
    year_from = _filter_year()
    year_to = _filter_year()
    min_rating = fields.Float(
        load_default=None,
        allow_none=True,
        allow_nan=False,
        validate=validate.Range(0, 10, error=RATING_INVALID),
        error_messages={"invalid": RATING_INVALID},
        metadata={"description": "Рейтинг Кинопоиска не ниже этого (фильмы без рейтинга не попадут)."},
    )
    favourite = Text(
        load_default="0",
        validate=validate.OneOf(["0", "1"], error=FAVOURITE_INVALID),
        metadata={"description": "`1` — только фильмы с отметкой «любимое»."},
    )

    @validates_schema
    def _years_in_order(self, data: dict, **kwargs: Any) -> None:
        low, high = data.get("year_from"), data.get("year_to")
        if low is not None and high is not None and low > high:
            raise ValidationError(YEARS_REVERSED)


def library_filter(
    loaded: Mapping[str, Any], default_statuses: tuple[str, ...] = DEFAULT_STATUSES
) -> LibraryFilter:
    """A loaded LibraryFilterSchema (or a schema built on it) as the domain's LibraryFilter."""
    return LibraryFilter(
        query=" ".join((loaded.get("q") or "").split()),
        statuses=loaded.get("status") or default_statuses,
        genre=loaded.get("genre") or None,
        year_from=loaded.get("year_from"),
        year_to=loaded.get("year_to"),
        min_rating=loaded.get("min_rating"),
        favourite=loaded.get("favourite") == "1",
    )


def load_library_filter(
    args: Mapping[str, Any], default_statuses: tuple[str, ...] = DEFAULT_STATUSES
) -> LibraryFilter:
    """Validate a query string (the library page's) into a LibraryFilter; InvalidInput in Russian."""
    try:
        loaded = LibraryFilterSchema().load(dict(args))
    except ValidationError as exc:
        messages = in_russian(exc.messages)
        code = "invalid_year_range" if "_schema" in messages else "invalid_filter"
        raise InvalidInput(
            first_message(messages, FILTER_LABELS), code=code, details={"fields": messages}
        ) from None
    return library_filter(loaded, default_statuses)


FILTER_LABELS = {
    "q": "Поиск",
    "status": "Статус",
    "genre": "Жанр",
    "year_from": "Год с",
    "year_to": "Год по",
    "min_rating": "Рейтинг",
    "favourite": "Любимое",
}
