"""The sign-in throttle: at most ``MAX_ATTEMPTS`` password checks per client address per window, site-wide.

The count lives in the database (``login_attempt``), so every worker process and every instance share it; a
per-process count would let N workers allow N times the guesses. An attempt is counted *before* its
password is checked, by one atomic upsert that returns the new count: concurrent attempts cannot all read
"none so far" and all go through. A correct password clears the address's row.

The window is fixed, starting at an address's first attempt. Expired rows are pruned when a new window
starts (at most once per address per window), by an indexed range delete in its own transaction.
"""

from __future__ import annotations

import ipaddress
import logging
import time
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError

from movie_lottery.core.extensions import db
from movie_lottery.core.models import LoginAttempt

log = logging.getLogger("movie_lottery")

MAX_ATTEMPTS = 5
WINDOW_SECONDS = 15 * 60
KEY_LENGTH = 64  # the column's width


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_after: int = 0  # seconds until the address may try again; 0 when allowed


def throttle_key(address: str | None) -> str:
    """Whom to count: an IPv4 address as it is; IPv6 by its /64, which one subscriber gets whole."""
    text = (address or "").strip()
    try:
        ip = ipaddress.ip_address(text)
    except ValueError:
        return text[:KEY_LENGTH] or "unknown"
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip.exploded}/64", strict=False))
    return str(ip)


def begin_attempt(address: str | None, now: float | None = None) -> Verdict:
    """Count one sign-in attempt for this address; ``allowed`` says whether its password may be checked."""
    now_s = int(time.time() if now is None else now)
    cutoff = now_s - WINDOW_SECONDS
    table = LoginAttempt.__table__
    expired = table.c.window_started <= cutoff
    dialect = postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite
    statement = (
        dialect.insert(table)
        .values(address=throttle_key(address), window_started=now_s, attempts=1)
        .on_conflict_do_update(
            index_elements=[table.c.address],
            set_={
                # Every right-hand side reads the row as it was: a new window, or one more attempt (capped,
                # so a flood of refused attempts cannot overflow the counter).
                "attempts": sa.case(
                    (expired, 1),
                    (table.c.attempts > MAX_ATTEMPTS, table.c.attempts),
                    else_=table.c.attempts + 1,
                ),
                "window_started": sa.case((expired, now_s), else_=table.c.window_started),
            },
        )
        .returning(table.c.attempts, table.c.window_started)
    )
    attempts, started = db.session.execute(statement).one()
    db.session.commit()
    if attempts == 1:
        _prune(cutoff)
    if attempts <= MAX_ATTEMPTS:
        return Verdict(allowed=True)
    return Verdict(allowed=False, retry_after=max(1, started + WINDOW_SECONDS - now_s))


def succeeded(address: str | None) -> None:
    """The right password: this address starts afresh."""
    db.session.execute(sa.delete(LoginAttempt).where(LoginAttempt.address == throttle_key(address)))
    db.session.commit()


def _prune(cutoff: int) -> None:
    """Housekeeping, never a reason to fail a sign-in: expired rows go, by the window_started index."""
    try:
        db.session.execute(sa.delete(LoginAttempt).where(LoginAttempt.window_started <= cutoff))
        db.session.commit()
    except DBAPIError as exc:
        db.session.rollback()
        log.warning(
            "login throttle: pruning expired rows failed (%s); a later window retries", type(exc).__name__
        )
