"""Parse and validate magnet links; the info-hash is always 40 lowercase hex characters.

qBittorrent's ``torrents/add`` does not return the hash of what it added, so the app derives the hash from
the magnet itself and uses it to find the torrent later. Anything that cannot give a BitTorrent v1 hash is
rejected here, with a message a person can act on.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from urllib.parse import parse_qs

MAX_LENGTH = 4096

_PREFIX = "magnet:?"
_HEX40 = re.compile(r"[0-9a-fA-F]{40}")
_BASE32_32 = re.compile(r"[A-Za-z2-7]{32}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class InvalidMagnet(ValueError):
    """The text is not a usable magnet link; ``message`` says why, in Russian, for the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Magnet:
    info_hash: str
    uri: str


def parse_magnet(text: str) -> Magnet:
    """Return the magnet's v1 info-hash (lowercase hex) and the stripped link itself."""
    if not isinstance(text, str):
        raise InvalidMagnet("Ссылка должна быть текстом")
    uri = text.strip()
    if not uri:
        raise InvalidMagnet("Ссылка пустая")
    if len(uri) > MAX_LENGTH:
        raise InvalidMagnet(f"Ссылка слишком длинная (больше {MAX_LENGTH} символов)")
    if _CONTROL.search(uri):
        raise InvalidMagnet("В ссылке есть управляющие символы")
    if uri[: len(_PREFIX)].lower() != _PREFIX:
        raise InvalidMagnet("Ссылка должна начинаться с magnet:?")

    params = parse_qs(uri[len(_PREFIX) :], keep_blank_values=False)
    topics = [value.strip() for value in params.get("xt", [])]
    btih = [value[len("urn:btih:") :] for value in topics if value.lower().startswith("urn:btih:")]
    if not btih:
        if any(value.lower().startswith("urn:btmh:") for value in topics):
            raise InvalidMagnet("Ссылка только для BitTorrent v2 (urn:btmh): нужна ссылка с xt=urn:btih:…")
        raise InvalidMagnet("В ссылке нет xt=urn:btih:…")

    hashes = {_hash_to_hex(value) for value in btih}
    if len(hashes) > 1:
        raise InvalidMagnet("В ссылке несколько разных хэшей xt=urn:btih:… — непонятно, какой торрент нужен")

    return Magnet(info_hash=hashes.pop(), uri=uri)


def _hash_to_hex(value: str) -> str:
    if _HEX40.fullmatch(value):
        return value.lower()
    if _BASE32_32.fullmatch(value):
        try:
            return base64.b32decode(value.upper()).hex()
        except (binascii.Error, ValueError):  # pragma: no cover - the regex already rules this out
            pass
    raise InvalidMagnet("Хэш должен состоять из 40 шестнадцатеричных или 32 символов base32")
