"""The API's OpenAPI 3 document, built by flask-smorest from the same schemas that validate the requests.

Adjustments to flask-smorest, each to keep a contract the API had before it, and each through a public
hook (flask-smorest's documented class attributes and overridable methods, apispec's plugin interface,
Flask's own registration), so an upgrade of flask-smorest does not break it silently:
- validation errors are our 400 ``{"error": {"code", "message", "details"}}``, not webargs' 422
  (``ARGUMENTS_PARSER``);
- JSON bodies are read as before (``body_required``, ``invalid_json``); web.security checks the content type;
- flask-smorest's error handler answers as web.errors does (``handle_http_exception``), JSON under /api and
  Russian pages elsewhere;
- every operation's possible refusals (status and codes), its tag and its access rule (from ``auth.public``)
  are written into the document by an apispec plugin (``operation_helper``), from attributes of our own on
  the view (``api_refusals``), so the fuzz test can hold each answer to it;
- the document is written on first use, not in every worker at start: each area's blueprint (api_lotteries,
  api_polls, ...) is registered with Flask directly, and described (flask-smorest's
  ``Blueprint.register_views_in_doc``) when first asked for. What that skips of ``Api.register_blueprint``
  is a tag named after the blueprint (ours are written by ``refusals_doc``, from the blueprint's name without
  ``api_``) and the blueprint-to-Api map behind ``flask_smorest.current_api``, which only its ETag helpers
  use: the ETags of the polled reads are set by hand (``api.conditional_json``), so do not use
  ``@bp.etag`` here.
tests/web/test_openapi_document.py pins each of these.
"""

from __future__ import annotations

import http
import json
import threading
from collections.abc import Callable, Mapping, Sequence
from copy import deepcopy
from typing import Any

import click
from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin, resolve_schema_cls
from flask import Flask, Request, current_app
from flask.cli import AppGroup
from flask_smorest import Api, Blueprint
from marshmallow import Schema
from webargs import core
from webargs.flaskparser import FlaskParser
from werkzeug.exceptions import HTTPException

from movie_lottery.core.errors import InvalidInput
from movie_lottery.core.text_rules import BROKEN_CODE
from movie_lottery.web.api.schemas.base import Error, Reply, input_error
from movie_lottery.web.guards.converters import TextConverter, text_parameter_schema
from movie_lottery.web.guards.request_limits import MAX_JSON_DEPTH, NOT_JSON, load_json

EXTENSION_KEY = "lottery_api"
OPENAPI_VERSION = "3.0.3"
UNSAFE = frozenset({"post", "put", "patch", "delete"})
ERROR_MEDIA = "application/json"

SECURITY_SCHEMES = {
    "bearerAuth": {
        "type": "http",
        "scheme": "bearer",
        "description": "`API_TOKEN`, для скриптов и ботов. Только при заданном `ADMIN_PASSWORD`; без CSRF.",
    },
    "adminSession": {
        "type": "apiKey",
        "in": "cookie",
        "name": "ml_session",
        "description": "Сессия администратора после входа на /login.",
    },
    "csrfToken": {
        "type": "apiKey",
        "in": "header",
        "name": "X-CSRFToken",
        "description": "Вместе с cookie сессии: каждый POST/PUT/DELETE шлёт мета-тег `csrf-token` страницы.",
    },
}

DESCRIPTION = """\
JSON API «Кинолотереи»: им пользуются скрипты самого сайта, а также боты.

- Тела запросов — `application/json` (иначе 415); незнакомые поля пропускаются. POST указывает
  `Content-Type: application/json`, даже когда тела нет, если только у него нет bearer-токена
  или `X-CSRFToken`: этого не пошлёт ни одна форма с чужого сайта (иначе 415).
- Каждая операция принимает тело не больше, чем может понадобиться её полям, каждый символ — в самой длинной
  записи (иначе 413 `payload_too_large`: около 4 МБ на создание лотереи, в остальных — не больше нескольких
  сотен КБ); JSON глубже MAX_JSON_DEPTH уровней — 400 `invalid_json`.
- Ошибки — `{"error": {"code", "message", "details"?}}`: `code` неизменен, `message` по-русски,
  в `details.fields` — сообщения по каждому отвергнутому полю.
- Без `ADMIN_PASSWORD` все операции открыты клиенту на самом сервере, а всем — только при
  `OPEN_SITE=true`. С ним операции с пометкой «только админ» требуют
  `Authorization: Bearer <API_TOKEN>` или cookie сессии администратора (плюс `X-CSRFToken` при записи);
  чтение лотереи и её розыгрыш, чтение голосования, бюллетени, закрытие и удаление бюллетеня, а также оценки
  просмотренного победителя остаются публичными (закрытию и удалению нужен токен управления).
"""

