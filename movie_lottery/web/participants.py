"""Who a browser is in a poll or in a night's ratings: one signed browser id, and per night a participant
value the server derives from it. No password: the browser is the participant.

- ``ml_browser`` (one cookie, HttpOnly, 400 days, Secure over HTTPS): a random id signed with SECRET_KEY,
  given on the first ballot or rating. A value the server did not sign is ignored, so no visitor picks it.
- The participant of a night: HMAC-SHA256(SECRET_KEY, kind, night id, browser id) in URL-safe base64
  (43 characters, the shape backup/check.py accepts). It differs per night, nobody can compute it without
  the key, and a ballot or rating is only ever stored under it: a visitor never chooses their participant
  id, and copying a value between cookies gives nothing.
- One cookie of fixed size however many nights a browser joins, so the Cookie header stays small.

Inside Telegram the Mini App's checked init data name the person instead (web.telegram_auth): their
participant of a night is derived the same way from their Telegram account, so it is one per account
whatever device they open it on, and no cookie is given.

Browsers from before held one cookie per poll (``ml_poll_<id>``) and per rated lottery (``ml_lottery_<id>``),
400 days each on ``/``; ~160 of them overflowed gunicorn's 8 KB header limit (431 on every page). They are
no longer set. A request that brings them and may give a browser id (a page, or any write) hands their rows
over to this browser's derived values (library.participants) and expires them, ``EXPIRE_AT_ONCE`` per
response: the voter keeps their ballot (still changeable while the poll is open) and their ratings, and the
browser's jar shrinks to one cookie. Until then a read (an API GET) still finds a row by the old cookie.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets

from flask import Flask, Response, current_app, g, request
from itsdangerous import BadSignature, Signer

from movie_lottery.library import participants as handing_over
from movie_lottery.web import telegram_auth
from movie_lottery.web.guards.auth import PAGE_BLUEPRINTS_KEY

BROWSER_COOKIE = "ml_browser"
MAX_AGE_SECONDS = 400 * 24 * 3600  # the longest a browser keeps a cookie (Chromium caps it at 400 days)
BROWSER_ID = re.compile(r"[A-Za-z0-9_-]{22}")
LEGACY_PREFIXES = ("ml_poll_", "ml_lottery_")
LEGACY_COOKIE = re.compile(r"ml_(poll|lottery)_([A-Za-z0-9_-]{1,16})")
LEGACY_VALUE = re.compile(r"[A-Za-z0-9_-]{20,64}")
# More than a browser keeps for one site (Chromium and Firefox: 180 cookies): one request hands them all over.
HAND_OVER_AT_ONCE = 200
# Expired a few per answer (~4 KB of Set-Cookie), since proxies bound a response's headers too: a browser
# with 180 of them is clean after five pages.
EXPIRE_AT_ONCE = 40


def _signer() -> Signer:
    return Signer(
        str(current_app.config["SECRET_KEY"]), salt="movie-lottery browser", digest_method=hashlib.sha256
    )


def browser_of(cookie: str | None) -> str | None:
    """The browser id in an ``ml_browser`` cookie's value, when the server signed it."""
    if not cookie or len(cookie) > 128:
        return None
    try:
        browser = _signer().unsign(cookie).decode()
    except BadSignature:
        return None
    return browser if BROWSER_ID.fullmatch(browser) else None


def signed_browser(browser: str) -> str:
    """The ``ml_browser`` cookie's value for a browser id."""
    return _signer().sign(browser).decode()


def _browser() -> str | None:
    """This request's browser id; decided once per request."""
    if "participant_browser" not in g:
        g.participant_browser = browser_of(request.cookies.get(BROWSER_COOKIE))
    return g.participant_browser


def _give_browser() -> str:
    """This browser's id, a new one when it has none (the caller says whether the answer carries it)."""
    browser = _browser()
    if browser is None:
        browser = g.participant_browser = secrets.token_urlsafe(16)
    return browser


