"""The API's OpenAPI 3 document, built by flask-smorest from the same schemas that validate the requests.

Three adjustments to flask-smorest, each to keep a contract the API had before it:
- validation errors are our 400 ``{"error": {"code", "message", "details"}}``, not webargs' 422;
- JSON bodies are read as before (``body_required``, ``invalid_json``); web.security checks the content type;
- flask-smorest's own error handler is not installed: web.errors answers every error (JSON under /api,
  Russian pages elsewhere).
Every operation's possible refusals (status and codes) and its access rule (from ``auth.public``) are
written into the document, so the fuzz test can hold each answer to it.
"""

from __future__ import annotations

import http
import threading
from collections.abc import Callable, Mapping, Sequence
from copy import deepcopy
from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin, resolve_schema_cls
from flask import Flask, Request
from flask_smorest import Api, Blueprint
from marshmallow import Schema
from webargs import core
from webargs.flaskparser import FlaskParser

from ..errors import InvalidInput
from .api_responses import Error
from .api_schemas import input_error
from .converters import TextConverter, text_parameter_schema
from .request_limits import MAX_JSON_DEPTH, NOT_JSON, load_json

OPENAPI_VERSION = "3.0.3"
UNSAFE = frozenset({"post", "put", "patch", "delete"})
ERROR_MEDIA = "application/json"

SECURITY_SCHEMES = {
    "bearerAuth": {
        "type": "http",
        "scheme": "bearer",
        "description": "API_TOKEN, for scripts and bots. Only when ADMIN_PASSWORD is set; never needs CSRF.",
    },
    "adminSession": {
        "type": "apiKey",
        "in": "cookie",
        "name": "ml_session",
        "description": "The admin's session after signing in at /login.",
    },
    "csrfToken": {
        "type": "apiKey",
        "in": "header",
        "name": "X-CSRFToken",
        "description": "With the session cookie: each POST/PUT/DELETE sends the page's csrf-token meta.",
    },
}

DESCRIPTION = """\
The JSON API of Movie Lottery: the site's own scripts use it, and so can bots.

- Bodies are `application/json` (415 otherwise); unknown fields are ignored. A POST says
  `Content-Type: application/json` even when it has no body, unless it carries the bearer token
  or `X-CSRFToken`: that is what no form on another site can send (415 otherwise).
- Each operation takes a body only as large as its fields can need, every character at its longest escape
  (413 `payload_too_large` past it: about 4 MB to create a lottery, a few hundred KB at most elsewhere);
  JSON nested deeper than MAX_JSON_DEPTH levels is a 400 `invalid_json`.
- Errors are `{"error": {"code", "message", "details"?}}`: `code` is stable, `message` is Russian,
  `details.fields` has each refused field's messages.
- With `ADMIN_PASSWORD` unset every operation is open to a client on the server itself, and to everyone only
  with `OPEN_SITE=true`. With it set, operations marked as admin-only need
  `Authorization: Bearer <API_TOKEN>` or the admin's session cookie (plus `X-CSRFToken` on writes);
  a lottery's own reads and its draw, and a poll's reads, ballots, close and ballot removal, stay public
  (the close and the removal need the poll's manage token).
"""

DESCRIPTION = DESCRIPTION.replace("MAX_JSON_DEPTH", str(MAX_JSON_DEPTH))

TAGS = [
    {"name": "lotteries", "description": "Create, read, draw, list and delete lotteries"},
    {"name": "polls", "description": "Group polls: ballots, the close and the count"},
    {"name": "library", "description": "Kept movies, their magnet links and their downloads"},
    {"name": "search", "description": "Kinopoisk search behind a 24-hour cache"},
    {"name": "torrents", "description": "qBittorrent's status, from memory"},
]


NOT_AN_OBJECT = frozenset(bytes([c]) for c in b'["-0123456789tfn')  # (UTF-16 text starts otherwise)


class ApiParser(FlaskParser):
    """webargs, answering in the API's shape."""

    DEFAULT_VALIDATION_STATUS = 400

    def load_json(self, req: Request, schema: Schema) -> Any:
        if not req.content_length and not req.data:
            if getattr(schema, "body_required", True):
                raise InvalidInput("Нужно тело запроса в формате JSON", code="body_required")
            return core.missing
        raw = req.get_data(cache=True)
        # Not an object, seen from its first character: refused before a megabyte of it is parsed.
        if raw.lstrip()[:1] in NOT_AN_OBJECT:
            raise InvalidInput(NOT_JSON, code="invalid_json")
        data = load_json(raw)  # bounded depth: a 400, never a RecursionError
        if not isinstance(data, dict):
            raise InvalidInput(NOT_JSON, code="invalid_json")
        return data

    def handle_error(self, error, req, schema, *, error_status_code, error_headers):  # type: ignore[override]
        # webargs files the messages under their location ("json", "query"); the fields are one level down.
        messages = error.messages
        if isinstance(messages, dict) and len(messages) == 1:
            messages = next(iter(messages.values()))
        raise input_error(schema, messages if isinstance(messages, dict) else {"_schema": messages})


def body_codes(schema: Schema, location: str) -> list[str]:
    codes = list(getattr(schema, "error_codes", lambda: ["invalid_input"])())
    if location == "json":
        codes += ["invalid_json", *(["body_required"] if getattr(schema, "body_required", True) else [])]
    return codes


def note_refusals(view: Callable, codes: Mapping[int, Sequence[str]]) -> Callable:
    """Record in the view's API doc which errors it may answer with (no wrapper: nothing runs per request)."""
    apidoc = deepcopy(getattr(view, "_apidoc", {}))
    refusals = apidoc.setdefault("refusals", {})
    for status, names in codes.items():
        refusals[status] = list(dict.fromkeys([*refusals.get(status, []), *names]))
    view._apidoc = apidoc  # type: ignore[attr-defined]
    return view


