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

# Anonymous creates (lotteries, polls, library adds) per address per hour on a site open to everyone. Each
# is at most its route's body limit (a 25-movie lottery, the largest, about 300 KB of JSON): an address adds
# at most CREATES_PER_HOUR of them an hour — see the README's access section for the measured figures.
CREATES_PER_HOUR = 20
CREATE_WINDOW_SECONDS = 3600
CREATE_WAIT = (
    "Сайт открыт всем, поэтому с одного адреса можно создать не больше "
    f"{CREATES_PER_HOUR} лотерей, голосований и фильмов в час. Попробуйте через {{wait}} — или войдите"
    " как владелец (API-токен), для него ограничения нет."
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
    rate_limit.require(
        "create", origin.key, limit=CREATES_PER_HOUR, window=CREATE_WINDOW_SECONDS, message=CREATE_WAIT
    )


def limited_create(view: Callable) -> Callable:
    """An API view that creates: counted before its body is used (limit_anonymous_create)."""

    @functools.wraps(view)
    def counted(*args, **kwargs):
        limit_anonymous_create()
        return view(*args, **kwargs)

    return counted
