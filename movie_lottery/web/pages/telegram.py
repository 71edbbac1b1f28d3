"""/telegram/…: the webhook Telegram posts updates to. Without a bot token none of it exists (404).

``POST /telegram/webhook`` is accepted only with the ``X-Telegram-Bot-Api-Secret-Token`` the site registered
(compared in constant time); anything else is a 403 and nothing is stored. An accepted update is stored and
answered at once: the background worker acts on it (telegram/updates.py) and any reply is an outbox row, so
nothing here waits on Telegram.
"""

from __future__ import annotations

import hmac
import logging

from flask import Blueprint, abort, current_app, request

from movie_lottery.core.config import telegram_configured, telegram_webhook_secret
from movie_lottery.core.errors import InvalidInput
from movie_lottery.telegram import posts, updates
from movie_lottery.telegram.worker import worker_for
from movie_lottery.web.guards.auth import public
from movie_lottery.web.guards.request_limits import load_json
from movie_lottery.web.guards.security import proves_itself

log = logging.getLogger("movie_lottery.telegram")

bp = Blueprint("telegram_pages", __name__, url_prefix="/telegram")
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


@bp.post("/webhook")
@public
@proves_itself
def webhook():
    secret = telegram_webhook_secret(current_app.config) or ""
    given = request.headers.get(SECRET_HEADER, "")
    if not hmac.compare_digest(given.encode(), secret.encode()):
        abort(403)
    try:
        update = load_json(request.get_data())
    except InvalidInput:
        update = None
    if not isinstance(update, dict) or type(update.get("update_id")) is not int:
        log.warning("telegram webhook: a body that is not an update was ignored")
        return "", 200  # not ours to fix: a non-2xx would only make Telegram send it again
    if updates.store_update(update):
        worker_for(current_app).wake()
    return "", 200


def start_worker_with_the_first_request() -> None:
    """Each worker process's first request starts its Telegram worker, so the webhook gets registered."""
    worker_for(current_app).ensure_started()


def init_app(app) -> None:
    """Without a token the blueprint is not registered at all: every /telegram/… address is a plain 404.
    The posts' listeners are connected either way: they post nothing while no token is set."""
    posts.listen()
    if telegram_configured(app.config):
        app.register_blueprint(bp)
        app.before_request(start_worker_with_the_first_request)