class ApiBlueprint(Blueprint):
    """flask-smorest's Blueprint with our parser and the refusals and access rules in the document."""

    ARGUMENTS_PARSER = ApiParser()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._prepare_doc_cbks.append(self._prepare_refusals_doc)

    def arguments(self, schema: Any, *, location: str = "json", **kwargs: Any) -> Callable:  # type: ignore[override]
        if location == "json":
            kwargs.setdefault("required", getattr(schema, "body_required", True))
        decorate = super().arguments(schema, location=location, **kwargs)
        return lambda view: note_refusals(decorate(view), {400: body_codes(schema, location)})

    @staticmethod
    def refuses(codes: Mapping[int, Sequence[str]]) -> Callable:
        """Document the domain's refusals of this operation: ``{404: ["lottery_not_found"]}``."""
        return lambda view: note_refusals(view, codes)

    def _store_endpoint_docs(self, endpoint, obj, parameters, tags, **options):  # type: ignore[override]
        # One tag per route module (api_lotteries -> "lotteries"); access comes from auth.public itself.
        tags = tags or [obj.__module__.rsplit("_", 1)[-1]]
        super()._store_endpoint_docs(endpoint, obj, parameters, tags, **options)
        for key, doc in self._docs[endpoint].items():
            if key != "parameters":
                doc["public"] = bool(getattr(obj, "is_public", False))

    @staticmethod
    def _prepare_refusals_doc(doc: dict, doc_info: dict, *, method: str, **kwargs: Any) -> dict:
        refusals = {int(status): list(codes) for status, codes in doc_info.get("refusals", {}).items()}
        public = doc_info.get("public", False)
        if not public:
            refusals.setdefault(401, []).append("unauthorized")
        if method in UNSAFE:
            refusals.setdefault(403, []).append("csrf_failed")
            refusals.setdefault(413, []).append("payload_too_large")
            refusals.setdefault(415, []).append("unsupported_media_type")
        refusals.setdefault(503, []).append("database_unavailable")
        responses = doc.setdefault("responses", {})
        for status in sorted(refusals):
            documented = responses.get(status)
            if not isinstance(documented, dict):  # absent, or flask-smorest's generic reference
                documented = {
                    "description": http.HTTPStatus(status).phrase,
                    "content": {ERROR_MEDIA: {"schema": Error}},
                }
            documented["x-error-codes"] = list(dict.fromkeys(refusals[status]))
            responses[status] = documented
        doc["security"] = _security(method, public)
        return doc


def _security(method: str, public: bool) -> list[dict]:
    session = {"adminSession": [], "csrfToken": []} if method in UNSAFE else {"adminSession": []}
    admin = [{"bearerAuth": []}, session]
    # {} first: anyone may call a public operation; the admin's credentials only add to what it shows.
    return [{}, *admin] if public else admin


class LotteryApi(Api):
    """flask-smorest's Api, writing the document on first use instead of in every worker at start.

    A worker's memory is the benchmark's tightest budget, and most workers never serve the document.
    """

    ERROR_SCHEMA = Error
    DEFAULT_ERROR_RESPONSE_NAME = None  # every operation lists its own errors instead of a catch-all

    def __init__(self, app: Flask, **kwargs: Any) -> None:
        self._undocumented: list[tuple[ApiBlueprint, list | None, str]] = []
        self._document_lock = threading.Lock()
        super().__init__(app, **kwargs)

    @property
    def spec(self) -> APISpec:
        if self._undocumented:
            with self._document_lock:
                while self._undocumented:
                    blueprint, parameters, name = self._undocumented.pop(0)
                    blueprint.register_views_in_doc(
                        self, self._app, self._spec, name=name, parameters=parameters
                    )
        return self._spec

    @spec.setter
    def spec(self, value: APISpec) -> None:
        self._spec = value

    def register_blueprint(self, blp: Blueprint, *, parameters: list | None = None, **options: Any) -> None:
        """Route now; describe the routes when the document is first asked for (``spec``)."""
        name = options.get("name", blp.name)
        self._app.extensions["flask-smorest"]["blp_name_to_api"][name] = self
        self._app.register_blueprint(blp, **options)
        self._undocumented.append((blp, parameters, name))

    def _register_error_handlers(self) -> None:
        """Nothing: web.errors answers every error, JSON under /api and Russian pages elsewhere."""

    def _register_pagination_header(self) -> None:
        """Nothing: our lists page in the body, and the unused component would only clutter the document."""


def schema_name(schema: Any) -> str:
    """Answers keep their names (Lottery, LibraryMovie); what clients send is named ...Input."""
    cls = resolve_schema_cls(schema)
    name = cls.__name__.removesuffix("Schema")
    return name if cls.__module__.endswith("api_responses") else f"{name}Input"


def init_api(app: Flask, blueprint: ApiBlueprint) -> LotteryApi:
    api = LotteryApi(
        app,
        spec_kwargs={
            "marshmallow_plugin": MarshmallowPlugin(schema_name_resolver=schema_name),
            "title": "Movie Lottery API",
            "version": "1.0",
            "openapi_version": OPENAPI_VERSION,
            "info": {"description": DESCRIPTION},
            "tags": TAGS,
        },
    )
    for name, scheme in SECURITY_SCHEMES.items():
        api.spec.components.security_scheme(name, scheme)
    api.register_converter(TextConverter, text_parameter_schema)
    api.register_blueprint(blueprint)
    return api
