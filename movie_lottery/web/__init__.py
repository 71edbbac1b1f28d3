"""The web layer: blueprints for pages, the JSON API, health and login, plus the request rules.

Every route is in the blueprint of the module that defines it, and the blueprint's name says which
module: the endpoint ``library_pages.library_page`` is ``library_page`` in web/pages/library.py and
``api_polls.get_poll`` is ``get_poll`` in web/api/polls.py (``health``, ``auth`` and ``api_docs`` are
web/pages/health.py, web/auth.py and web/api/docs/pages.py). register_web below lists them all; route
modules never import each other (import-linter's contracts in pyproject.toml).
"""

from __future__ import annotations

from flask import Flask


def register_web(app: Flask) -> None:
    from movie_lottery.web import compression, participants, visitor_home
    from movie_lottery.web.api import library as api_library
    from movie_lottery.web.api import lotteries as api_lotteries
    from movie_lottery.web.api import polls as api_polls
    from movie_lottery.web.api import ratings as api_ratings
    from movie_lottery.web.api import search as api_search
    from movie_lottery.web.api import torrents as api_torrents
    from movie_lottery.web.api.docs import openapi
    from movie_lottery.web.api.docs import pages as api_docs
    from movie_lottery.web.guards import auth, converters, errors, request_limits, security, text_at_the_door
    from movie_lottery.web.pages import backup as backup_pages
    from movie_lottery.web.pages import health, install
    from movie_lottery.web.pages import library as library_pages
    from movie_lottery.web.pages import lottery as lottery_pages
    from movie_lottery.web.pages import polls as polls_pages
    from movie_lottery.web.pages import status as status_pages
    from movie_lottery.web.pages import telegram as telegram_pages
    from movie_lottery.web.rendering import filters, library_words, page_cache, template_cache

    # HTML pages a person can land on (auth sends a sign-in back to one of them).
    page_blueprints = [lottery_pages.bp, library_pages.bp, backup_pages.bp, polls_pages.bp, status_pages.bp]
    # The JSON API under /api, described by /api/openapi.json in this order.
    api_blueprints = [
        api_library.bp,
        api_lotteries.bp,
        api_polls.bp,
        api_ratings.bp,
        api_search.bp,
        api_torrents.bp,
    ]

    compression.init_app(app)  # first: its after-request hook then runs last, on the final body
    converters.init_app(app)
    request_limits.init_app(app)  # before security: see there
    security.init_app(app)
    auth.init_app(app, page_blueprints=[bp.name for bp in page_blueprints])
    security.init_csrf_checks(app)
    text_at_the_door.init_app(app)
    participants.init_app(app)  # after the guard: a refused request hands nothing over
    errors.init_app(app)
    filters.init_app(app)
    library_words.init_app(app)
    page_cache.init_app(app)
    template_cache.init_app(app)
    visitor_home.init_app(app)
    app.register_blueprint(health.bp)  # /health
    app.register_blueprint(install.bp)  # /manifest.webmanifest
    app.register_blueprint(auth.bp)  # /login, /logout
    telegram_pages.init_app(app)  # /telegram/webhook, only with a bot token: without one, /telegram/… is 404
    for blueprint in page_blueprints:
        app.register_blueprint(blueprint)
    openapi.init_api(app, api_blueprints)
    app.register_blueprint(api_docs.bp)  # /api/openapi.json, /api/docs
    request_limits.size_routes(app)
