"""The participant cookie: which ballot of a poll this browser owns. Random, HttpOnly, one per poll.

No password: the cookie is the participant. Whoever holds it may change or withdraw that ballot until the
poll closes, and rate the winner once watched (ratings.py). A lottery's raters get a cookie of the same kind,
one per lottery (``kind="lottery"``). It goes with every path of the site (the pages and the API), like the
session cookie, and is Secure whenever the request came over HTTPS.
"""

from __future__ import annotations

from flask import Response, current_app, request

COOKIE_PREFIX = "ml_poll_"
COOKIE_PREFIXES = {"poll": COOKIE_PREFIX, "lottery": "ml_lottery_"}
MAX_AGE_SECONDS = 400 * 24 * 3600  # the longest a browser keeps a cookie (Chromium caps it at 400 days)


def cookie_name(poll_id: str, kind: str = "poll") -> str:
    return f"{COOKIE_PREFIXES[kind]}{poll_id}"


def participant_of(poll_id: str, kind: str = "poll") -> str | None:
    """The cookie's value as sent; polls.valid_participant decides whether it can be ours."""
    return request.cookies.get(cookie_name(poll_id, kind))


def remember_participant(response: Response, poll_id: str, participant: str, kind: str = "poll") -> None:
    secure = bool(current_app.config.get("SESSION_COOKIE_SECURE")) or request.is_secure
    response.set_cookie(
        cookie_name(poll_id, kind),
        participant,
        max_age=MAX_AGE_SECONDS,
        path="/",
        secure=secure,
        httponly=True,
        samesite="Lax",
    )
