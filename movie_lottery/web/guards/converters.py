"""URL converters: a path segment with a control character routes nowhere (a plain 404).

Found by fuzzing the API: a NUL in a path (`/l/%00x`, `/api/lotteries/%00x`) reached PostgreSQL, whose
driver refuses NUL in text: a 500. The check is the converter's regex, not ``to_python``: a value refused
there would make werkzeug answer 405 when the same path has a rule for another method.
"""

from __future__ import annotations

from flask import Flask
from werkzeug.routing import UnicodeConverter

from movie_lottery.core.text_rules import BROKEN, pattern_class

# No non-character either (core.text_rules.BROKEN; werkzeug turns a surrogate's bytes into U+FFFD).
TEXT_PATTERN = rf"[^/\x00-\x1f\x7f{pattern_class(BROKEN)}]"


class TextConverter(UnicodeConverter):
    """The default ``<name>``: one path segment, without control characters."""

    part_isolating = True

    def __init__(self, map, *args, **kwargs) -> None:
        super().__init__(map, *args, **kwargs)
        self.regex = self.regex.replace("[^/]", TEXT_PATTERN, 1)  # keeps the length bounds


def text_parameter_schema(converter: TextConverter) -> dict:
    """How the OpenAPI document shows a ``<name>`` path parameter."""
    return {"type": "string", "minLength": 1, "pattern": f"^{TEXT_PATTERN}+$"}


def init_app(app: Flask) -> None:
    """Before any blueprint: a rule picks its converters when it is added."""
    app.url_map.converters.update(default=TextConverter, string=TextConverter)
