"""/api/library: what the library's list, picks, marks, viewings and magnets accept, and how its movies,
notes and download wishes are answered."""

from __future__ import annotations

from typing import Any, ClassVar

from flask import current_app
from marshmallow import ValidationError, fields, pre_dump, validate, validates_schema

from movie_lottery.core.errors import InvalidInput
from movie_lottery.core.models import DOWNLOAD_STATUSES, LIBRARY_STATUSES
from movie_lottery.core.models import Download as DownloadRow
from movie_lottery.core.models import LibraryMovie as LibraryMovieRow
from movie_lottery.core.validation import (
    CalendarDay,
    MovieIdentitySchema,
    MovieSchema,
    NoControls,
    SizedList,
    Text,
    first_message,
)
from movie_lottery.integrations.magnet import MAX_LENGTH as MAGNET_MAX
from movie_lottery.library import movies as library
from movie_lottery.library.filter_input import (
    FILTER_LABELS,
    STATUS_TEXT_MAX,
    YEARS_REVERSED,
    LibraryFilterSchema,
    StatusSet,
)
from movie_lottery.library.filter_input import STATUS_INVALID as FILTER_STATUS_INVALID
from movie_lottery.library.filters import RANDOM_DEFAULT, RANDOM_MAX, RANDOM_MIN, utc_today
from movie_lottery.library.movies import SORTS
from movie_lottery.lottery.service import MAX_MOVIES
from movie_lottery.web.api.schemas.base import (
    ApiSchema,
    Movie,
    Reply,
    Shared,
    StrictBoolean,
    maybe,
    page_number,
    required_text,
)
from movie_lottery.web.rendering.library_words import note_for

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
    page = page_number()
    field_codes: ClassVar[dict[str, str]] = {**FILTER_CODES, "page": "invalid_page"}
    field_labels: ClassVar[dict[str, str]] = FILTER_LABELS
    message_codes: ClassVar[dict[str, str]] = {YEARS_REVERSED: "invalid_year_range"}


N_INVALID = f"Сколько фильмов взять — целое число от {RANDOM_MIN} до {RANDOM_MAX}"
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
    field_labels: ClassVar[dict[str, str]] = FILTER_LABELS
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


STATUS_DOC = (
    "`want` «хочу посмотреть», `watched` «посмотрели», `excluded` «не предлагать» (исключение, чей день "
    "настал, — снова `want`)"
)


def _status() -> fields.String:
    return required_text(STATUS_DOC, validate=validate.OneOf(LIBRARY_STATUSES))


class LibraryNote(Reply):
    """What the library knows of a movie (a lottery's candidate, a search hit)."""

    id = fields.Integer(required=True, metadata={"description": "Фильм библиотеки"})
    status = _status()
    excluded_until = maybe(fields.Date, "При `excluded`: день, когда фильм снова `want`; `null` — навсегда")
    favourite = fields.Boolean(required=True)
    last_watched = maybe(fields.Date, "День последнего просмотра")
    times_watched = fields.Integer(required=True, metadata={"description": "Сколько просмотров записано"})
    text = required_text(
        "Что о нём пишут страницы: «смотрели 3 марта», «смотрели 2 раза, последний — 3 марта», «исключён до "
        "1 января», «исключён навсегда» или просто статус («хочу посмотреть», «посмотрели»)",
    )

    def value_text(self, note: dict) -> str:
        words = note_for(note, utc_today())
        return words["text"] or words["label"]


class LibraryNotes(Reply):
    notes = fields.List(
        maybe(fields.Nested, nested=LibraryNote),
        required=True,
        metadata={
            "description": "По одной на каждый присланный фильм, по порядку; `null` — его нет в библиотеке"
        },
    )


class Download(Reply):
    status = required_text(validate=validate.OneOf(DOWNLOAD_STATUSES))
    info_hash = required_text("40 шестнадцатеричных символов в нижнем регистре")
    requested_at = fields.DateTime(required=True)
    sent_at = maybe(fields.DateTime)
    finished_at = maybe(fields.DateTime)
    attempts = fields.Integer(required=True)
    last_error = maybe(fields.String)


class RemovalState(Reply):
    status = required_text(
        "`pending` — записано, уйдёт, когда qBittorrent ответит; `sent` — qBittorrent принял удаление; "
        "`done` — удалено",
        validate=validate.OneOf(["pending", "sent", "done"]),
    )
    info_hash = required_text("40 шестнадцатеричных символов в нижнем регистре")
    delete_files = fields.Boolean(required=True)
    requested_at = fields.DateTime(required=True)
    sent_at = maybe(fields.DateTime)
    finished_at = maybe(fields.DateTime)


