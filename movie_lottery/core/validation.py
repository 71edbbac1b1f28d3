"""Validation of what users and scripts send: one movie shape for the lottery, the library and the API."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Any

from marshmallow import EXCLUDE, Schema, ValidationError, fields, pre_load, utils, validate

from movie_lottery.core.errors import InvalidInput
from movie_lottery.core.text_rules import (  # one rule per field: core/text_rules.py
    BROKEN_TEXT,
    DESCRIPTION_MAX,
    FULL_PATTERNS,
    LIST_ITEM_MAX,
    LIST_MAX,
    MULTILINE,
    ONE_LINE,
    UNSAFE,
    URL_MAX,
    VISIBLE,
    WHITESPACE,
    char_class,
    pattern_class,
)
from movie_lottery.core.text_rules import TITLE_MAX as NAME_MAX
from movie_lottery.integrations.kinopoisk import MAX_KINOPOISK_ID, MIN_KINOPOISK_ID

FIRST_FILM_YEAR = 1888


def latest_allowed_year() -> int:
    return datetime.now(UTC).year + 5


# http(s) links, as a subset of what marshmallow's URL validator takes, so that the document can show it.
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_IPV4 = r"[0-9]{1,3}(?:\.[0-9]{1,3}){3}"
_HOST = rf"(?:{_LABEL}|(?:{_LABEL}\.)+[A-Za-z0-9][A-Za-z0-9-]*[A-Za-z0-9]|{_IPV4})"
_URL_REST = char_class(WHITESPACE) + pattern_class(UNSAFE)  # no space, control or non-character
HTTP_URL = rf"^https?://{_HOST}(?::[0-9]{{1,5}})?(?:/|[/?][^{_URL_REST}]+)?$"


class FullPattern(validate.Regexp):
    """A pattern the whole value must match; apispec shows it in the OpenAPI document as ``pattern``.

    Every pattern here must stay linear in its input (tests/core/test_input_patterns.py times each on 1 MB
    worst cases), and runs only after the field's length was accepted (``Text``).
    """

    def __init__(self, pattern: str, error: str) -> None:
        super().__init__(pattern, error=error)
        self.full = FULL_PATTERNS.get(pattern, self.regex)  # the document's pattern is the BMP's part

    def __call__(self, value: str) -> str:
        # fullmatch: re.match would let "$" match before a trailing newline. A lone surrogate is refused
        # beside the pattern, which cannot name it (core.text_rules.pattern_class).
        if self.full.fullmatch(value) is None or BROKEN_TEXT.search(value):
            raise ValidationError(self.error)
        return value


class NoControls(FullPattern):
    def __init__(self, pattern: str = ONE_LINE) -> None:
        super().__init__(pattern, error="Недопустимые управляющие символы")


class FirstFailure:
    """A field whose validators run length first and stop at the first refusal.

    marshmallow runs every validator of a field and collects their messages, so a pattern would meet a
    value that ``Length`` had already refused; one field gets one message, about the first problem.
    """

    validators: list

    def _validate(self, value: Any) -> None:
        # sorted() is stable: the other validators keep their order after the length checks.
        for check in sorted(self.validators, key=lambda v: not isinstance(v, validate.Length)):
            if check(value) is False:  # marshmallow's convention: False is a refusal too
                raise ValidationError("Некорректное значение")


class Text(FirstFailure, fields.String):
    """A string field checked length first (see FirstFailure)."""


class SizedList(FirstFailure, fields.List):
    """A list whose size is checked before its items: 10 000 movies are refused without looking at each."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> list:
        if utils.is_collection(value):
            for check in self.validators:
                if isinstance(check, validate.Length):
                    check(value)
        return super()._deserialize(value, attr, data, **kwargs)


class WholeNumber(fields.Integer):
    """An integer, also from a form's text ("2019"); 2019.5 is refused instead of being cut to 2019."""

    def _validated(self, value: Any) -> int:
        if isinstance(value, float) and not value.is_integer():
            raise self.make_error("invalid", input=value)
        return super()._validated(value)


def year_in_range(value: int) -> None:
    if not FIRST_FILM_YEAR <= value <= latest_allowed_year():
        raise ValidationError(f"Год должен быть от {FIRST_FILM_YEAR} до {latest_allowed_year()}")


check_year = year_in_range  # the movie's year rule, for other schemas that take a year

URL_INVALID = "Нужна ссылка, начинающаяся с http:// или https://"


