"""Pushed, not polled (issue 23, item 2): the event streams of a lottery, a poll and the downloads.

Each stream is read as the browser reads it, chunk by chunk, from the app's own WSGI iterable; the changes
come through another app instance on the same database, as another worker or instance would make them.
"""

from __future__ import annotations

import json
import queue
import threading
import time

import pytest

from movie_lottery.live.streams import HEARTBEAT, StreamSettings, VersionClock, follow

TICK = 0.05
FAST = {
    "LIVE_TICK_SECONDS": TICK,
    "LIVE_HEARTBEAT_SECONDS": 0.3,
    "LIVE_REFRESH_SECONDS": 5.0,
    "LIVE_STREAM_SECONDS": 4.0,  # a test that misses its event ends instead of hanging
}
MOVIES = [{"name": f"Фильм {i}", "year": 2000 + i} for i in range(5)]


@pytest.fixture
def app(make_app):
    return make_app(**FAST)


@pytest.fixture
def other_instance(make_app):
    """Another create_app on the same database: another worker, another instance."""
    return make_app(**FAST)


class Stream:
    """An open event stream read in a thread of its own, as a server's greenlet and a browser hold it:
    it moves on by itself between the test's looks, and its events queue up."""

    def __init__(self, client, url: str, headers: dict) -> None:
        self.comments: list[str] = []
        self.retry: int | None = None
        self.ended = threading.Event()
        self._chunks: queue.Queue = queue.Queue()
        self._opened: queue.Queue = queue.Queue()
        self._closing = threading.Event()
        self._thread = threading.Thread(target=self._read, args=(client, url, headers), daemon=True)
        self._thread.start()
        response = self._opened.get(timeout=5)
        assert response.status_code == 200, response.get_data(as_text=True)
        assert response.mimetype == "text/event-stream"

    def _read(self, client, url: str, headers: dict) -> None:
        response = client.get(url, headers=headers, buffered=False)
        self._opened.put(response)
        if response.status_code != 200:
            return
        try:
            for chunk in response.response:
                self._chunks.put(chunk)
                if self._closing.is_set():
                    break
        finally:
            response.close()
            self.ended.set()

    def next_event(self, timeout: float = 2.0) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            chunk = self._chunks.get(timeout=max(0.01, deadline - time.monotonic())).decode()
            event: dict = {}
            for line in chunk.strip("\n").split("\n"):
                field, _, value = line.partition(": ")
                if line.startswith(":"):
                    self.comments.append(line)
                elif field == "retry":
                    self.retry = int(value)
                elif field == "id":
                    event["id"] = value
                elif field == "data":
                    event["data"] = event.get("data", "") + value
            if "data" in event:
                event["json"] = json.loads(event["data"])
                return event

    def close(self) -> None:
        """The tab is closed: the server's next write fails and it closes the answer."""
        self._closing.set()
        self.ended.wait(5)


def open_stream(client, url: str, **headers) -> Stream:
    return Stream(client, url, headers)


def create_lottery(client) -> dict:
    response = client.post("/api/lotteries", json={"movies": MOVIES})
    assert response.status_code == 201
    return response.get_json()


def create_poll(client) -> dict:
    response = client.post("/api/polls", json={"movies": MOVIES})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


# ---- the first event, a change from elsewhere, the resume -------------------------------------------------


def test_a_lottery_streams_first_the_state_its_read_returns(client):
    lottery = create_lottery(client)
    stream = open_stream(client, f"/api/lotteries/{lottery['id']}/events")
    first = stream.next_event()
    assert first["json"] == client.get(f"/api/lotteries/{lottery['id']}").get_json()
    assert first["id"] and stream.retry == 3000
    stream.close()


def test_a_draw_through_another_instance_reaches_an_open_stream_within_a_couple_of_ticks(
    client, other_instance
):
    lottery = create_lottery(client)
    stream = open_stream(client, f"/api/lotteries/{lottery['id']}/events")
    assert stream.next_event()["json"]["winner"] is None
    time.sleep(3 * TICK)  # the stream is past its first ticks, waiting
    drawn = other_instance.test_client().post(
        f"/api/lotteries/{lottery['id']}/draw", json={"token": lottery["play_token"]}
    )
    assert drawn.status_code == 200
    started = time.monotonic()
    event = stream.next_event()
    assert event["json"]["winner"] == drawn.get_json()["winner"]
    assert time.monotonic() - started < 10 * TICK + 0.5
    stream.close()


