"""The OpenAPI document, walked into plain rows for the /api/docs page (which has no script to do it)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from ..schemas import DAY_PATTERN, HTTP_URL, MULTILINE, ONE_LINE, VISIBLE
from .converters import TEXT_PATTERN

METHOD_ORDER = ("get", "post", "put", "patch", "delete")
# The document's patterns, in words (the regular expressions themselves are in openapi.json).
PATTERNS = {
    ONE_LINE: "без управляющих символов",
    VISIBLE: "не пустое, без управляющих символов",
    MULTILINE: "без управляющих символов, кроме переводов строки",
    HTTP_URL: "ссылка http:// или https://",
    DAY_PATTERN: "дата ГГГГ-ММ-ДД",
    f"^{TEXT_PATTERN}+$": "без / и управляющих символов",
}


@dataclass(frozen=True)
class Field:
    name: str
    type: str
    ref: str | None  # the schema this field is (or holds), for a link
    required: bool
    notes: list[str]
    description: str


@dataclass(frozen=True)
class Reply:
    status: str
    description: str
    ref: str | None
    codes: list[str]


@dataclass(frozen=True)
class Operation:
    anchor: str
    method: str
    path: str
    summary: str
    description: str
    public: bool
    parameters: list[Field]
    body_ref: str | None
    body_required: bool
    replies: list[Reply]


@dataclass(frozen=True)
class Group:
    name: str
    description: str
    operations: list[Operation] = field(default_factory=list)


@dataclass(frozen=True)
class Block:
    """A paragraph or a bullet list of the document's text; each line is a list of (is_code, text) runs."""

    is_list: bool
    lines: list[list[tuple[bool, str]]]


@dataclass(frozen=True)
class Reference:
    title: str
    version: str
    openapi: str
    description: list[Block]
    groups: list[Group]
    schemas: dict[str, list[Field]]
    security: dict[str, dict]


def _runs(text: str) -> list[tuple[bool, str]]:
    """`code` spans and plain text, alternating (the template escapes both)."""
    return [(index % 2 == 1, part) for index, part in enumerate(text.split("`")) if part]


def blocks(text: str) -> list[Block]:
    """Paragraphs and "- " lists: the little Markdown the document's descriptions use."""
    result = []
    for chunk in text.strip().split("\n\n"):
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
        text = f"array of {item}"
    else:
        text, ref = schema.get("type", "any"), None
        if schema.get("format"):
            text += f" ({schema['format']})"
    if _nullable(schema):
        text += " | null"
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
        rows.append(Field(name, text, ref, name in required, _notes(prop), prop.get("description", "")))
    return rows


def _parameter(param: dict) -> Field:
    schema = param.get("schema", {})
    text, ref = _type(schema)
    notes = [f"in {param['in']}", *_notes(schema)]
    description = param.get("description") or schema.get("description", "")
    return Field(param["name"], text, ref, bool(param.get("required")), notes, description)


def _replies(responses: dict) -> list[Reply]:
    replies = []
    for status, reply in sorted(responses.items(), key=lambda item: str(item[0])):
        schema = next(iter(reply.get("content", {}).values()), {}).get("schema", {})
        codes = reply.get("x-error-codes", [])
        replies.append(Reply(str(status), reply.get("description", ""), _ref_name(schema), codes))
    return replies


def _operation(path: str, method: str, op: dict, shared: list[dict]) -> Operation:
    body = op.get("requestBody", {})
    body_schema = body.get("content", {}).get("application/json", {}).get("schema", {})
    return Operation(
        anchor=f"{method}-{path.strip('/').replace('/', '-').replace('{', '').replace('}', '')}",
        method=method.upper(),
        path=path,
        summary=op.get("summary", ""),
        description=op.get("description", ""),
        public={} in op.get("security", []),
        parameters=[_parameter(param) for param in [*shared, *op.get("parameters", [])]],
        body_ref=_ref_name(body_schema),
        body_required=bool(body.get("required")),
        replies=_replies(op.get("responses", {})),
    )


def describe(spec: dict) -> Reference:
    groups = {tag["name"]: Group(tag["name"], tag.get("description", "")) for tag in spec.get("tags", [])}
    for path, item in spec.get("paths", {}).items():
        shared = item.get("parameters", [])
        for method in METHOD_ORDER:
            if method in item:
                op = item[method]
                tag = (op.get("tags") or ["api"])[0]
                group = groups.setdefault(tag, Group(tag, ""))
                group.operations.append(_operation(path, method, op, shared))
    components = spec.get("components", {})
    return Reference(
        title=spec["info"]["title"],
        version=spec["info"]["version"],
        openapi=spec.get("openapi", ""),
        description=blocks(spec["info"].get("description", "")),
        groups=[group for group in groups.values() if group.operations],
        schemas={name: _fields(schema) for name, schema in components.get("schemas", {}).items()},
        security=components.get("securitySchemes", {}),
    )
