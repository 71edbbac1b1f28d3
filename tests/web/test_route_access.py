"""With ADMIN_PASSWORD set, walk every route: only the documented public ones answer without the admin."""

from __future__ import annotations

import re

import pytest

# The public surface, as the README documents it. A new public route must be added here on purpose.
PUBLIC_ENDPOINTS = {
    "static",
    "health.health",
    "install_pages.manifest",  # a phone fetches it without cookies to add the site to its home screen
    "auth.login",
    "auth.logout",
    "lottery_pages.lottery_page",
    "lottery_pages.play_page",
    "api_lotteries.get_lottery",
    "api_lotteries.lottery_events",  # the read's stream: the same rule as the read
    "api_lotteries.draw_lottery",
    # A poll's own links are public like a lottery's: everyone votes; closing and removing need its token.
    "polls_pages.poll_page",
    "polls_pages.poll_manage_page",
    "polls_pages.poll_live",  # the parts of the page that change, for its script
    "polls_pages.poll_manage_live",
    "api_polls.get_poll",
    "api_polls.poll_events",
    "api_polls.put_ballot",
    "api_polls.get_ballot",
    "api_polls.check_name",  # whether a name is taken: the voters' names are public on the poll page anyway
    "api_polls.delete_ballot",
    "api_polls.close_poll",
    "api_polls.remove_ballot",
    "api_polls.remove_ballot_by_body",
    "api_polls.ballot_groups",
    "api_polls.remove_ballot_group",
    # A watched winner's ratings: everyone with the lottery's or poll's link rates it.
    "api_ratings.get_ratings",
    "api_ratings.put_rating",
    "api_ratings.rating_groups",
    "api_ratings.remove_rating_group",
    "api_docs.openapi_json",  # an API description is not secret
    "api_docs.docs_page",
}
# What the signed-in admin alone may use, even on an open site: the backup holds every undrawn seed.
OWNER_ONLY_ENDPOINTS = {"backup_pages.library_backup", "backup_pages.library_backup_upload"}
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
# Locked by the password, or locked because there is none and the visitor is not on the server itself.
LOCKED_MODES = {
    "password set": ({"ADMIN_PASSWORD": "correct horse", "API_TOKEN": "bot-token"}, {}),
    "no password, a stranger": ({"API_TOKEN": "bot-token"}, {"REMOTE_ADDR": "203.0.113.7"}),
}


@pytest.fixture
def locked_app(make_app):
    return make_app(ADMIN_PASSWORD="correct horse", API_TOKEN="bot-token")


def routes(app) -> list[tuple[str, str, str]]:
    """(endpoint, method, concrete URL) for every rule, with placeholder values for its arguments."""
    found = []
    for rule in app.url_map.iter_rules():
        url = re.sub(r"<any\((\w+)[^>]*>", lambda m: m.group(1), rule.rule)  # its first choice
        url = re.sub(r"<(?:int:)?(\w+)>", lambda m: "1" if "int:" in m.group(0) else "x1", url)
        url = url.replace("<path:filename>", "css/app.css")
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            found.append((rule.endpoint, method, url))
    return found


def test_public_routes_are_exactly_the_documented_ones(locked_app):
    public = {
        endpoint
        for endpoint, view in locked_app.view_functions.items()
        if endpoint == "static" or getattr(view, "is_public", False)
    }
    assert public == PUBLIC_ENDPOINTS


def test_owner_only_routes_are_exactly_the_documented_ones(locked_app):
    marked = {e for e, view in locked_app.view_functions.items() if getattr(view, "is_owner_only", False)}
    assert marked == OWNER_ONLY_ENDPOINTS


@pytest.mark.parametrize("mode", LOCKED_MODES, ids=list(LOCKED_MODES))
def test_every_other_route_refuses_a_visitor_without_the_admin_session(make_app, mode):
    settings, environ = LOCKED_MODES[mode]
    locked_app = make_app(**settings)
    client = locked_app.test_client()
    client.environ_base.update(environ)
    checked = 0
    for endpoint, method, url in routes(locked_app):
        if endpoint in PUBLIC_ENDPOINTS:
            continue
        kwargs = {"json": {}} if method in UNSAFE and url.startswith("/api/") else {}
        response = client.open(url, method=method, **kwargs)
        if url.startswith("/api/"):
            assert response.status_code == 401, (method, url, response.status_code)
            assert response.get_json()["error"]["code"] == "unauthorized"
        else:
            assert response.status_code == 302, (method, url, response.status_code)
            assert response.headers["Location"].startswith("/login")
        checked += 1
    assert checked >= 5


def test_every_state_changing_request_needs_the_csrf_token_with_the_admin_session(locked_app):
    client = locked_app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    assert client.post("/login", data={"password": "correct horse", "csrf_token": token}).status_code == 302
    checked = 0
    for endpoint, method, url in routes(locked_app):
        if method not in UNSAFE or endpoint == "auth.login":
            continue
        kwargs = {"json": {}} if url.startswith("/api/") else {"data": {}}
        response = client.open(url, method=method, **kwargs)
        assert response.status_code == 403, (method, url, response.status_code)
        checked += 1
    assert checked >= 4


def test_the_api_token_is_refused_when_no_admin_password_is_set(make_app):
    # In open mode the token means nothing; it must not accidentally become a different kind of access.
    app = make_app(API_TOKEN="bot-token")
    from movie_lottery.web.guards.auth import signed_in_admin

    with app.test_request_context(headers={"Authorization": "Bearer bot-token"}):
        assert signed_in_admin() is False


def test_an_open_site_refuses_only_the_owner_only_routes(make_app):
    app = make_app()  # no password, a browser on the server itself: everything else is open
    client = app.test_client()
    page = client.get("/").get_data(as_text=True)
    token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
    refused = set()
    for endpoint, method, url in routes(app):
        if endpoint == "auth.logout":
            continue  # it would end the session the CSRF token belongs to
        kwargs = {}
        if method in UNSAFE:
            api = url.startswith("/api/")
            kwargs = (
                {"json": {}, "headers": {"X-CSRFToken": token}} if api else {"data": {"csrf_token": token}}
            )
        response = client.open(url, method=method, **kwargs)
        assert response.status_code != 401, (method, url)
        assert not response.headers.get("Location", "").startswith("/login"), (method, url)
        if response.status_code == 403:
            refused.add(endpoint)
    assert refused == OWNER_ONLY_ENDPOINTS
