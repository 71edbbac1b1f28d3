"""Validation of what users and scripts send: one movie shape for the lottery, the library and the API."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from marshmallow import EXCLUDE, Schema, ValidationError, fields, pre_load, validate

from .errors import InvalidInput

NAME_MAX = 200
DESCRIPTION_MAX = 5000
URL_MAX = 1000
LIST_MAX = 20
LIST_ITEM_MAX = 60
KINOPOISK_ID_RANGE = (250, 10_000_000)
FIRST_FILM_YEAR = 1888

# C0/C1 controls and NUL are refused; descriptions may keep line breaks and tabs.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_CONTROL_EXCEPT_NEWLINES = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def latest_allowed_year() -> int:
    return datetime.now(UTC).year + 5


def _no_controls(value: str) -> None:
    if _CONTROL.search(value):
        raise ValidationError("Недопустимые управляющие символы")


def _no_controls_multiline(value: str) -> None:
    if _CONTROL_EXCEPT_NEWLINES.search(value):
        raise ValidationError("Недопустимые управляющие символы")


def _year_in_range(value: int) -> None:
    if not FIRST_FILM_YEAR <= value <= latest_allowed_year():
        raise ValidationError(f"Год должен быть от {FIRST_FILM_YEAR} до {latest_allowed_year()}")


def _http_url() -> fields.Url:
    return fields.Url(
        schemes={"http", "https"},
        require_tld=False,
        load_default=None,
        allow_none=True,
        validate=[validate.Length(max=URL_MAX), _no_controls],
        error_messages={"invalid": "Нужна ссылка, начинающаяся с http:// или https://"},
    )


def _name_list() -> fields.List:
    return fields.List(
        fields.String(validate=[validate.Length(min=1, max=LIST_ITEM_MAX), _no_controls]),
        load_default=list,
        allow_none=True,
        validate=validate.Length(max=LIST_MAX),
    )


class MovieSchema(Schema):
    """A movie as the API takes it. Unknown fields are ignored, so clients may send richer objects."""

    class Meta:
        unknown = EXCLUDE

    name = fields.String(
        required=True,
        validate=[validate.Length(min=1, max=NAME_MAX, error="Название: от 1 до 200 символов"), _no_controls],
        error_messages={"required": "Укажите название", "null": "Укажите название"},
    )
    year = fields.Integer(
        load_default=None,
        allow_none=True,
        strict=False,
        validate=_year_in_range,
        error_messages={"invalid": "Год должен быть числом"},
    )
    kinopoisk_id = fields.Integer(
        load_default=None,
        allow_none=True,
        strict=False,
        validate=validate.Range(*KINOPOISK_ID_RANGE, error="Неверный id Кинопоиска"),
    )
    poster = _http_url()
    description = fields.String(
        load_default=None,
        allow_none=True,
        validate=[validate.Length(max=DESCRIPTION_MAX), _no_controls_multiline],
    )
    rating = fields.Float(load_default=None, allow_none=True, validate=validate.Range(0, 10), allow_nan=False)
    genres = _name_list()
    countries = _name_list()
    # Kinopoisk extras, kept in ``details``.
    poster_preview = _http_url()
    rating_imdb = fields.Float(
        load_default=None, allow_none=True, validate=validate.Range(0, 10), allow_nan=False
    )
    length = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(1, 100_000))
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
        raise InvalidInput(
            _first_message(exc.messages), code="invalid_movie", details={"fields": exc.messages}
        ) from None
    return split_details(loaded)


def split_details(movie: dict) -> dict:
    details = {key: movie.pop(key) for key in DETAIL_FIELDS if movie.get(key) is not None}
    for key in DETAIL_FIELDS:
        movie.pop(key, None)
    movie["genres"] = movie.get("genres") or []
    movie["countries"] = movie.get("countries") or []
    movie["details"] = details
    return movie


def _first_message(messages: Any) -> str:
    """The first human message in marshmallow's nested error dict, prefixed by the field it is about."""
    labels = {"name": "Название", "year": "Год", "poster": "Постер", "description": "Описание"}
    if isinstance(messages, dict):
        for key, value in messages.items():
            text = _first_message(value)
            label = labels.get(str(key))
            if label and not text.startswith(label):
                return f"{label}: {text[0].lower()}{text[1:]}" if text else label
            return text
    if isinstance(messages, list) and messages:
        return _first_message(messages[0])
    return str(messages) if messages else "Некорректные данные"
