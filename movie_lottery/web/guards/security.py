"""Request rules that protect every route: proxy headers, request ids, CSRF, JSON-only bodies, headers."""

from __future__ import annotations

import functools
import random
import re

from flask import Flask, abort, current_app, g, request
from flask.sessions import SecureCookieSessionInterface
from werkzeug.middleware.proxy_fix import ProxyFix

from movie_lottery.core.extensions import csrf

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
REQUEST_ID_PATTERN = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
REQUEST_ID_KEY = "movie_lottery.request_id"  # in the WSGI environ, for SecurityHeaders

CSP_RULES = [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    # Posters come from Kinopoisk's image hosts (or any URL a user typed in): images only.
    "img-src 'self' https: http: data:",
    "connect-src 'self'",
    "font-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
]
CONTENT_SECURITY_POLICY = "; ".join([*CSP_RULES, "frame-ancestors 'none'"])
# Telegram Web (web.telegram.org, and the older webk/webz addresses of its two clients) shows a Mini App in
# an iframe: the pages the Mini App opens (a poll, a lottery's waiting and play pages) may be framed by
# exactly these origins. The phone apps use a webview, not a frame; every other page stays unframable.
TELEGRAM_WEB_ORIGINS = ("https://web.telegram.org", "https://webk.telegram.org", "https://webz.telegram.org")
MINI_APP_CONTENT_SECURITY_POLICY = "; ".join(
    [*CSP_RULES, "frame-ancestors " + " ".join(TELEGRAM_WEB_ORIGINS)]
)
MINI_APP_PAGE_KEY = "movie_lottery.mini_app_page"  # in the WSGI environ: SecurityHeaders sends the above


class RequestAwareSessionInterface(SecureCookieSessionInterface):
    """Mark the session cookie Secure whenever the request came over HTTPS (Render terminates TLS)."""

    def get_cookie_secure(self, app: Flask) -> bool:
        if app.config.get("SESSION_COOKIE_SECURE"):
            return True
        return bool(request) and request.is_secure


def has_session_cookie() -> bool:
    return current_app.config["SESSION_COOKIE_NAME"] in request.cookies


def _assign_request_id() -> None:
    given = request.headers.get("X-Request-ID", "")
    # An id for matching log lines, not a secret: no system call for randomness on every request.
    g.request_id = given if REQUEST_ID_PATTERN.match(given) else f"{random.getrandbits(64):016x}"
    request.environ[REQUEST_ID_KEY] = g.request_id  # for the headers, added below Flask


def proves_itself(view):
    """Mark a view whose caller proves itself in its own way (the Telegram webhook's secret header, checked
    in constant time by the view): no session, so no CSRF token to ask for, and the body is the caller's."""
    view.proves_itself = True
    return view


def _check_body_and_csrf() -> None:
    """Every write proves it is not a forged cross-site request, before any view runs.

    A cross-site HTML form can send only POST, with a form or text/plain body, or none at all; it cannot set
    ``Content-Type: application/json``, ``X-CSRFToken`` or ``Authorization`` without a CORS preflight,
    which this site never grants. So a POST must carry one of them (on the pages: the form's token).
    PUT, PATCH and DELETE cannot come from a form, and a cross-site fetch with them needs the preflight too;
    they keep the rules below (JSON bodies, the token with the session cookie) and may otherwise come
    without a body or a content type, as scripts send them.
    """
    if request.method not in UNSAFE_METHODS or request.routing_exception is not None:
        return  # a read, or no view to reach: routing answers its 404 or 405
    if getattr(current_app.view_functions.get(request.endpoint), "proves_itself", False):
        return
    if not request.path.startswith("/api/"):
        csrf.protect()  # the pages: forms carry the token in a field, their scripts in the header
        return
    from movie_lottery.web.guards.auth import bearer_token_valid

    is_json = request.mimetype == "application/json"
    # Bodies only as JSON: a form on another site cannot produce them, and scripts are explicit.
    if not is_json and (request.content_length or request.headers.get("Transfer-Encoding")):
        abort(415)
    if bearer_token_valid():
        return  # a script: no page on another site can send the header
    if has_session_cookie():
        # It rides on our session cookie, so it could come from a forged page: it must send the token.
        csrf.protect()
        return
    if request.method == "POST" and not is_json:
        # No cookie, no token, no JSON: exactly what a cross-site form with an empty body looks like.
        abort(415)


COMMON_HEADERS = (
    ("X-Content-Type-Options", "nosniff"),
    # same-origin: play links carry a token in the path; Flask-WTF needs the same-site Referer on HTTPS.
    ("Referrer-Policy", "same-origin"),
    ("Permissions-Policy", "camera=(), microphone=(), geolocation=()"),
)
SECURITY_HEADERS = (
    ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
    ("X-Frame-Options", "DENY"),
    *COMMON_HEADERS,
)
# No X-Frame-Options: it cannot name an origin (ALLOW-FROM is gone from browsers), and DENY would win.
MINI_APP_HEADERS = (("Content-Security-Policy", MINI_APP_CONTENT_SECURITY_POLICY), *COMMON_HEADERS)


def framed_by_telegram_web(view):
    """Mark a page the Mini App opens: Telegram Web may frame it (and nobody else may). Put it right under
    the route, above any page cache, so a kept page is marked too."""

    @functools.wraps(view)
    def marked(*args, **kwargs):
        request.environ[MINI_APP_PAGE_KEY] = True
        return view(*args, **kwargs)

    return marked


class SecurityHeaders:
    """WSGI middleware: add the security headers (and the request id) to every response a view left them off.

    At the WSGI layer they are plain tuples appended once; werkzeug's Headers.add validated each value
    again on every request (~40 µs of a 0.4 ms /health).
    """

    def __init__(self, wsgi_app) -> None:
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):
        def start_with_headers(status, headers, exc_info=None):
            present = {name.lower() for name, _ in headers}
            wanted = list(MINI_APP_HEADERS if environ.get(MINI_APP_PAGE_KEY) else SECURITY_HEADERS)
            if REQUEST_ID_KEY in environ:
                wanted.append(("X-Request-ID", environ[REQUEST_ID_KEY]))
            if environ.get("PATH_INFO", "").startswith("/api/"):
                wanted.append(("Cache-Control", "no-store"))
            headers.extend((name, value) for name, value in wanted if name.lower() not in present)
            return start_response(status, headers, exc_info)

        return self.wsgi_app(environ, start_with_headers)


def init_app(app: Flask) -> None:
    app.wsgi_app = SecurityHeaders(app.wsgi_app)  # type: ignore[method-assign]
    # X-Forwarded-* is believed for exactly as many proxies as the deploy has (PROXY_HOPS: 1 on Render,
    # 0 by default elsewhere). With no proxy in front, a client would write its own address otherwise.
    hops = int(app.config.get("PROXY_HOPS") or 0)
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]
    app.session_interface = RequestAwareSessionInterface()
    app.before_request_funcs.setdefault(None, []).insert(0, _assign_request_id)


def init_csrf_checks(app: Flask) -> None:
    """Registered after the access guard, so an anonymous write gets 401 rather than a CSRF complaint."""
    app.before_request(_check_body_and_csrf)
