"""What the JSON API accepts. These schemas validate every request AND generate /api/openapi.json.

Unknown fields are ignored everywhere (marshmallow's EXCLUDE), as MovieSchema always did: a bot may send a
richer object than we keep. A refused request is a 400 ``{"error": {"code", "message", "details"}}``: the code
names the problem (the codes the API had before these schemas keep their names), the message is Russian,
and ``details.fields`` holds every field's messages.
"""

from __future__ import annotations

from typing import Any, ClassVar

from marshmallow import EXCLUDE, Schema, ValidationError, fields, pre_load, validate

from ..errors import InvalidInput
from ..integrations.magnet import MAX_LENGTH as MAGNET_MAX
from ..lottery import MAX_MOVIES, MIN_MOVIES
from ..movie_search import QUERY_MAX as SEARCH_MAX
from ..movie_search import SHORT_QUERY
from ..schemas import (
    VISIBLE,
    FullPattern,
    MovieSchema,
    NoControls,
    SizedList,
    Text,
    first_message,
    in_russian,
)

PAGE_MAX = 1_000_000
QUERY_MAX = 200
TOKEN_MAX = 100
SORTS = ("added", "title", "year", "rating")


class Shared:
    """A schema that copies as itself. flask-smorest deep-copies each view's doc at every decorator, schema
    instances included; ours never change after import, and the copies cost every worker memory."""

    def __deepcopy__(self, memo: dict) -> Shared:
        return self


class ApiSchema(Shared, Schema):
    """A request part (JSON body or query string) and the error code each of its problems gets."""

    class Meta:
        unknown = EXCLUDE

    body_required: ClassVar[bool] = True  # JSON bodies: is an empty body a 400 ``body_required``?
    default_code: ClassVar[str] = "invalid_input"
    field_codes: ClassVar[dict[str, str]] = {}  # field -> code for any problem with it
    message_codes: ClassVar[dict[str, str]] = {}  # one exact message -> its own code

    def input_error(self, messages: dict) -> InvalidInput:
        field = str(next(iter(messages), ""))
        text = first_message(messages, labels={})
        code = self.message_codes.get(text) or self.field_codes.get(field) or self.default_code
        named = field in ("", "_schema") or field in text or text in self.message_codes
        message = text if named else f"{field}: {text}"  # which field, unless the message says it
        return InvalidInput(message, code=code, details={"fields": messages})

    @classmethod
    def error_codes(cls) -> list[str]:
        """Every code a refusal of this part can carry, for the document."""
        codes = [cls.default_code, *cls.field_codes.values(), *cls.message_codes.values()]
        return list(dict.fromkeys(codes))


def _page() -> fields.Integer:
    message = f"page должен быть целым числом от 1 до {PAGE_MAX}"
    return fields.Integer(
        load_default=1,
        strict=False,
        validate=validate.Range(1, PAGE_MAX, error=message),
        error_messages={"invalid": message, "null": message},
        metadata={"description": "Page number, from 1; past the last page gives the last page."},
    )


class PageQuery(ApiSchema):
    page = _page()
    field_codes: ClassVar[dict[str, str]] = {"page": "invalid_page"}


