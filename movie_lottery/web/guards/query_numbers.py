"""Whole numbers in query strings: ASCII digits of a sane length, or nothing.

``str.isdigit`` also says yes to «²» (which ``int`` refuses) and to five thousand nines (which ``int``
refuses past 4,300 digits): a page that trusted either would answer 500.
"""

from __future__ import annotations

DIGITS_MAX = 12


def small_number(raw: str | None) -> int | None:
    """``"42"`` → 42; anything else (empty, signs, spaces, other scripts' digits, too long) → None."""
    if raw and len(raw) <= DIGITS_MAX and raw.isascii() and raw.isdigit():
        return int(raw)
    return None