DESCRIPTION = DESCRIPTION.replace("MAX_JSON_DEPTH", str(MAX_JSON_DEPTH))

# x-displayName: the tag as people read it (a vendor extension Redoc also shows); the name stays for scripts.
TAGS = [
    {
        "name": "lotteries",
        "x-displayName": "Лотереи",
        "description": "Создать, прочитать, разыграть, список, удалить",
    },
    {"name": "polls", "x-displayName": "Голосования", "description": "Бюллетени, закрытие и подсчёт"},
    {
        "name": "ratings",
        "x-displayName": "Оценки",
        "description": "Группа оценивает просмотренного победителя от 1 до 10",
    },
    {
        "name": "library",
        "x-displayName": "Библиотека",
        "description": "Фильмы, их магнет-ссылки и скачивания",
    },
    {"name": "search", "x-displayName": "Поиск", "description": "Кинопоиск через суточный кэш"},
    {"name": "torrents", "x-displayName": "Торренты", "description": "Состояние qBittorrent, из памяти"},
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
    """Note on the view which errors it may answer with (no wrapper: nothing runs per request).

    An attribute of our own: flask-smorest's decorators wrap with functools.wraps, which carries it outwards
    to the function that is finally routed.
    """
    refusals = deepcopy(getattr(view, "api_refusals", {}))
    for status, names in codes.items():
        refusals[status] = list(dict.fromkeys([*refusals.get(status, []), *names]))
    view.api_refusals = refusals  # type: ignore[attr-defined]
    return view


class ApiBlueprint(Blueprint):
    """flask-smorest's Blueprint with our parser; what the document needs besides is noted on the views."""

    ARGUMENTS_PARSER = ApiParser()

    def arguments(self, schema: Any, *, location: str = "json", **kwargs: Any) -> Callable:  # type: ignore[override]
        if location == "json":
            kwargs.setdefault("required", getattr(schema, "body_required", True))
        decorate = super().arguments(schema, location=location, **kwargs)

        def noted(view: Callable) -> Callable:
            view = note_refusals(decorate(view), {400: body_codes(schema, location)})
            if location == "json":
                view.api_json_schema = schema  # type: ignore[attr-defined]  (request_limits sizes the body)
            return view

        return noted

    @staticmethod
    def refuses(codes: Mapping[int, Sequence[str]]) -> Callable:
        """Document the domain's refusals of this operation: ``{404: ["lottery_not_found"]}``."""
        return lambda view: note_refusals(view, codes)


def refusals_doc(operation: dict, view: Callable, method: str, tag: str) -> None:
    """Write the view's refusals, its access rule and its tag into its operation (in place)."""
    refusals = {int(status): list(codes) for status, codes in getattr(view, "api_refusals", {}).items()}
    public = bool(getattr(view, "is_public", False))
    if not public:
        refusals.setdefault(401, []).append("unauthorized")
    if method in UNSAFE:
        refusals.setdefault(403, []).append("csrf_failed")
        refusals.setdefault(413, []).append("payload_too_large")
        refusals.setdefault(415, []).append("unsupported_media_type")
    refusals.setdefault(400, []).append(
        BROKEN_CODE
    )  # any query string or cookie: web.guards.text_at_the_door
    refusals.setdefault(503, []).append("database_unavailable")
    responses = operation.setdefault("responses", {})
    for status in sorted(refusals):
        documented = responses.get(status)
        if not isinstance(documented, dict):  # absent, or flask-smorest's generic reference
            documented = {
                "description": http.HTTPStatus(status).phrase,
                "content": {ERROR_MEDIA: {"schema": Error}},
            }
        documented["x-error-codes"] = list(dict.fromkeys(refusals[status]))
        responses[status] = documented
    operation["security"] = _security(method, public)
    operation["tags"] = [tag]


class LotteryPlugin(MarshmallowPlugin):
    """apispec's marshmallow plugin, first completing each operation from its view (``refusals_doc``), so
    the error schema it adds is resolved to a reference like every other one."""

    def __init__(self, app: Flask, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.app = app

    def operation_helper(
        self, path: str | None = None, operations: dict | None = None, **kwargs: Any
    ) -> None:
        rule = kwargs.get("rule")  # flask-smorest's Blueprint.register_views_in_doc passes the URL rule
        if rule is None:
            raise TypeError("LotteryPlugin documents flask-smorest operations, which come with their rule")
        view = self.app.view_functions[rule.endpoint]
        tag = blueprint_tag(rule.endpoint.split(".", 1)[0])
        for method, operation in (operations or {}).items():
            refusals_doc(operation, view, method, tag)
        super().operation_helper(path=path, operations=operations, **kwargs)


def blueprint_tag(blueprint_name: str) -> str:
    """One tag per API blueprint, its name without the ``api_`` prefix: api_lotteries -> "lotteries"."""
    return blueprint_name.removeprefix("api_")


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
        self.flask_app = app
        self._undocumented: list[Blueprint] = []
        self._document_lock = threading.Lock()
        super().__init__(app, **kwargs)

    def route(self, blueprint: Blueprint) -> None:
        """Register the blueprint's routes now; describe them when the document is first asked for."""
        self.flask_app.register_blueprint(blueprint)
        self._undocumented.append(blueprint)

    def document(self) -> APISpec:
        """The document, with every routed blueprint described (once per process)."""
        if self._undocumented:
            with self._document_lock:
                while self._undocumented:
                    blueprint = self._undocumented.pop(0)
                    blueprint.register_views_in_doc(
                        self, self.flask_app, self.spec, name=blueprint.name, parameters=None
                    )
        return self.spec

    def handle_http_exception(self, error: HTTPException):  # type: ignore[override]
        """flask-smorest registers this for every HTTPException: answer as the rest of the site does."""
        from movie_lottery.web.guards.errors import http_error

        return http_error(error)


def schema_name(schema: Any) -> str | None:
    """Replies keep their names (Lottery, LibraryMovie); what clients send is named ...Input.

    flask-smorest's own schemas (the pagination header's, registered whether used or not) get no name:
    apispec then inlines them where they are used, which here is nowhere, so they stay out of the document.
    """
    cls = resolve_schema_cls(schema)
    if cls.__module__.startswith("flask_smorest."):
        return None
    name = cls.__name__.removesuffix("Schema")
    return name if issubclass(cls, Reply) else f"{name}Input"


def init_api(app: Flask, blueprints: Sequence[ApiBlueprint]) -> LotteryApi:
    api = LotteryApi(
        app,
        spec_kwargs={
            "marshmallow_plugin": LotteryPlugin(app, schema_name_resolver=schema_name),
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
    for blueprint in blueprints:  # the document lists their paths in this order
        api.route(blueprint)
    app.extensions[EXTENSION_KEY] = api
    # flask-smorest's `flask openapi` would print the document before it is written: ours writes it first.
    app.cli.add_command(openapi_cli)
    return api


def api_for(app: Flask) -> LotteryApi:
    return app.extensions[EXTENSION_KEY]


openapi_cli = AppGroup("openapi", help="The API's OpenAPI document (also at /api/openapi.json).")


@openapi_cli.command("print")
def print_document() -> None:
    """Print the OpenAPI document as JSON."""
    click.echo(json.dumps(api_for(current_app).document().to_dict(), ensure_ascii=False, indent=2))


@openapi_cli.command("write")
@click.argument("output_file", type=click.File(mode="w", encoding="utf-8"))
def write_document(output_file) -> None:
    """Write the OpenAPI document as JSON to OUTPUT_FILE."""
    json.dump(api_for(current_app).document().to_dict(), output_file, ensure_ascii=False, indent=2)
