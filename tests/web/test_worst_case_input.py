"""No input holds a worker: worst-case values in every field of every operation and every form, answered fast.

The operations come from /api/openapi.json and the forms from the pages themselves (every ``<form
method="post">`` and ``formaction`` the library, history, builder and login pages render), so a new route or
field is covered without being listed here; the walk is checked against the url_map.

Each value ends in a control character (refused everywhere, but only at its end) or is a run a backtracking
pattern could split many ways, and grows in steps to 1 MB (support/worst_case.py): every answer must be a 4xx
with the error shape — JSON under /api, a page for forms — and come back within a second, many times the
normal cost. Run on SQLite and PostgreSQL, open and locked (the API with the bearer token, the pages with
the admin's session).
"""

from __future__ import annotations

import functools
import io
import json
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from html.parser import HTMLParser
from urllib.parse import quote, urlsplit

import pytest
from flask import Response
from werkzeug.test import EnvironBuilder

from movie_lottery.web.guards.request_limits import MAX_JSON_DEPTH, limit_for
from tests.conftest import EACH_MODE
from tests.support.worst_case import (
    BOUND_SECONDS,
    CONTROL,
    minimal,
    places,
    put,
    timed,
    within_bound_at_every_step,
    worst_value,
)

PASSWORD = "worst-case-password"
TOKEN = "worst-case-token"
HEX = "b45bfccfcd5301e94af8500b1a1863415346a91a"
MAGNET = f"magnet:?xt=urn:btih:{HEX}&dn=Worst"
OTHER_MAGNET = f"magnet:?xt=urn:btih:{'c' * 40}&dn=Longest"
# The runs that matter for request fields (the pattern test covers the rest, on every pattern).
KINDS = ("letters", "spaces then a letter", "host labels")
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
QBIT_OFF_PORT = 9  # discard: nothing listens there, so the refresher's calls are refused at once


class Site:
    """The app in one access mode, with a lottery, a drawn one and a library movie with a magnet."""

    def __init__(self, app, locked: bool) -> None:
        self.app, self.locked = app, locked
        self.api_headers = {"Authorization": f"Bearer {TOKEN}"} if locked else {}
        self.browser = app.test_client()
        if locked:
            login_page = self.browser.get("/login").get_data(as_text=True)
            signed = self.browser.post("/login", data={"password": PASSWORD, "csrf_token": csrf(login_page)})
            assert signed.status_code == 302
        api = app.test_client()
        movies = [{"name": "Гавань", "year": 2008}, {"name": "Маяк"}]
        self.lotteries = [
            api.post("/api/lotteries", json={"movies": movies}, headers=self.api_headers).get_json()
            for _ in range(2)
        ]
        drawn = self.lotteries[1]
        api.post(
            f"/api/lotteries/{drawn['id']}/draw",
            json={"token": drawn["play_token"]},
            headers=self.api_headers,
        )
        movie = api.post("/api/library", json={"name": "Фильм", "magnet": MAGNET}, headers=self.api_headers)
        self.movie_id = movie.get_json()["id"]
        # A viewing and a queued download: their cards' forms (forget the day, call the download off) show.
        api.post(
            f"/api/library/{self.movie_id}/viewings", json={"date": "2025-01-01"}, headers=self.api_headers
        )
        api.post(f"/api/library/{self.movie_id}/download", json={}, headers=self.api_headers)
        ready = {"name": "Фильм с раздачей", "magnet": f"magnet:?xt=urn:btih:{'d' * 40}"}
        api.post("/api/library", json=ready, headers=self.api_headers)  # «Скачать» shows on its card
        self.poll = api.post(
            "/api/polls", json={"movies": movies, "veto": True}, headers=self.api_headers
        ).get_json()
        api.put(f"/api/polls/{self.poll['id']}/ballot", json={"name": "Аня", "approve": [0]})
        # The drawn lottery's winner watched: its ratings take a score, and its page shows the rating.
        api.post(f"/api/lotteries/{drawn['id']}/watched", json={}, headers=self.api_headers)
        self.watched_lottery_id = drawn["id"]
        # A closed poll: its results carry the winner's «Посмотрели» form.
        closed = api.post("/api/polls", json={"movies": movies}, headers=self.api_headers).get_json()
        api.post(f"/api/polls/{closed['id']}/close", json={"token": closed["manage_token"]})
        self.closed_poll_id = closed["id"]
        self.document = api.get("/api/openapi.json").get_json()

    def path_values(self) -> dict[str, str]:
        lottery = self.lotteries[0]
        return {
            "lottery_id": lottery["id"],
            "token": lottery["play_token"],
            "movie_id": str(self.movie_id),
            "day": "2025-01-01",  # a viewing's day (DELETE /api/library/{movie_id}/viewings/{day})
            "poll_id": self.poll["id"],
            "name": "Аня",
            "kind": "lottery",  # PUT /api/ratings/{kind}/{night_id}
            "night_id": self.watched_lottery_id,
            "group_id": "0123456789abcdef-1",  # DELETE …/ballot-groups/{group_id}: a group's id, none here
        }


