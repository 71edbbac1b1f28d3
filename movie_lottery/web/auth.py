"""Admin access: login/logout, the access guard and the ``public`` marker for views anyone may open.

With ``ADMIN_PASSWORD`` unset the site is open (local use). With it set, every view is admin-only unless it
is marked ``@public``: a new route is closed by default, which is the safe way round.
"""

from __future__ import annotations

import hmac
import threading
import time
from collections.abc import Callable
from urllib.parse import urlsplit

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

from ..errors import DomainError

bp = Blueprint("auth", __name__)

MAX_FAILURES = 5
FAILURE_WINDOW_SECONDS = 15 * 60


class Unauthorized(DomainError):
    status = 401
    code = "unauthorized"


class TooManyAttempts(DomainError):
    status = 429
    code = "too_many_attempts"


def public(view: Callable) -> Callable:
    """Mark a view as open to everyone even when the admin password is set."""
    view.is_public = True  # type: ignore[attr-defined]
    return view


def admin_password_set() -> bool:
    return bool(current_app.config.get("ADMIN_PASSWORD"))


def bearer_token_valid() -> bool:
    expected = current_app.config.get("API_TOKEN")
    header = request.headers.get("Authorization", "")
    if not expected or not header.startswith("Bearer "):
        return False
    return hmac.compare_digest(header[7:].strip().encode(), expected.encode())


def signed_in_admin() -> bool:
    """A real admin: the password is set and this request carries the admin session or the API token."""
    return admin_password_set() and (session.get("admin") is True or bearer_token_valid())


def is_admin() -> bool:
    """May this request do admin things? In open mode everyone may."""
    return not admin_password_set() or signed_in_admin()


class LoginThrottle:
    """Failed logins per address in this process: a brake on guessing, not a security boundary."""

    def __init__(self, max_failures: int = MAX_FAILURES, window: float = FAILURE_WINDOW_SECONDS):
        self.max_failures = max_failures
        self.window = window
        self._failures: dict[str, list[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> list[float]:
        kept = [t for t in self._failures.get(key, []) if now - t < self.window]
        if kept:
            self._failures[key] = kept
        else:
            self._failures.pop(key, None)
        return kept

    def retry_after(self, key: str) -> int:
        """Seconds until this address may try again; 0 when it may try now."""
        now = time.monotonic()
        with self._lock:
            recent = self._recent(key, now)
            if len(recent) < self.max_failures:
                return 0
            return max(1, int(recent[0] + self.window - now))

    def failed(self, key: str) -> None:
        now = time.monotonic()
        with self._lock:
            if len(self._failures) > 10_000:  # bounded memory under a flood of addresses
                self._failures.clear()
            self._failures[key] = [*self._recent(key, now), now]

    def succeeded(self, key: str) -> None:
        with self._lock:
            self._failures.pop(key, None)


def _safe_next(target: str | None) -> str:
    """Only same-site paths: an open redirect after login would be a phishing aid."""
    if not target:
        return url_for("pages.builder")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return url_for("pages.builder")
    return target


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    if not admin_password_set():
        return redirect(url_for("pages.builder"))
    throttle: LoginThrottle = current_app.extensions["login_throttle"]
    address = request.remote_addr or "unknown"
    next_url = _safe_next(request.values.get("next"))
    if request.method == "POST":
        wait = throttle.retry_after(address)
        if wait:
            minutes = max(1, round(wait / 60))
            raise TooManyAttempts(f"Слишком много неудачных попыток. Попробуйте через {minutes}\u00a0мин.")
        given = request.form.get("password", "")
        expected = current_app.config["ADMIN_PASSWORD"]
        if hmac.compare_digest(given.encode(), expected.encode()):
            throttle.succeeded(address)
            session.clear()
            session["admin"] = True
            session.permanent = True
            return redirect(next_url)
        throttle.failed(address)
        flash("Неверный пароль", "error")
        return render_template("login.html", next_url=next_url), 401
    return render_template("login.html", next_url=next_url)


@bp.post("/logout")
@public
def logout():
    session.clear()
    return redirect(url_for("auth.login") if admin_password_set() else url_for("pages.builder"))


def _guard():
    """Refuse admin-only views to anyone without the session or the API token."""
    if not admin_password_set() or request.endpoint is None:
        return None
    view = current_app.view_functions.get(request.endpoint)
    if request.endpoint == "static" or getattr(view, "is_public", False) or signed_in_admin():
        return None
    if request.path.startswith("/api/"):
        raise Unauthorized("Нужен вход администратора или API-токен")
    return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))


def init_app(app: Flask) -> None:
    app.extensions["login_throttle"] = LoginThrottle()
    app.before_request(_guard)

    @app.context_processor
    def access_flags():
        return {
            "is_admin": is_admin(),
            "admin_password_set": admin_password_set(),
            "signed_in": signed_in_admin(),
        }