def derived_participant(browser: str, kind: str, night_id: str) -> str:
    key = str(current_app.config["SECRET_KEY"]).encode()
    message = f"movie-lottery participant\n{kind}\n{night_id}\n{browser}".encode()
    digest = hmac.new(key, message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def legacy_cookie_name(night_id: str, kind: str = "poll") -> str:
    return f"ml_{kind}_{night_id}"


def _telegram_participant(night_id: str, kind: str) -> str | None:
    user = telegram_auth.telegram_user()
    return None if user is None else derived_participant(f"telegram:{user.id}", kind, night_id)


def participant_of(night_id: str, kind: str = "poll") -> str | None:
    """For reading and removing: this browser's participant in that night, None if it has no browser id.
    Without one, a browser from before is still found by its old cookie of that night (nothing is stored
    under a value read this way). Inside Telegram: the Telegram account's."""
    from_telegram = _telegram_participant(night_id, kind)
    if from_telegram is not None:
        return from_telegram
    browser = _browser()
    if browser is not None:
        return derived_participant(browser, kind, night_id)
    legacy = request.cookies.get(legacy_cookie_name(night_id, kind))
    return legacy if legacy and LEGACY_VALUE.fullmatch(legacy) else None


def participant_to_store(night_id: str, kind: str = "poll") -> str:
    """For a ballot or rating: the server's participant of this browser in that night (a browser id is
    given if it has none, and its cookie renewed for another 400 days). Inside Telegram: the Telegram
    account's, and no cookie."""
    from_telegram = _telegram_participant(night_id, kind)
    if from_telegram is not None:
        return from_telegram
    g.participant_keep = True
    return derived_participant(_give_browser(), kind, night_id)


def _legacy_cookies() -> dict[tuple[str, str, str], str]:
    """(kind, night id, value) -> cookie name, for the old per-night cookies this request carries."""
    found = {}
    for name, value in request.cookies.items():
        matched = LEGACY_COOKIE.fullmatch(name)
        if matched is None:
            continue
        if LEGACY_VALUE.fullmatch(value):
            found[(matched[1], matched[2], value)] = name
        else:
            g.setdefault("participant_expire", []).append(name)  # not one we made: just dropped
        if len(found) >= HAND_OVER_AT_ONCE:
            break
    return found


def _may_give_a_browser_id() -> bool:
    """A page (browsers load them one at a time) or a write; not the API reads a page sends meanwhile,
    which could each give a different id at once."""
    if request.method not in ("GET", "HEAD"):
        return True
    return (request.blueprint or "") in current_app.extensions[PAGE_BLUEPRINTS_KEY]


def _hand_over_legacy_cookies() -> None:
    if request.endpoint in (None, "static"):
        return
    if not any(name.startswith(LEGACY_PREFIXES) for name in request.cookies):
        return
    legacy = _legacy_cookies()
    if not legacy:
        return
    if _browser() is None and not _may_give_a_browser_id():
        return
    browser = _give_browser()
    g.participant_handed_over = True  # rows may move to this id: the cookie goes back whatever the answer
    moves = {key: derived_participant(browser, key[0], key[1]) for key in legacy}
    handing_over.hand_over(moves)
    g.setdefault("participant_expire", []).extend(legacy.values())


def _secure() -> bool:
    return bool(current_app.config.get("SESSION_COOKIE_SECURE")) or request.is_secure


def _send_cookies(response: Response) -> Response:
    stored = g.get("participant_keep") and response.status_code < 400  # a refused ballot leaves no cookie
    if (stored or g.get("participant_handed_over")) and g.get("participant_browser"):
        response.set_cookie(
            BROWSER_COOKIE,
            signed_browser(g.participant_browser),
            max_age=MAX_AGE_SECONDS,
            path="/",
            secure=_secure(),
            httponly=True,
            samesite="Lax",
        )
    for name in g.get("participant_expire", [])[:EXPIRE_AT_ONCE]:
        response.delete_cookie(name, path="/", secure=_secure(), httponly=True, samesite="Lax")
    return response


def init_app(app: Flask) -> None:
    telegram_auth.init_app(app)
    app.before_request(_hand_over_legacy_cookies)
    app.after_request(_send_cookies)
