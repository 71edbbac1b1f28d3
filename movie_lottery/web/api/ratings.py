"""/api/ratings/<kind>/<id>: the group rates a watched winner 1–10 (a lottery's or a poll's), and reads it.

Public like a lottery's and a poll's own links: everyone with the link may rate, as the participant the
server derives for their browser in that lottery or poll (web.participants).
"""

from __future__ import annotations

from flask import Response, jsonify

from movie_lottery.library import ratings
from movie_lottery.web.api.docs.openapi import ApiBlueprint
from movie_lottery.web.api.schemas.polls import Bursts, ManageQuery, ManageSchema, Removed
from movie_lottery.web.api.schemas.ratings import RATING_SUMMARY, RatingSchema, RatingSummary
from movie_lottery.web.guards.auth import is_admin, public
from movie_lottery.web.guards.rate_limits import request_origin
from movie_lottery.web.participants import participant_of, participant_to_store
from movie_lottery.web.telegram_auth import TELEGRAM_REFUSALS, telegram_user

bp = ApiBlueprint("api_ratings", __name__, url_prefix="/api")

KIND = "<any(lottery, poll):kind>"
NOT_FOUND = {404: ["lottery_not_found", "poll_not_found", "not_found"]}


@bp.get(f"/ratings/{KIND}/<night_id>")
@public
@bp.response(200, RatingSummary)
@bp.refuses(NOT_FOUND)
def get_ratings(kind: str, night_id: str) -> ratings.Summary:
    """Прочитать оценки победителя

    Средняя оценка группы и число оценок, отмечен ли победитель как просмотренный (тогда оценки открыты),
    а также оценка и имя участника из cookie этого запроса.
    """
    return ratings.summary(kind, night_id, participant_of(night_id, kind))


@bp.put(f"/ratings/{KIND}/<night_id>")
@public
@bp.arguments(RatingSchema())
@bp.response(200, RatingSummary)
@bp.refuses(
    {400: ["name_required"], 409: ["not_watched", "name_taken", "ballot_name"], 429: ["too_many_requests"],
     403: ["telegram_required"], **TELEGRAM_REFUSALS, **NOT_FOUND}
)  # fmt: skip
def put_rating(body: dict, kind: str, night_id: str) -> Response:
    """Оценить просмотренного победителя

    `kind` — `lottery` или `poll`. Пока победитель не отмечен «Посмотрели», ответ — 409 `not_watched`.
    Ответ ставит cookie браузера `ml_browser` (HttpOnly, одна на все вечера, подписана сервером); следующий
    PUT с ней заменяет оценку того же участника, и имя можно не указывать. В голосовании участника уже
    называет его бюллетень из этого браузера: другое имя — 409 `ballot_name`. Новых участников с одного
    адреса — не больше 8 в минуту на лотерею или голосование: дальше 429 `too_many_requests` с
    `details.retry_after` (секунды). Из Telegram (`Authorization: tma <initData>`) — одна оценка на аккаунт,
    под его именем в этом голосовании или в Telegram; неверные данные — 401 `telegram_unverified`.
    Голосование с `verification: telegram` и оценки принимает только из Telegram: иначе 403
    `telegram_required`.
    """
    summary = ratings.rate(
        kind,
        night_id,
        participant_to_store(night_id, kind),
        score=body["score"],
        name=body["name"],
        origin=request_origin(),
        telegram_user=telegram_user(),
    )
    return jsonify(RATING_SUMMARY.dump(summary))


@bp.get(f"/ratings/{KIND}/<night_id>/groups")
@public
@bp.arguments(ManageQuery(), location="query")
@bp.response(200, Bursts)
@bp.refuses({403: ["bad_token"], **NOT_FOUND})
def rating_groups(query: dict, kind: str, night_id: str) -> dict:
    """Группы оценок с одного адреса

    Оценки, пришедшие с одного адреса подряд (не дальше 10 минут между соседними), группой. Оценки
    голосования — создателю (`?token=` — токен управления) или администратору, лотереи — администратору.
    """
    return {"groups": ratings.rating_bursts(kind, night_id, query["token"], by_admin=is_admin())}


@bp.delete(f"/ratings/{KIND}/<night_id>/groups/<group_id>")
@public
@bp.arguments(ManageSchema())
@bp.response(200, Removed)
@bp.refuses(
    {403: ["bad_token"], 404: ["group_not_found", "lottery_not_found", "poll_not_found", "not_found"]}
)
def remove_rating_group(body: dict, kind: str, night_id: str, group_id: str) -> dict:
    """Убрать группу оценок одним действием

    Все оценки группы (`GET …/groups`); кто может — как там.
    """
    removed = ratings.remove_rating_burst(kind, night_id, group_id, body["token"], by_admin=is_admin())
    return {"removed": removed}