@pytest.fixture
def site(site_mode, make_app) -> Site:
    settings = {
        "QBIT_HOST": "127.0.0.1",
        "QBIT_PORT": QBIT_OFF_PORT,
        "QBIT_USERNAME": "u",
        "QBIT_PASSWORD": "p",
    }
    if site_mode == "locked":
        settings.update(ADMIN_PASSWORD=PASSWORD, API_TOKEN=TOKEN)
    else:
        settings.update(OPEN_SITE=True)  # open to every address, not only to this machine
    return Site(make_app(**settings), locked=site_mode == "locked")


def csrf(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html) or re.search(
        r'name="csrf-token" content="([^"]+)"', html
    )
    assert found, "no CSRF token on the page"
    return found.group(1)


# ---- the API: walking /api/openapi.json ---------------------------------------------------------------


def operations(site: Site):
    for template, item in site.document["paths"].items():
        shared = item.get("parameters", [])  # path-level parameters apply to each of its operations
        for method, operation in item.items():
            if method in ("get", "put", "post", "delete", "patch"):
                parameters = [*shared, *operation.get("parameters", [])]
                yield method.upper(), template, {**operation, "parameters": parameters}


def fill_path(site: Site, template: str, overrides: dict[str, str] | None = None) -> str:
    values = {**site.path_values(), **(overrides or {})}
    return re.sub(r"\{(\w+)\}", lambda m: path_segment(values[m.group(1)]), template)


@functools.lru_cache(maxsize=32)
def path_segment(value: str) -> str:
    """Percent-encoded once per value: quoting the same 1 MB values for every route was a third of the run."""
    return quote(value, safe="")


def assert_api_refusal(response, what: str) -> None:
    assert 400 <= response.status_code < 500, f"{what}: {response.status_code} {response.data[:300]!r}"
    error = response.get_json()["error"]
    assert error["code"] and error["message"], what


def body_schema(operation: dict) -> dict | None:
    return operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")


def prepared(app, **request) -> Callable[[], Response]:
    """The request built (the test client's own encoding of a 3 MB path takes a second) and the app's part
    of answering it, which is what the bound is about."""
    environ = EnvironBuilder(**request).get_environ()

    def answer() -> Response:
        started: dict = {}

        def start_response(status, headers, exc_info=None):
            started.update(status=status, headers=headers)

        chunks = app(environ, start_response)
        try:
            body = b"".join(chunks)
        finally:
            getattr(chunks, "close", lambda: None)()
        return app.response_class(body, status=started["status"], headers=started["headers"])

    return answer


