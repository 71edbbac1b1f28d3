"""What the JSON API answers, for the OpenAPI document only.

The views build their answers as plain dicts (no per-request serialisation on the polled endpoints); these
schemas describe them. Every object is closed (``additionalProperties: false``, marshmallow's RAISE), so the
fuzz test notices a field that an answer carries and the document does not.
"""

from __future__ import annotations

from marshmallow import RAISE, Schema, fields, validate

from movie_lottery.core.models import DOWNLOAD_STATUSES, LIBRARY_STATUSES, POLL_CLOSERS
from movie_lottery.web.api.schemas import Shared


class Closed(Shared, Schema):
    class Meta:
        unknown = RAISE


def _text(description: str | None = None, **options) -> fields.String:
    metadata = {"description": description} if description else {}
    return fields.String(required=True, metadata=metadata, **options)


def _maybe(field: type[fields.Field], description: str | None = None, **options) -> fields.Field:
    """Always present, possibly null."""
    metadata = {"description": description} if description else {}
    return field(required=True, allow_none=True, metadata=metadata, **options)


def _extra(field: type[fields.Field], description: str) -> fields.Field:
    """Present only when known (the Kinopoisk extras)."""
    return field(allow_none=True, metadata={"description": description})


class Movie(Closed):
    kinopoisk_id = _maybe(fields.Integer)
    name = _text()
    year = _maybe(fields.Integer)
    poster = _maybe(fields.String, "Адрес постера, http(s)")
    description = _maybe(fields.String)
    rating = _maybe(fields.Float, "Рейтинг Кинопоиска, 0–10")
    genres = fields.List(fields.String(), required=True)
    countries = fields.List(fields.String(), required=True)
    poster_preview = _extra(fields.String, "Постер поменьше")
    rating_imdb = _extra(fields.Float, "Рейтинг IMDb, 0–10")
    length = _extra(fields.Integer, "Длительность, минуты")
    trailer_url = _extra(fields.String, "Трейлер (адрес для встраивания)")
    kinopoisk_url = _extra(fields.String, "Страница фильма на kinopoisk.ru")


STATUS_DOC = (
    "`want` «хочу посмотреть», `watched` «посмотрели», `excluded` «не предлагать» (исключение, чей день "
    "настал, — снова `want`)"
)


def _status() -> fields.String:
    return _text(STATUS_DOC, validate=validate.OneOf(LIBRARY_STATUSES))


class LibraryNote(Closed):
    """What the library knows of a movie (a lottery's candidate, a search hit)."""

    id = fields.Integer(required=True, metadata={"description": "Фильм библиотеки"})
    status = _status()
    excluded_until = _maybe(fields.Date, "При `excluded`: день, когда фильм снова `want`; `null` — навсегда")
    favourite = fields.Boolean(required=True)
    last_watched = _maybe(fields.Date, "День последнего просмотра")
    times_watched = fields.Integer(required=True, metadata={"description": "Сколько просмотров записано"})
    text = _text(
        "Что о нём пишут страницы: «смотрели 3 марта», «смотрели 2 раза, последний — 3 марта», «исключён до "
        "1 января», «исключён навсегда» или просто статус («хочу посмотреть», «посмотрели»)",
    )


class LibraryNotes(Closed):
    notes = fields.List(
        _maybe(fields.Nested, nested=LibraryNote),
        required=True,
        metadata={
            "description": "По одной на каждый присланный фильм, по порядку; `null` — его нет в библиотеке"
        },
    )


class SearchHit(Movie):
    is_series = fields.Boolean(metadata={"description": "Сериал, а не фильм"})
    library = _maybe(
        fields.Nested, nested=LibraryNote, description="Этот фильм в библиотеке; `null`, если его там нет"
    )


class SearchResults(Closed):
    results = fields.List(fields.Nested(SearchHit), required=True)
    cached = fields.Boolean(required=True, metadata={"description": "Ответ из суточного кэша"})


