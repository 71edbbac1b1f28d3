"""How much a request may send: a body limit per route, sized from what its fields can hold, and a JSON depth.

A body past its route's limit is refused with a 413 before any of it is read (the Content-Length alone
decides; a chunked body is cut off at the limit as it is read). The API's JSON bodies are sized from their
own schemas, so a longer field moves the limit with it; only the backup upload needs megabytes.
"""

from __future__ import annotations

import gc
import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask, abort, current_app, request
from marshmallow import Schema, fields, validate

from movie_lottery.core.errors import InvalidInput
from movie_lottery.core.text_rules import BROKEN_CODE, BROKEN_MESSAGE, has_broken_text
from movie_lottery.core.validation import DESCRIPTION_MAX, NAME_MAX, URL_MAX
from movie_lottery.integrations.magnet import MAX_LENGTH as MAGNET_MAX

# The most one character can cost on the wire: an astral code point (🎬) is two \uXXXX escapes in JSON
# (12 bytes), and four percent-encoded UTF-8 bytes in a form (%F0%9F%8E%AC, 12 bytes).
BYTES_PER_CHAR = 12
NUMBER_BYTES = 32  # -1.2345678901234567e-308
DATETIME_CHARS = 40  # 2026-12-31T21:00:00.123456+03:00 and some room
# Room for what the limit cannot count: unknown fields (ignored, but sent by richer clients), whitespace.
HEADROOM = 1.25
KIB = 1024
# Every route not listed below: forms carrying a CSRF token and a few short fields, bodiless writes.
SMALL_BODY_BYTES = 16 * KIB
# The backup file holds the whole collection, which has no fixed size; this is what import always took.
BACKUP_BODY_BYTES = 4 * KIB * KIB
# Hidden fields every page form may carry besides its own: the CSRF token and the list to go back to.
FORM_OVERHEAD_BYTES = 4 * KIB
# Our deepest body is 4 levels (body, movies, movie, genres); richer clients may nest a few more.
MAX_JSON_DEPTH = 32

PAGE_FORMS: dict[str, dict[str, int]] = {  # endpoint -> the longest value (in characters) of each field
    "library_pages.library_add": {
        "name": NAME_MAX,
        "year": 16,
        "poster": URL_MAX,
        "description": DESCRIPTION_MAX,
        "magnet": MAGNET_MAX,
    },
    "library_pages.library_set_magnet": {"magnet": MAGNET_MAX},
}
# A Telegram update is a few KiB; a message quoting another, with its entities, stays well under this.
TELEGRAM_UPDATE_BYTES = 256 * KIB
UPLOADS = {
    "backup_pages.library_backup_upload": BACKUP_BODY_BYTES,
    "telegram_pages.webhook": TELEGRAM_UPDATE_BYTES,
}
EXTENSION_KEY = "movie_lottery.body_limits"


# ---- sizes ------------------------------------------------------------------------------------------


def _max_length(field: fields.Field) -> int | None:
    lengths = [v.max for v in field.validators if isinstance(v, validate.Length) and v.max is not None]
    return min(lengths) if lengths else None


def json_bytes(node: Schema | fields.Field) -> int:
    """The longest JSON text ``node`` accepts, every character at its most expensive escape.

    A field type this does not know, or a string or list without a maximum length, has no size: it raises,
    so a new field cannot silently make its route unlimited.
    """
    if isinstance(node, Schema):
        members = node.load_fields.items()
        # {"key": value, ...}: our keys are ASCII names; quotes, colon and comma around each.
        return 2 + sum(len(name) + 4 + json_bytes(field) for name, field in members)
    if isinstance(node, fields.Nested):
        return json_bytes(node.schema)
    if isinstance(node, fields.String):
        longest = _max_length(node)
        if longest is None:
            raise TypeError(f"a string field without a maximum length has no size: {node!r}")
        return 2 + longest * BYTES_PER_CHAR
    if isinstance(node, fields.List):
        longest = _max_length(node)
        if longest is None:
            raise TypeError(f"a list without a maximum length has no size: {node!r}")
        return 2 + longest * (json_bytes(node.inner) + 1)
    if isinstance(node, (fields.Integer, fields.Float)):
        return NUMBER_BYTES
    if isinstance(node, fields.DateTime):
        return 2 + DATETIME_CHARS * BYTES_PER_CHAR
    if isinstance(node, fields.Boolean):
        return len("false")
    raise TypeError(f"no size known for {node!r}")


def form_bytes(longest: dict[str, int]) -> int:
    """The longest urlencoded form with these fields (name=value&...), besides the hidden ones."""
    return sum(len(name) + 2 + chars * BYTES_PER_CHAR for name, chars in longest.items())


