"""/telegram/…: the webhook Telegram posts updates to. Without a bot token none of it exists (404).

``POST /telegram/webhook`` is accepted only with the ``X-Telegram-Bot-Api-Secret-Token`` the site registered
(compared in constant time); anything else is a 403 and nothing is stored. An accepted update is stored and
answered at once: the background worker acts on it (telegram/updates.py) and any reply is an outbox row, so
nothing here waits on Telegram.
"""

from __future__ import annotations

import hmac
import logging

from flask import Blueprint, abort, current_app, flash, redirect, request, session, url_for

from movie_lottery.core.config import telegram_configured, telegram_webhook_secret
from movie_lottery.core.errors import InvalidInput
from movie_lottery.core.extensions import db
from movie_lottery.telegram import binding, posts, updates
from movie_lottery.telegram.profile import bot_username
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


@bp.get("/app")
@public
def mini_app():
    """The Mini App's address (BotFather's /newapp: SITE_URL/telegram/app). A direct link's ``startapp``
    arrives as ``tgWebAppStartParam``; the night's own page opens, and the browser keeps the fragment with
    Telegram's init data across the redirect. Anything else opens the home page."""
    night = posts.page_for_start_param(request.args.get("tgWebAppStartParam", ""))
    if night is None:
        return redirect("/")
    kind, night_id = night
    return redirect(f"/l/{night_id}" if kind == "lottery" else f"/p/{night_id}")


@bp.post("/connect")
def connect_chat():
    """«Подключить чат» (admin): a one-time code, shown once as the startgroup link on /status."""
    username = bot_username()
    if username is None:
        flash("Бот ещё не знает своего имени в Telegram — подождите минуту и нажмите снова.", "error")
        worker_for(current_app).wake()
        return redirect(url_for("status_pages.status_page") + "#telegram")
    made = binding.new_code()
    db.session.commit()
    session[binding.CONNECT_LINK_SESSION_KEY] = binding.connect_link(username, made.code)
    return redirect(url_for("status_pages.status_page") + "#telegram")


@bp.post("/chats/<int(signed=True):chat_id>/unbind")
def unbind_chat(chat_id: int):
    """«Отключить» (admin): the bot stops posting there; it stays in the chat until someone removes it."""
    if binding.unbind(chat_id):
        db.session.commit()
        flash("Чат отключён: бот больше не пишет туда.", "success")
    return redirect(url_for("status_pages.status_page") + "#telegram")


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
