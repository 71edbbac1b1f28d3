"""One rule per user-visible text field: which characters it may hold, what counts as visible, how long.

Every class of characters here is an explicit list of code point ranges, never ``unicodedata`` or
``str.isprintable``: those follow the Unicode version of the running Python, so an emoji newer than it
would be "unprintable" to one check and fine to another (the ballot API took «Мама 👩‍💻», then
``library import`` refused the whole backup). A code point not listed is an ordinary visible character,
whatever Unicode later makes of it. The same ranges are served to the pages' scripts
(``client_rules``), so the browser checks a name exactly as the server does.

Lengths are counted in code points: the unit of the database's VARCHAR on PostgreSQL (a name at the
limit stores on both databases), and the same in every Python and every browser — grapheme clusters
would depend on the Unicode tables of each. In JavaScript that is ``[...text].length``, not ``length``
(UTF-16 units).

Every pattern is linear in its input (tests/core/test_input_patterns.py times them on 1 MB): a leading
run of blank characters and the first visible one are disjoint classes, so a refusal is one pass.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

from movie_lottery.core.errors import InvalidInput

Ranges = tuple[tuple[int, int], ...]

# ---- classes of code points -----------------------------------------------------------------------------

CONTROLS: Ranges = ((0x00, 0x1F), (0x7F, 0x9F))  # C0 (NUL among them), DEL, C1
LINE_BREAKS: Ranges = ((0x09, 0x0A), (0x0D, 0x0D))  # tab, LF, CR: what a description may keep
SURROGATES: Ranges = ((0xD800, 0xDFFF),)  # half a UTF-16 pair: no UTF-8 encoding, so no way to store it
# The 66 non-characters: U+FDD0–U+FDEF and the last two code points of each of the 17 planes.
NONCHARACTERS: Ranges = ((0xFDD0, 0xFDEF), *((p + 0xFFFE, p + 0xFFFF) for p in range(0, 0x110000, 0x10000)))
# Embeddings, overrides (U+202A–U+202E) and isolates (U+2066–U+2069) open a scope that turns the rest of
# the line around wherever the text is shown (next to a vote, in a list of names). The marks U+200E, U+200F
# and U+061C open nothing: they only settle the direction of the punctuation next to them («!שרה»), and RTL
# keyboards type them, so names keep them (they do not count as visible).
BIDI_CONTROLS: Ranges = ((0x202A, 0x202E), (0x2066, 0x2069))
# What str.split() splits on (the White_Space property, unchanged for decades), listed for the scripts.
WHITESPACE: Ranges = (
    (0x09, 0x0D), (0x1C, 0x20), (0x85, 0x85), (0xA0, 0xA0), (0x1680, 0x1680), (0x2000, 0x200A),
    (0x2028, 0x2029), (0x202F, 0x202F), (0x205F, 0x205F), (0x3000, 0x3000),
)  # fmt: skip
# Shown as nothing: Unicode's Default_Ignorable_Code_Point (the zero-width space and joiners, variation
# selectors, the soft hyphen, the BOM, tags, Hangul fillers…) and the blank Braille pattern U+2800. Allowed
# inside a text (a ZWJ joins 👩‍💻, a variation selector makes ❤️ red, tags spell 🏴󠁧󠁢󠁳󠁣󠁴󠁿), never alone.
INVISIBLE: Ranges = (
    (0x00AD, 0x00AD), (0x034F, 0x034F), (0x061C, 0x061C), (0x115F, 0x1160), (0x17B4, 0x17B5),
    (0x180B, 0x180F), (0x200B, 0x200F), (0x202A, 0x202E), (0x2060, 0x206F), (0x2800, 0x2800),
    (0x3164, 0x3164), (0xFE00, 0xFE0F), (0xFEFF, 0xFEFF), (0xFFA0, 0xFFA0), (0xFFF0, 0xFFF8),
    (0x1BCA0, 0x1BCA3), (0x1D173, 0x1D17A), (0xE0000, 0xE0FFF),
)  # fmt: skip


def _merged(ranges: Iterable[tuple[int, int]]) -> Ranges:
    merged: list[tuple[int, int]] = []
    for low, high in sorted(ranges):
        if merged and low <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(high, merged[-1][1]))
        else:
            merged.append((low, high))
    return tuple(merged)


def _minus(ranges: Ranges, taken: Ranges) -> Ranges:
    """The code points of ``ranges`` that are not in ``taken``."""
    left: list[tuple[int, int]] = []
    for low, high in _merged(ranges):
        for t_low, t_high in _merged(taken):
            if t_high < low or t_low > high:
                continue
            if t_low > low:
                left.append((low, t_low - 1))
            low = max(low, t_high + 1)
            if low > high:
                break
        if low <= high:
            left.append((low, high))
    return tuple(left)


def _escape(code_point: int) -> str:
    return f"\\u{code_point:04x}" if code_point <= 0xFFFF else f"\\U{code_point:08x}"


def char_class(ranges: Ranges, *, extra: str = "") -> str:
    """The inside of a regular expression's [...] (Python's syntax) for these ranges."""
    parts = [_escape(low) if low == high else f"{_escape(low)}-{_escape(high)}" for low, high in ranges]
    return "".join(parts) + re.escape(extra)


# Never in any field: what cannot be stored (a surrogate), shown (a control) or exchanged (a non-character).
UNSAFE: Ranges = _merged((*CONTROLS, *SURROGATES, *NONCHARACTERS))
UNSAFE_MULTILINE: Ranges = _minus(UNSAFE, LINE_BREAKS)
UNSAFE_NAME: Ranges = _merged((*UNSAFE, *BIDI_CONTROLS))
# Refused at the door, in every string of every request (web.guards.text_at_the_door): NUL, surrogates
# and non-characters break the database, the page or the backup whatever the field.
BROKEN: Ranges = _merged(((0, 0), *SURROGATES, *NONCHARACTERS))
BROKEN_TEXT = re.compile(f"[{char_class(BROKEN)}]")


def _visible_text(unsafe: Ranges, extra: str = "", *, shown: bool = False) -> str:
    """One line with a visible character and nothing from ``unsafe`` (nor ``extra``): a run of blanks,
    the first visible character, then anything allowed. ``shown``: the document's version (pattern_class)."""
    blank = _minus(_merged((*WHITESPACE, *INVISIBLE)), unsafe)
    cls = pattern_class if shown else char_class
    first = cls(_merged((*unsafe, *blank))) + re.escape(extra)
    return f"^[{cls(blank)}]*[^{first}][^{cls(unsafe)}{re.escape(extra)}]*$"