class GroupRating(Reply):
    average = fields.Float(required=True)
    count = fields.Integer(required=True)


class StoredId(Reply):
    id = fields.Integer(required=True)


MARK_FIELDS = frozenset({"status", "excluded_until", "favourite", "viewings", "last_watched"})


class LibraryMovie(Movie, StoredId):
    """A kept movie: its id first (StoredId after Movie among the bases puts it there), the movie, then what
    the group did with it and its torrent."""

    status = _status()
    excluded_until = maybe(
        fields.Date, "При `excluded`: день, когда фильм снова `want`; `null` — навсегда (или не исключён)"
    )
    favourite = fields.Boolean(required=True, metadata={"description": "«любимое»"})
    viewings = fields.List(
        fields.Date(), required=True, metadata={"description": "Дни просмотров, новые первыми"}
    )
    last_watched = maybe(fields.Date, "Самый поздний из просмотров")
    added_at = fields.DateTime(required=True)
    magnet = maybe(fields.String)
    info_hash = maybe(fields.String, "40 шестнадцатеричных символов в нижнем регистре")
    torrent_search_url = maybe(fields.String, "Поиск его на трекере, если задан `TORRENT_SEARCH_URL`")
    download = maybe(
        fields.Nested, nested=Download, description="Заказанное скачивание; `null`, если его нет"
    )
    removal = maybe(
        fields.Nested,
        nested=RemovalState,
        description="Заказанное вместо него удаление торрента; `null`, если его нет",
    )
    group_rating = maybe(
        fields.Nested,
        nested=GroupRating,
        description="Оценки группы от 1 до 10 за все вечера с этим фильмом; `null`, пока никто не оценил",
    )

    @pre_dump
    def _with_marks(self, movie: LibraryMovieRow, **kwargs: Any) -> tuple[LibraryMovieRow, dict]:
        return movie, library.marks_to_dict(movie)  # once per movie, not once per mark

    def get_attribute(self, obj: tuple[LibraryMovieRow, dict], attr: str, default: Any) -> Any:
        movie, marks = obj
        return marks[attr] if attr in MARK_FIELDS else super().get_attribute(movie, attr, default)

    def value_torrent_search_url(self, movie: LibraryMovieRow) -> str | None:
        return library.torrent_search_url(current_app.config.get("TORRENT_SEARCH_URL"), movie)

    def value_download(self, movie: LibraryMovieRow) -> DownloadRow | None:
        wish = movie.download
        return wish if wish is not None and wish.is_download else None

    def value_removal(self, movie: LibraryMovieRow) -> DownloadRow | None:
        wish = movie.download
        return wish if wish is not None and not wish.is_download else None

    def value_group_rating(self, movie: LibraryMovieRow) -> dict | None:
        return library.group_rating(movie)


class StatusCounts(Reply):
    want = fields.Integer(required=True)
    watched = fields.Integer(required=True)
    excluded = fields.Integer(required=True)


class LibraryPage(Reply):
    movies = fields.List(fields.Nested(LibraryMovie), required=True)
    total = fields.Integer(
        required=True, attribute="matched", metadata={"description": "Сколько фильмов проходит фильтр"}
    )
    page = fields.Integer(required=True)
    pages = fields.Integer(required=True)
    counts = fields.Nested(
        StatusCounts,
        required=True,
        metadata={"description": "Фильмы по статусам при остальном фильтре (жанр, годы, рейтинг, `q`)"},
    )


class RandomPick(Reply):
    movies = fields.List(
        fields.Nested(LibraryMovie),
        required=True,
        metadata={"description": "Разные, в порядке выбора; меньше `n`, если подходит меньше"},
    )


class Genres(Reply):
    genres = fields.List(
        fields.String(), required=True, metadata={"description": "Приведённые к одному виду, по алфавиту"}
    )


class DownloadAccepted(Reply):
    download = fields.Nested(Download, required=True)


class Removal(Reply):
    info_hash = required_text()
    delete_files = fields.Boolean(required=True)
    status = required_text(
        "Записано: удаление выполняется в фоне, и после перезапуска тоже; следите за ним в `removal` фильма "
        "(ещё не отправленное скачивание просто отменяется — такое удаление готово сразу)",
        validate=validate.OneOf(["queued"]),
    )


class RemovalAccepted(Reply):
    removal = fields.Nested(Removal, required=True)
