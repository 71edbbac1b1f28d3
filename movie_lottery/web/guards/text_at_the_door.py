"""Broken text is refused at the door: a query string, a form field or a cookie holding NUL or a Unicode
non-character (core.text_rules.BROKEN) is a 400 before any view reads it — a JSON body is checked as it is
parsed (request_limits.load_json), a path segment by its converter (converters.TEXT_PATTERN: a 404).

werkzeug decodes what cannot be UTF-8 (an encoded surrogate) into U+FFFD or leaves its %-escapes as they
are, so a lone surrogate arrives only in JSON; NUL and non-characters are valid UTF-8 and arrive anywhere.
A cookie is not typed by the visitor and would come back with every request: the refusal also expires it,
so the next page works.
"""

from __future__ import annotations

from flask import Flask, make_response, request
from werkzeug.datastructures import MultiDict

from movie_lottery.core.errors import InvalidInput
from movie_lottery.core.text_rules import BROKEN_CODE, BROKEN_MESSAGE, BROKEN_TEXT
from movie_lottery.web.guards.errors import error_response

FORMS = ("application/x-www-form-urlencoded", "multipart/form-data")


def _broken(values: MultiDict) -> list[str]:
    """The keys whose name or any value holds broken text."""
    return [key for key, value in values.items(multi=True) if BROKEN_TEXT.search(key + "\n" + value)]


def _refuse_broken_text():
    broken_cookies = _broken(request.cookies)
    if broken_cookies:
        response = make_response(error_response(400, BROKEN_CODE, BROKEN_MESSAGE))
        for name in broken_cookies:
            if not BROKEN_TEXT.search(name):  # a name that cannot be sent back cannot be expired either
                response.delete_cookie(name)
        return response
    if _broken(request.args) or (request.mimetype in FORMS and _broken(request.form)):
        raise InvalidInput(BROKEN_MESSAGE, code=BROKEN_CODE)
    return None


def init_app(app: Flask) -> None:
    """After the CSRF check: a form is read here only once a request may send one."""
    app.before_request(_refuse_broken_text)
