"""GET /api/search: Kinopoisk search behind the database cache, with a hard time bound."""

from __future__ import annotations

from flask import current_app

from movie_lottery.library.viewings import library_notes
from movie_lottery.search.client import kinopoisk_for
from movie_lottery.search.service import search_movies
from movie_lottery.web.api.docs.openapi import ApiBlueprint
from movie_lottery.web.api.schemas.search import SearchQuery, SearchResults

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
@bp.response(200, SearchResults)
@bp.refuses({503: KINOPOISK_TROUBLE})
def search(query: dict) -> dict:
    """Поиск на Кинопоиске

    Результаты — в форме фильма лотереи, готовые для `POST /api/lotteries`, и у каждого `library`: что о нём
    знает библиотека (статус, последний просмотр), или `null`. Каждый разный запрос доходит до Кинопоиска не
    чаще раза в сутки; любая беда там — 503 с кодом, а не ожидание.
    """
    client, gate = kinopoisk_for(current_app)
    result = search_movies(query["q"], client, gate)
    notes = library_notes(result.movies)  # one query, from the database only
    results = [{**movie, "library": note} for movie, note in zip(result.movies, notes, strict=True)]
    return {"results": results, "cached": result.from_cache}
