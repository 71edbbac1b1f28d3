"""/api/ratings: what rating a watched winner accepts, and how a night's ratings are answered."""

from __future__ import annotations

from typing import ClassVar

from marshmallow import fields, validate

from movie_lottery.core.models import RATING_MAX, RATING_MIN
from movie_lottery.library.ratings import Summary
from movie_lottery.web.api.schemas.base import ApiSchema, Reply, maybe, required_text
from movie_lottery.web.api.schemas.polls import BallotSchema, participant_name
from movie_lottery.web.rendering.library_words import group_rating_text

SCORE_MESSAGE = f"Оценка — целое число от {RATING_MIN} до {RATING_MAX}"


class RatingSchema(ApiSchema):
    """PUT /api/ratings/<kind>/<id>: оценка просмотренного победителя под именем."""

    name = participant_name(
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


class RatingOwn(Reply):
    name = required_text()
    score = fields.Integer(required=True, validate=validate.Range(1, 10))


class RatingSummary(Reply):
    watched = fields.Boolean(
        required=True, metadata={"description": "Победитель отмечен как просмотренный: оценки открыты"}
    )
    average = maybe(fields.Float, "Средняя оценка группы, от 1 до 10; `null`, пока никто не оценил")
    count = fields.Integer(required=True, metadata={"description": "Сколько человек оценили"})
    mine = maybe(fields.Nested, nested=RatingOwn, description="Ваша оценка (по cookie участника)")
    name = maybe(
        fields.String,
        "Имя, под которым здесь известен участник из cookie (по его оценке или бюллетеню), если есть",
        attribute="known_name",
    )
    text = maybe(fields.String, "Словами: «оценка группы 7,5 · 4 голоса»; `null`, пока никто не оценил")

    def value_text(self, summary: Summary) -> str | None:
        return group_rating_text({"average": summary.average, "count": summary.count})


RATING_SUMMARY = RatingSummary()
