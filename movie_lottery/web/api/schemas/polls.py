"""/api/polls: what creating a poll, a ballot and the creator's actions accept, and how a poll is answered."""

from __future__ import annotations

from typing import Any, ClassVar

from flask import current_app
from marshmallow import fields, missing, pre_load, validate

from movie_lottery.core import reel
from movie_lottery.core.models import POLL_CLOSERS, POLL_RESULTS, POLL_VERIFICATIONS
from movie_lottery.core.models import Poll as PollRow
from movie_lottery.core.text_rules import (
    NAME_MESSAGE,
    PARTICIPANT_NAME,
    PARTICIPANT_NAME_MAX,
    TOKEN_MAX,
    collapse_spaces,
)
from movie_lottery.core.validation import FullPattern, MovieSchema, NoControls, SizedList, Text
from movie_lottery.lottery.service import MAX_MOVIES, MIN_MOVIES
from movie_lottery.polls import service as polls
from movie_lottery.polls.service import StoredBallot
from movie_lottery.polls.voting import APPROVAL, METHODS
from movie_lottery.telegram.native_polls import OPTION_LIMIT
from movie_lottery.web.api.schemas.base import (
    ApiSchema,
    Candidate,
    Reply,
    StrictBoolean,
    WithLinks,
    maybe,
    required_text,
)
from movie_lottery.web.api.schemas.lotteries import NOT_A_LIST, TOO_FEW, LotteryCreateSchema, Reel

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
    send_to_chat = StrictBoolean(
        load_default=False,
        error_messages={"invalid": "Отправить в чат: нужно «да» или «нет»"},
        metadata={
            "description": "Бот покажет карточку голосования в подключённых чатах Telegram, "
            "а потом — его итог. "
            "Без подключённого чата ничего не отправляется."
        },
    )
    auto_download = StrictBoolean(
        load_default=False,
        error_messages={"invalid": "Скачать победителя автоматически: нужно «да» или «нет»"},
        metadata={
            "description": "После закрытия поставить победителя на скачивание (если qBittorrent настроен)."
        },
    )
    verification = Text(
        load_default="none",
        validate=[
            validate.Length(max=20),
            validate.OneOf(POLL_VERIFICATIONS, error="verification: none или telegram"),
        ],
        metadata={
            "description": "`none` — голосует любой со ссылкой; `telegram` — только через Telegram (Mini App "
            "бота): имя берётся из Telegram, один голос на аккаунт. `telegram` — только если бот настроен "
            "(`TELEGRAM_BOT_TOKEN`), иначе 400 `telegram_not_configured`."
        },
    )
    telegram_poll = StrictBoolean(
        load_default=False,
        error_messages={"invalid": "Опрос в Telegram: нужно «да» или «нет»"},
        metadata={
            "description": "Ещё и опрос Telegram в подключённом чате: голоса из него идут в тот же подсчёт "
            "(один на аккаунт, изменённый ответ заменяет голос, отозванный — снимает). Только для `approval` "
            f"с `results: live` (опрос Telegram показывает голоса сразу), до {OPTION_LIMIT} фильмов, при "
            "настроенном боте и подключённом чате — иначе 400 `telegram_poll_unavailable`."
        },
    )
    members_of_chat = StrictBoolean(
        load_default=False,
        error_messages={"invalid": "Только участники чата: нужно «да» или «нет»"},
        metadata={
            "description": "Голосуют только участники подключённого чата Telegram (вместе с "
            "`verification: telegram`; нужен подключённый чат, иначе 400 `no_bound_chat`). Голос аккаунта, "
            "которого нет в чате, — 403 `not_chat_member`; когда Telegram не отвечает и проверить нельзя — "
            "503 `telegram_unavailable` (голос не записан, его отправляют ещё раз)."
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
        "verification": "invalid_verification",
        "telegram_poll": "invalid_telegram_poll",
        "members_of_chat": "invalid_members_of_chat",
    }


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


def participant_name(description: str) -> Text:
    """A voter's or a rater's name (core.text_rules), optional once the cookie names them."""
    return Text(
        load_default=None,
        validate=[
            validate.Length(min=1, max=PARTICIPANT_NAME_MAX, error=NAME_MESSAGE),
            FullPattern(PARTICIPANT_NAME, error=NAME_MESSAGE),
        ],
        metadata={"description": description},
    )


class BallotSchema(ApiSchema):
    name = participant_name(
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
        return _with_name_trimmed(data)


def _with_name_trimmed(data: Any) -> Any:
    name = data.get("name") if hasattr(data, "get") else None
    if isinstance(name, str):
        return {**data, "name": collapse_spaces(name)}
    return data


class ManageSchema(ApiSchema):
    body_required: ClassVar[bool] = False
    token = Text(
        load_default=None,
        allow_none=True,
        validate=[validate.Length(max=TOKEN_MAX), NoControls()],
        metadata={"description": "Токен ссылки управления; администратору не нужен."},
    )


class PollResult(Reply):
    winner = maybe(
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


class Poll(WithLinks):
    """A poll with its pages: the voting page always, the creator's page and token for who may manage it."""

    link_fields: ClassVar[frozenset[str]] = frozenset({"poll_url", "manage_url", "manage_token"})
    id = required_text("8 символов, безопасных для адреса")
    created_at = fields.DateTime(required=True)
    status = required_text(validate=validate.OneOf(["open", "closed"]))
    method = required_text(validate=validate.OneOf(["approval", "ranked"]))
    results = required_text("Когда виден результат", validate=validate.OneOf(["after_close", "live"]))
    veto = fields.Boolean(
        required=True, metadata={"description": "Каждый участник может наложить вето на один фильм"}
    )
    auto_download = fields.Boolean(
        required=True, metadata={"description": "После закрытия победитель ставится на скачивание"}
    )
    verification = required_text(
        "`telegram` — голосуют только через Telegram, `none` — любой со ссылкой",
        validate=validate.OneOf(POLL_VERIFICATIONS),
    )
    movies = fields.List(fields.Nested(Candidate), required=True)
    voters = fields.List(
        fields.String(), required=True, metadata={"description": "Кто уже проголосовал, по порядку"}
    )
    deadline = maybe(fields.DateTime, "Когда закроется само; `null` — когда закроет создатель")
    closed_at = maybe(fields.DateTime)
    closed_by = maybe(
        fields.String, "`creator`, `admin` или `deadline`", validate=validate.OneOf(POLL_CLOSERS)
    )
    commitment = required_text("sha256 от `seed`, публикуется при создании")
    seed = maybe(fields.String, "Раскрывается после закрытия: sha256(seed) должен совпасть с `commitment`")
    result = maybe(
        fields.Nested,
        nested=PollResult,
        description="`null`, пока не показан (при `live` — сразу, иначе после закрытия)",
    )
    reel = maybe(
        fields.Nested,
        nested=Reel,
        description="Ничья, которую решил барабан: когда он крутится на каждой странице; иначе `null`",
    )
    poll_url = required_text("Страница, на которой все голосуют")
    manage_url = fields.String(
        metadata={"description": "Закрыть досрочно, убрать бюллетень; только для администратора"}
    )
    manage_token = fields.String(
        metadata={"description": "Токен ссылки управления; только для администратора"}
    )

    def value_status(self, poll: PollRow) -> str:
        return polls.status_of(poll)

    def value_voters(self, poll: PollRow) -> list[str]:
        return polls.voters(poll)

    def value_seed(self, poll: PollRow) -> str | None:
        return polls.revealed_seed(poll)

    def value_result(self, poll: PollRow) -> dict | None:
        return polls.shown_result(poll)

    def value_reel(self, poll: PollRow) -> dict | None:
        result = poll.result if poll.closed_at is not None else None
        if not result or len(result["tied"]) < 2:
            return None
        return reel.spin_window(poll.closed_at, current_app.config["REEL_SPIN_MS"])


class CreatedPoll(Poll):
    manage_url = required_text("Страница создателя: закрыть досрочно, убрать бюллетень")
    manage_token = required_text("Токен, который нужен для `POST …/close` и `DELETE …/ballots/<name>`")


class OwnBallot(Reply):
    name = required_text()
    approve = fields.List(fields.Integer(), metadata={"description": "Голосование одобрением"})
    ranking = fields.List(fields.Integer(), metadata={"description": "Ранжирование, лучший первым"})
    veto = maybe(fields.Integer)

    def value_approve(self, stored: StoredBallot) -> list[int] | Any:
        return polls.stored_choices(stored.ballot) if stored.method == APPROVAL else missing

    def value_ranking(self, stored: StoredBallot) -> list[int] | Any:
        return polls.stored_choices(stored.ballot) if stored.method != APPROVAL else missing

    def value_veto(self, stored: StoredBallot) -> int | None:
        return stored.ballot.veto


class NameCheckQuery(ApiSchema):
    name = Text(
        required=True,
        validate=[
            validate.Length(min=1, max=PARTICIPANT_NAME_MAX, error=NAME_MESSAGE),
            FullPattern(PARTICIPANT_NAME, error=NAME_MESSAGE),
        ],
        error_messages={"required": NAME_MESSAGE},
        metadata={"description": "Имя, которое участник собирается написать в бюллетене"},
    )
    field_codes: ClassVar[dict[str, str]] = {"name": "invalid_name"}

    @pre_load
    def _trim_name(self, data: Any, **kwargs: Any) -> Any:
        return _with_name_trimmed(data)


class NameCheck(Reply):
    taken = fields.Boolean(
        required=True, metadata={"description": "Имя уже у другого участника: бюллетень с ним получит 409"}
    )


POLL = Poll()
OWN_BALLOT = OwnBallot()


# ---- the creator's grouped removal (a burst from one address) and removal by id --------------------------


class ManageQuery(ManageSchema):
    """The manage token in the query string (for a GET): the manage page's own URL carries it too."""


class BallotRemovalSchema(ManageSchema):
    body_required: ClassVar[bool] = True  # the ballot is named in it
    ballot = fields.Integer(
        load_default=None,
        allow_none=True,
        strict=True,
        validate=validate.Range(min=1),
        metadata={"description": "id бюллетеня (из `GET …/ballot-groups`); или `name`"},
    )
    name = Text(
        load_default=None,
        allow_none=True,
        validate=[validate.Length(max=200), NoControls()],
        metadata={"description": "Имя участника (сравнивается как имена); так его шлёт страница управления"},
    )
    field_codes: ClassVar[dict[str, str]] = {
        **ManageSchema.field_codes,
        "ballot": "invalid_ballot",
        "name": "invalid_name",
    }


class Burst(Reply):
    id = required_text("Группа: один адрес, подряд (не дальше 10 минут между соседними)")
    names = fields.List(fields.String(), required=True, metadata={"description": "Имена, по порядку"})
    ballots = fields.List(fields.Integer(), metadata={"description": "id бюллетеней (у групп оценок нет)"})
    first = fields.DateTime(required=True)
    last = fields.DateTime(required=True)


class Bursts(Reply):
    groups = fields.List(fields.Nested(Burst), required=True)


class Removed(Reply):
    removed = fields.List(fields.String(), required=True, metadata={"description": "Чьи голоса убраны"})
