"""What every area of the JSON API shares: the request-part base, the reply base, movies and errors.

Requests: unknown fields are ignored everywhere (marshmallow's EXCLUDE), as MovieSchema always did: a bot may
send a richer object than we keep. A refused request is a 400 ``{"error": {"code", "message", "details"}}``:
the code names the problem, the message is Russian, and ``details.fields`` holds every field's messages.

Replies: the views hand the domain's objects (or plain values) to these schemas, which write the JSON and
the document alike (``@bp.response``, or ``dump_text`` for the kept, polled reads). Every reply object is
closed (``additionalProperties: false``) and dumps its fields in their declared order, which is the order
clients read.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from flask import current_app
from marshmallow import EXCLUDE, RAISE, Schema, fields, validate
from marshmallow.utils import get_value

from movie_lottery.core.errors import InvalidInput
from movie_lottery.core.validation import DETAIL_FIELDS, LABELS, first_message, in_russian
from movie_lottery.lottery.service import movie_extras

PAGE_MAX = 1_000_000


class Shared:
    """A schema that copies as itself. flask-smorest deep-copies each view's doc at every decorator, schema
    instances included; ours never change after import, and the copies cost every worker memory."""

    def __deepcopy__(self, memo: dict) -> Shared:
        return self


class ApiSchema(Shared, Schema):
    """A request part (JSON body or query string) and the error code each of its problems gets."""

    class Meta:
        unknown = EXCLUDE

    body_required: ClassVar[bool] = True  # JSON bodies: is an empty body a 400 ``body_required``?
    default_code: ClassVar[str] = "invalid_input"
    field_codes: ClassVar[dict[str, str]] = {}  # field -> code for any problem with it
    message_codes: ClassVar[dict[str, str]] = {}  # one exact message -> its own code

    field_labels: ClassVar[dict[str, str]] = {}  # field -> its name for people («Год с»), where one fits

    def input_error(self, messages: dict) -> InvalidInput:
        """The message is for people: the field's label when it has one and the text does not already say
        which field, never the field's key (``year_from``) — a client that needs the key finds it in
        ``details.fields``."""
        field = str(next(iter(messages), ""))
        text = first_message(messages, labels={})
        code = self.message_codes.get(text) or self.field_codes.get(field) or self.default_code
        text = _without_key(text, field)
        label = self.field_labels.get(field) or LABELS.get(field)
        named = not label or label.lower() in text.lower() or text in self.message_codes
        message = text if named else f"{label}: {text[:1].lower()}{text[1:]}"
        return InvalidInput(message, code=code, details={"fields": messages})

    @classmethod
    def error_codes(cls) -> list[str]:
        """Every code a refusal of this part can carry, for the document."""
        codes = [cls.default_code, *cls.field_codes.values(), *cls.message_codes.values()]
        return list(dict.fromkeys(codes))


def page_number() -> fields.Integer:
    message = f"Номер страницы — целое число от 1 до {PAGE_MAX}"
    return fields.Integer(
        load_default=1,
        strict=False,
        validate=validate.Range(1, PAGE_MAX, error=message),
        error_messages={"invalid": message, "null": message},
        metadata={"description": "Номер страницы, с 1; номер за последней даёт последнюю."},
    )


class StrictBoolean(fields.Boolean):
    """JSON true or false only: not 1, "yes" or "on" (marshmallow's Boolean takes those)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> bool:
        if not isinstance(value, bool):
            raise self.make_error("invalid")
        return value


def _without_key(text: str, field: str) -> str:
    """A message that starts with its field's key («year_from: …», an older message's habit) loses it."""
    prefix = f"{field}: "
    if field not in ("", "_schema") and text.startswith(prefix) and len(text) > len(prefix):
        rest = text[len(prefix) :]
        return rest[:1].upper() + rest[1:]
    return text


def input_error(schema: Schema, messages: dict) -> InvalidInput:
    """The 400 for a request part the schema refused, in the API's error shape."""
    messages = in_russian(messages)
    hook = getattr(schema, "input_error", None)
    if hook is not None:
        return hook(messages)
    return InvalidInput(first_message(messages), details={"fields": messages})


class Reply(Shared, Schema):
    """What the API answers (the document names it without ``Input``).

    A field that the object does not hold as an attribute is read by the schema's ``value_<field>`` method,
    so the document keeps the field's type and description (a ``fields.Method`` would lose them).
    """

    class Meta:
        unknown = RAISE

    # The fields read by a value_ method, found once per class: a dump asks for every field of every object.
    derived: ClassVar[frozenset[str]] = frozenset()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.derived = frozenset(name.removeprefix("value_") for name in dir(cls) if name.startswith("value_"))

    def get_attribute(self, obj: Any, attr: str, default: Any) -> Any:
        if attr in self.derived:
            return getattr(self, f"value_{attr}")(obj)
        return get_value(obj, attr, default)


@dataclass(frozen=True)
class Linked:
    """A lottery or poll with the links this answer gives it (``web.api.shared``: ``lottery_links``,
    ``poll_links``)."""

    item: Any
    links: Mapping[str, str]


class WithLinks(Reply):
    """Dumps a ``Linked``: its ``link_fields`` from the links (left out when absent, so a token never comes
    from the row), every other field from the item."""

    link_fields: ClassVar[frozenset[str]] = frozenset()

    def get_attribute(self, obj: Linked, attr: str, default: Any) -> Any:
        if attr in self.link_fields:
            return obj.links.get(attr, default)
        return super().get_attribute(obj.item, attr, default)


def dump_text(schema: Schema, obj: Any) -> str:
    """The reply as the JSON text a kept, polled read answers with (``conditional_json``)."""
    return current_app.json.dumps(schema.dump(obj)) + "\n"


def required_text(description: str | None = None, **options) -> fields.String:
    metadata = {"description": description} if description else {}
    return fields.String(required=True, metadata=metadata, **options)


def maybe(field: type[fields.Field], description: str | None = None, **options) -> fields.Field:
    """Always present, possibly null."""
    metadata = {"description": description} if description else {}
    return field(required=True, allow_none=True, metadata=metadata, **options)


def extra(field: type[fields.Field], description: str) -> fields.Field:
    """Present only when known (the Kinopoisk extras)."""
    return field(allow_none=True, metadata={"description": description})


class Movie(Reply):
    kinopoisk_id = maybe(fields.Integer)
    name = required_text()
    year = maybe(fields.Integer)
    poster = maybe(fields.String, "Адрес постера, http(s)")
    description = maybe(fields.String)
    rating = maybe(fields.Float, "Рейтинг Кинопоиска, 0–10")
    genres = fields.List(fields.String(), required=True)
    countries = fields.List(fields.String(), required=True)
    poster_preview = extra(fields.String, "Постер поменьше")
    rating_imdb = extra(fields.Float, "Рейтинг IMDb, 0–10")
    length = extra(fields.Integer, "Длительность, минуты")
    trailer_url = extra(fields.String, "Трейлер (адрес для встраивания)")
    kinopoisk_url = extra(fields.String, "Страница фильма на kinopoisk.ru")

    def get_attribute(self, obj: Any, attr: str, default: Any) -> Any:
        """A search hit holds every field itself; a stored movie keeps the Kinopoisk extras in ``details``
        (each present only when known)."""
        if isinstance(obj, dict):
            return super().get_attribute(obj, attr, default)
        if attr in DETAIL_FIELDS:
            return movie_extras(obj).get(attr, default)
        value = super().get_attribute(obj, attr, default)
        return list(value or []) if attr in ("genres", "countries") else value


class Candidate(Movie):
    position = fields.Integer(required=True, metadata={"description": "Место в списке, считая с 0"})


class ErrorBody(Reply):
    code = required_text("Неизменный, для скриптов: например, `invalid_input`, `lottery_not_found`")
    message = required_text("По-русски, для людей")
    details = fields.Dict(metadata={"description": "Сообщения по полям (`fields`) и, для фильма, его номер"})


class Error(Reply):
    error = fields.Nested(ErrorBody, required=True)
