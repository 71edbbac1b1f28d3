"""GET /api/search: Kinopoisk search behind the database cache, with a hard time bound."""

from __future__ import annotations

from flask import current_app, jsonify, request

from ..integrations.kinopoisk import KinopoiskClient
from ..movie_search import KinopoiskGate, search_movies
from .api import bp


def _kinopoisk() -> tuple[KinopoiskClient, KinopoiskGate]:
    """One client (one connection pool) and one gate per process, made on first use."""
    extensions = current_app.extensions
    if "kinopoisk" not in extensions:
        config = current_app.config
        client = KinopoiskClient(
            token=config.get("KINOPOISK_API_TOKEN"),
            base_url=config["KINOPOISK_API_URL"],
            connect_timeout=config.get("KINOPOISK_CONNECT_TIMEOUT", 3.0),
            read_timeout=config.get("KINOPOISK_READ_TIMEOUT", 5.0),
        )
        extensions.setdefault("kinopoisk", (client, KinopoiskGate()))
    return extensions["kinopoisk"]


@bp.get("/search")
def search():
    client, gate = _kinopoisk()
    result = search_movies(request.args.get("q"), client, gate)
    return jsonify(results=result.movies, cached=result.from_cache)