_BEYOND_THE_BMP: Ranges = ((0x10000, 0x10FFFF),)


def pattern_class(ranges: Ranges) -> str:
    """A class for a pattern the OpenAPI document shows: the Basic Multilingual Plane only, without
    surrogates. A JSON Schema string is Unicode scalar values (no surrogate can be written), and ECMA-262's
    patterns, which OpenAPI's readers take, have no escape past U+FFFF. FullPattern checks with the whole
    rule (FULL_PATTERNS) and refuses broken text besides."""
    return char_class(_minus(ranges, _merged((*SURROGATES, *_BEYOND_THE_BMP))))


SURROGATE = re.compile(f"[{char_class(SURROGATES)}]")

# The patterns the fields show in the document (FullPattern) ...
ONE_LINE = f"^[^{pattern_class(UNSAFE)}]*$"
MULTILINE = f"^[^{pattern_class(UNSAFE_MULTILINE)}]*$"
VISIBLE = _visible_text(UNSAFE, shown=True)  # a title, a genre, a country
# «/» stays out of a name: DELETE /api/polls/<id>/ballots/<name> takes it as one path segment, and a
# WSGI server decodes %2F into a real «/» before routing, so a name holding one could never be removed.
PARTICIPANT_NAME = _visible_text(UNSAFE_NAME, extra="/", shown=True)
# ... and the whole rule each is checked with, every plane included.
FULL_PATTERNS = {
    ONE_LINE: re.compile(f"^[^{char_class(UNSAFE)}]*$"),
    MULTILINE: re.compile(f"^[^{char_class(UNSAFE_MULTILINE)}]*$"),
    VISIBLE: re.compile(_visible_text(UNSAFE)),
    PARTICIPANT_NAME: re.compile(_visible_text(UNSAFE_NAME, extra="/")),
}
_NAME = FULL_PATTERNS[PARTICIPANT_NAME]
VISIBLE_TEXT = FULL_PATTERNS[VISIBLE]
_SPACES = re.compile(f"[{char_class(WHITESPACE)}]+")

