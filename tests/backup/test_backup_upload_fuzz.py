"""A backup upload never answers 500, whatever the bytes: documents built from a valid export and mutated at
random — a value replaced (far dates, huge numbers, lone surrogates, NUL, wrong types), a key dropped or
added, an entry doubled or dropped, bytes flipped — uploaded through the library page and `flask library
import`, on SQLite and PostgreSQL. A refusal names its place; a refused file leaves the database as it was.

Bounded for `make test`; ``FUZZ_EXAMPLES=500`` runs a long one (the same variable as the API's fuzzing).
"""

from __future__ import annotations

import json
import os
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from movie_lottery.backup.transfer import loads_backup
from movie_lottery.core.errors import InvalidInput
from tests.backup.test_backup_commands_and_pages import flashes, upload
from tests.backup.test_backup_export_import import export_text

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "40"))
pytestmark = pytest.mark.fuzz

REFUSED = "Копия не загружена, база не изменилась. "
# Where a refusal may say the problem is: an entry of the file by its section, a JSON path (a damaged file's
# top-level field too, its unprintable characters escaped), or the file.
PLACE = re.compile(
    r"^((Резервная копия|Библиотека|Лотерея|Лотереи|Голосование|Голосования|Файл)[ :,]"
    r"|[^\s:.\[]+(\[\d+\]|\.[^\s:]+)*:)"  # a JSON path: library[2].name, or a top-level field
)

FAR_DATES = [
    "0001-01-01T00:00:00Z", "0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59Z",
    "9999-12-31T23:59:59-01:00", "1887-12-31T23:00:00-01:00", "0001-01-01", "9999-12-31", "1888-01-01",
    "2026-02-30", "2024-11-29T18:40:00", "+002024-01-01T00:00:00Z",
]  # fmt: skip
DATE_KEYS = ("_at", "date", "deadline", "excluded_until")
ODD_TEXT = ["", " ", "\x00", "\ud800", "a\udfffb", "\u202e", "/", "..", "Мама 👩‍💻", "x" * 5000]


def _isoformat_somewhere(moment) -> str:
    """A moment in ISO form with an offset at the edge of what exists (±14 h), or none."""
    return moment.isoformat() + ["Z", "+14:00", "-12:00", ""][moment.microsecond % 4]


def hostile_values() -> st.SearchStrategy:
    scalars = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(2**70), max_value=2**70),
        st.sampled_from([0, -1, 1, 2**31, 2**63, -(2**63) - 1]),
        st.floats(allow_nan=False, allow_infinity=False),
        st.sampled_from(FAR_DATES),
        st.sampled_from(ODD_TEXT),
        st.text(alphabet=st.characters(codec=None, exclude_categories=()), max_size=50),
        st.datetimes(timezones=st.timezones()).map(lambda moment: moment.isoformat()),
        st.dates().map(lambda day: day.isoformat()),
    )
    return st.recursive(
        scalars,
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
        max_leaves=6,
    )


def places(value, path=()) -> list[tuple]:
    """Every place in the document: a path of keys and indexes from the top."""
    found = [path]
    if isinstance(value, dict):
        for key, item in value.items():
            found += places(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += places(item, (*path, index))
    return found


def _at(document, path):
    for step in path:
        document = document[step]
    return document


@st.composite
def mutated_upload(draw, document: dict) -> bytes:
    """The export with one to three changes; now and then its bytes damaged too."""
    document = json.loads(json.dumps(document))
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(places(document)))
        if not path:
            continue
        parent, last = _at(document, path[:-1]), path[-1]
        action = draw(st.sampled_from(["replace", "replace", "redate", "redate", "drop", "add", "double"]))
        if action == "redate":  # a date field: the place where year 1 was a 500
            dated = [p for p in places(document) if p and str(p[-1]).endswith(DATE_KEYS)]
            path = draw(st.sampled_from(dated))
            parent, last = _at(document, path[:-1]), path[-1]
            parent[last] = draw(st.sampled_from(FAR_DATES) | st.datetimes().map(_isoformat_somewhere))
        elif action == "replace":
            parent[last] = draw(hostile_values())
        elif action == "drop":
            del parent[last]
        elif action == "add" and isinstance(parent, dict):
            parent[draw(st.sampled_from(["extra", "id", "date", "ratings", "\ud800"]))] = draw(
                hostile_values()
            )
        elif action == "double" and isinstance(parent, list):
            parent.insert(last, json.loads(json.dumps(parent[last])))
    body = json.dumps(document, ensure_ascii=draw(st.booleans())).encode("utf-8", "surrogatepass")
    if draw(st.integers(0, 9)) == 0:  # damaged bytes: a flipped byte somewhere
        index = draw(st.integers(0, len(body) - 1))
        body = body[:index] + bytes([body[index] ^ draw(st.integers(1, 255))]) + body[index + 1 :]
    return body


def _refusal_names_a_place(message: str) -> None:
    assert PLACE.match(message), f"the refusal names no place: {message!r}"


def test_no_upload_is_a_500_a_refusal_names_its_place_and_writes_nothing(stocked_owner, tmp_path):
    app, client = stocked_owner
    document = json.loads(export_text(app))
    target = tmp_path / "fuzzed.json"

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,  # the same examples on every run: a failure reproduces
        suppress_health_check=list(HealthCheck),
    )
    @given(body=mutated_upload(document), through_the_page=st.booleans())
    def check(body: bytes, through_the_page: bool) -> None:
        before = export_text(app)
        if through_the_page:
            response = upload(client, body)
            assert response.status_code == 302, response.get_data(as_text=True)[:2000]
            shown = flashes(client.get(response.headers["Location"]))
            assert len(shown) == 1, shown
            refused = shown[0].startswith(REFUSED)
            message = shown[0].removeprefix(REFUSED)
        else:
            target.write_bytes(body)
            result = app.test_cli_runner().invoke(args=["library", "import", str(target)])
            assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
            refused = result.exit_code != 0
            message = result.stderr.strip().removeprefix(REFUSED.strip()).strip()
            if refused:
                assert result.exit_code == 1 and result.stderr.startswith(REFUSED.strip()), result.output
        if refused:
            _refusal_names_a_place(message)
            assert export_text(app) == before  # all or nothing

    check()


def test_a_damaged_fields_name_is_spelled_readably_in_the_refusal():
    """A flipped byte can leave a control character in a top-level field's name: the refusal shows it escaped,
    not as a line break in the middle of the message."""
    with pytest.raises(InvalidInput) as refused:
        loads_backup(b'{"format..\\r": "a\\u0000"}')
    assert str(refused.value).startswith("format..\\u000d: недопустимый символ U+0000")
