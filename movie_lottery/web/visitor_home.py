"""Where "home" is for whoever is looking: the logo's link and the error page's way back.

The admin's home is the builder. A visitor (a friend holding a waiting or play link on a locked site) can
open no page but the lottery's own, so their home is the last lottery they opened, kept in their session;
with none, there is no home to offer, and the pages say to open the link they were sent instead of
pointing at a sign-in they cannot use.
"""

from __future__ import annotations

from flask import Flask, g, session, url_for

from movie_lottery.web.guards.auth import is_admin

LAST_LOTTERY_KEY = "last_lottery"


def remember_lottery(lottery_id: str) -> None:
    """A visitor opened this lottery: it becomes their home (the session cookie is written only on change)."""
    if not is_admin() and session.get(LAST_LOTTERY_KEY) != lottery_id:
        session[LAST_LOTTERY_KEY] = lottery_id


def forget_lottery(lottery_id: str) -> None:
    """The lottery is gone: a home that leads to a 404 is no home."""
    if session.get(LAST_LOTTERY_KEY) == lottery_id:
        session.pop(LAST_LOTTERY_KEY)


def home_url() -> str | None:
    if is_admin():
        return url_for("lottery_pages.builder")
    if g.get("rendering_for_cache"):
        return None  # a kept page is served to every visitor alike: nobody's own lottery goes into it
    lottery_id = session.get(LAST_LOTTERY_KEY)
    if not isinstance(lottery_id, str):
        return None
    return url_for("lottery_pages.lottery_page", lottery_id=lottery_id)


def init_app(app: Flask) -> None:
    app.context_processor(lambda: {"home_url": home_url()})
