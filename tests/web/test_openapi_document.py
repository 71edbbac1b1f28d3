"""The API's document, and what web/openapi.py relies on in flask-smorest and apispec to write it.

openapi.py adjusts flask-smorest only through public hooks; each adjustment is held here to what it must do,
so an upgrade that changes one of them fails a test with a name rather than the fuzz test's thousand cases.
"""

from __future__ import annotations

import json
from importlib.metadata import version
from pathlib import Path

import pytest
from werkzeug.exceptions import MethodNotAllowed, NotFound

from movie_lottery.web.api.docs.openapi import api_for
from tests.conftest import build_app

ROOT = Path(__file__).resolve().parents[2]
DOCUMENT_ONLY = {"/api/openapi.json", "/api/docs"}  # plain Flask views that serve the document itself


@pytest.fixture(scope="module")
def site():
    return build_app("sqlite://")


@pytest.fixture(scope="module")
def document(site) -> dict:
    return site.test_client().get("/api/openapi.json").get_json()


def openapi_path(rule: str) -> str:
    """``/api/library/<int:movie_id>`` -> ``/api/library/{movie_id}``, as flask-smorest writes it."""
    while "<" in rule:
        start, end = rule.index("<"), rule.index(">")
        rule = rule[:start] + "{" + rule[start + 1 : end].split(":")[-1] + "}" + rule[end + 1 :]
    return rule


def api_operations(app) -> list[tuple[str, str, object]]:
    """(OpenAPI path, method, view) of every API route."""
    return [
        (openapi_path(rule.rule), method.lower(), app.view_functions[rule.endpoint])
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/") and rule.rule not in DOCUMENT_ONLY
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"})
    ]


def test_the_installed_flask_smorest_is_the_pinned_one():
    # The hooks below were checked against this release; requirements.txt pins it so a deploy gets it too.
    pinned = next(
        line.split("==", 1)[1].strip()
        for line in (ROOT / "requirements.txt").read_text().splitlines()
        if line.lower().startswith("flask-smorest==")
    )
    assert version("flask-smorest") == pinned


def test_every_api_route_is_documented_with_its_tag_access_rule_and_refusals(site, document):
    operations = api_operations(site)
    assert len(operations) >= 10
    for path, method, view in operations:
        operation = document["paths"][path][method]
        assert operation["tags"] == [view.__module__.rsplit(".", 1)[-1]], (path, method)  # web/api/<tag>.py
        public = getattr(view, "is_public", False)
        assert ({} in operation["security"]) is public, (path, method)
        codes = {status: answer.get("x-error-codes", []) for status, answer in operation["responses"].items()}
        assert "database_unavailable" in codes["503"], (path, method)
        assert ("unauthorized" in codes.get("401", [])) is not public, (path, method)
        if method in ("post", "put", "delete"):
            assert "csrf_failed" in codes["403"] and "unsupported_media_type" in codes["415"], (path, method)
        for status, names in getattr(view, "api_refusals", {}).items():
            assert set(names) <= set(codes[str(status)]), (path, method, status)


def test_a_refusal_is_described_by_the_error_schema_by_reference(document):
    answer = document["paths"]["/api/lotteries/{lottery_id}"]["get"]["responses"]["404"]
    assert answer["x-error-codes"] == ["lottery_not_found", "not_found"]
    assert answer["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}


def test_the_document_has_only_our_tags_and_schemas(document):
    # Api.register_blueprint would add a tag named after the blueprint ("api"); flask-smorest's pagination
    # header would bring its schema along.
    tags = [tag["name"] for tag in document["tags"]]
    assert tags == ["lotteries", "polls", "ratings", "library", "search", "torrents"]
    assert not [name for name in document["components"]["schemas"] if "Pagination" in name]
    assert "headers" not in document["components"]


def test_the_document_is_written_when_first_asked_for_not_when_a_worker_starts():
    app = build_app("sqlite://")
    api = api_for(app)
    assert api.spec.to_dict()["paths"] == {}  # routed, not yet described
    assert app.test_client().get("/api/torrents").status_code == 200  # the routes work meanwhile
    assert "/api/lotteries" in api.document().to_dict()["paths"]
    assert api.document() is api.spec  # once: asking again describes nothing twice


def test_flask_openapi_print_prints_the_same_document(site, document):
    result = site.test_cli_runner().invoke(args=["openapi", "print"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == document


def test_flask_openapi_write_writes_it_to_a_file(site, document, tmp_path):
    target = tmp_path / "openapi.json"
    result = site.test_cli_runner().invoke(args=["openapi", "write", str(target)])
    assert result.exit_code == 0, result.output
    assert json.loads(target.read_text(encoding="utf-8")) == document


@pytest.mark.parametrize(
    ("path", "error", "status", "code"),
    [
        ("/api/nothing", NotFound(), 404, "not_found"),
        ("/api/lotteries", MethodNotAllowed(["GET"]), 405, "method_not_allowed"),
    ],
)
def test_flask_smorests_error_handler_answers_in_the_apis_shape(site, path, error, status, code):
    with site.test_request_context(path):
        body, answered, _headers = api_for(site).handle_http_exception(error)
    assert answered == status
    assert body.get_json()["error"]["code"] == code


def test_flask_smorests_error_handler_answers_a_page_in_russian(site):
    with site.test_request_context("/no-such-page"):
        body, status, _headers = api_for(site).handle_http_exception(NotFound())
    assert status == 404 and "Такой страницы нет" in body


def test_every_json_body_is_sized_from_the_schema_that_validates_it(site):
    from movie_lottery.web.guards.request_limits import SMALL_BODY_BYTES, limit_for

    with site.test_request_context():
        assert (
            limit_for("api_lotteries.create_lottery") > 1_000_000
        )  # 2..25 movies, every field at its longest
        assert SMALL_BODY_BYTES < limit_for("api_library.add_to_library") < 1_000_000