def with_headroom(size: int) -> int:
    """The limit for a body of at most ``size`` bytes: some room, rounded up to whole KiB."""
    return max(SMALL_BODY_BYTES, -(-int(size * HEADROOM) // KIB) * KIB)


def json_body_schema(view: Any) -> Schema | None:
    """The schema this view's JSON body is validated with, if any (noted by ApiBlueprint.arguments)."""
    return getattr(view, "api_json_schema", None)


def body_limits(app: Flask) -> dict[str, int]:
    """endpoint -> the most bytes its request body may have (absent: SMALL_BODY_BYTES)."""
    limits = dict(UPLOADS)
    for endpoint, longest in PAGE_FORMS.items():
        limits[endpoint] = with_headroom(form_bytes(longest) + FORM_OVERHEAD_BYTES)
    for endpoint, view in app.view_functions.items():
        schema = json_body_schema(view)
        if schema is not None:
            limits[endpoint] = with_headroom(json_bytes(schema))
    return limits


def limit_for(endpoint: str | None) -> int:
    return current_app.extensions[EXTENSION_KEY].get(endpoint, SMALL_BODY_BYTES)


# ---- per request ------------------------------------------------------------------------------------


def _refuse_oversized_body() -> None:
    limit = limit_for(request.endpoint)
    request.max_content_length = limit  # a chunked body is cut off there as it is read
    if (request.content_length or 0) > limit:
        abort(413)  # before anything reads it: no byte of the body has been taken yet


def _too_deep(value: Any) -> bool:
    """Is ``value`` nested deeper than MAX_JSON_DEPTH? Level by level, no recursion: each container is looked
    at once, in a comprehension (4 MB of ``[[],[],…]`` costs 0.08 s; a stack of pairs took 1.1 s)."""
    level, depth = [value], 1
    while level:
        if depth > MAX_JSON_DEPTH:
            return True
        level = [
            child
            for node in level
            for child in (node.values() if type(node) is dict else node)
            if type(child) is list or type(child) is dict
        ]
        depth += 1
    return False


NOT_JSON = "Тело запроса должно быть JSON-объектом"
TOO_DEEP = f"JSON вложен глубже {MAX_JSON_DEPTH} уровней"


@contextmanager
def _no_cycle_collection() -> Iterator[None]:
    """Parsed JSON holds no reference cycles, so the collector has nothing to find in it, yet a million small
    containers set it off again and again: half the cost of parsing 4 MB of ``[[],[],…]``. The GIL is
    held across the parse, so no other thread runs meanwhile; it is switched back on right after."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


def load_json(raw: bytes) -> Any:
    """Parse a request's JSON body; anything else (not JSON, nested too deep) is a 400 ``invalid_json``, and
    a string anywhere in it holding NUL, a lone surrogate (``"\\ud800"``) or a non-character is a 400
    ``invalid_text``, whatever the field (core.text_rules.BROKEN: they break the database, the pages or the
    backup).

    The parser itself gives up at Python's recursion limit (RecursionError, about 1 000 levels) after a
    few microseconds; below that, the depth is counted only when the text has enough brackets to exceed it.
    """
    possibly_deep = raw.count(b"[") + raw.count(b"{") > MAX_JSON_DEPTH
    with _no_cycle_collection():
        try:
            data = json.loads(raw)
        except RecursionError:
            raise InvalidInput(TOO_DEEP, code="invalid_json") from None
        except ValueError:  # not JSON, or not UTF-8
            raise InvalidInput(NOT_JSON, code="invalid_json") from None
        if possibly_deep and isinstance(data, (dict, list)) and _too_deep(data):
            raise InvalidInput(TOO_DEEP, code="invalid_json")
        if has_broken_text(data):  # keys too: one pass over every string (0.2 s for 4 MB of them)
            raise InvalidInput(BROKEN_MESSAGE, code=BROKEN_CODE)
    return data


def init_app(app: Flask) -> None:
    """Before web.security's init_app: the request id it puts first then comes before this check, and
    this check comes before the access guard and the CSRF check (which would read a form body)."""
    app.before_request_funcs.setdefault(None, []).insert(0, _refuse_oversized_body)


def size_routes(app: Flask) -> None:
    """After every blueprint is registered: the API's limits come from its views' schemas."""
    limits = body_limits(app)
    app.extensions[EXTENSION_KEY] = limits
    # The ceiling for anything that would read a body outside a request's own limit.
    app.config["MAX_CONTENT_LENGTH"] = max(limits.values())
