"""A newcomer finds a route from its endpoint: ``library_pages.library_page`` is ``library_page`` in
web/library_pages.py, because every module that serves routes has its own blueprint named after it, and
web.register_web lists them all."""

from __future__ import annotations


def test_every_endpoint_names_the_module_and_function_that_serve_it(app):
    for endpoint, view in app.view_functions.items():
        if endpoint == "static":
            continue
        module = view.__module__.rsplit(".", 1)[-1]
        assert endpoint == f"{module}.{view.__name__}", (endpoint, view.__module__)


def test_the_library_page_is_served_by_library_pages(app):
    adapter = app.url_map.bind("localhost")
    assert adapter.match("/library")[0] == "library_pages.library_page"
    assert adapter.match("/api/polls/abcdefgh", method="GET")[0] == "api_polls.get_poll"
