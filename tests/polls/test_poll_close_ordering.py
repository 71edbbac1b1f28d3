"""The order of a ballot and the close, pinned down: one of them is held just before its commit, the other
comes meanwhile (as another worker would). On PostgreSQL under READ COMMITTED and on SQLite alike:
- a ballot written before the close is counted, though its commit is still to come when the close arrives;
- a ballot that arrives while the close is committing is refused.
The drill (tests/drills/test_poll_drill.py) shows it under load; this shows the ordering itself.
"""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import event
from sqlalchemy.orm import Session

from movie_lottery.core.errors import Conflict
from movie_lottery.polls import service as polls

MOVIES = [{"name": "Солярис"}, {"name": "Сталкер"}]
HOLD_SECONDS = 1.5


@pytest.fixture
def hold_commit():
    """hold_commit(thread_name) -> Event set when that thread is about to commit (then it waits a while)."""
    held: dict[str, threading.Event] = {}

    def before_commit(session: Session) -> None:
        reached = held.pop(threading.current_thread().name, None)
        if reached is not None:
            reached.set()
            threading.Event().wait(HOLD_SECONDS)  # the transaction stays open, its locks held

    event.listen(Session, "before_commit", before_commit)

    def arm(thread_name: str) -> threading.Event:
        held[thread_name] = threading.Event()
        return held[thread_name]

    yield arm
    event.remove(Session, "before_commit", before_commit)


def in_thread(app, name: str, work) -> tuple[threading.Thread, dict]:
    outcome: dict = {}

    def run() -> None:
        with app.app_context():
            try:
                outcome["value"] = work()
            except Exception as exc:  # the test reads it
                outcome["error"] = exc

    thread = threading.Thread(target=run, name=name)
    thread.start()
    return thread, outcome


def test_a_ballot_written_before_the_close_counts_though_it_commits_after(app, hold_commit):
    with app.app_context():
        poll = polls.create_poll(MOVIES).poll
    written = hold_commit("slow-ballot")
    voter, ballot = in_thread(
        app, "slow-ballot", lambda: polls.store_ballot(poll.id, None, name="Аня", approve=[1])
    )
    assert written.wait(10)  # the ballot's statement ran; its commit is held
    closer, closed = in_thread(app, "closer", lambda: polls.close(poll.id, poll.manage_token))
    voter.join(30)
    closer.join(30)
    assert "error" not in ballot, ballot
    assert "error" not in closed, closed
    assert closed["value"].poll.result["counts"] == [0, 1]  # acknowledged, so counted


def test_a_ballot_arriving_while_the_close_commits_is_refused(app, hold_commit):
    with app.app_context():
        poll = polls.create_poll(MOVIES).poll
    closing = hold_commit("slow-close")
    closer, closed = in_thread(app, "slow-close", lambda: polls.close(poll.id, poll.manage_token))
    assert closing.wait(10)  # the conditional UPDATE ran; its commit is held
    voter, ballot = in_thread(
        app, "voter", lambda: polls.store_ballot(poll.id, None, name="Аня", approve=[1])
    )
    voter.join(30)
    closer.join(30)
    assert isinstance(ballot.get("error"), Conflict), ballot
    assert closed["value"].poll.result["counts"] == [0, 0]
    with app.app_context():
        assert polls.get_poll(poll.id).ballots == []
