"""Admin sign-ins the server can end: a row per sign-in, named by the (signed) session cookie.

Flask's session is a signed cookie the server keeps no record of, so clearing it on logout only helps the
browser that logs out: a copy taken earlier worked on for the whole lifetime. Here sign-in stores a random id
in the ``admin_session`` table and in the cookie; a request that relies on the session finds its row by
primary key (one indexed lookup, once per request, and only for requests carrying an admin session), and
logout deletes it. The table is shared by every worker and instance. Rows older than the session lifetime are
refused and pruned at the next sign-in.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from movie_lottery.core.extensions import db
from movie_lottery.core.models import AdminSession, utcnow


def _oldest_alive(now: datetime) -> datetime:
    lifetime = current_app.permanent_session_lifetime
    return now - (lifetime if isinstance(lifetime, timedelta) else timedelta(seconds=lifetime))


def start(now: datetime | None = None) -> str:
    """A new sign-in's id (stored), pruning the sign-ins that have outlived the session lifetime."""
    now = now or utcnow()
    db.session.execute(sa.delete(AdminSession).where(AdminSession.created_at < _oldest_alive(now)))
    session_id = secrets.token_urlsafe(32)
    db.session.add(AdminSession(id=session_id, created_at=now))
    db.session.commit()
    return session_id


def alive(session_id: object, now: datetime | None = None) -> bool:
    """Is this sign-in still on record and younger than the session lifetime?"""
    if not isinstance(session_id, str) or not 0 < len(session_id) <= 64:
        return False
    created = db.session.scalar(sa.select(AdminSession.created_at).where(AdminSession.id == session_id))
    return created is not None and created >= _oldest_alive(now or utcnow())


def end(session_id: object) -> None:
    """Logout: this sign-in is over for every copy of its cookie."""
    if isinstance(session_id, str):
        db.session.execute(sa.delete(AdminSession).where(AdminSession.id == session_id))
        db.session.commit()