class Candidate(Movie):
    position = fields.Integer(required=True, metadata={"description": "Место в списке, считая с 0"})


class Lottery(Closed):
    id = _text("8 символов, безопасных для адреса")
    created_at = fields.DateTime(required=True)
    movies = fields.List(fields.Nested(Candidate), required=True)
    winner = _maybe(fields.Nested, nested=Candidate, description="`null`, пока не разыграна")
    drawn_at = _maybe(fields.DateTime)
    commitment = _text("sha256 от `seed`, публикуется при создании")
    seed = _maybe(fields.String, "Раскрывается после розыгрыша: sha256(seed) должен совпасть с `commitment`")
    auto_download = fields.Boolean(required=True)


class LotteryWithLinks(Lottery):
    wait_url = _text("Страница, на которой все ждут результата")
    play_url = fields.String(metadata={"description": "Страница розыгрыша; только для администратора"})
    play_token = fields.String(metadata={"description": "Токен розыгрыша; только для администратора"})


class CreatedLottery(LotteryWithLinks):
    play_url = _text("Страница розыгрыша: пошлите её другу, который крутит барабан")
    play_token = _text("Токен, который нужен для `POST …/draw`")


class LotteryPage(Closed):
    lotteries = fields.List(fields.Nested(LotteryWithLinks), required=True)
    page = fields.Integer(required=True)
    pages = fields.Integer(required=True)
    total = fields.Integer(required=True)


class PollResult(Closed):
    winner = _maybe(
        fields.Integer,
        "Место победителя; после закрытия — выбор барабана среди `tied` (`null`, пока в открытом голосовании "
        "ничья)",
    )
    tied = fields.List(
        fields.Integer(),
        required=True,
        metadata={"description": "Места, поделившие первое, в порядке списка"},
    )
    ballots = fields.Integer(required=True, metadata={"description": "Сколько бюллетеней посчитано"})
    vetoes = fields.List(fields.Integer(), required=True, metadata={"description": "Вето на каждый фильм"})
    excluded = fields.List(
        fields.Integer(),
        required=True,
        metadata={"description": "Фильмы с вето, не вошедшие в подсчёт (никакие, если вето у всех)"},
    )
    counts = fields.List(
        fields.Integer(), metadata={"description": "Одобрение: сколько «да» у каждого фильма"}
    )
    pairwise = fields.List(
        fields.List(fields.Integer()),
        metadata={
            "description": "Ранжирование: `pairwise[a][b]` — сколько бюллетеней ставят a выше b "
            "(по ним считает метод Шульце)"
        },
    )


class Poll(Closed):
    id = _text("8 символов, безопасных для адреса")
    created_at = fields.DateTime(required=True)
    status = _text(validate=validate.OneOf(["open", "closed"]))
    method = _text(validate=validate.OneOf(["approval", "ranked"]))
    results = _text("Когда виден результат", validate=validate.OneOf(["after_close", "live"]))
    veto = fields.Boolean(
        required=True, metadata={"description": "Каждый участник может наложить вето на один фильм"}
    )
    auto_download = fields.Boolean(
        required=True, metadata={"description": "После закрытия победитель ставится на скачивание"}
    )
    movies = fields.List(fields.Nested(Candidate), required=True)
    voters = fields.List(
        fields.String(), required=True, metadata={"description": "Кто уже проголосовал, по порядку"}
    )
    deadline = _maybe(fields.DateTime, "Когда закроется само; `null` — когда закроет создатель")
    closed_at = _maybe(fields.DateTime)
    closed_by = _maybe(
        fields.String, "`creator`, `admin` или `deadline`", validate=validate.OneOf(POLL_CLOSERS)
    )
    commitment = _text("sha256 от `seed`, публикуется при создании")
    seed = _maybe(fields.String, "Раскрывается после закрытия: sha256(seed) должен совпасть с `commitment`")
    result = _maybe(
        fields.Nested,
        nested=PollResult,
        description="`null`, пока не показан (при `live` — сразу, иначе после закрытия)",
    )
    poll_url = _text("Страница, на которой все голосуют")
    manage_url = fields.String(
        metadata={"description": "Закрыть досрочно, убрать бюллетень; только для администратора"}
    )
    manage_token = fields.String(
        metadata={"description": "Токен ссылки управления; только для администратора"}
    )


