"""/api/lotteries: what creating or drawing a lottery accepts, and how a lottery is answered."""

from __future__ import annotations

from typing import ClassVar

from flask import current_app
from marshmallow import fields, validate

from movie_lottery.core import reel
from movie_lottery.core.errors import InvalidInput
from movie_lottery.core.models import Lottery as LotteryRow
from movie_lottery.core.text_rules import TOKEN_MAX
from movie_lottery.core.validation import MovieSchema, NoControls, SizedList, Text, first_message
from movie_lottery.lottery.service import MAX_MOVIES, MIN_MOVIES, revealed_seed
from movie_lottery.web.api.schemas.base import (
    ApiSchema,
    Candidate,
    Reply,
    StrictBoolean,
    WithLinks,
    maybe,
    page_number,
    required_text,
)


class PageQuery(ApiSchema):
    page = page_number()
    field_codes: ClassVar[dict[str, str]] = {"page": "invalid_page"}


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
    send_to_chat = StrictBoolean(
        load_default=False,
        error_messages={"invalid": "Отправить в чат: нужно «да» или «нет»"},
        metadata={
            "description": "Бот покажет карточку лотереи в подключённых чатах Telegram, "
            "а потом — её результат. "
            "Без подключённого чата ничего не отправляется."
        },
    )
    auto_download = StrictBoolean(
        load_default=False,
        error_messages={"invalid": "Скачать победителя автоматически: нужно «да» или «нет»"},
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


class DrawSchema(ApiSchema):
    body_required: ClassVar[bool] = False
    token = Text(
        load_default=None,
        allow_none=True,
        validate=[validate.Length(max=TOKEN_MAX), NoControls()],
        metadata={"description": "Токен ссылки розыгрыша; администратор может крутить без него."},
    )


class Reel(Reply):
    """The shared spin: every open page lands its reel at ``lands_at``, the spinner's included."""

    spin_ms = fields.Integer(required=True, metadata={"description": "Сколько крутится барабан, мс"})
    started_at = fields.DateTime(required=True, metadata={"description": "Когда начал (момент розыгрыша)"})
    lands_at = fields.DateTime(
        required=True,
        metadata={
            "description": "Когда он останавливается на каждой странице; до этого победителя не показывают"
        },
    )


class Lottery(Reply):
    id = required_text("8 символов, безопасных для адреса")
    created_at = fields.DateTime(required=True)
    movies = fields.List(fields.Nested(Candidate), required=True)
    winner = maybe(fields.Nested, nested=Candidate, description="`null`, пока не разыграна")
    drawn_at = maybe(fields.DateTime)
    commitment = required_text("sha256 от `seed`, публикуется при создании")
    seed = maybe(fields.String, "Раскрывается после розыгрыша: sha256(seed) должен совпасть с `commitment`")
    auto_download = fields.Boolean(required=True)
    reel = maybe(fields.Nested, nested=Reel, description="`null`, пока не разыграна")

    def value_seed(self, lottery: LotteryRow) -> str | None:
        return revealed_seed(lottery)

    def value_reel(self, lottery: LotteryRow) -> dict | None:
        return reel.spin_window(lottery.drawn_at, current_app.config["REEL_SPIN_MS"])


class LotteryWithLinks(Lottery, WithLinks):
    """A lottery with its pages: the waiting page always, the draw's page and token for who may draw."""

    link_fields: ClassVar[frozenset[str]] = frozenset({"wait_url", "play_url", "play_token"})
    wait_url = required_text("Страница, на которой все ждут результата")
    play_url = fields.String(metadata={"description": "Страница розыгрыша; только для администратора"})
    play_token = fields.String(metadata={"description": "Токен розыгрыша; только для администратора"})


class CreatedLottery(LotteryWithLinks):
    play_url = required_text("Страница розыгрыша: пошлите её другу, который крутит барабан")
    play_token = required_text("Токен, который нужен для `POST …/draw`")


class LotteryPage(Reply):
    lotteries = fields.List(fields.Nested(LotteryWithLinks), required=True)
    page = fields.Integer(required=True)
    pages = fields.Integer(required=True)
    total = fields.Integer(required=True)


LOTTERY = Lottery()
LOTTERY_WITH_LINKS = LotteryWithLinks()