def test_a_ballot_and_the_close_through_another_instance_reach_a_poll_stream(client, other_instance):
    poll = create_poll(client)
    stream = open_stream(client, f"/api/polls/{poll['id']}/events")
    assert stream.next_event()["json"]["voters"] == []
    time.sleep(3 * TICK)
    elsewhere = other_instance.test_client()
    assert (
        elsewhere.put(f"/api/polls/{poll['id']}/ballot", json={"name": "Аня", "approve": [0]}).status_code
        < 300
    )
    assert stream.next_event()["json"]["voters"] == ["Аня"]
    closed = elsewhere.post(f"/api/polls/{poll['id']}/close", json={"token": poll["manage_token"]})
    assert closed.status_code == 200
    assert stream.next_event()["json"]["status"] == "closed"
    stream.close()


def test_a_polls_deadline_passing_reaches_its_stream_though_no_row_changed(make_app):
    from datetime import timedelta

    from movie_lottery.core.models import utcnow
    from movie_lottery.polls import service as polls

    app = make_app(**{**FAST, "LIVE_REFRESH_SECONDS": 0.3})
    with app.app_context():
        poll = polls.create_poll(MOVIES[:2], deadline=utcnow() + timedelta(seconds=1.5)).poll
        poll_id = poll.id
    stream = open_stream(app.test_client(), f"/api/polls/{poll_id}/events")
    assert stream.next_event()["json"]["status"] == "open"
    # On a loaded machine the refresh may resend the open state first; the closed one must follow.
    statuses = []
    while "closed" not in statuses:
        statuses.append(stream.next_event(timeout=4)["json"]["status"])
    assert set(statuses) <= {"open", "closed"} and len(statuses) <= 10
    stream.close()


def test_a_reconnect_with_the_last_event_id_gets_what_it_missed_and_nothing_it_has(client, other_instance):
    lottery = create_lottery(client)
    url = f"/api/lotteries/{lottery['id']}/events"
    stream = open_stream(client, url)
    seen = stream.next_event()
    stream.close()  # the connection drops

    # Nothing changed: the resumed stream sends no state until something changes.
    resumed = open_stream(client, url, **{"Last-Event-ID": seen["id"]})
    time.sleep(3 * TICK)
    other_instance.test_client().post(
        f"/api/lotteries/{lottery['id']}/draw", json={"token": lottery["play_token"]}
    )
    event = resumed.next_event()
    assert event["json"]["winner"] is not None and event["id"] != seen["id"]
    resumed.close()

    # The draw happened while it was away: the state it missed comes first.
    missed = open_stream(client, url, **{"Last-Event-ID": seen["id"]})
    assert missed.next_event()["json"]["winner"] == event["json"]["winner"]
    missed.close()


def test_a_quiet_stream_sends_heartbeat_comments(client):
    lottery = create_lottery(client)
    response = client.get(f"/api/lotteries/{lottery['id']}/events", buffered=False)
    chunks = iter(response.response)
    next(chunks), next(chunks)  # retry, the state
    started = time.monotonic()
    assert next(chunks) == HEARTBEAT
    assert 0.2 < time.monotonic() - started < 1.5
    response.close()


def test_a_stream_ends_after_its_life_and_the_browser_reconnects(make_app):
    app = make_app(**{**FAST, "LIVE_STREAM_SECONDS": 0.3})
    client = app.test_client()
    lottery = create_lottery(client)
    response = client.get(f"/api/lotteries/{lottery['id']}/events", buffered=False)
    started = time.monotonic()
    chunks = list(response.response)  # ends on its own
    assert time.monotonic() - started < 2
    assert chunks[0] == b"retry: 3000\n\n"
    response.close()


def test_a_deleted_lottery_ends_its_stream_and_the_reconnect_gets_the_reads_404(make_app, other_instance):
    app = make_app(**FAST, API_TOKEN="bot-token")
    client = app.test_client()
    lottery = create_lottery(client)
    url = f"/api/lotteries/{lottery['id']}/events"
    response = client.get(url, buffered=False)
    chunks = iter(response.response)
    next(chunks), next(chunks)
    deleted = other_instance.test_client().delete(
        f"/api/lotteries/{lottery['id']}", headers={"Authorization": "Bearer bot-token"}
    )
    assert deleted.status_code == 204, deleted.get_json()
    assert [c for c in chunks if c != HEARTBEAT] == []  # the stream ends
    response.close()
    assert client.get(url).status_code == 404


# ---- the same access as the reads, and the per-worker cap ------------------------------------------------


def test_an_unknown_lottery_or_poll_stream_is_the_reads_404(client):
    for url in ("/api/lotteries/nosuchlottery1/events", "/api/polls/nosuchpoll1/events"):
        answer = client.get(url)
        read = client.get(url.removesuffix("/events"))
        assert (answer.status_code, answer.get_json()) == (read.status_code, read.get_json())
        assert answer.status_code == 404


