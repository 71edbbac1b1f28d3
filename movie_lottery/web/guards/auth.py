"""Admin access: who may do what, login/logout, the access guard and the ``public`` marker.

Three modes, decided per request by ``site_open``:
- ``ADMIN_PASSWORD`` set: locked. Every view is admin-only unless it is marked ``@public`` (a new route is
  closed by default, the safe way round); the admin signs in, scripts send ``Authorization: Bearer``.
- no password, a visitor on the server itself (``make run``): open to that visitor, with a banner.
- no password, anyone else: locked too, with no way in, unless the owner chose ``OPEN_SITE=true``. A site on
  the internet is therefore never open by accident (the Render blueprint also generates a password).

An admin session holds a keyed fingerprint of the password it was made with, never the password: changing
``ADMIN_PASSWORD`` signs every old session out. It also names its sign-in's row (admin_sessions.py), which
logout deletes: a copy of the cookie stops working with the original. The bearer token is compared with the
current ``API_TOKEN`` on every request.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import ipaddress
from collections.abc import Callable, Iterable
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit

from flask import (
    Blueprint,
    Flask,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from werkzeug.exceptions import HTTPException
from werkzeug.routing import RequestRedirect

from movie_lottery.core.errors import DomainError
from movie_lottery.web.guards import admin_sessions, login_throttle

bp = Blueprint("auth", __name__)

# Headers a proxy adds when it relays someone else's request (WSGI names): a loopback peer carrying one
# is not local.
FORWARDING_KEYS = ("HTTP_X_FORWARDED_FOR", "HTTP_FORWARDED", "HTTP_X_REAL_IP")
LOOPBACK_NAMES = frozenset({"127.0.0.1", "::1", "localhost"})
SITE_OPEN_KEY = "movie_lottery.site_open"  # in the WSGI environ: one request, one answer
SESSION_VALID_KEY = "movie_lottery.session_valid"  # likewise: the sign-in's row is looked up once
PAGE_BLUEPRINTS_KEY = "movie_lottery.page_blueprints"  # in app.extensions: where a sign-in may lead
NO_PASSWORD_MESSAGE = (
    "Сайт закрыт: на сервере не задан пароль администратора. Задайте ADMIN_PASSWORD"
    " (или OPEN_SITE=true, чтобы открыть сайт всем)"
)


class Unauthorized(DomainError):
    status = 401
    code = "unauthorized"


class OwnerOnly(DomainError):
    status = 403
    code = "owner_only"


class TooManyAttempts(DomainError):
    status = 429
    code = "too_many_attempts"


def public(view: Callable) -> Callable:
    """Mark a view as open to everyone even when the site is locked."""
    view.is_public = True  # type: ignore[attr-defined]
    return view


def admin_password_set() -> bool:
    return bool(current_app.config.get("ADMIN_PASSWORD"))


def _is_loopback(address: str | None) -> bool:
    if not address:
        return False
    if address in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(address).is_loopback  # the rest of 127.0.0.0/8
    except ValueError:
        return False


def request_from_this_machine() -> bool:
    """A browser on the server itself: a loopback peer that asked for a loopback host, through no proxy.

    - the peer: behind a proxy it is the proxy (loopback, for one on the same machine), hence
    - no proxy header (with PROXY_HOPS set, ProxyFix has already put the client's own address in
      ``remote_addr`` anyway), and
    - the Host: a browser here asks for localhost or 127.0.0.1; a proxy passing the site's own name, or a
      web page that rebinds its DNS name to 127.0.0.1 to read this site, asks for another name.
    """
    environ = request.environ
    if any(key in environ for key in FORWARDING_KEYS):
        return False
    if not _is_loopback(request.remote_addr):
        return False
    try:
        return _is_loopback(urlsplit("//" + request.host).hostname)
    except ValueError:  # a Host no browser sends ("[::1", …)
        return False


def site_open() -> bool:
    """Is this request served as if by the admin, with no sign-in? Only without a password, and then only
    for the server's own machine, or for everyone when the owner set OPEN_SITE."""
    environ = request.environ
    decided = environ.get(SITE_OPEN_KEY)
    if decided is None:  # asked by the guard, the templates and the page cache: decided once per request
        config = current_app.config
        decided = not config.get("ADMIN_PASSWORD") and (
            bool(config.get("OPEN_SITE")) or request_from_this_machine()
        )
        environ[SITE_OPEN_KEY] = decided
    return decided


@functools.lru_cache(maxsize=8)
def password_fingerprint(secret_key: str, password: str) -> str:
    """What an admin session stores: keyed by SECRET_KEY, so the (signed, readable) cookie gives nothing
    to guess the password from, and it changes whenever the password does."""
    return hmac.new(
        secret_key.encode(), b"movie-lottery admin session\n" + password.encode(), hashlib.sha256
    ).hexdigest()


def _current_fingerprint() -> str:
    config = current_app.config
    return password_fingerprint(str(config["SECRET_KEY"]), config["ADMIN_PASSWORD"])


def bearer_token_valid() -> bool:
    """Compared with the current API_TOKEN on every request: a changed token refuses the old one at once."""
    expected = current_app.config.get("API_TOKEN")
    header = request.headers.get("Authorization", "")
    if not expected or not header.startswith("Bearer "):
        return False
    return hmac.compare_digest(header[7:].strip().encode(), expected.encode())


def session_valid() -> bool:
    """An admin session made with the password in force now (not one made under an older password, nor a
    bare ``True``) whose sign-in is still on record: not logged out, not older than the session lifetime."""
    stored = session.get("admin")
    current = _current_fingerprint().encode()
    if not isinstance(stored, str) or not hmac.compare_digest(stored.encode(), current):
        return False
    environ = request.environ
    decided = environ.get(SESSION_VALID_KEY)
    if decided is None:  # asked by the guard, the templates and the views: one lookup per request
        decided = environ[SESSION_VALID_KEY] = admin_sessions.alive(session.get("sid"))
    return decided


