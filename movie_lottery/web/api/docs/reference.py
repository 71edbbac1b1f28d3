"""The OpenAPI document, walked into plain rows for the /api/docs page (which has no script to do it).

The document's texts are Russian with `code` in backticks (CommonMark, as OpenAPI reads descriptions); here
they become runs the template shows as text and <code>. The few words the document has from HTTP and JSON
(status phrases, "array", "in query") are said in Russian here.
"""

from __future__ import annotations

import http
import json
from dataclasses import dataclass, field
from typing import Any

from movie_lottery.core.text_rules import MULTILINE, ONE_LINE, PARTICIPANT_NAME, VISIBLE
from movie_lottery.core.validation import DAY_PATTERN, HTTP_URL
from movie_lottery.web.api.schemas.search import SEARCHABLE
from movie_lottery.web.guards.converters import TEXT_PATTERN

METHOD_ORDER = ("get", "post", "put", "patch", "delete")
# flask-smorest and our refusals name a reply by its HTTP phrase when the view gives no words of its own.
STATUS_WORDS = {
    200: "Готово",
    201: "Создано",
    202: "Принято",
    204: "Готово, без тела ответа",
    304: "Не изменилось",
    400: "Неверный запрос",
    401: "Нужен вход администратора",
    403: "Запрещено",
    404: "Не найдено",
    409: "Конфликт с тем, что уже записано",
    413: "Тело запроса слишком большое",
    415: "Тело не в формате JSON",
    422: "Не удалось разобрать",
    503: "Временно недоступно",
}
PLACES = {"path": "в пути", "query": "в строке запроса", "header": "в заголовке", "cookie": "в cookie"}
# The document's patterns, in words (the regular expressions themselves are in openapi.json).
PATTERNS = {
    ONE_LINE: "без управляющих символов",
    VISIBLE: "не пустое, без управляющих символов",
    MULTILINE: "без управляющих символов, кроме переводов строки",
    HTTP_URL: "ссылка http:// или https://",
    DAY_PATTERN: "дата ГГГГ-ММ-ДД",
    f"^{TEXT_PATTERN}+$": "без / и управляющих символов",
    PARTICIPANT_NAME: "хотя бы один видимый символ, без /, управляющих символов и смены направления текста",
    SEARCHABLE: "хотя бы 2 видимых символа, без управляющих",
}


Runs = list[tuple[bool, str]]  # (is_code, text): a line of text with its `code` spans


@dataclass(frozen=True)
class Block:
    """A paragraph or a bullet list of the document's text; each line is a list of (is_code, text) runs."""

    is_list: bool
    lines: list[Runs]


@dataclass(frozen=True)
class Field:
    name: str
    type: str
    ref: str | None  # the schema this field is (or holds), for a link
    required: bool
    notes: list[str]
    description: Runs


@dataclass(frozen=True)
class Reply:
    status: str
    description: Runs
    ref: str | None
    codes: list[str]


@dataclass(frozen=True)
class Operation:
    anchor: str
    method: str
    path: str
    summary: Runs
    description: list[Block]
    public: bool
    parameters: list[Field]
    body_ref: str | None
    body_required: bool
    replies: list[Reply]


@dataclass(frozen=True)
class Group:
    name: str
    title: str  # the tag's x-displayName, else its name
    description: str
    operations: list[Operation] = field(default_factory=list)


@dataclass(frozen=True)
class Scheme:
    """A way to prove who calls: its name, where the credential goes, and what it is."""

    name: str
    where: Runs
    description: Runs


@dataclass(frozen=True)
class Reference:
    title: str
    version: str
    openapi: str
    description: list[Block]
    groups: list[Group]
    schemas: dict[str, list[Field]]
    security: list[Scheme]


def _runs(text: str) -> Runs:
    """`code` spans and plain text, alternating (the template escapes both)."""
    return [(index % 2 == 1, part) for index, part in enumerate(text.split("`")) if part]


def blocks(text: str) -> list[Block]:
    """Paragraphs and "- " lists: the little Markdown the document's descriptions use."""
    result: list[Block] = []
    for chunk in filter(None, text.strip().split("\n\n")):
        lines = chunk.splitlines()
        if lines and lines[0].startswith("- "):
            items: list[str] = []
            for line in lines:
                if line.startswith("- "):
                    items.append(line[2:])
                else:  # a wrapped item goes on
                    items[-1] += " " + line.strip()
            result.append(Block(True, [_runs(item) for item in items]))
        else:
            result.append(Block(False, [_runs(" ".join(line.strip() for line in lines))]))
    return result


def _ref_name(schema: dict) -> str | None:
    parts = [schema, *schema.get("allOf", []), *schema.get("anyOf", [])]
    ref = next((part["$ref"] for part in parts if "$ref" in part), None)
    return ref.rsplit("/", 1)[-1] if ref else None


def _nullable(schema: dict) -> bool:
    """``nullable: true`` here, or on a branch beside the reference (how apispec writes a nullable object)."""
    return any(part.get("nullable") for part in [schema, *schema.get("anyOf", [])])