class StrictBoolean(fields.Boolean):
    """JSON true or false only: not 1, "yes" or "on" (marshmallow's Boolean takes those)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> bool:
        if not isinstance(value, bool):
            raise self.make_error("invalid")
        return value


TOO_FEW = f"Нужно хотя бы {MIN_MOVIES} фильма"
TOO_MANY = f"Не больше {MAX_MOVIES} фильмов в одной лотерее"
NOT_A_LIST = "Нужен список фильмов"


class LotteryCreateSchema(ApiSchema):
    movies = SizedList(
        fields.Nested(MovieSchema, error_messages={"null": "Фильм должен быть объектом"}),
        required=True,
        validate=[
            validate.Length(min=MIN_MOVIES, error=TOO_FEW),
            validate.Length(max=MAX_MOVIES, error=TOO_MANY),
        ],
        error_messages={"required": NOT_A_LIST, "null": NOT_A_LIST, "invalid": NOT_A_LIST},
        metadata={"description": "The candidates in the order the reel shows them; the draw depends on it."},
    )
    auto_download = StrictBoolean(
        load_default=False,
        error_messages={"invalid": "auto_download (скачать победителя автоматически): нужно «да» или «нет»"},
        metadata={"description": "Queue the winner's download (when qBittorrent is configured)."},
    )
    message_codes: ClassVar[dict[str, str]] = {
        TOO_FEW: "too_few_movies",
        TOO_MANY: "too_many_movies",
        NOT_A_LIST: "invalid_movies",
    }

    def input_error(self, messages: dict) -> InvalidInput:
        movies = messages.get("movies")
        if not isinstance(movies, dict):  # the list itself: missing, not a list, too short or too long
            return super().input_error(messages)
        index = next(iter(movies))  # one movie: its position and its own messages, as before the schemas
        problems = movies[index] if isinstance(movies[index], dict) else {"_schema": movies[index]}
        return InvalidInput(
            f"Фильм №{index + 1}: {first_message(problems)}",
            code="invalid_movie",
            details={"fields": problems, "index": index},
        )

    @classmethod
    def error_codes(cls) -> list[str]:
        return [*super().error_codes(), "invalid_movie"]


class DrawSchema(ApiSchema):
    body_required: ClassVar[bool] = False
    token = Text(
        load_default=None,
        allow_none=True,
        validate=[validate.Length(max=TOKEN_MAX), NoControls()],
        metadata={"description": "The play link's token; the admin may draw without it."},
    )


EMPTY_QUERY = "Введите название фильма или ссылку на Кинопоиск"
LONG_QUERY = f"Запрос длиннее {SEARCH_MAX} символов"


# Two visible characters and no control character anywhere. Spaces are collapsed before the check, and a
# collapsed query has at least QUERY_MIN = 2 characters exactly when it has two visible ones (pinned by
# tests/integration/test_search_api.py); the document shows this pattern for the query as sent, before
# the collapse. Linear like VISIBLE: each run between the two visible characters it names is one pass.
_NO_CONTROL = r"\x00-\x1f\x7f-\x9f"
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
            validate.Length(max=SEARCH_MAX, error=LONG_QUERY),
            Searchable(),
        ],
        error_messages={"required": EMPTY_QUERY},
        metadata={"description": "A title, a kinopoisk.ru link or a Kinopoisk id; spaces are collapsed."},
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


class LibraryQuery(ApiSchema):
    q = Text(
        load_default=None,
        validate=[validate.Length(max=QUERY_MAX), NoControls()],
        metadata={"description": "Words that must all appear in the title, year, genres or countries."},
    )
    sort = Text(
        load_default="added",
        validate=[validate.Length(max=20), NoControls()],
        metadata={"description": f"One of {', '.join(SORTS)}; anything else sorts by date added."},
    )
    page = _page()
    field_codes: ClassVar[dict[str, str]] = {"q": "invalid_query", "page": "invalid_page"}


MAGNET_NEEDED = "Нужна магнет-ссылка в поле magnet: magnet:?xt=urn:btih:…"
MAGNET_TOO_LONG = f"Ссылка слишком длинная (больше {MAGNET_MAX} символов)"


def _magnet(**options: Any) -> Text:
    return Text(
        validate=validate.Length(max=MAGNET_MAX, error=MAGNET_TOO_LONG),
        error_messages={"required": MAGNET_NEEDED, "null": MAGNET_NEEDED, "invalid": MAGNET_NEEDED},
        metadata={"description": "magnet:?xt=urn:btih:<40 hex or 32 base32 characters>…"},
        **options,
    )


class LibraryMovieSchema(Shared, MovieSchema):
    """A library movie: the lottery's movie shape plus an optional magnet link."""

    body_required: ClassVar[bool] = True
    magnet = _magnet(load_default=None, allow_none=True)

    def input_error(self, messages: dict) -> InvalidInput:
        if set(messages) == {"magnet"}:
            return InvalidInput(first_message(messages), code="invalid_magnet", details={"fields": messages})
        problems = {key: value for key, value in messages.items() if key != "magnet"}
        return InvalidInput(first_message(problems), code="invalid_movie", details={"fields": messages})

    @classmethod
    def error_codes(cls) -> list[str]:
        return ["invalid_movie", "invalid_magnet"]


class MagnetSchema(ApiSchema):
    magnet = _magnet(required=True)
    default_code: ClassVar[str] = "invalid_magnet"


class RemoveTorrentQuery(ApiSchema):
    delete_files = Text(
        load_default="0",
        validate=validate.OneOf(["0", "1"], error="delete_files должен быть 0 или 1"),
        metadata={"description": "1 also deletes the downloaded files."},
    )
    default_code: ClassVar[str] = "invalid_delete_files"


def input_error(schema: Schema, messages: dict) -> InvalidInput:
    """The 400 for a request part the schema refused, in the API's error shape."""
    messages = in_russian(messages)
    hook = getattr(schema, "input_error", None)
    if hook is not None:
        return hook(messages)
    return InvalidInput(first_message(messages), details={"fields": messages})