# ---- lengths, in code points -----------------------------------------------------------------------------

PARTICIPANT_NAME_MAX = 40  # the VARCHAR of poll_ballot.name and rating.name
TITLE_MAX = 200
DESCRIPTION_MAX = 5000
URL_MAX = 1000
LIST_ITEM_MAX = 60  # a genre, a country
LIST_MAX = 20
TOKEN_MAX = 100  # a draw, close or manage token as sent (the real ones are 43 characters)

BROKEN_CODE = "invalid_text"
TITLE_MESSAGE = f"Название: от 1 до {TITLE_MAX} символов, хотя бы один видимый"
NAME_MESSAGE = f"Имя — от 1 до {PARTICIPANT_NAME_MAX} символов, хотя бы один видимый, без «/»"
BROKEN_MESSAGE = (
    "В тексте есть символы, которые нельзя сохранить или показать (NUL, половинка суррогатной пары "
    "или «не-символ» Юникода) — уберите их"
)


def collapse_spaces(text: str) -> str:
    """Trimmed, every run of spaces (tabs, line breaks…) one plain space: how a name is kept."""
    return _SPACES.sub(" ", text).strip(" ")


def is_participant_name(value: Any) -> bool:
    """A name as stored: the rule below, and already in its kept form (spaces trimmed and single)."""
    return (
        isinstance(value, str)
        and 1 <= len(value) <= PARTICIPANT_NAME_MAX
        and value == collapse_spaces(value)
        and _NAME.fullmatch(value) is not None
        and SURROGATE.search(value) is None
    )


def shows_as_title(value: Any) -> bool:
    """A title by the rule (one line, something visible, nothing unsafe), whatever its length."""
    return (
        isinstance(value, str) and VISIBLE_TEXT.fullmatch(value) is not None and not SURROGATE.search(value)
    )


def clean_participant_name(raw: object) -> str:
    """A voter's or a rater's name in its kept form; InvalidInput ``invalid_name`` otherwise."""
    name = collapse_spaces(raw) if isinstance(raw, str) else None
    if not is_participant_name(name):
        raise InvalidInput(NAME_MESSAGE, code="invalid_name")
    return name  # type: ignore[return-value]


# ---- at the door ----------------------------------------------------------------------------------------


def strings_in(value: Any) -> Iterator[str]:
    """Every string in parsed JSON, keys included; level by level, no recursion (depth is bounded anyway)."""
    level = [value]
    while level:
        deeper = []
        for node in level:
            if type(node) is str:
                yield node
            elif type(node) is dict:
                deeper += node.keys()
                deeper += node.values()
            elif type(node) is list:
                deeper += node
        level = deeper


def has_broken_text(value: Any) -> bool:
    """Does any string in ``value`` hold NUL, a lone surrogate or a non-character?"""
    return any(BROKEN_TEXT.search(text) for text in strings_in(value))


def _served(ranges: Ranges) -> list[list[int]]:
    return [list(pair) for pair in ranges]


def client_rules() -> dict:
    """The rules the pages' scripts check with (static/js/lib/text-rules.js), written into every page from
    the ranges above: the browser has no copy of its own. ``collapse``: spaces are made single (a name)
    or only trimmed (a title)."""
    blank = _merged((*WHITESPACE, *INVISIBLE))
    return {
        "participant_name": {
            "max": PARTICIPANT_NAME_MAX,
            "unsafe": _served(UNSAFE_NAME),
            "blank": _served(_minus(blank, UNSAFE_NAME)),
            "spaces": _served(WHITESPACE),
            "refused": "/",
            "collapse": True,
            "message": NAME_MESSAGE,
        },
        "title": {
            "max": TITLE_MAX,
            "unsafe": _served(UNSAFE),
            "blank": _served(_minus(blank, UNSAFE)),
            "spaces": _served(WHITESPACE),
            "refused": "",
            "collapse": False,
            "message": TITLE_MESSAGE,
        },
    }
