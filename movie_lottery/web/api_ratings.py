"""/api/ratings/<kind>/<id>: the group rates a watched winner 1–10 (a lottery's or a poll's), and reads it.

Public like a lottery's and a poll's own links: everyone with the link may rate, under the participant
cookie of that lottery or poll (web.participants).
"""

from __future__ import annotations

from flask import Response, jsonify

from .. import ratings
from . import api_responses as out
from .api import bp
from .api_schemas import RatingSchema
from .auth import public
from .library_words import group_rating_text
from .participants import participant_of, remember_participant

KIND = "<any(lottery, poll):kind>"
NOT_FOUND = {404: ["lottery_not_found", "poll_not_found", "not_found"]}


def answer(summary: ratings.Summary) -> dict:
    data = summary.to_dict()
    data["text"] = group_rating_text(data) if summary.count else None
    return data


@bp.get(f"/ratings/{KIND}/<night_id>")
@public
@bp.response(200, out.RatingSummary)
@bp.refuses(NOT_FOUND)
def get_ratings(kind: str, night_id: str) -> Response:
    """Read the ratings of a winner

    The group's average and count, whether the winner is marked watched (ratings open then), and the
    rating and name of the participant cookie this request carries.
    """
    return jsonify(answer(ratings.summary(kind, night_id, participant_of(night_id, kind))))


@bp.put(f"/ratings/{KIND}/<night_id>")
@public
@bp.arguments(RatingSchema())
@bp.response(200, out.RatingSummary)
@bp.refuses({400: ["name_required"], 409: ["not_watched", "name_taken"], **NOT_FOUND})
def put_rating(body: dict, kind: str, night_id: str) -> Response:
    """Rate the watched winner

    `kind` is `lottery` or `poll`. Refused (409 `not_watched`) until the winner is marked watched
    («Посмотрели»). The answer sets the participant cookie of that lottery or poll (HttpOnly); a later PUT
    with it replaces the same participant's score and may omit the name. In a poll the voter's own cookie
    already names them.
    """
    summary = ratings.rate(
        kind, night_id, participant_of(night_id, kind), score=body["score"], name=body["name"]
    )
    response = jsonify(answer(summary))
    remember_participant(response, night_id, summary.participant, kind)
    return response
