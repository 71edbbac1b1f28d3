"""What a refusal says is plain Russian: no words of the data format ("null", "true"), no English left over
from the validation library, and one spelling of «магнет-ссылка» across the site.

«магнет-ссылка», in Cyrillic: it declines like any Russian noun (магнет-ссылку, без магнета), the short
«магнет» on the library's buttons is already written so, and the literal ``magnet:?…`` the user pastes is
shown as such wherever its form matters.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from pathlib import Path

import pytest
from marshmallow import Schema, fields

from movie_lottery.core import validation as schemas
from movie_lottery.web.api import schemas as api_schemas
from movie_lottery.web.api.schemas.base import ApiSchema

PACKAGE = Path(schemas.__file__).resolve().parents[1]  # movie_lottery/
JARGON = re.compile(r"\b(null|none|true|false|nan|infinity|boolean|string|integer)\b", re.IGNORECASE)
LEFT_IN_ENGLISH = re.compile(r"\b(not a valid|field may|invalid|missing data|unknown field|must be)\b", re.I)
# Latin a message may carry: names of the format and of a link's parts, shown as the user writes them.
LATIN_ALLOWED = {"JSON", "UTF-8", "http", "https", "magnet", "xt", "urn", "btih"}
# The values an API field takes, named as the client must send them (GET /api/library?status=…).
LATIN_ALLOWED |= {"want", "watched", "excluded", "all"}
# Names people know in Latin letters («Опрос в Telegram»).
LATIN_ALLOWED |= {"Telegram"}
MOVIES = [{"name": "Тихая гавань"}, {"name": "Гавань"}]


def assert_plain(message: str, field_names: set[str] = frozenset()) -> None:
    assert not JARGON.search(message), message
    assert not LEFT_IN_ENGLISH.search(message), message
    latin = set(re.findall(r"[A-Za-z][A-Za-z0-9_]*(?:-[A-Za-z0-9]+)*", message))
    assert latin <= LATIN_ALLOWED | set(field_names), (message, latin)
    assert re.search(r"[а-яё]", message, re.IGNORECASE), message


def request_schemas() -> list[Schema]:
    found = [schemas.MovieSchema()]
    seen: set[type] = set()
    base = ApiSchema
    for info in pkgutil.iter_modules(api_schemas.__path__):
        module = importlib.import_module(f"{api_schemas.__name__}.{info.name}")
        for obj in vars(module).values():
            if inspect.isclass(obj) and issubclass(obj, base) and obj is not base and obj not in seen:
                seen.add(obj)
                found.append(obj())
    return found


def field_messages(schema: Schema) -> list[tuple[str, str]]:
    """Every message a field of the schema (its list items and nested movies included) can give."""
    out = [(name, text) for name, text in schema.error_messages.items()]
    todo = list(schema.fields.items())
    while todo:
        name, field = todo.pop()
        out += [(name, text) for text in field.error_messages.values()]
        if isinstance(field, fields.List):
            todo.append((name, field.inner))
        if isinstance(field, fields.Nested):
            out += field_messages(field.schema)
    return out


@pytest.mark.parametrize("schema", request_schemas(), ids=lambda schema: type(schema).__name__)
def test_every_message_a_request_schema_can_give_is_plain_russian(schema):
    names = set(schema.fields)
    for field_name, text in field_messages(schema):
        assert_plain(schemas.in_russian(text), names | {field_name})


BAD_REQUESTS = [
    ("post", "/api/lotteries", {"movies": None}),
    ("post", "/api/lotteries", {"movies": [None, MOVIES[1]]}),
    ("post", "/api/lotteries", {"movies": [{"name": None}, MOVIES[1]]}),
    ("post", "/api/lotteries", {"movies": [{"name": 5}, MOVIES[1]]}),
    ("post", "/api/lotteries", {"movies": [{"name": "А", "genres": [None]}, MOVIES[1]]}),
    ("post", "/api/lotteries", {"movies": [{"name": "А", "genres": "драма"}, MOVIES[1]]}),
    ("post", "/api/lotteries", {"movies": [{"name": "А", "rating": "высокий"}, MOVIES[1]]}),
    ("post", "/api/lotteries", {"movies": [{"name": "А", "year": True}, MOVIES[1]]}),
    ("post", "/api/lotteries", {"movies": MOVIES, "auto_download": "yes"}),
    ("post", "/api/lotteries", {"movies": MOVIES, "auto_download": None}),
    ("post", "/api/lotteries", [MOVIES]),
    ("post", "/api/lotteries/abcd1234/draw", {"token": 5}),
    ("post", "/api/library", {"name": None}),
    ("post", "/api/library", {"name": "А", "magnet": 5}),
    ("put", "/api/library/1/magnet", {"magnet": None}),
    ("put", "/api/library/1/magnet", {}),
    ("get", "/api/search?q=я", None),
    ("get", "/api/lotteries?page=первая", None),
    ("get", "/api/library?page=null", None),
]


@pytest.mark.parametrize(("method", "path", "body"), BAD_REQUESTS)
def test_no_api_refusal_speaks_the_data_formats_words(client, method, path, body):
    response = getattr(client, method)(path, json=body) if body is not None else client.get(path)
    assert response.status_code == 400, response.get_json()
    error = response.get_json()["error"]
    assert_plain(error["message"], {"auto_download", "token", "page", "magnet", "q"})


def site_texts() -> list[Path]:
    return [
        path
        for pattern in ("templates/**/*.html", "static/js/**/*.js", "**/*.py")
        for path in PACKAGE.glob(pattern)
    ]


def test_the_site_spells_magnet_link_one_way():
    mixed = re.compile(r"magnet-ссыл|магнит-ссыл|magnet-ссылк", re.IGNORECASE)
    found = [
        f"{path.relative_to(PACKAGE)}: {line.strip()}"
        for path in site_texts()
        for line in path.read_text(encoding="utf-8").splitlines()
        if mixed.search(line)
    ]
    assert found == []
    assert any("магнет-ссылк" in path.read_text(encoding="utf-8") for path in site_texts())


FIELD_KEYS = re.compile(r"\b(year_from|year_to|min_rating|auto_download|page|n|token|q|status|genre)\b")


@pytest.mark.parametrize(
    "path",
    [
        "/api/library?year_from=abc",
        "/api/library?year_from=1700",
        "/api/library?min_rating=11",
        "/api/library?page=x",
        "/api/library/random?n=500",
        "/api/lotteries?page=первая",
    ],
)
def test_a_refusal_names_the_field_as_people_do_and_keeps_the_key_in_details(client, path):
    response = client.get(path)
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert not FIELD_KEYS.search(error["message"]), error["message"]
    assert set(error["details"]["fields"]) <= {"year_from", "year_to", "min_rating", "page", "n"}
    if "year_from" in path:
        assert error["message"].startswith("Год с: ")
