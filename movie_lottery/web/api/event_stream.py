"""The web side of the event streams (live/): the answer, the per-process seats, the request's parts.

A route builds its read's JSON text once before answering, so a missing or forbidden resource gets exactly
the read's 404/403; then the stream takes a seat (past ``LIVE_MAX_STREAMS`` per process: 503
``too_many_streams``, and the page falls back to polling) and runs live.streams.follow inside the request's
context. The seat is given back when the WSGI server closes the answer: the stream's end, or the client gone
(the next write fails).
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Response, current_app, request, stream_with_context

from movie_lottery.core.content_version import read_content_version
from movie_lottery.core.errors import DomainError
from movie_lottery.core.extensions import db
from movie_lottery.live.streams import Hub, StreamSettings, follow
from movie_lottery.runtime.per_process import PerProcess
from movie_lottery.web.guards.errors import error_response

EVENTS_DOC = {
    "description": "Поток событий (text/event-stream): в каждом событии — тот же JSON, что отдаёт чтение; "
    "`id` можно вернуть в `Last-Event-ID`, раз в ~15 с — комментарий-пульс",
    "content": {"text/event-stream": {"schema": {"type": "string"}}},
}
STREAM_REFUSALS = {503: ["too_many_streams"]}
_HUBS = PerProcess("live_hub", lambda settings: Hub(read_content_version, settings))


def settings() -> StreamSettings:
    config = current_app.config
    defaults = StreamSettings()
    return StreamSettings(
        tick=config.get("LIVE_TICK_SECONDS", defaults.tick),
        heartbeat=config.get("LIVE_HEARTBEAT_SECONDS", defaults.heartbeat),
        refresh=config.get("LIVE_REFRESH_SECONDS", defaults.refresh),
        life=config.get("LIVE_STREAM_SECONDS", defaults.life),
        retry_ms=config.get("LIVE_RETRY_MS", defaults.retry_ms),
        max_streams=config.get("LIVE_MAX_STREAMS", defaults.max_streams),
    )


def hub() -> Hub:
    return _HUBS.get(current_app.extensions, settings())


def _release_session() -> None:
    # A held stream must not hold a database connection between ticks: 200 streams, a pool of a few.
    db.session.remove()


def event_stream(build: Callable[[], str], *, refresh: float | None = None) -> Response:
    """The answer for a stream of ``build()``'s texts; ``refresh``: rebuild at least this often (seconds)."""
    first = build()  # the read's own errors (404, 403) before anything is streamed
    live = hub()
    if not live.seats.take():
        _release_session()
        return error_response(
            503, "too_many_streams", "Слишком много открытых потоков — страница будет спрашивать сама"
        )
    stream_settings = live.settings
    if refresh is not None:
        stream_settings = StreamSettings(**{**stream_settings.__dict__, "refresh": refresh})
    try:
        chunks = follow(
            first,
            _until_gone(build),
            version=live.clock.current,
            settings=stream_settings,
            last_event_id=request.headers.get("Last-Event-ID"),
            after_tick=_release_session,
        )
        response = current_app.response_class(stream_with_context(chunks), mimetype="text/event-stream")
    except BaseException:
        live.seats.release()
        raise
    response.call_on_close(live.seats.release)
    response.headers["Cache-Control"] = "no-cache"
    response.headers["X-Accel-Buffering"] = "no"  # nginx-style proxies: pass each event on at once
    return response


def _until_gone(build: Callable[[], str]) -> Callable[[], str | None]:
    def again() -> str | None:
        try:
            return build()
        except DomainError:  # deleted meanwhile: end the stream; the reconnect gets the read's own 404
            return None

    return again


def stream_count() -> int:
    return hub().seats.taken
