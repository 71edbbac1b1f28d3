"""Error handlers: ``{"error": {"code", "message"}}`` under /api, a friendly Russian page elsewhere."""

from __future__ import annotations

import logging

from flask import Flask, Response, g, jsonify, render_template, request
from flask.globals import request_ctx
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException

from movie_lottery.core.errors import DomainError
from movie_lottery.integrations.kinopoisk import KinopoiskError

log = logging.getLogger("movie_lottery.web")

HTTP_ERRORS = {
    400: ("bad_request", "Некорректный запрос"),
    401: ("unauthorized", "Нужен вход администратора"),
    403: ("forbidden", "Доступ запрещён"),
    404: ("not_found", "Такой страницы нет"),
    405: ("method_not_allowed", "Этот метод здесь не поддерживается"),
    409: ("conflict", "Конфликт с текущими данными"),
    413: ("payload_too_large", "Слишком большой запрос: сократите текст или выберите файл поменьше"),
    415: ("unsupported_media_type", "Тело запроса должно быть в формате application/json"),
    429: ("too_many_requests", "Слишком много запросов, попробуйте позже"),
    500: ("internal_error", "Что-то сломалось на нашей стороне. Мы уже записали ошибку."),
    503: ("unavailable", "Сервис временно недоступен, попробуйте через минуту"),
}

PAGE_TITLES = {
    404: "Страница не найдена",
    401: "Нужен вход",
    403: "Доступ запрещён",
    413: "Слишком много данных",
    429: "Подождите немного",
    503: "Сервис временно недоступен",
}


def wants_json() -> bool:
    """The API, and the pages' own scripts: they send their forms with ``Accept: application/json``."""
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def error_response(
    status: int,
    code: str,
    message: str,
    details: dict | None = None,
    *,
    title: str | None = None,
    way_on: tuple[str, str] | None = None,
):
    if wants_json():
        body: dict = {"code": code, "message": message}
        if details:
            body["details"] = details
        return jsonify(error=body), status
    title = title or PAGE_TITLES.get(status, "Что-то пошло не так")
    if request_ctx.url_adapter is None:
        # werkzeug could not bind the URL map (a Host it cannot encode, say): url_for is unusable, so the
        # templates are too. A bare page still answers in Russian instead of a 500.
        return Response(f"{status} — {title}. {message}", status, mimetype="text/plain"), status
    page = render_template(
        "error.html",
        status=status,
        title=title,
        message=message,
        request_id=g.get("request_id"),
        way_on=way_on,
    )
    return page, status


def _domain_error(exc: DomainError):
    way_on = getattr(exc, "way_on", None)
    return error_response(exc.status, exc.code, exc.message, exc.details, title=exc.title, way_on=way_on)


def _kinopoisk_error(exc: KinopoiskError):
    """Kinopoisk trouble is never a crash: a code for scripts, a Russian sentence for people."""
    log.warning("kinopoisk: %s (%s)", exc.code, getattr(exc, "detail", None))
    return error_response(503, exc.code, exc.message)


def _csrf_error(exc: CSRFError):
    message = "Страница устарела: обновите её и повторите действие"
    return error_response(403, "csrf_failed", message)


def http_error(exc: HTTPException):
    status = exc.code or 500
    code, message = HTTP_ERRORS.get(status, ("http_error", exc.description or "Ошибка"))
    body, status = error_response(status, code, message)
    allowed = getattr(exc, "valid_methods", None)
    headers = {"Allow": ", ".join(allowed)} if status == 405 and allowed else {}
    return body, status, headers


def _database_down(exc: OperationalError | PoolTimeout):
    """Down, or every pooled connection busy past the pool's wait (a gevent worker takes far more requests
    at once than the pool has connections): to the visitor both are a database that cannot answer now."""
    log.warning(
        "database unavailable (request %s): %s", g.get("request_id"), getattr(exc, "orig", None) or exc
    )
    return error_response(503, "database_unavailable", "База данных недоступна, попробуйте через минуту")


def _unhandled(exc: Exception):
    if isinstance(exc, HTTPException):
        return http_error(exc)
    log.exception("unhandled error (request %s) on %s %s", g.get("request_id"), request.method, request.path)
    code, message = HTTP_ERRORS[500]
    return error_response(500, code, message)


def init_app(app: Flask) -> None:
    app.register_error_handler(DomainError, _domain_error)
    app.register_error_handler(KinopoiskError, _kinopoisk_error)
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(HTTPException, http_error)
    app.register_error_handler(OperationalError, _database_down)
    app.register_error_handler(PoolTimeout, _database_down)
    app.register_error_handler(Exception, _unhandled)