def _http_url() -> Text:
    # Not fields.Url: its validator ran marshmallow's own URL pattern before any length check. HTTP_URL
    # takes a subset of what that pattern takes, so it alone decides.
    return Text(
        load_default=None,
        allow_none=True,
        validate=[
            validate.Length(max=URL_MAX, error=f"Ссылка длиннее {URL_MAX} символов"),
            FullPattern(HTTP_URL, error=URL_INVALID),  # which admits no control character either
        ],
        error_messages={"invalid": URL_INVALID},
        metadata={"format": "url"},
    )


def _name_list() -> SizedList:
    return SizedList(
        Text(
            validate=[
                validate.Length(min=1, max=LIST_ITEM_MAX, error=f"От 1 до {LIST_ITEM_MAX} символов"),
                NoControls(VISIBLE),
            ]
        ),
        load_default=list,
        allow_none=True,
        validate=validate.Length(max=LIST_MAX, error=f"Не больше {LIST_MAX} значений"),
    )


class MovieIdentitySchema(Schema):
    """What names a movie for the same-movie rule: its title, year and Kinopoisk id, checked as everywhere."""

    class Meta:
        unknown = EXCLUDE

    name = Text(
        required=True,
        validate=[
            validate.Length(min=1, max=NAME_MAX, error="Название: от 1 до 200 символов"),
            NoControls(VISIBLE),
        ],
        error_messages={"required": "Укажите название", "null": "Укажите название"},
    )
    year = WholeNumber(
        load_default=None,
        allow_none=True,
        strict=False,
        validate=year_in_range,
        error_messages={"invalid": "Год должен быть числом"},
        # The range check is a function (the last year moves on); the document shows it as numbers.
        metadata={"minimum": FIRST_FILM_YEAR, "maximum": latest_allowed_year()},
    )
    kinopoisk_id = WholeNumber(
        load_default=None,
        allow_none=True,
        strict=False,
        validate=validate.Range(MIN_KINOPOISK_ID, MAX_KINOPOISK_ID, error="Неверный id Кинопоиска"),
    )


class MovieSchema(MovieIdentitySchema):
    """A movie as the API takes it. Unknown fields are ignored, so clients may send richer objects."""

    # A list item that is not an object ("movies": [1, 2]) says so in words.
    error_messages = {"type": "Фильм должен быть объектом"}  # noqa: RUF012  (marshmallow's own hook)

    poster = _http_url()
    description = Text(
        load_default=None,
        allow_none=True,
        validate=[
            validate.Length(max=DESCRIPTION_MAX, error=f"Не длиннее {DESCRIPTION_MAX} символов"),
            NoControls(MULTILINE),
        ],
    )
    rating = fields.Float(load_default=None, allow_none=True, validate=validate.Range(0, 10), allow_nan=False)
    genres = _name_list()
    countries = _name_list()
    # Kinopoisk extras, kept in ``details``.
    poster_preview = _http_url()
    rating_imdb = fields.Float(
        load_default=None, allow_none=True, validate=validate.Range(0, 10), allow_nan=False
    )
    length = WholeNumber(load_default=None, allow_none=True, validate=validate.Range(1, 100_000))
    trailer_url = _http_url()
    kinopoisk_url = _http_url()

    @pre_load
    def _tidy(self, data: Any, **kwargs) -> Any:
        """Trim strings and treat empty ones as absent, as a form field left blank means 'not given'."""
        if not isinstance(data, dict):
            return data
        tidy = {}
        for key, value in data.items():
            if isinstance(value, str):
                value = value.strip()
                if value == "" and key != "name":
                    value = None
            tidy[key] = value
        return tidy


DETAIL_FIELDS = ("poster_preview", "rating_imdb", "length", "trailer_url", "kinopoisk_url")


def load_movie(data: Any) -> dict:
    """Validate one movie; returns the model's fields with Kinopoisk extras under ``details``."""
    if not isinstance(data, dict):
        raise InvalidInput("Фильм должен быть объектом", code="invalid_movie")
    try:
        loaded = MovieSchema().load(data)
    except ValidationError as exc:
        messages = in_russian(exc.messages)
        details = {"fields": messages}
        raise InvalidInput(first_message(messages), code="invalid_movie", details=details) from None
    return split_details(loaded)


def split_details(movie: dict) -> dict:
    details = {key: movie.pop(key) for key in DETAIL_FIELDS if movie.get(key) is not None}
    for key in DETAIL_FIELDS:
        movie.pop(key, None)
    movie["genres"] = movie.get("genres") or []
    movie["countries"] = movie.get("countries") or []
    movie["details"] = details
    return movie


LABELS = {
    "name": "Название",
    "year": "Год",
    "poster": "Постер",
    "description": "Описание",
    "rating": "Рейтинг",
    "genres": "Жанры",
    "countries": "Страны",
    "kinopoisk_id": "Кинопоиск",
}


