"""A newcomer finds a route from its endpoint: ``library_pages.library_page`` is ``library_page`` in
web/pages/library.py and ``api_polls.get_poll`` is ``get_poll`` in web/api/polls.py, because each module
that serves routes has its own blueprint named after its area, and web.register_web lists them all."""

from __future__ import annotations

# The three blueprints outside the ``api_<module>`` / ``<module>_pages`` rule.
NAMED_OTHERWISE = {
    "health": "movie_lottery.web.pages.health",
    "api_docs": "movie_lottery.web.api.docs.pages",
    "auth": "movie_lottery.web.guards.auth",
}


def home_of(blueprint: str) -> str:
    if blueprint in NAMED_OTHERWISE:
        return NAMED_OTHERWISE[blueprint]
    if blueprint.startswith("api_"):
        return f"movie_lottery.web.api.{blueprint.removeprefix('api_')}"
    assert blueprint.endswith("_pages"), blueprint
    return f"movie_lottery.web.pages.{blueprint.removesuffix('_pages')}"


def test_every_endpoint_names_the_module_and_function_that_serve_it(app):
    for endpoint, view in app.view_functions.items():
        if endpoint == "static":
            continue
        blueprint, _, function = endpoint.partition(".")
        assert (view.__module__, view.__name__) == (home_of(blueprint), function), endpoint


def test_the_library_page_is_served_by_library_pages(app):
    adapter = app.url_map.bind("localhost")
    assert adapter.match("/library")[0] == "library_pages.library_page"
    assert adapter.match("/api/polls/abcdefgh", method="GET")[0] == "api_polls.get_poll"
