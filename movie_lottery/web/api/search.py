"""GET /api/search: Kinopoisk search behind the database cache, with a hard time bound."""

from __future__ import annotations

from flask import Response, current_app, jsonify

from movie_lottery.library.filters import utc_today
from movie_lottery.library.viewings import library_notes
from movie_lottery.search.client import kinopoisk_for
from movie_lottery.search.service import search_movies
from movie_lottery.web.api import responses as out
from movie_lottery.web.api.docs.openapi import ApiBlueprint
from movie_lottery.web.api.schemas import SearchQuery
from movie_lottery.web.library_words import with_text

bp = ApiBlueprint("api_search", __name__, url_prefix="/api")

KINOPOISK_TROUBLE = [
    "kinopoisk_not_configured",
    "kinopoisk_bad_token",
    "kinopoisk_quota_exceeded",
    "kinopoisk_throttled",
    "kinopoisk_unavailable",
]


@bp.get("/search")
@bp.arguments(SearchQuery(), location="query")
@bp.response(200, out.SearchResults)
@bp.refuses({503: KINOPOISK_TROUBLE})
def search(query: dict) -> Response:
    """Поиск на Кинопоиске

    Результаты — в форме фильма лотереи, готовые для `POST /api/lotteries`, и у каждого `library`: что о нём
    знает библиотека (статус, последний просмотр), или `null`. Каждый разный запрос доходит до Кинопоиска не
    чаще раза в сутки; любая беда там — 503 с кодом, а не ожидание.
    """
    client, gate = kinopoisk_for(current_app)
    result = search_movies(query["q"], client, gate)
    today = utc_today()
    notes = library_notes(result.movies, today)  # one query, from the database only
    results = [
        {**movie, "library": with_text(note, today)} for movie, note in zip(result.movies, notes, strict=True)
    ]
    return jsonify(results=results, cached=result.from_cache)
