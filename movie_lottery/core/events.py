"""Domain events: a tiny, explicit registry so a feature above can react to one below without an import
going the wrong way (the bot, in telegram/, posts what lottery/, polls/, library/ and downloads/ do).

Why not the content version or Flask's signals: the content version says *that* something moved, not what,
and the bot must know which night was drawn; Flask signals would bring Flask into the domain. Here a domain
function calls ``emit`` with plain values at the moment the change is made, *before* its commit, so a
listener's rows (an outbox message) are in the same transaction as what they announce: both or neither.

Listeners must only add rows to the session (never commit, never call out); one that raises is logged and
skipped, so a bug in a post never breaks a draw or a vote.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

log = logging.getLogger("movie_lottery.events")

# What the domain announces (the payload's keys in brackets):
NIGHT_CREATED = "night_created"  # a lottery or poll was stored (kind, night_id, send_to_chat)
LOTTERY_DRAWN = "lottery_drawn"  # its winner was drawn, once (lottery_id, winner_position)
POLL_RESULT = "poll_result"  # a closed poll's result was stored, once (poll_id, result)
NIGHT_WATCHED = "night_watched"  # «Посмотрели» for a night's winner (kind, night_id)
TORRENTS_LISTED = "torrents_listed"  # qBittorrent's list was read (progress: {info_hash: 0..1})

Listener = Callable[..., None]
_listeners: dict[str, list[Listener]] = {}


def listen(event: str, listener: Listener) -> None:
    """Add ``listener`` for ``event`` (once: listening twice with the same function changes nothing)."""
    chain = _listeners.setdefault(event, [])
    if listener not in chain:
        chain.append(listener)


def emit(event: str, **values: Any) -> None:
    """Call every listener of ``event`` with ``values``; a listener's failure is logged, never raised."""
    for listener in tuple(_listeners.get(event, ())):
        try:
            listener(**values)
        except Exception:
            log.exception("a listener of %s failed; what caused it goes on", event)