# Every value here is refused by validation before any statement runs, so one engine says it all (the pages
# and query strings below, which do reach the database, run on both).
# The bearer token of locked mode: open mode adds no check.
@pytest.mark.parametrize(("site_mode", "database_url"), [("locked", "sqlite")], indirect=["database_url"])
def test_every_api_field_refuses_worst_case_input_within_a_second(site):
    failures, tried = [], 0
    for method, template, operation in operations(site):
        url = fill_path(site, template)
        schema = body_schema(operation)
        base = minimal(site.document, schema) if schema else None
        cases = []
        for parameter in operation.get("parameters", []):
            name = parameter["name"]
            if parameter["in"] == "query":
                cases.append(
                    (f"?{name}", lambda v, name=name, url=url: dict(path=url, query_string={name: v}))
                )
            elif parameter["in"] == "path":
                cases.append(
                    (
                        f"{{{name}}}",
                        lambda v, name=name, template=template: dict(
                            path=fill_path(site, template, {name: v})
                        ),
                    )
                )
        for path in places(site.document, schema) if schema else []:
            where = ".".join(str(part) for part in path)
            cases.append(
                (where, lambda v, path=path, url=url, base=base: dict(path=url, json=put(base, path, v)))
            )
        for where, request in cases:
            for kind in KINDS:
                what = f"{method} {template} {where} ({kind})"
                tried += 1

                def send(size: int, request=request, kind=kind, method=method):
                    value = worst_value(kind, size)
                    return prepared(site.app, method=method, headers=site.api_headers, **request(value))

                try:
                    assert_api_refusal(within_bound_at_every_step(send, what), what)
                except AssertionError as exc:
                    failures.append(str(exc).splitlines()[0])
    assert tried > 100  # the walk found the operations and their fields
    assert not failures, "\n".join(failures)


@EACH_MODE
def test_an_unknown_query_parameter_of_1_mb_is_ignored_within_a_second(site):
    client = site.app.test_client()
    for method, template, _operation in operations(site):
        if method != "GET":
            continue
        url = fill_path(site, template)
        response, seconds = timed(
            lambda url=url: client.get(
                url, query_string={"x": worst_value("letters")}, headers=site.api_headers
            )
        )
        assert response.status_code < 500 and seconds < BOUND_SECONDS, (
            template,
            response.status_code,
            seconds,
        )


NESTINGS = {"lists": (b"[", b"]"), "objects": (b'{"a":', b"}")}


@EACH_MODE
@pytest.mark.parametrize("depth", [100_000, MAX_JSON_DEPTH + 1], ids=["100 000 levels", "one level too deep"])
@pytest.mark.parametrize("nesting", sorted(NESTINGS))
def test_deeply_nested_json_is_a_400_on_every_body(site, nesting, depth):
    client = site.app.test_client()
    opening, closing = NESTINGS[nesting]
    for method, template, operation in operations(site):
        if body_schema(operation) is None:
            continue
        url = fill_path(site, template)
        with site.app.test_request_context(url, method=method):
            from flask import request

            limit = limit_for(request.url_rule.endpoint)
        levels = min(
            depth, (limit - 1) // (len(opening) + len(closing))
        )  # as deep as the route's limit allows
        body = opening * levels + b"0" + closing * levels
        what = f"{method} {template} at {levels:,} levels"
        response, seconds = timed(
            lambda url=url, method=method, body=body: client.open(
                url, method=method, data=body, content_type="application/json", headers=site.api_headers
            )
        )
        assert response.status_code == 400 and seconds < BOUND_SECONDS, (what, response.status_code, seconds)
        assert response.get_json()["error"]["code"] == "invalid_json", what


