"""/api/search: what a Kinopoisk search accepts, and how its hits are answered."""

from __future__ import annotations

from typing import Any, ClassVar

from marshmallow import ValidationError, fields, pre_load, validate

from movie_lottery.core.text_rules import UNSAFE, pattern_class
from movie_lottery.core.validation import VISIBLE, FullPattern, NoControls, Text
from movie_lottery.search.service import SHORT_QUERY
from movie_lottery.web.api.schemas.base import ApiSchema, Movie, Reply, maybe
from movie_lottery.web.api.schemas.library import LibraryNote

SEARCH_QUERY_MAX = 200  # a Kinopoisk search; the library's own filter is library.QUERY_MAX


EMPTY_QUERY = "Введите название фильма или ссылку на Кинопоиск"
LONG_QUERY = f"Запрос длиннее {SEARCH_QUERY_MAX} символов"


# Two visible characters and no control character anywhere. Spaces are collapsed before the check, and a
# collapsed query has at least QUERY_MIN = 2 characters exactly when it has two visible ones (pinned by
# tests/search/test_search_api.py); the document shows this pattern for the query as sent, before
# the collapse. Linear like VISIBLE: each run between the two visible characters it names is one pass.
_NO_CONTROL = pattern_class(UNSAFE)  # nor a non-character (core.text_rules)
SEARCHABLE = rf"^[^\S{_NO_CONTROL}]*[^\s{_NO_CONTROL}][^{_NO_CONTROL}]*[^\s{_NO_CONTROL}][^\S{_NO_CONTROL}]*$"


class Searchable(FullPattern):
    """Long enough to search (the document's pattern), with its own words for a control character."""

    def __init__(self) -> None:
        super().__init__(SEARCHABLE, error=SHORT_QUERY)

    def __call__(self, value: str) -> str:
        if self.regex.fullmatch(value) is None:
            NoControls(VISIBLE)(value)  # NUL never reaches the database: PostgreSQL refuses it in text
            raise ValidationError(self.error)
        return value


class SearchQuery(ApiSchema):
    q = Text(
        required=True,
        validate=[
            validate.Length(min=1, error=EMPTY_QUERY),
            validate.Length(max=SEARCH_QUERY_MAX, error=LONG_QUERY),
            Searchable(),
        ],
        error_messages={"required": EMPTY_QUERY},
        metadata={
            "description": "Название, ссылка на kinopoisk.ru или id Кинопоиска; лишние пробелы убираются."
        },
    )
    message_codes: ClassVar[dict[str, str]] = {
        EMPTY_QUERY: "empty_query",
        SHORT_QUERY: "query_too_short",
        LONG_QUERY: "query_too_long",
    }
    field_codes: ClassVar[dict[str, str]] = {"q": "invalid_query"}

    @pre_load
    def _collapse_spaces(self, data: Any, **kwargs: Any) -> Any:
        query = data.get("q") if hasattr(data, "get") else None
        return {"q": " ".join(query.split())} if isinstance(query, str) else data


class SearchHit(Movie):
    """A Kinopoisk hit as the search has always listed it: the client's fields in its order, then the note."""

    class Meta(Movie.Meta):
        fields = (
            *("kinopoisk_id", "name", "year", "poster", "poster_preview", "description", "rating"),
            *("rating_imdb", "genres", "countries", "length", "trailer_url", "is_series", "kinopoisk_url"),
            "library",
        )

    is_series = fields.Boolean(metadata={"description": "Сериал, а не фильм"})
    library = maybe(
        fields.Nested, nested=LibraryNote, description="Этот фильм в библиотеке; `null`, если его там нет"
    )


class SearchResults(Reply):
    results = fields.List(fields.Nested(SearchHit), required=True)
    cached = fields.Boolean(required=True, metadata={"description": "Ответ из суточного кэша"})
