"""The poll's rules, through polls.py directly (no HTTP), on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from movie_lottery.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from movie_lottery.core.extensions import db
from movie_lottery.core.models import Poll, utcnow
from movie_lottery.core.reel import commitment_for
from movie_lottery.polls import service as polls
from movie_lottery.polls import voting

MOVIES = [
    {"name": "Солярис", "year": 1972},
    {"name": "Сталкер", "year": 1979},
    {"name": "Зеркало", "year": 1975},
]


def new_poll(**settings) -> Poll:
    return polls.create_poll(MOVIES, **settings).poll


def vote(poll: Poll, name: str | None, participant: str | None = None, **choices) -> polls.StoredBallot:
    return polls.store_ballot(poll.id, participant, name=name, **choices)


def test_a_poll_commits_to_its_seed_and_hides_it_until_closed(app_context):
    poll = new_poll()
    fresh = polls.get_poll(poll.id)
    assert fresh.commitment == commitment_for(poll.seed)
    assert polls.revealed_seed(fresh) is None and polls.shown_result(fresh) is None
    assert polls.status_of(fresh) == "open"
    closed = polls.close(poll.id, poll.manage_token).poll
    assert polls.revealed_seed(closed) == poll.seed


def test_a_ballot_is_replaced_by_the_same_participant_and_keeps_its_name(app_context):
    poll = new_poll()
    first = vote(poll, "Аня", approve=[0, 1])
    vote(poll, None, first.participant, approve=[2])
    fresh = polls.get_poll(poll.id)
    assert polls.voters(fresh) == ["Аня"]
    assert fresh.ballots[0].choices == [2]


def test_a_name_is_unique_in_a_poll_by_the_same_movie_rule(app_context):
    poll = new_poll()
    vote(poll, "Алёна", approve=[0])
    with pytest.raises(Conflict) as refused:
        vote(poll, "  алена ", approve=[1])
    assert refused.value.code == "name_taken"
    assert polls.voters(polls.get_poll(poll.id)) == ["Алёна"]
    assert polls.voters(polls.get_poll(new_poll().id)) == []  # another poll is another namespace
    vote(polls.get_poll(new_poll().id), "Алёна", approve=[0])


@pytest.mark.parametrize(
    ("choices", "code"),
    [
        ({"approve": [0, 7]}, "unknown_movie"),
        ({"approve": [1, 1]}, "duplicate_choice"),
        ({"ranking": [0, 1]}, "wrong_ballot"),
        ({"approve": [0], "veto": 0}, "veto_conflict"),
        ({"approve": [0], "veto": 3}, "unknown_movie"),
    ],
)
def test_a_bad_ballot_is_refused_and_changes_nothing(app_context, choices, code):
    poll = new_poll(veto=True)
    kept = vote(poll, "Аня", approve=[2])
    with pytest.raises(InvalidInput) as refused:
        vote(poll, None, kept.participant, **choices)
    assert refused.value.code == code
    assert polls.get_poll(poll.id).ballots[0].choices == [2]


def test_a_ranking_with_duplicates_is_refused(app_context):
    poll = new_poll(method=voting.RANKED)
    with pytest.raises(InvalidInput) as refused:
        vote(poll, "Аня", ranking=[0, 2, 0])
    assert refused.value.code == "duplicate_choice"


def test_a_veto_needs_a_poll_with_vetoes(app_context):
    with pytest.raises(InvalidInput) as refused:
        vote(new_poll(), "Аня", approve=[0], veto=1)
    assert refused.value.code == "veto_not_allowed"


def test_closing_counts_once_and_a_later_ballot_is_refused(app_context):
    poll = new_poll()
    vote(poll, "Аня", approve=[0, 1])
    vote(poll, "Боря", approve=[1])
    first = polls.close(poll.id, poll.manage_token)
    assert first.newly_closed and first.poll.winner_position == 1
    assert first.poll.result["counts"] == [1, 2, 0]
    with pytest.raises(Conflict) as refused:
        vote(poll, "Вера", approve=[0])
    assert refused.value.code == "poll_closed"
    again = polls.close(poll.id, poll.manage_token)
    assert not again.newly_closed and again.poll.result == first.poll.result


def test_only_the_creator_or_the_admin_closes(app_context):
    poll = new_poll()
    with pytest.raises(Forbidden):
        polls.close(poll.id, "not-the-token")
    assert polls.close(poll.id, None, by_admin=True).poll.closed_by == "admin"


def test_a_passed_deadline_closes_the_poll_on_the_first_read(app_context):
    now = utcnow()
    poll = new_poll(deadline=now + timedelta(hours=1), now=now)
    vote(poll, "Аня", approve=[2])
    later = now + timedelta(hours=1, seconds=1)
    read = polls.get_poll(poll.id, now=later)
    assert read.closed_by == "deadline" and read.closed_at == poll.deadline
    assert read.winner_position == 2


def test_a_ballot_after_the_deadline_is_refused_and_closes_the_poll(app_context):
    now = utcnow()
    poll = new_poll(deadline=now + timedelta(minutes=5), now=now)
    with pytest.raises(Conflict):
        polls.store_ballot(poll.id, None, name="Аня", approve=[0], now=now + timedelta(minutes=6))
    assert polls.get_poll(poll.id).closed_by == "deadline"


def test_a_deadline_in_the_past_is_refused(app_context):
    with pytest.raises(InvalidInput) as refused:
        new_poll(deadline=utcnow() - timedelta(minutes=1))
    assert refused.value.code == "invalid_deadline"


def test_the_creator_removes_a_ballot_while_open(app_context):
    poll = new_poll()
    vote(poll, "Аня", approve=[0])
    vote(poll, "Боря", approve=[1])
    polls.remove_ballot(poll.id, "аня", poll.manage_token)
    assert polls.voters(polls.get_poll(poll.id)) == ["Боря"]
    with pytest.raises(NotFound):
        polls.remove_ballot(poll.id, "Аня", poll.manage_token)
    polls.close(poll.id, poll.manage_token)
    with pytest.raises(Conflict):
        polls.remove_ballot(poll.id, "Боря", poll.manage_token)


def test_a_participant_deletes_their_own_ballot(app_context):
    poll = new_poll()
    mine = vote(poll, "Аня", approve=[0])
    polls.delete_own_ballot(poll.id, mine.participant)
    assert polls.voters(polls.get_poll(poll.id)) == []
    with pytest.raises(NotFound):
        polls.delete_own_ballot(poll.id, mine.participant)


def test_the_ballot_write_checks_the_poll_in_the_same_statement(app_context):
    """Close the poll behind polls.py's back (as another worker would), between its read and its write."""
    poll = new_poll()
    original = polls.check_choices

    def close_meanwhile(*args, **kwargs):
        checked = original(*args, **kwargs)
        db.session.execute(sa.text("UPDATE poll SET closed_at = CURRENT_TIMESTAMP, closed_by = 'creator'"))
        db.session.commit()
        return checked

    polls.check_choices = close_meanwhile
    try:
        with pytest.raises(Conflict):
            vote(poll, "Аня", approve=[0])
    finally:
        polls.check_choices = original
    assert polls.get_poll(poll.id).ballots == []


def test_a_live_poll_shows_its_count_and_leaves_a_tie_to_the_close(app_context):
    poll = new_poll(results="live")
    vote(poll, "Аня", approve=[0])
    vote(poll, "Боря", approve=[1])
    live = polls.shown_result(polls.get_poll(poll.id))
    assert live["counts"] == [1, 1, 0] and live["tied"] == [0, 1] and live["winner"] is None
    closed = polls.close(poll.id, poll.manage_token).poll
    assert closed.winner_position == voting.break_tie(poll.seed, poll.id, [m["name"] for m in MOVIES], [0, 1])


def test_a_poll_takes_at_most_max_ballots(app_context, monkeypatch):
    monkeypatch.setattr(polls, "MAX_BALLOTS", 2)
    poll = new_poll()
    first = vote(poll, "Аня", approve=[0])
    vote(poll, "Боря", approve=[1])
    with pytest.raises(Conflict) as refused:
        vote(poll, "Вера", approve=[2])
    assert refused.value.code == "poll_full"
    vote(poll, None, first.participant, approve=[2])  # a participant already in may still change theirs
