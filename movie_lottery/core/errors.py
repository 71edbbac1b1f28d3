"""Domain errors: what went wrong in words a user understands, with a stable code for the API."""

from __future__ import annotations


class DomainError(Exception):
    status = 400
    code = "bad_request"
    title: str | None = None  # the error page's heading, when the status's own would mislead

    def __init__(self, message: str, *, code: str | None = None, details: dict | None = None):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.details = details or {}


class InvalidInput(DomainError):
    status = 400
    code = "invalid_input"


class NotFound(DomainError):
    status = 404
    code = "not_found"


class WrongLink(NotFound):
    """A link to a real lottery or poll whose secret part is wrong (cut short when copied, most often): said
    plainly, with the way on. Still a 404: the secret part itself is never hinted at."""

    code = "wrong_link"
    title = "Ссылка не подходит"

    def __init__(self, message: str, *, code: str | None = None, way_on: tuple[str, str] | None = None):
        super().__init__(message, code=code)
        self.way_on = way_on  # (button text, address): where the visitor can go instead


class Forbidden(DomainError):
    status = 403
    code = "forbidden"


class Conflict(DomainError):
    status = 409
    code = "conflict"


class Unavailable(DomainError):
    status = 503
    code = "unavailable"