def first_message(messages: Any, labels: dict[str, str] = LABELS) -> str:
    """The first human message in marshmallow's nested error dict, prefixed by the field it is about."""
    if isinstance(messages, dict):
        for key, value in messages.items():
            text = first_message(value, labels)
            label = labels.get(str(key))
            if label and not text.startswith(label):
                return f"{label}: {text[0].lower()}{text[1:]}" if text else label
            return text
    if isinstance(messages, list) and messages:
        return first_message(messages[0], labels)
    return str(messages) if messages else "Некорректные данные"


# marshmallow's built-in messages, in the site's language: scripts read ``code``, people read ``message``.
# Plain words, not the format's ("null", "true", "string"): tests/core/test_plain_error_messages.py.
_RUSSIAN = {
    "Missing data for required field.": "Обязательное поле",
    "Field may not be null.": "Не может быть пустым",
    "Not a valid string.": "Нужен текст",
    "Not a valid utf-8 string.": "Текст не в кодировке UTF-8",
    "Not a valid integer.": "Нужно целое число",
    "Not a valid number.": "Нужно число",
    "Not a valid boolean.": "Нужно «да» или «нет»",
    "Not a valid list.": "Нужен список",
    "Not a valid mapping type.": "Нужен JSON-объект",
    "Invalid input type.": "Нужен JSON-объект",
    "Invalid type.": "Нужен JSON-объект",
    "Invalid value.": "Некорректное значение",
    "Unknown field.": "Неизвестное поле",
    "Special numeric values (nan or infinity) are not permitted.": "Нужно конечное число",
    "Number too large.": "Слишком большое число",
}
_RUSSIAN_PATTERNS = [
    (re.compile(r"Longer than maximum length (\S+)\."), "Слишком длинно: максимум {0}"),
    (re.compile(r"Shorter than minimum length (\S+)\."), "Слишком коротко: минимум {0}"),
    (re.compile(r"Length must be between (\S+) and (\S+)\."), "Длина — от {0} до {1}"),
    (
        re.compile(r"Must be greater than or equal to (\S+) and less than or equal to (\S+)\."),
        "Допустимо от {0} до {1}",
    ),
    (re.compile(r"Must be greater than or equal to (\S+)\."), "Допустимо не меньше {0}"),
    (re.compile(r"Must be less than or equal to (\S+)\."), "Допустимо не больше {0}"),
    (re.compile(r"Must be one of: (.+)\."), "Допустимые значения: {0}"),
]


def in_russian(messages: Any) -> Any:
    """marshmallow's error tree with its English defaults translated; our own messages pass unchanged."""
    if isinstance(messages, dict):
        return {key: in_russian(value) for key, value in messages.items()}
    if isinstance(messages, list):
        return [in_russian(value) for value in messages]
    if not isinstance(messages, str):
        return messages
    if messages in _RUSSIAN:
        return _RUSSIAN[messages]
    for pattern, template in _RUSSIAN_PATTERNS:
        found = pattern.fullmatch(messages)
        if found:
            return template.format(*found.groups())
    return messages


# ---- calendar days (a viewing, the end of an exclusion) --------------------------------------------------

DAY_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
DAY_INVALID = "Дата — в виде ГГГГ-ММ-ДД, например 2026-03-03"
NO_SUCH_DAY = "Такой даты нет в календаре"


def parse_day(text: Any) -> date:
    """``YYYY-MM-DD``, a real day of the calendar (2026-02-30 is refused); InvalidInput otherwise."""
    if not isinstance(text, str) or len(text) != 10 or re.fullmatch(DAY_PATTERN, text) is None:
        raise InvalidInput(DAY_INVALID, code="invalid_date")
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(NO_SUCH_DAY, code="invalid_date") from None


class CalendarDay(Text):
    """A day as ``YYYY-MM-DD`` text, loaded as a ``date``; how far back or ahead is the domain's rule."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("error_messages", {"invalid": DAY_INVALID})
        super().__init__(
            validate=[
                validate.Length(max=10, error=DAY_INVALID),
                FullPattern(DAY_PATTERN, error=DAY_INVALID),
            ],
            metadata={"format": "date", **kwargs.pop("metadata", {})},
            **kwargs,
        )

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> date:
        text = super()._deserialize(value, attr, data, **kwargs)
        super()._validate(text)
        try:
            return parse_day(text)
        except InvalidInput as exc:
            raise ValidationError(exc.message) from None

    def _validate(self, value: Any) -> None:
        """Already done on the text, in _deserialize."""