def signed_in_admin() -> bool:
    """A real admin: the password is set and this request carries a current session or the API token."""
    return admin_password_set() and (session_valid() or bearer_token_valid())


def is_admin() -> bool:
    """May this request do admin things? Open mode (see ``site_open``), or the signed-in admin."""
    return site_open() or signed_in_admin()


def owner_only(view: Callable) -> Callable:
    """Only the signed-in admin, in every mode: for what would give an undrawn lottery's winner away.

    An open site has no owner to tell from its visitors, so there such views are refused with a pointer
    to the password and to the command line, which only the owner can run.
    """

    @functools.wraps(view)
    def guarded(*args, **kwargs):
        if not signed_in_admin():
            raise OwnerOnly(
                "Резервная копия через сайт — только для администратора: в ней seed каждой ещё не разыгранной"
                " лотереи, то есть её победитель. Задайте ADMIN_PASSWORD и войдите — или на сервере"
                " выполните flask library export (загрузить копию обратно: flask library import)."
            )
        return view(*args, **kwargs)

    guarded.is_owner_only = True  # type: ignore[attr-defined]
    return guarded


# ---- where to go after signing in ------------------------------------------------------------------------


def _is_landing_page(rule) -> bool:
    """A page a person can land on: a GET page of the site; not the API, not a file (``backup.json``)."""
    return (
        rule.endpoint.split(".", 1)[0] in current_app.extensions[PAGE_BLUEPRINTS_KEY]
        and "GET" in rule.methods
        and "." not in rule.rule.rsplit("/", 1)[-1]
    )


def _safe_next(target: str | None) -> str:
    """Where a sign-in leads: one of the site's own pages, matched in its routes and built back from them.

    Filtering strings misses what browsers read as another host (``/\\evil.com``, ``/%5Cevil.com``,
    ``/\\t/evil.com`` …). Here the path must match a page route, and the answer is ``url_for`` of that route
    (plus the re-encoded query), never the string given; anything else is the builder.
    """
    builder = url_for("lottery_pages.builder")
    if not target or len(target) > 2048:
        return builder
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith("/"):
        return builder
    adapter = current_app.url_map.bind("localhost")
    try:
        rule, values = adapter.match(unquote(parts.path), method="GET", return_rule=True)
    except (HTTPException, RequestRedirect):  # no such page, or werkzeug would redirect it elsewhere
        return builder
    if not _is_landing_page(rule):
        return builder
    url = url_for(rule.endpoint, **values)
    query = parse_qsl(parts.query, keep_blank_values=True)
    return f"{url}?{urlencode(query)}" if query else url


# ---- the views -----------------------------------------------------------------------------------------


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    if site_open():
        return redirect(url_for("lottery_pages.builder"))
    if not admin_password_set():  # locked with no way in: say what the owner has to set
        return render_template("login.html", next_url=None, no_password=True), 403
    address = request.remote_addr
    next_url = _safe_next(request.values.get("next"))
    if request.method == "POST":
        verdict = login_throttle.begin_attempt(address)
        if not verdict.allowed:
            minutes = max(1, round(verdict.retry_after / 60))
            raise TooManyAttempts(f"Слишком много неудачных попыток. Попробуйте через {minutes}\u00a0мин.")
        given = request.form.get("password", "")
        if hmac.compare_digest(given.encode(), current_app.config["ADMIN_PASSWORD"].encode()):
            login_throttle.succeeded(address)
            session.clear()
            session["admin"] = _current_fingerprint()
            session["sid"] = admin_sessions.start()
            session.permanent = True
            return redirect(next_url)
        flash("Неверный пароль", "error")
        return render_template("login.html", next_url=next_url), 401
    return render_template("login.html", next_url=next_url)


@bp.post("/logout")
@public
def logout():
    admin_sessions.end(session.get("sid"))  # every copy of this cookie ends here too
    session.clear()
    return redirect(url_for("lottery_pages.builder") if site_open() else url_for("auth.login"))


def _guard():
    """Refuse admin-only views to anyone without the session or the API token (unless the site is open)."""
    if request.endpoint is None or site_open():
        return None
    view = current_app.view_functions.get(request.endpoint)
    if request.endpoint == "static" or getattr(view, "is_public", False) or signed_in_admin():
        return None
    if request.path.startswith("/api/"):
        message = "Нужен вход администратора или API-токен" if admin_password_set() else NO_PASSWORD_MESSAGE
        raise Unauthorized(message)
    return redirect(url_for("auth.login", next=_page_to_come_back_to()))


def _page_to_come_back_to() -> str:
    """A page asked for comes back after sign-in; a form sent (a session that ended while its page was open)
    brings back the page it was sent from, so it can be sent again: its own URL takes POST only."""
    if request.method in ("GET", "HEAD"):
        return request.full_path.rstrip("?")
    sent_from = urlsplit(request.referrer or "")
    if sent_from.netloc != request.host:
        return ""
    return f"{sent_from.path}?{sent_from.query}" if sent_from.query else sent_from.path


def init_app(app: Flask, page_blueprints: Iterable[str]) -> None:
    """``page_blueprints``: the names of the blueprints of HTML pages, where a sign-in may lead."""
    app.extensions[PAGE_BLUEPRINTS_KEY] = frozenset(page_blueprints)
    app.before_request(_guard)

    @app.context_processor
    def access_flags():
        return {
            "is_admin": is_admin(),
            "site_open": site_open(),
            "open_to_everyone": site_open() and bool(current_app.config.get("OPEN_SITE")),
            "signed_in": signed_in_admin(),
        }
