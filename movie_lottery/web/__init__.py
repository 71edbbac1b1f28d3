"""The web layer: blueprints for pages, the JSON API, health and login, plus the request rules.

Every route is in the blueprint of the module that defines it, and each blueprint is named after its module:
the endpoint ``library_pages.library_page`` is ``library_page`` in web/library_pages.py. register_web below
lists them all.
"""

from __future__ import annotations

from flask import Flask


def register_web(app: Flask) -> None:
    from . import (
        api_docs,
        api_library,
        api_lotteries,
        api_polls,
        api_ratings,
        api_search,
        api_torrents,
        auth,
        backup_pages,
        converters,
        errors,
        filters,
        health,
        library_pages,
        library_words,
        openapi,
        page_cache,
        pages,
        poll_pages,
        request_limits,
        security,
        status_pages,
        visitor_home,
    )

    # HTML pages a person can land on (auth sends a sign-in back to one of them).
    page_blueprints = [pages.bp, library_pages.bp, backup_pages.bp, poll_pages.bp, status_pages.bp]
    # The JSON API under /api, described by /api/openapi.json in this order.
    api_blueprints = [
        api_library.bp,
        api_lotteries.bp,
        api_polls.bp,
        api_ratings.bp,
        api_search.bp,
        api_torrents.bp,
    ]

    converters.init_app(app)
    request_limits.init_app(app)  # before security: see there
    security.init_app(app)
    auth.init_app(app, page_blueprints=[bp.name for bp in page_blueprints])
    security.init_csrf_checks(app)
    errors.init_app(app)
    filters.init_app(app)
    library_words.init_app(app)
    page_cache.init_app(app)
    visitor_home.init_app(app)
    app.register_blueprint(health.bp)  # /health
    app.register_blueprint(auth.bp)  # /login, /logout
    for blueprint in page_blueprints:
        app.register_blueprint(blueprint)
    openapi.init_api(app, api_blueprints)
    app.register_blueprint(api_docs.bp)  # /api/openapi.json, /api/docs
    request_limits.size_routes(app)