class CreatedPoll(Poll):
    manage_url = _text("Страница создателя: закрыть досрочно, убрать бюллетень")
    manage_token = _text("Токен, который нужен для `POST …/close` и `DELETE …/ballots/<name>`")


class OwnBallot(Closed):
    name = _text()
    approve = fields.List(fields.Integer(), metadata={"description": "Голосование одобрением"})
    ranking = fields.List(fields.Integer(), metadata={"description": "Ранжирование, лучший первым"})
    veto = _maybe(fields.Integer)


class Download(Closed):
    status = _text(validate=validate.OneOf(DOWNLOAD_STATUSES))
    info_hash = _text("40 шестнадцатеричных символов в нижнем регистре")
    requested_at = fields.DateTime(required=True)
    sent_at = _maybe(fields.DateTime)
    finished_at = _maybe(fields.DateTime)
    attempts = fields.Integer(required=True)
    last_error = _maybe(fields.String)


class RemovalState(Closed):
    status = _text(
        "`pending` — записано, уйдёт, когда qBittorrent ответит; `sent` — qBittorrent принял удаление; "
        "`done` — удалено",
        validate=validate.OneOf(["pending", "sent", "done"]),
    )
    info_hash = _text("40 шестнадцатеричных символов в нижнем регистре")
    delete_files = fields.Boolean(required=True)
    requested_at = fields.DateTime(required=True)
    sent_at = _maybe(fields.DateTime)
    finished_at = _maybe(fields.DateTime)


class GroupRating(Closed):
    average = fields.Float(required=True)
    count = fields.Integer(required=True)


class LibraryMovie(Movie):
    id = fields.Integer(required=True)
    status = _status()
    excluded_until = _maybe(
        fields.Date, "При `excluded`: день, когда фильм снова `want`; `null` — навсегда (или не исключён)"
    )
    favourite = fields.Boolean(required=True, metadata={"description": "«любимое»"})
    viewings = fields.List(
        fields.Date(), required=True, metadata={"description": "Дни просмотров, новые первыми"}
    )
    last_watched = _maybe(fields.Date, "Самый поздний из просмотров")
    added_at = fields.DateTime(required=True)
    magnet = _maybe(fields.String)
    info_hash = _maybe(fields.String, "40 шестнадцатеричных символов в нижнем регистре")
    torrent_search_url = _maybe(fields.String, "Поиск его на трекере, если задан `TORRENT_SEARCH_URL`")
    download = _maybe(
        fields.Nested, nested=Download, description="Заказанное скачивание; `null`, если его нет"
    )
    removal = _maybe(
        fields.Nested,
        nested=RemovalState,
        description="Заказанное вместо него удаление торрента; `null`, если его нет",
    )
    group_rating = _maybe(
        fields.Nested,
        nested=GroupRating,
        description="Оценки группы от 1 до 10 за все вечера с этим фильмом; `null`, пока никто не оценил",
    )


class RatingOwn(Closed):
    name = _text()
    score = fields.Integer(required=True, validate=validate.Range(1, 10))


class RatingSummary(Closed):
    watched = fields.Boolean(
        required=True, metadata={"description": "Победитель отмечен как просмотренный: оценки открыты"}
    )
    average = _maybe(fields.Float, "Средняя оценка группы, от 1 до 10; `null`, пока никто не оценил")
    count = fields.Integer(required=True, metadata={"description": "Сколько человек оценили"})
    text = _maybe(fields.String, "Словами: «оценка группы 7,5 · 4 голоса»; `null`, пока никто не оценил")
    mine = _maybe(fields.Nested, nested=RatingOwn, description="Ваша оценка (по cookie участника)")
    name = _maybe(
        fields.String,
        "Имя, под которым здесь известен участник из cookie (по его оценке или бюллетеню), если есть",
    )


