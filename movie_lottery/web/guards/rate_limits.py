"""Who a request counts as for the rate limits (core/rate_limit.py), and the open site's limit on creates.

The address is the sign-in throttle's: ``remote_addr`` as ProxyFix leaves it for the deploy's PROXY_HOPS,
IPv4 as it is, IPv6 by its /64 (login_throttle.throttle_key). The owner is never counted: a browser on the
server itself, the signed-in admin, or a request with the API token.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from flask import current_app, request

from movie_lottery.core import rate_limit
from movie_lottery.core.rate_limit import Origin
from movie_lottery.web.guards.auth import (
    bearer_token_valid,
    request_from_this_machine,
    signed_in_admin,
    site_open,
)
from movie_lottery.web.guards.login_throttle import throttle_key

# Anonymous creates (lotteries, polls, library adds) on a site open to everyone: each costs its request's
# size, at least CREATE_MIN_KIB, from a budget of CREATE_BUDGET_KIB per address per hour. What a create
# stores is about its body (the README's access section has the measured figures), so an address adds at most
# 4 MB of request bodies an hour (measured: 2.9 MB of PostgreSQL, 6.3 MB of SQLite) and at most 32 creates.
CREATE_BUDGET_KIB = 4 * 1024
CREATE_MIN_KIB = 128
CREATES_PER_HOUR = CREATE_BUDGET_KIB // CREATE_MIN_KIB
CREATE_WINDOW_SECONDS = 3600
CREATE_WAIT = (
    "Сайт открыт всем, поэтому с одного адреса можно создать не больше "
    f"{CREATES_PER_HOUR} лотерей, голосований или фильмов в час (и не больше 4\u00a0МБ данных). Попробуйте"
    " через {wait} — владельцу сайта (с API-токеном) ограничение не мешает."
)


def owner_request() -> bool:
    return request_from_this_machine() or signed_in_admin() or bearer_token_valid()


def request_origin() -> Origin | None:
    """Where this request came from: what to count, and a ballot's or rating's origin. None: the owner."""
    if owner_request():
        return None
    return rate_limit.origin_of(throttle_key(request.remote_addr), str(current_app.config["SECRET_KEY"]))


def limit_anonymous_create() -> None:
    """Count one create by an anonymous visitor of a site open to everyone (OPEN_SITE); TooManyRequests past
    CREATES_PER_HOUR. A locked site lets only the owner create, and the owner is not counted."""
    if not (site_open() and current_app.config.get("OPEN_SITE")):
        return
    origin = request_origin()
    if origin is None:
        return
    cost = max(CREATE_MIN_KIB, -(-(request.content_length or 0) // 1024))
    rate_limit.require(
        "create",
        origin.key,
        limit=CREATE_BUDGET_KIB,
        window=CREATE_WINDOW_SECONDS,
        message=CREATE_WAIT,
        cost=cost,
    )


def limited_create(view: Callable) -> Callable:
    """An API view that creates: counted before its body is used (limit_anonymous_create)."""

    @functools.wraps(view)
    def counted(*args, **kwargs):
        limit_anonymous_create()
        return view(*args, **kwargs)

    return counted
