"""What the JSON API accepts. These schemas validate every request AND generate /api/openapi.json.

Unknown fields are ignored everywhere (marshmallow's EXCLUDE), as MovieSchema always did: a bot may send a
richer object than we keep. A refused request is a 400 ``{"error": {"code", "message", "details"}}``: the code
names the problem (the codes the API had before these schemas keep their names), the message is Russian,
and ``details.fields`` holds every field's messages.
"""

from __future__ import annotations

from typing import Any, ClassVar

from marshmallow import EXCLUDE, Schema, ValidationError, fields, pre_load, validate, validates_schema

from movie_lottery.core.errors import InvalidInput
from movie_lottery.core.models import (
    LIBRARY_STATUSES,
    PARTICIPANT_NAME_MAX,
    POLL_RESULTS,
    RATING_MAX,
    RATING_MIN,
)
from movie_lottery.core.validation import (
    VISIBLE,
    CalendarDay,
    FullPattern,
    MovieIdentitySchema,
    MovieSchema,
    NoControls,
    SizedList,
    Text,
    first_message,
    in_russian,
)
from movie_lottery.integrations.magnet import MAX_LENGTH as MAGNET_MAX
from movie_lottery.library.filter_input import STATUS_INVALID as FILTER_STATUS_INVALID
from movie_lottery.library.filter_input import (
    STATUS_TEXT_MAX,
    YEARS_REVERSED,
    LibraryFilterSchema,
    StatusSet,
)
from movie_lottery.library.filters import RANDOM_DEFAULT, RANDOM_MAX, RANDOM_MIN
from movie_lottery.library.movies import SORTS
from movie_lottery.lottery.service import MAX_MOVIES, MIN_MOVIES
from movie_lottery.polls.voting import METHODS
from movie_lottery.search.service import SHORT_QUERY

