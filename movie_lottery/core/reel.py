"""The reel: a secret seed committed to in advance, and the one formula that turns it into a pick.

Lotteries draw their winner with it and polls break their ties with it, so both are checked the same way:
- at creation the server picks a secret 256-bit ``seed`` and publishes ``commitment = sha256(seed)``;
- the pick among ``names`` is ``int(sha256(seed + "\\n" + id + "\\n" + "\\n".join(names)), 16) % len(names)``;
- once the result is known the seed is revealed, so anyone can recompute both (``static/js/lib/reel.js``
  does it in the browser; the README shows it with ``sha256sum`` and Python).

Pure: no database, no Flask. Ids and tokens come from here too, so a poll's are exactly as strong as a
lottery's.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

ID_BYTES = 6  # 8 URL-safe characters: short to share, random so ids cannot be walked
TOKEN_BYTES = 24  # 32 URL-safe characters: a play or manage link's secret
SEED_BYTES = 32
# How long the reel spins from the draw (a lottery's ``drawn_at``, a tied poll's ``closed_at``) to its stop:
# every open page lands at that same moment, ``lands_at``, so nobody learns the winner before the others.
# The app's REEL_SPIN_MS (tests that do not watch the reel set 0: a drawn lottery's result page at once).
SPIN_MS = 5000


def spin_window(started_at: datetime | None, spin_ms: int) -> dict | None:
    """The shared spin of a draw that happened at ``started_at``: when it started, when every reel lands."""
    if started_at is None:
        return None
    return {
        "spin_ms": spin_ms,
        "started_at": started_at,
        "lands_at": started_at + timedelta(milliseconds=spin_ms),
    }


def has_landed(started_at: datetime | None, spin_ms: int, now: datetime) -> bool:
    """Whether the reel of a draw at ``started_at`` has stopped by ``now`` (no draw: nothing to wait for)."""
    return started_at is None or now >= started_at + timedelta(milliseconds=spin_ms)


def new_id() -> str:
    return secrets.token_urlsafe(ID_BYTES)


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def new_seed() -> str:
    """64 hex characters: the text that is hashed, so the commitment can be checked with sha256sum."""
    return secrets.token_hex(SEED_BYTES)


def commitment_for(seed: str) -> str:
    """sha256 of the seed's hex text, so ``printf %s SEED | sha256sum`` checks it."""
    return hashlib.sha256(seed.encode("ascii")).hexdigest()


def pick_index(seed: str, draw_id: str, names: list[str]) -> int:
    """The documented pick: a deterministic function of the seed, the id and the names in listed order."""
    if not names:
        raise ValueError("a pick needs candidates")
    message = "\n".join([seed, draw_id, *names]).encode("utf-8")
    return int(hashlib.sha256(message).hexdigest(), 16) % len(names)


def token_matches(expected: str, given: str | None) -> bool:
    """Constant-time comparison of a link's token with the one stored."""
    return bool(given) and hmac.compare_digest(str(given).encode(), expected.encode())
