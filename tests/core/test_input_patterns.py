"""Every regular expression the app holds is linear in its input, and a field checks its length first.

Found by walking the package: every compiled pattern at module level and every pattern a schema validates
with, so a new one is covered without being listed. Each is timed on 1 MB worst cases (support/worst_case.py)
as fullmatch, match and search, even though input reaches most of them only after a length check: a pattern
must not be the thing that holds a worker.
"""

from __future__ import annotations

import importlib
import pkgutil
import re

import pytest
from marshmallow import Schema, fields, validate

import movie_lottery
from movie_lottery.core import validation as schemas
from movie_lottery.web.api import schemas as api_schemas
from movie_lottery.web.guards.converters import TEXT_PATTERN
from tests.support.worst_case import RUNS, within_bound_at_every_step, worst_value


def _modules():
    for info in pkgutil.walk_packages(movie_lottery.__path__, "movie_lottery."):
        yield importlib.import_module(info.name)


def _schema_classes() -> list[type[Schema]]:
    found = []
    api_modules = [importlib.import_module(f"{api_schemas.__name__}.{info.name}")
                   for info in pkgutil.iter_modules(api_schemas.__path__)]  # fmt: skip
    for module in (schemas, *api_modules):
        found += [v for v in vars(module).values() if isinstance(v, type) and issubclass(v, Schema)]
    return [cls for cls in dict.fromkeys(found) if cls is not Schema]


def _fields(schema: Schema, path: str = ""):
    for name, field in schema.fields.items():
        yield from _walk(field, f"{path}{name}")


def _walk(field: fields.Field, path: str):
    yield path, field
    if isinstance(field, fields.List):
        yield from _walk(field.inner, f"{path}[]")
    if isinstance(field, fields.Nested):
        yield from _fields(field.schema, f"{path}.")


def _patterns() -> dict[str, re.Pattern]:
    found: dict[str, re.Pattern] = {}
    for module in _modules():
        for name, value in vars(module).items():
            if isinstance(value, re.Pattern) and isinstance(value.pattern, str):
                found[f"{module.__name__}.{name}"] = value
    for cls in _schema_classes():
        for path, field in _fields(cls()):
            for check in field.validators:
                if isinstance(check, validate.Regexp):
                    found[f"{cls.__name__}.{path}"] = check.regex
    # The router's pattern for a <name> path segment (web.converters).
    found["converters.TEXT_PATTERN"] = re.compile(f"{TEXT_PATTERN}+")
    return found


FOUND = _patterns()
# One name per distinct pattern: the movie's URL check alone is used by a dozen fields.
PATTERNS = {name: pattern for pattern, name in {v: k for k, v in reversed(FOUND.items())}.items()}


def test_the_walk_finds_the_patterns_that_meet_input():
    names = set(FOUND)
    assert {"MovieSchema.name", "MovieSchema.poster", "MovieSchema.genres[]", "SearchQuery.q"} <= names
    assert "movie_lottery.integrations.kinopoisk._REF_URL_RE" in names
    assert "movie_lottery.integrations.magnet._CONTROL" in names


# Linear matching of 1 MB costs up to ~0.3 s here (a backtracking engine steps back over a run it cannot
# finish): the bound is several times that, and a quadratic pattern fails it at the first or second step.
PATTERN_BOUND_SECONDS = 2.0


@pytest.mark.parametrize("name", sorted(PATTERNS))
@pytest.mark.parametrize("kind", sorted(RUNS))
@pytest.mark.parametrize("use", ["fullmatch", "match", "search"])
def test_every_pattern_is_linear_on_worst_case_input(name, kind, use):
    match = getattr(PATTERNS[name], use)

    def prepare(size: int):
        value = worst_value(kind, size)
        return lambda: match(value)

    within_bound_at_every_step(prepare, f"{name}.{use} on {kind}", PATTERN_BOUND_SECONDS)


def test_visible_still_means_one_line_with_something_visible():
    visible = re.compile(schemas.VISIBLE)
    for good in ["a", "Амели 🎬", "  a  b ", "\u00a0x", "a\u00a0"]:
        assert visible.fullmatch(good), good
    for bad in ["", " ", "\u00a0\u2003", "a\x01", "\x85a", "a\nb", "\t"]:
        assert not visible.fullmatch(bad), bad


@pytest.mark.parametrize("cls", _schema_classes(), ids=lambda cls: cls.__name__)
def test_every_field_with_several_checks_stops_at_the_first_refusal(cls):
    for path, field in _fields(cls()):
        if len(field.validators) > 1:
            assert isinstance(field, schemas.FirstFailure), f"{cls.__name__}.{path} runs every validator"


def test_a_refused_length_is_the_only_message():
    errors = schemas.MovieSchema().validate({"name": "a" * 300 + "\x01"})
    assert errors == {"name": ["Название: от 1 до 200 символов"]}
