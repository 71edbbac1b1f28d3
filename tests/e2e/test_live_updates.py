"""Pushed, not polled, in a real browser: the poll page follows the server's event stream, and a stream
dropped mid-poll reconnects (with Last-Event-ID) and the page misses nothing."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import expect

from tests.e2e.test_poll_flow import Voter, create_poll

pytestmark = pytest.mark.e2e


def test_a_dropped_stream_reconnects_and_the_page_misses_nothing(start_server, page):
    # Streams end every 2 s (as a proxy might cut them) and the browser comes back 0.3 s later.
    server = start_server(LIVE_STREAM_SECONDS=2.0, LIVE_RETRY_MS=300)
    poll = create_poll(server.url)
    resumed_from: list = []  # what each stream request said it last saw, as the server got it
    app = server.app.wsgi_app

    def recording(environ, start_response):
        if environ["PATH_INFO"].endswith("/events"):
            resumed_from.append(environ.get("HTTP_LAST_EVENT_ID"))
        return app(environ, start_response)

    server.app.wsgi_app = recording
    held: list = []  # reconnects the "network" is holding back
    hold = {"on": False}
    streams: list = []

    def through(route) -> None:
        streams.append(route.request)
        if hold["on"]:
            held.append(route)
        else:
            route.continue_()

    page.route("**/events", through)
    page.goto(poll["poll_url"])
    expect(page.locator("#voters-panel")).to_be_visible()

    # Pushed: a ballot sent from another phone shows without any polling.
    assert (
        Voter(server.url).call("PUT", f"/api/polls/{poll['id']}/ballot", {"name": "Аня", "approve": [0]})[0]
        < 300
    )
    expect(page.get_by_test_id("voters")).to_contain_text("Аня", timeout=5_000)

    # The stream drops; its reconnect hangs; a ballot arrives meanwhile.
    hold["on"] = True
    deadline = time.monotonic() + 10
    while not held and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    assert held, "the browser did not reconnect after the stream ended"
    assert (
        Voter(server.url).call("PUT", f"/api/polls/{poll['id']}/ballot", {"name": "Борис", "approve": [1]})[0]
        < 300
    )
    page.wait_for_timeout(1500)
    expect(page.get_by_test_id("voters")).not_to_contain_text("Борис")  # really cut off: no polling behind

    # The connection comes back: the reconnect carries the last event's id and gets what it missed.
    hold["on"] = False
    for route in held:
        route.continue_()
    expect(page.get_by_test_id("voters")).to_contain_text("Борис", timeout=5_000)
    expect(page.get_by_test_id("voters").locator(".voter")).to_have_count(2)
    assert all(request.url.endswith(f"/api/polls/{poll['id']}/events") for request in streams)
    assert resumed_from[0] is None and resumed_from[-1], resumed_from  # the reconnect resumed from an id
