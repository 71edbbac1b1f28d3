"""The web layer: blueprints for pages, the JSON API, health and login, plus the request rules."""

from __future__ import annotations

from flask import Flask


def register_web(app: Flask) -> None:
    from . import (
        api,
        api_docs,
        auth,
        converters,
        errors,
        filters,
        health,
        library_words,
        openapi,
        page_cache,
        pages,
        request_limits,
        security,
        visitor_home,
    )

    converters.init_app(app)
    request_limits.init_app(app)  # before security: see there
    security.init_app(app)
    auth.init_app(app)
    security.init_csrf_checks(app)
    errors.init_app(app)
    filters.init_app(app)
    library_words.init_app(app)
    page_cache.init_app(app)
    visitor_home.init_app(app)
    app.register_blueprint(health.bp)
    app.register_blueprint(auth.bp)
    app.register_blueprint(pages.bp)
    openapi.init_api(app, api.bp)
    app.register_blueprint(api_docs.bp)
    request_limits.size_routes(app)
