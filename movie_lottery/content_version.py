"""How far the stored lotteries and library have moved: one number, kept by database triggers."""

from __future__ import annotations

import sqlalchemy as sa

from .extensions import db
from .models import ContentVersion

_CURRENT = sa.select(ContentVersion.version).where(ContentVersion.id == 1)


def current_content_version() -> int | None:
    """The counter, or None when its row is missing (an emptied table): then nothing may be cached."""
    return db.session.execute(_CURRENT).scalar()