@EACH_MODE
@pytest.mark.parametrize("inside", [False, True], ids=["the body", "a field"])
def test_the_biggest_body_of_shallow_lists_is_refused_within_a_second(site, inside):
    """The depth count's own worst case: a million containers, every one of them looked at."""
    with site.app.app_context():
        limit = limit_for("api_lotteries.create_lottery")
    opening, closing = (b'{"movies": [', b"]}") if inside else (b"[", b"]")
    body = opening + b"[]," * ((limit - len(opening) - len(closing) - 2) // 3) + b"[]" + closing
    assert len(body) <= limit
    answer = prepared(
        site.app, method="POST", path="/api/lotteries", data=body, content_type="application/json",
        headers=site.api_headers,
    )  # fmt: skip
    response, seconds = timed(answer)
    assert response.status_code == 400 and seconds < BOUND_SECONDS, (response.status_code, seconds)


def test_json_as_deep_as_the_bound_is_still_read(client):
    nested = {"name": "Глубина"}
    for _ in range(MAX_JSON_DEPTH - 4):  # the body, the movies, the movie and its extra: four levels
        nested = {"more": nested}
    movies = [{"name": "Гавань", "extra": nested}, {"name": "Маяк"}]
    assert client.post("/api/lotteries", json={"movies": movies}).status_code == 201


# ---- body limits: every writing route, API and pages ---------------------------------------------------


class CountingStream(io.BytesIO):
    """A request body that counts what the app reads of it."""

    def __init__(self, size: int) -> None:
        super().__init__(b"{" + b" " * (size - 2) + b"}")
        self.taken = 0

    def read(self, size: int | None = -1) -> bytes:
        chunk = super().read(size)
        self.taken += len(chunk)
        return chunk


def writing_rules(site: Site):
    for rule in site.app.url_map.iter_rules():
        for method in sorted(rule.methods & UNSAFE):
            values = {name: site.path_values()[name] for name in rule.arguments}
            with site.app.test_request_context():
                path = rule.build(values, append_unknown=False)[1]
            yield method, rule, path


@EACH_MODE
def test_a_body_past_its_route_limit_is_a_413_before_it_is_read(site):
    client = site.app.test_client()
    rules = list(writing_rules(site))
    assert len(rules) >= 15
    for method, rule, path in rules:
        with site.app.app_context():
            limit = limit_for(rule.endpoint)
        stream = CountingStream(limit + 1)
        is_api = path.startswith("/api/")
        headers = site.api_headers if is_api else {}
        content_type = "application/json" if is_api else "application/x-www-form-urlencoded"
        response = site.browser.open(
            path, method=method, input_stream=stream, content_length=limit + 1, content_type=content_type,
            headers=headers,
        ) if not is_api else client.open(
            path, method=method, input_stream=stream, content_length=limit + 1, content_type=content_type,
            headers=headers,
        )  # fmt: skip
        what = f"{method} {rule.rule} ({limit:,} bytes allowed)"
        assert response.status_code == 413, (what, response.status_code)
        assert stream.taken == 0, f"{what}: read {stream.taken:,} bytes of a body it refuses"
        if is_api:
            assert response.get_json()["error"]["code"] == "payload_too_large", what
        else:
            assert "Слишком много данных" in response.get_data(as_text=True), what


def test_only_backup_import_and_a_full_lottery_or_poll_take_megabytes(app):
    with app.app_context():
        big = {rule.endpoint for rule in app.url_map.iter_rules() if limit_for(rule.endpoint) > 1024 * 1024}
    # 25 movies of the longest fields
    assert big == {
        "backup_pages.library_backup_upload",
        "api_lotteries.create_lottery",
        "api_polls.create_poll",
    }


def longest_movie() -> dict:
    """Every field at its maximum, in astral characters: 12 bytes each as JSON escapes."""
    film = "🎬"
    url = "https://example.org/" + "a" * 980
    return {
        "name": film * 200,
        "year": 2000,
        "kinopoisk_id": 1_000_000,
        "poster": url,
        "description": film * 5000,
        "rating": 9.999999,
        "genres": [film * 60] * 20,
        "countries": [film * 60] * 20,
        "poster_preview": url,
        "rating_imdb": 9.999999,
        "length": 100_000,
        "trailer_url": url,
        "kinopoisk_url": url,
    }


@EACH_MODE
def test_the_longest_valid_bodies_fit_their_limits(site):
    client = site.app.test_client()
    movies = [
        {**longest_movie(), "name": f"{n:02}" + "🎬" * 198, "kinopoisk_id": 1000 + n} for n in range(25)
    ]
    lottery = json.dumps({"movies": movies, "auto_download": False})  # ensure_ascii: \\uXXXX escapes
    created, seconds = timed(
        lambda: client.post(
            "/api/lotteries", data=lottery, content_type="application/json", headers=site.api_headers
        )
    )
    assert created.status_code == 201, created.get_json()
    assert seconds < BOUND_SECONDS
    soon = datetime.now(UTC) + timedelta(days=300)
    deadline = soon.astimezone(timezone(timedelta(hours=14))).replace(microsecond=999_999).isoformat()
    settings = {"method": "ranked", "deadline": deadline, "results": "after_close"}
    poll = json.dumps({"movies": movies, "auto_download": False, "veto": False, **settings})
    created, seconds = timed(
        lambda: client.post(
            "/api/polls", data=poll, content_type="application/json", headers=site.api_headers
        )
    )
    assert created.status_code == 201, created.get_json()
    assert seconds < BOUND_SECONDS
    library_movie = json.dumps(
        {**longest_movie(), "magnet": OTHER_MAGNET + "🎬" * (4096 - len(OTHER_MAGNET))}
    )
    added = client.post(
        "/api/library", data=library_movie, content_type="application/json", headers=site.api_headers
    )
    assert added.status_code == 201, added.get_json()


@EACH_MODE
def test_the_biggest_body_each_api_route_allows_is_refused_within_a_second(site):
    client = site.app.test_client()
    for method, template, operation in operations(site):
        schema = body_schema(operation)
        if schema is None:
            continue
        url = fill_path(site, template)
        with site.app.test_request_context(url, method=method):
            from flask import request

            limit = limit_for(request.url_rule.endpoint)
        first = next(places(site.document, schema))
        base = minimal(site.document, schema)
        padding = limit - len(json.dumps(put(base, first, CONTROL)))
        body = json.dumps(put(base, first, "a" * padding + CONTROL))
        assert len(body) == limit
        response, seconds = timed(
            lambda url=url, method=method, body=body: client.open(
                url, method=method, data=body, content_type="application/json", headers=site.api_headers
            )
        )
        assert_api_refusal(response, f"{method} {template} with {len(body):,} bytes")
        assert seconds < BOUND_SECONDS, (template, seconds)


# ---- the pages' forms ----------------------------------------------------------------------------------


class Forms(HTMLParser):
    """Every POST form of a page: (action, {field: default}), a button's formaction as a form of its own."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, dict[str, str]]] = []
        self._open: tuple[str, dict[str, str], list[str]] | None = None

    def handle_starttag(self, tag: str, attrs: list) -> None:
        a = dict(attrs)
        if tag == "form" and (a.get("method") or "").lower() == "post":
            self._open = (a["action"], {}, [])
        elif self._open and tag in ("input", "textarea", "select", "button") and a.get("name"):
            value = a.get("value") or ""
            if a.get("type") == "file":
                value = "<file>"
            self._open[1].setdefault(a["name"], value)
        if self._open and tag == "button" and a.get("formaction"):
            self._open[2].append(a["formaction"])

    def handle_endtag(self, tag: str) -> None:
        if tag == "form" and self._open:
            action, values, extra = self._open
            self.found += [(target, values) for target in [action, *extra]]
            self._open = None


def page_forms(site: Site) -> list[tuple[str, dict[str, str]]]:
    pages = ["/", "/library", "/history", *(f"/l/{lottery['id']}" for lottery in site.lotteries)]
    pages.append(f"/p/{site.closed_poll_id}")
    forms = Forms()
    for page in pages:
        forms.feed(site.browser.get(page).get_data(as_text=True))
    if site.locked:
        forms.feed(site.app.test_client().get("/login").get_data(as_text=True))
    unique = {(action, tuple(values.items())): (action, values) for action, values in forms.found}
    # Signing out last: the other forms are tried as the signed-in admin.
    return sorted(unique.values(), key=lambda form: form[0].startswith("/logout"))


def post_form(browser, action: str, values: dict[str, str]):
    files = {k: (io.BytesIO(v.encode()), "backup.json") for k, v in values.items() if k == "backup"}
    data = {k: v for k, v in values.items() if k != "backup"}
    if files:
        return browser.post(action, data={**data, **files}, content_type="multipart/form-data")
    return browser.post(action, data=data)


def assert_form_answer(site: Site, response, what: str) -> None:
    """A refusal is a page; the card forms answer by redirecting back to a page that says what went wrong."""
    assert response.status_code < 500, f"{what}: {response.status_code}"
    if response.status_code >= 400:
        assert response.mimetype == "text/html", what
        assert "<h1" in response.get_data(as_text=True) or "form-error" in response.get_data(as_text=True), (
            what
        )
    elif response.status_code in (301, 302, 303):
        target = urlsplit(response.headers["Location"])
        assert not target.netloc or target.netloc == "localhost", f"{what}: off the site"


@EACH_MODE
def test_every_form_field_takes_worst_case_input_within_a_second(site):
    forms = page_forms(site)
    if site.locked:  # every page form is rendered somewhere: a new one is walked without being listed
        adapter = site.app.url_map.bind("localhost")
        reached = {adapter.match(urlsplit(action).path, method="POST")[0] for action, _ in forms}
        posted = {rule.endpoint for rule in site.app.url_map.iter_rules() if "POST" in rule.methods}
        assert {e for e in posted if not e.startswith("api_")} <= reached  # api_*: the JSON API
    failures = []
    for action, defaults in forms:
        with site.app.test_request_context(urlsplit(action).path, method="POST"):
            from flask import request

            limit = limit_for(request.url_rule.endpoint)
        for field in defaults:
            for kind in KINDS:
                what = f"POST {action} {field} ({kind})"

                def send(size: int, field=field, kind=kind, action=action, defaults=defaults, limit=limit):
                    # Up to the route's limit, so that the value is read: past it, the 413 answers for all.
                    value = worst_value(kind, min(size, limit // 13))
                    return lambda: post_form(site.browser, action, {**defaults, field: value})

                try:
                    assert_form_answer(site, within_bound_at_every_step(send, what), what)
                except AssertionError as exc:
                    failures.append(str(exc).splitlines()[0])
        # The query string too: forms post to their action with whatever the address carried.
        query = f"{action}{'&' if '?' in action else '?'}q={quote(worst_value('letters'))}"
        response, seconds = timed(
            lambda query=query, defaults=defaults: post_form(site.browser, query, defaults)
        )
        if response.status_code >= 500 or seconds >= BOUND_SECONDS:
            failures.append(
                f"POST {action} with a 1 MB query string: {response.status_code} in {seconds:.2f} s"
            )
    assert not failures, "\n".join(failures)


@EACH_MODE
def test_every_page_takes_a_1_mb_query_string_within_a_second(site):
    cookie = site.browser.get_cookie("ml_session")
    headers = {"Cookie": f"ml_session={cookie.value}"} if cookie else {}
    for rule in site.app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint == "static" or rule.rule.startswith("/api/"):
            continue
        with site.app.test_request_context():
            path = rule.build({n: site.path_values()[n] for n in rule.arguments}, append_unknown=False)[1]
        for name in ("q", "page", "sort", "next"):
            answer = prepared(
                site.app, path=path, query_string={name: worst_value("letters")}, headers=headers
            )
            response, seconds = timed(answer)
            assert response.status_code < 500 and seconds < BOUND_SECONDS, (
                path,
                name,
                response.status_code,
                seconds,
            )
            assert len(response.get_data()) < 200_000, f"{path}?{name}=…: the page repeats the query"


@EACH_MODE
@pytest.mark.parametrize("host", ["a" * 5000, "a" * 64 + ".example"])
def test_a_host_header_werkzeug_cannot_encode_is_a_400_on_pages_and_the_api(site, host):
    for path, shape in (("/history", "text/plain"), ("/api/lotteries", "application/json")):
        response = site.browser.get(path, headers={"Host": host, **site.api_headers})
        assert response.status_code == 400, (path, response.status_code)
        assert response.mimetype == shape
        assert "Некорректный запрос" in (
            response.get_json()["error"]["message"] if shape.endswith("json") else response.get_data(True)
        )