class StatusCounts(Closed):
    want = fields.Integer(required=True)
    watched = fields.Integer(required=True)
    excluded = fields.Integer(required=True)


class LibraryPage(Closed):
    movies = fields.List(fields.Nested(LibraryMovie), required=True)
    total = fields.Integer(required=True, metadata={"description": "Сколько фильмов проходит фильтр"})
    page = fields.Integer(required=True)
    pages = fields.Integer(required=True)
    counts = fields.Nested(
        StatusCounts,
        required=True,
        metadata={"description": "Фильмы по статусам при остальном фильтре (жанр, годы, рейтинг, `q`)"},
    )


class RandomPick(Closed):
    movies = fields.List(
        fields.Nested(LibraryMovie),
        required=True,
        metadata={"description": "Разные, в порядке выбора; меньше `n`, если подходит меньше"},
    )


class Genres(Closed):
    genres = fields.List(
        fields.String(), required=True, metadata={"description": "Приведённые к одному виду, по алфавиту"}
    )


class DownloadAccepted(Closed):
    download = fields.Nested(Download, required=True)


class Removal(Closed):
    info_hash = _text()
    delete_files = fields.Boolean(required=True)
    status = _text(
        "Записано: удаление выполняется в фоне, и после перезапуска тоже; следите за ним в `removal` фильма "
        "(ещё не отправленное скачивание просто отменяется — такое удаление готово сразу)",
        validate=validate.OneOf(["queued"]),
    )


class RemovalAccepted(Closed):
    removal = fields.Nested(Removal, required=True)


class Breaker(Closed):
    state = _text(validate=validate.OneOf(["closed", "open", "half_open"]))
    retry_at = _maybe(fields.DateTime)


class Torrent(Closed):
    movie_id = _maybe(fields.Integer, "Фильм библиотеки с этим хешем, если есть")
    info_hash = _text()
    name = _text()
    state = _text("Состояние в qBittorrent")
    progress = fields.Float(required=True, metadata={"description": "От 0 до 1"})
    dlspeed = fields.Integer(required=True, metadata={"description": "Байт в секунду"})
    eta = _maybe(fields.Integer, "Секунды; `null`, если неизвестно")
    size = fields.Integer(required=True, metadata={"description": "Байты"})


class PendingDownload(Closed):
    movie_id = fields.Integer(required=True)
    info_hash = _text()
    requested_at = fields.DateTime(required=True)
    attempts = fields.Integer(required=True)
    last_error = _maybe(fields.String)


class PendingRemoval(Closed):
    movie_id = _maybe(fields.Integer, "`null`, если фильм с тех пор удалён из библиотеки")
    info_hash = _text()
    delete_files = fields.Boolean(required=True)
    status = _text(validate=validate.OneOf(["pending", "sent"]))
    requested_at = fields.DateTime(required=True)


class TorrentStatus(Closed):
    configured = fields.Boolean(required=True)
    available = fields.Boolean(required=True)
    reason = _maybe(fields.String, "Почему qBittorrent недоступен, по-русски")
    checked_at = _maybe(fields.DateTime, "Когда снят снимок состояния")
    breaker = fields.Nested(Breaker, required=True)
    torrents = fields.List(fields.Nested(Torrent), required=True)
    pending = fields.List(fields.Nested(PendingDownload), required=True)
    removals = fields.List(
        fields.Nested(PendingRemoval), required=True, metadata={"description": "Ещё не выполненные удаления"}
    )


class ErrorBody(Closed):
    code = _text("Неизменный, для скриптов: например, `invalid_input`, `lottery_not_found`")
    message = _text("По-русски, для людей")
    details = fields.Dict(metadata={"description": "Сообщения по полям (`fields`) и, для фильма, его номер"})


class Error(Closed):
    error = fields.Nested(ErrorBody, required=True)
