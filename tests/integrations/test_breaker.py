"""The circuit breaker: when it lets calls through, how long it waits, and that nobody ever waits on it."""

import threading
import time
from datetime import UTC, datetime

import pytest

from movie_lottery.integrations.breaker import BreakerState, CircuitBreaker


class FakeClock:
    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


WALL_START = 1_700_000_000.0


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def wall():
    return FakeClock(WALL_START)


@pytest.fixture
def breaker(clock, wall):
    return CircuitBreaker(clock=clock, wall_clock=wall)


def fail(breaker, times, reason="нет связи"):
    for _ in range(times):
        breaker.record_failure(reason)


def test_starts_closed():
    assert CircuitBreaker().snapshot() == BreakerState("closed", None, None, 0)


def test_stays_closed_below_the_threshold(breaker):
    fail(breaker, 2)
    assert breaker.allow() is True
    state = breaker.snapshot()
    assert (state.state, state.consecutive_failures, state.reason, state.retry_at) == (
        "closed",
        2,
        "нет связи",
        None,
    )


def test_opens_after_three_consecutive_failures(breaker, clock):
    fail(breaker, 2)
    breaker.record_failure("таймаут")
    state = breaker.snapshot()
    assert state.state == "open"
    assert state.reason == "таймаут"
    assert state.consecutive_failures == 3
    assert state.retry_at == datetime.fromtimestamp(WALL_START + 30, tz=UTC)
    assert state.retry_at.tzinfo is not None
    assert breaker.allow() is False
    clock.advance(29.9)
    assert breaker.allow() is False


def test_a_success_in_between_restarts_the_count(breaker):
    fail(breaker, 2)
    breaker.record_success()
    fail(breaker, 2)
    assert breaker.snapshot().state == "closed"


def test_at_retry_time_exactly_one_probe_goes_through(breaker, clock):
    fail(breaker, 3)
    clock.advance(30)
    assert breaker.allow() is True
    assert breaker.snapshot().state == "half_open"
    assert [breaker.allow() for _ in range(5)] == [False] * 5


def test_successful_probe_closes_and_resets(breaker, clock):
    fail(breaker, 3)
    clock.advance(30)
    assert breaker.allow()
    breaker.record_success()
    assert breaker.snapshot() == BreakerState("closed", None, None, 0)
    assert breaker.allow() is True
    # The backoff starts from the first step again.
    fail(breaker, 3)
    assert breaker.snapshot().retry_at == datetime.fromtimestamp(WALL_START + 30, tz=UTC)


def test_backoff_grows_with_each_failed_probe_and_caps(breaker, clock):
    fail(breaker, 3)
    waits = []
    for _ in range(6):
        # The wall clock stands still here, so retry_at - WALL_START is the wait itself.
        wait = breaker.snapshot().retry_at.timestamp() - WALL_START
        waits.append(wait)
        clock.advance(wait - 0.01)
        assert breaker.allow() is False
        clock.advance(0.01)
        assert breaker.allow() is True
        breaker.record_failure("нет связи")
        assert breaker.snapshot().state == "open"
    assert waits == [30, 60, 300, 900, 900, 900]
    assert breaker.snapshot().consecutive_failures == 9


def test_open_now_opens_at_once(breaker):
    breaker.record_failure("неверный логин или пароль", open_now=True)
    state = breaker.snapshot()
    assert (state.state, state.reason, state.consecutive_failures) == ("open", "неверный логин или пароль", 1)
    assert breaker.allow() is False


def test_straggler_failures_while_open_do_not_push_the_retry_time(breaker, clock):
    fail(breaker, 3)
    retry_at = breaker.snapshot().retry_at
    clock.advance(10)
    fail(breaker, 2)
    assert breaker.snapshot().retry_at == retry_at
    assert breaker.snapshot().consecutive_failures == 5


def test_a_lost_probe_is_given_up_on(clock, wall):
    breaker = CircuitBreaker(clock=clock, wall_clock=wall, probe_timeout=60)
    fail(breaker, 3)
    clock.advance(30)
    assert breaker.allow() is True
    clock.advance(59)
    assert breaker.allow() is False
    clock.advance(1)
    assert breaker.allow() is True
    assert breaker.allow() is False


def test_only_one_probe_among_20_concurrent_callers(breaker, clock):
    fail(breaker, 3)
    clock.advance(30)
    start = threading.Barrier(20)
    results = []
    lock = threading.Lock()

    def caller():
        start.wait()
        answer = breaker.allow()
        with lock:
            results.append(answer)

    threads = [threading.Thread(target=caller) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=5)
    assert sorted(results) == [False] * 19 + [True]


def test_callers_never_wait_while_a_probe_is_in_flight():
    """The probe holds no lock: while it 'runs' for 1 s, 20 other callers get an answer at once."""
    breaker = CircuitBreaker(failure_threshold=1, backoff=(0,))
    breaker.record_failure("нет связи")
    probe_started = threading.Event()
    probe_may_finish = threading.Event()

    def probe():
        assert breaker.allow() is True
        probe_started.set()
        probe_may_finish.wait(timeout=5)  # the slow call
        breaker.record_success()

    prober = threading.Thread(target=probe)
    prober.start()
    assert probe_started.wait(timeout=5)
    durations = []
    answers = []

    def caller():
        begun = time.perf_counter()
        answers.append(breaker.allow())
        durations.append(time.perf_counter() - begun)
        breaker.snapshot()

    callers = [threading.Thread(target=caller) for _ in range(20)]
    for thread in callers:
        thread.start()
    for thread in callers:
        thread.join(timeout=5)
    probe_may_finish.set()
    prober.join(timeout=5)
    assert answers == [False] * 20
    assert max(durations) < 0.1
    assert breaker.allow() is True


def test_concurrent_closed_callers_are_not_serialised():
    """Unlike pybreaker, guarded calls run in parallel: four 0.3 s calls take ~0.3 s, not 1.2 s."""
    breaker = CircuitBreaker()

    def guarded_call():
        if breaker.allow():
            time.sleep(0.3)
            breaker.record_success()

    threads = [threading.Thread(target=guarded_call) for _ in range(4)]
    begun = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=5)
    assert time.perf_counter() - begun < 0.9


def test_rejects_nonsense_settings():
    with pytest.raises(ValueError):
        CircuitBreaker(failure_threshold=0)
    with pytest.raises(ValueError):
        CircuitBreaker(backoff=())