def test_the_downloads_stream_is_for_the_owner_like_the_read(make_app):
    locked = make_app(**FAST, ADMIN_PASSWORD="correct horse", API_TOKEN="bot-token")
    client = locked.test_client()
    events, read = client.get("/api/torrents/events"), client.get("/api/torrents")
    assert events.status_code == read.status_code and events.status_code in (401, 403)
    assert events.get_json() == read.get_json()
    owner = open_stream(client, "/api/torrents/events", Authorization="Bearer bot-token")
    assert owner.next_event()["json"]["configured"] is False
    owner.close()


def test_the_owners_lottery_stream_carries_the_play_link_and_a_guests_does_not(make_app):
    locked = make_app(**FAST, ADMIN_PASSWORD="correct horse", API_TOKEN="bot-token")
    owner = locked.test_client()
    owner.environ_base["HTTP_AUTHORIZATION"] = "Bearer bot-token"
    lottery = create_lottery(owner)
    url = f"/api/lotteries/{lottery['id']}/events"
    guest_stream = open_stream(locked.test_client(), url)
    assert "play_url" not in guest_stream.next_event()["json"]
    guest_stream.close()
    owner_stream = open_stream(owner, url)
    assert "play_url" in owner_stream.next_event()["json"]
    owner_stream.close()


def test_past_the_per_worker_cap_a_stream_is_refused_with_a_clear_503_and_a_closed_one_frees_its_seat(
    make_app,
):
    app = make_app(**FAST, LIVE_MAX_STREAMS=2)
    client = app.test_client()
    lottery = create_lottery(client)
    url = f"/api/lotteries/{lottery['id']}/events"
    first, second = open_stream(client, url), open_stream(client, url)
    refused = client.get(url)
    assert refused.status_code == 503
    assert refused.get_json()["error"]["code"] == "too_many_streams"
    first.close()
    third = open_stream(client, url)
    second.close(), third.close()


def test_a_held_stream_holds_no_database_connection_between_ticks(make_app):
    from movie_lottery.core.extensions import db

    app = make_app(**{**FAST, "LIVE_TICK_SECONDS": 0.4})
    client = app.test_client()
    lottery = create_lottery(client)
    stream = open_stream(client, f"/api/lotteries/{lottery['id']}/events")
    stream.next_event()
    with app.app_context():
        pool = db.engine.pool
    time.sleep(0.2)  # halfway to the first tick
    assert pool.checkedout() == 0
    time.sleep(0.4)  # halfway between the first and the second
    assert pool.checkedout() == 0
    stream.close()


# ---- the parts, without HTTP ------------------------------------------------------------------------------


def test_one_version_read_per_tick_serves_every_stream_of_a_process():
    now = [0.0]
    reads = []
    clock = VersionClock(lambda: reads.append(1) or 7, tick=1.0, now=lambda: now[0])
    for _ in range(200):
        assert clock.current() == 7
    now[0] = 1.0
    for _ in range(200):
        clock.current()
    assert len(reads) == 2


def test_a_stream_sends_a_state_only_when_it_differs_from_the_last_one_sent():
    states = iter(["A", "A", "B", "B", "B"])
    versions = iter([1, 2, 3, 3, 4])
    clock = [0.0]

    def sleep(seconds):
        clock[0] += seconds

    chunks = list(
        follow(
            "A",
            lambda: next(states),
            version=lambda: next(versions),
            settings=StreamSettings(tick=1, heartbeat=100, refresh=100, life=5),
            sleep=sleep,
            now=lambda: clock[0],
        )
    )
    data = [c for c in chunks if c.startswith(b"id:")]
    assert [d.split(b"data: ")[1].strip() for d in data] == [b"A", b"B"]


def test_a_closed_client_ends_the_generator_and_gives_its_seat_back(client):
    """What gunicorn does when the next write fails: it closes the answer, the seat comes back."""
    from movie_lottery.web.api.event_stream import stream_count

    lottery = create_lottery(client)
    held = open_stream(client, f"/api/lotteries/{lottery['id']}/events")
    held.next_event()
    with client.application.test_request_context():
        assert stream_count() == 1
        held.close()
        assert stream_count() == 0


def test_many_streams_in_threads_all_see_one_draw(client, other_instance):
    lottery = create_lottery(client)
    url = f"/api/lotteries/{lottery['id']}/events"
    # One thread per stream, as a server holds them (a stream keeps its request context while it waits).
    ready = threading.Barrier(11)
    winners: list = []

    def watch():
        stream = open_stream(client, url)
        stream.next_event()
        ready.wait()
        winners.append(stream.next_event()["json"]["winner"]["position"])
        stream.close()

    threads = [threading.Thread(target=watch) for _ in range(10)]
    for thread in threads:
        thread.start()
    ready.wait(timeout=5)
    other_instance.test_client().post(
        f"/api/lotteries/{lottery['id']}/draw", json={"token": lottery["play_token"]}
    )
    for thread in threads:
        thread.join(timeout=5)
    assert len(winners) == 10 and len(set(winners)) == 1