PAGE_MAX = 1_000_000
SEARCH_QUERY_MAX = 200  # a Kinopoisk search; the library's own filter is library.QUERY_MAX
TOKEN_MAX = 100


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
        metadata={"description": "Номер страницы, с 1; номер за последней даёт последнюю."},
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
        metadata={
            "description": "Кандидаты в том порядке, в каком их покажет барабан: от него зависит розыгрыш."
        },
    )
    auto_download = StrictBoolean(
        load_default=False,
        error_messages={"invalid": "auto_download (скачать победителя автоматически): нужно «да» или «нет»"},
        metadata={"description": "Поставить победителя на скачивание (если qBittorrent настроен)."},
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


POLL_TOO_MANY = f"Не больше {MAX_MOVIES} фильмов в одном голосовании"


class PollCreateSchema(LotteryCreateSchema):
    """A lottery's candidates, checked the same way, with the poll's settings."""

    movies = SizedList(
        fields.Nested(MovieSchema, error_messages={"null": "Фильм должен быть объектом"}),
        required=True,
        validate=[
            validate.Length(min=MIN_MOVIES, error=TOO_FEW),
            validate.Length(max=MAX_MOVIES, error=POLL_TOO_MANY),
        ],
        error_messages={"required": NOT_A_LIST, "null": NOT_A_LIST, "invalid": NOT_A_LIST},
        metadata={"description": "Кандидаты; бюллетени называют их по месту в этом списке, считая с 0."},
    )
    method = Text(
        load_default="approval",
        validate=[validate.Length(max=20), validate.OneOf(METHODS, error="method: approval или ranked")],
        metadata={
            "description": "`approval` — каждому фильму «да» или «нет», побеждает больше «да»; `ranked` — "
            "расставить сколько угодно фильмов по порядку, решает метод Шульце."
        },
    )
    deadline = fields.AwareDateTime(
        load_default=None,
        allow_none=True,
        error_messages={
            "invalid": "deadline: нужны дата и время с часовым поясом, например 2026-12-31 21:00:00+03:00",
            "invalid_awareness": "deadline: укажите часовой пояс, например +03:00",
            "format": "deadline: нужны дата и время с часовым поясом, например 2026-12-31 21:00:00+03:00",
        },
        metadata={
            "description": "ISO 8601 с часовым поясом: тогда голосование закроется. Без срока — пока "
            "не закроет создатель."
        },
    )
    results = Text(
        load_default="after_close",
        validate=[
            validate.Length(max=20),
            validate.OneOf(POLL_RESULTS, error="results: after_close или live"),
        ],
        metadata={
            "description": "`after_close` — результат виден после закрытия; `live` — и пока голосование "
            "открыто."
        },
    )
    veto = StrictBoolean(
        load_default=False,
        error_messages={"invalid": "veto (можно наложить вето): нужно «да» или «нет»"},
        metadata={
            "description": "Каждый может наложить вето на один фильм; фильм с вето не победит, если вето "
            "не у всех."
        },
    )
    auto_download = StrictBoolean(
        load_default=False,
        error_messages={"invalid": "auto_download (скачать победителя автоматически): нужно «да» или «нет»"},
        metadata={
            "description": "После закрытия поставить победителя на скачивание (если qBittorrent настроен)."
        },
    )
    message_codes: ClassVar[dict[str, str]] = {
        TOO_FEW: "too_few_movies",
        POLL_TOO_MANY: "too_many_movies",
        NOT_A_LIST: "invalid_movies",
    }
    field_codes: ClassVar[dict[str, str]] = {
        "method": "invalid_method",
        "deadline": "invalid_deadline",
        "results": "invalid_results",
        "veto": "invalid_veto",
    }


NAME_MESSAGE = f"Имя — от 1 до {PARTICIPANT_NAME_MAX} символов, без «/»"
# VISIBLE without "/" (a name is a path segment of DELETE …/ballots/<name>), and stricter: a name others see
# next to a vote or a score needs a character that shows (a zero-width space, a BOM or a soft hyphen alone
# is a blank name), and may not carry bidi embeddings, overrides or isolates, which turn the rest of the line
# around wherever the name is shown. Linear for the same reason: the blank run and the first visible
# character are disjoint classes.
_BIDI = "\u202a-\u202e\u2066-\u2069"
_INVISIBLE = "\u00ad\u180e\u200b-\u200f\u2060-\u2065\ufeff"
PARTICIPANT_NAME = (
    rf"^(?:[^\S\x00-\x1f\x7f-\x9f]|[{_INVISIBLE}])*"
    rf"[^\s\x00-\x1f\x7f-\x9f/{_INVISIBLE}{_BIDI}][^\x00-\x1f\x7f-\x9f/{_BIDI}]*$"
)
ONE_VETO = "Вето можно наложить только на один фильм: укажите один номер"


class OneVeto(fields.Integer):
    """A single position; a list of them says in words that there is one veto each."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> int:
        if isinstance(value, (list, tuple)):
            raise self.make_error("several")
        if isinstance(value, bool):
            raise self.make_error("invalid")
        return super()._deserialize(value, attr, data, **kwargs)


def _positions(description: str) -> SizedList:
    return SizedList(
        fields.Integer(strict=True, error_messages={"invalid": "Номер фильма — целое число"}),
        load_default=None,
        validate=validate.Length(max=MAX_MOVIES, error=f"Не больше {MAX_MOVIES} фильмов"),
        error_messages={"invalid": "Нужен список номеров фильмов"},
        metadata={"description": description},
    )


def _participant_name(description: str) -> Text:
    """A voter's or a rater's name: 1–40 visible characters, optional once the cookie names them."""
    return Text(
        load_default=None,
        validate=[
            validate.Length(min=1, max=PARTICIPANT_NAME_MAX, error=NAME_MESSAGE),
            FullPattern(PARTICIPANT_NAME, error=NAME_MESSAGE),
        ],
        metadata={"description": description},
    )


class BallotSchema(ApiSchema):
    name = _participant_name(
        "Все увидят, что вы проголосовали; в голосовании одно такое имя (регистр, пробелы "
        "и ё/е не важны). Нужно в первом бюллетене; с cookie участника дальше можно без него."
    )
    approve = _positions("Голосование одобрением: фильмы, которые вы готовы смотреть («да»), по месту с 0.")
    ranking = _positions("Ранжирование: места с 0, лучший первым; не названные фильмы делят последнее место.")
    veto = OneVeto(
        load_default=None,
        allow_none=True,
        strict=True,
        error_messages={"several": ONE_VETO, "invalid": "veto: номер фильма — целое число"},
        metadata={
            "description": "Голосование с вето: один фильм, который вы смотреть не будете (место с 0)."
        },
    )
    message_codes: ClassVar[dict[str, str]] = {ONE_VETO: "two_vetoes"}
    field_codes: ClassVar[dict[str, str]] = {
        "name": "invalid_name",
        "approve": "invalid_ballot",
        "ranking": "invalid_ballot",
        "veto": "invalid_veto",
    }

    @pre_load
    def _trim_name(self, data: Any, **kwargs: Any) -> Any:
        name = data.get("name") if hasattr(data, "get") else None
        if isinstance(name, str):
            return {**data, "name": " ".join(name.split())}
        return data


SCORE_MESSAGE = f"Оценка — целое число от {RATING_MIN} до {RATING_MAX}"


class RatingSchema(ApiSchema):
    """PUT /api/ratings/<kind>/<id>: оценка просмотренного победителя под именем."""

    name = _participant_name(
        "Показывается рядом с оценкой; уникально в лотерее или голосовании (регистр, "
        "пробелы и ё/е не различаются). Можно не указывать, если cookie участника уже называет вас "
        "(по прежней оценке или по бюллетеню в этом голосовании)."
    )
    score = fields.Integer(
        required=True,
        strict=True,
        validate=validate.Range(RATING_MIN, RATING_MAX, error=SCORE_MESSAGE),
        error_messages={"required": SCORE_MESSAGE, "null": SCORE_MESSAGE, "invalid": SCORE_MESSAGE},
        metadata={"description": f"От {RATING_MIN} до {RATING_MAX}; следующий PUT заменяет её."},
    )
    field_codes: ClassVar[dict[str, str]] = {"name": "invalid_name", "score": "invalid_score"}
    message_codes: ClassVar[dict[str, str]] = {SCORE_MESSAGE: "invalid_score"}  # it names the field itself
    _trim_name = BallotSchema._trim_name


class ManageSchema(ApiSchema):
    body_required: ClassVar[bool] = False
    token = Text(
        load_default=None,
        allow_none=True,
        validate=[validate.Length(max=TOKEN_MAX), NoControls()],
        metadata={"description": "Токен ссылки управления; администратору не нужен."},
    )


class DrawSchema(ApiSchema):
    body_required: ClassVar[bool] = False
    token = Text(
        load_default=None,
        allow_none=True,
        validate=[validate.Length(max=TOKEN_MAX), NoControls()],
        metadata={"description": "Токен ссылки розыгрыша; администратор может крутить без него."},
    )


EMPTY_QUERY = "Введите название фильма или ссылку на Кинопоиск"
LONG_QUERY = f"Запрос длиннее {SEARCH_QUERY_MAX} символов"


# Two visible characters and no control character anywhere. Spaces are collapsed before the check, and a
# collapsed query has at least QUERY_MIN = 2 characters exactly when it has two visible ones (pinned by
# tests/search/test_search_api.py); the document shows this pattern for the query as sent, before
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


FILTER_CODES = {
    "q": "invalid_query",
    "status": "invalid_status",
    "genre": "invalid_genre",
    "year_from": "invalid_year",
    "year_to": "invalid_year",
    "min_rating": "invalid_rating",
    "favourite": "invalid_favourite",
}


class LibraryQuery(ApiSchema, LibraryFilterSchema):
    """GET /api/library: the page's filter (filter_input.LibraryFilterSchema), the sort and the page."""

    sort = Text(
        load_default="added",
        validate=[validate.Length(max=20), NoControls()],
        metadata={
            "description": f"Одно из: {', '.join(SORTS)} (`watched` — сначала те, что смотрели давнее всего, "
            "несмотренные в конце); любое другое — по дате добавления."
        },
    )
    page = _page()
    field_codes: ClassVar[dict[str, str]] = {**FILTER_CODES, "page": "invalid_page"}
    message_codes: ClassVar[dict[str, str]] = {YEARS_REVERSED: "invalid_year_range"}


N_INVALID = f"n — целое число от {RANDOM_MIN} до {RANDOM_MAX}"
EXCLUDED_NOT_RANDOM = "Фильмы «не предлагать» в случайный выбор не попадают: выберите want или watched"


class RandomQuery(ApiSchema, LibraryFilterSchema):
    """GET /api/library/random: how many, and the same filter as the list (the status defaults to want)."""

    status = StatusSet(
        load_default=None,
        validate=[validate.Length(max=STATUS_TEXT_MAX), NoControls()],
        error_messages={"invalid": FILTER_STATUS_INVALID},
        metadata={
            "description": "`want` (по умолчанию), `watched` или оба (`want,watched` или `all`). Исключённый "
            "фильм не выпадает никогда: `excluded` не принимается, а исключение, чей день настал, — "
            "это `want`."
        },
    )
    n = fields.Integer(
        load_default=RANDOM_DEFAULT,
        strict=False,
        validate=validate.Range(RANDOM_MIN, RANDOM_MAX, error=N_INVALID),
        error_messages={"invalid": N_INVALID, "null": N_INVALID},
        metadata={"description": "Сколько разных фильмов; если подходит меньше, придёт меньше."},
    )
    field_codes: ClassVar[dict[str, str]] = {**FILTER_CODES, "n": "invalid_n"}
    message_codes: ClassVar[dict[str, str]] = {
        YEARS_REVERSED: "invalid_year_range",
        EXCLUDED_NOT_RANDOM: "invalid_status",
    }

    @validates_schema
    def _never_excluded(self, data: dict, **kwargs: Any) -> None:
        if "excluded" in (data.get("status") or ()) and data.get("status") != LIBRARY_STATUSES:
            raise ValidationError(EXCLUDED_NOT_RANDOM, field_name="status")


STATUS_INVALID = "Статус — want, watched или excluded"
FAVOURITE_INVALID = "favourite («любимое»): нужно «да» или «нет»"


class MarksSchema(ApiSchema):
    """PATCH /api/library/<id>: only the fields that change."""

    status = Text(
        validate=[
            validate.Length(max=16, error=STATUS_INVALID),
            validate.OneOf(LIBRARY_STATUSES, error=STATUS_INVALID),
        ],
        error_messages={"null": STATUS_INVALID, "invalid": STATUS_INVALID},
        metadata={
            "description": "`want` «хочу посмотреть», `watched` «посмотрели», `excluded` «не предлагать»."
        },
    )
    excluded_until = CalendarDay(
        allow_none=True,
        metadata={
            "description": "Только с `excluded`: день, когда фильм снова `want` (позже сегодняшнего); "
            "`null` — исключён навсегда."
        },
    )
    favourite = StrictBoolean(
        error_messages={"invalid": FAVOURITE_INVALID, "null": FAVOURITE_INVALID},
        metadata={"description": "«любимое»"},
    )
    field_codes: ClassVar[dict[str, str]] = {
        "status": "invalid_status",
        "excluded_until": "invalid_date",
        "favourite": "invalid_favourite",
    }

    @classmethod
    def error_codes(cls) -> list[str]:
        return [*super().error_codes(), "nothing_to_change", "excluded_until_not_excluded"]


class ViewingSchema(ApiSchema):
    """POST /api/library/<id>/viewings and /api/lotteries/<id>/watched: the day, today by default."""

    body_required: ClassVar[bool] = False
    date = CalendarDay(
        load_default=None,
        allow_none=True,
        metadata={"description": "День просмотра (не в будущем); по умолчанию — сегодня (UTC)."},
    )
    default_code: ClassVar[str] = "invalid_date"


NOTES_TOO_MANY = f"Не больше {MAX_MOVIES} фильмов"
NOTES_NEEDED = "Нужен список фильмов: movies"


class CandidateRef(Shared, MovieIdentitySchema):
    """A movie as the same-movie rule knows it."""


class LibraryNotesSchema(ApiSchema):
    """POST /api/library/notes: what the library knows of each of a lottery's candidates."""

    movies = SizedList(
        fields.Nested(CandidateRef, error_messages={"null": "Фильм должен быть объектом"}),
        required=True,
        validate=validate.Length(max=MAX_MOVIES, error=NOTES_TOO_MANY),
        error_messages={"required": NOTES_NEEDED, "null": NOTES_NEEDED, "invalid": NOTES_NEEDED},
        metadata={"description": "До 25 кандидатов: `kinopoisk_id` и/или `name` и `year`."},
    )
    default_code: ClassVar[str] = "invalid_movies"


MAGNET_NEEDED = "Нужна магнет-ссылка в поле magnet: magnet:?xt=urn:btih:…"
MAGNET_TOO_LONG = f"Ссылка слишком длинная (больше {MAGNET_MAX} символов)"


def _magnet(**options: Any) -> Text:
    return Text(
        validate=validate.Length(max=MAGNET_MAX, error=MAGNET_TOO_LONG),
        error_messages={"required": MAGNET_NEEDED, "null": MAGNET_NEEDED, "invalid": MAGNET_NEEDED},
        metadata={"description": "`magnet:?xt=urn:btih:` и 40 шестнадцатеричных или 32 символа base32…"},
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
        metadata={"description": "`1` — удалить и скачанные файлы."},
    )
    default_code: ClassVar[str] = "invalid_delete_files"


def input_error(schema: Schema, messages: dict) -> InvalidInput:
    """The 400 for a request part the schema refused, in the API's error shape."""
    messages = in_russian(messages)
    hook = getattr(schema, "input_error", None)
    if hook is not None:
        return hook(messages)
    return InvalidInput(first_message(messages), details={"fields": messages})