def _type(schema: dict) -> tuple[str, str | None]:
    """A readable type and the schema it refers to: "Movie", "array of Movie", "string (date-time)"."""
    name = _ref_name(schema)
    if name:
        text, ref = name, name
    elif schema.get("type") == "array":
        item, ref = _type(schema.get("items", {}))
        text = f"массив {item}"
    else:
        text, ref = schema.get("type", "any"), None
        if schema.get("format"):
            text += f" ({schema['format']})"
    if _nullable(schema):
        text += " или null"
    return text, ref


def _span(low: Any, high: Any, unit: str = "") -> str | None:
    if low is None and high is None:
        return None
    if low is None:
        return f"≤ {high}{unit}"
    if high is None:
        return f"≥ {low}{unit}"
    return f"{low}–{high}{unit}"


def _notes(schema: dict) -> list[str]:
    """The limits a value must keep, in a few words each."""
    notes = [
        _span(schema.get("minLength"), schema.get("maxLength"), " симв."),
        _span(schema.get("minimum"), schema.get("maximum")),
        _span(schema.get("minItems"), schema.get("maxItems"), " эл."),
    ]
    if "pattern" in schema:
        notes.append(PATTERNS.get(schema["pattern"], f"шаблон {schema['pattern']}"))
    if "enum" in schema:
        notes.append("одно из: " + ", ".join(str(value) for value in schema["enum"]))
    if "default" in schema:
        notes.append(f"по умолчанию {json.dumps(schema['default'], ensure_ascii=False)}")
    items = schema.get("items", {})
    if items and not _ref_name(items):
        inner = [note for note in _notes(items) if note]
        notes += [f"каждый: {note}" for note in inner]
    return [note for note in notes if note]


def _fields(schema: dict) -> list[Field]:
    required = set(schema.get("required", []))
    rows = []
    for name, prop in schema.get("properties", {}).items():
        text, ref = _type(prop)
        description = _runs(prop.get("description", ""))
        rows.append(Field(name, text, ref, name in required, _notes(prop), description))
    return rows


def _parameter(param: dict) -> Field:
    schema = param.get("schema", {})
    text, ref = _type(schema)
    notes = [PLACES.get(param["in"], param["in"]), *_notes(schema)]
    description = _runs(param.get("description") or schema.get("description", ""))
    return Field(param["name"], text, ref, bool(param.get("required")), notes, description)


def _replies(responses: dict) -> list[Reply]:
    replies = []
    for status, reply in sorted(responses.items(), key=lambda item: str(item[0])):
        schema = next(iter(reply.get("content", {}).values()), {}).get("schema", {})
        codes = reply.get("x-error-codes", [])
        description = _reply_words(int(status), reply.get("description", ""))
        replies.append(Reply(str(status), _runs(description), _ref_name(schema), codes))
    return replies


def _reply_words(status: int, description: str) -> str:
    """The view's own words, or the status in Russian where the document has only its HTTP phrase."""
    try:
        phrase = http.HTTPStatus(status).phrase
    except ValueError:
        return description
    return STATUS_WORDS.get(status, description) if description in ("", phrase) else description


def _operation(path: str, method: str, op: dict, shared: list[dict]) -> Operation:
    body = op.get("requestBody", {})
    body_schema = body.get("content", {}).get("application/json", {}).get("schema", {})
    return Operation(
        anchor=f"{method}-{path.strip('/').replace('/', '-').replace('{', '').replace('}', '')}",
        method=method.upper(),
        path=path,
        summary=_runs(op.get("summary", "")),
        description=blocks(op.get("description", "")),
        public={} in op.get("security", []),
        parameters=[_parameter(param) for param in [*shared, *op.get("parameters", [])]],
        body_ref=_ref_name(body_schema),
        body_required=bool(body.get("required")),
        replies=_replies(op.get("responses", {})),
    )


def _scheme(name: str, scheme: dict) -> Scheme:
    if scheme.get("type") == "http":
        where = [(False, "заголовок "), (True, f"Authorization: {str(scheme.get('scheme', '')).title()} …")]
    else:
        where = [
            (False, PLACES.get(scheme.get("in", ""), scheme.get("in", "")) + " "),
            (True, scheme.get("name", "")),
        ]
    return Scheme(name, where, _runs(scheme.get("description", "")))


def describe(spec: dict) -> Reference:
    groups = {
        tag["name"]: Group(tag["name"], tag.get("x-displayName", tag["name"]), tag.get("description", ""))
        for tag in spec.get("tags", [])
    }
    for path, item in spec.get("paths", {}).items():
        shared = item.get("parameters", [])
        for method in METHOD_ORDER:
            if method in item:
                op = item[method]
                tag = (op.get("tags") or ["api"])[0]
                group = groups.setdefault(tag, Group(tag, tag, ""))
                group.operations.append(_operation(path, method, op, shared))
    components = spec.get("components", {})
    return Reference(
        title=spec["info"]["title"],
        version=spec["info"]["version"],
        openapi=spec.get("openapi", ""),
        description=blocks(spec["info"].get("description", "")),
        groups=[group for group in groups.values() if group.operations],
        schemas={name: _fields(schema) for name, schema in components.get("schemas", {}).items()},
        security=[_scheme(name, scheme) for name, scheme in components.get("securitySchemes", {}).items()],
    )
