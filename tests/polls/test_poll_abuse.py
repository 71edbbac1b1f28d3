"""A poll link cannot be abused to decide the vote (issue 21, item 5): new voters from one address are held to
a person's pace, a veto needs a vote, and the creator removes what one address sent in a burst at once."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest

from movie_lottery.core import rate_limit
from movie_lottery.core.extensions import db
from movie_lottery.core.rate_limit import TooManyRequests
from movie_lottery.polls import service as polls

MOVIES = [{"name": f"Фильм {i}", "year": 2000 + i} for i in range(5)]
HOME_WIFI = "198.51.100.7"  # one public address for a whole flat (TEST-NET-2)
T0 = datetime(2026, 12, 5, 19, 0, tzinfo=UTC)


def create(client, **settings) -> dict:
    response = client.post("/api/polls", json={"movies": MOVIES, **settings})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def phone(app, address: str = HOME_WIFI):
    """A browser of its own (its own cookies) on a network with this public address."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def vote(client, poll: dict, name: str, **ballot):
    body = {"name": name, **(ballot or {"approve": [0]})}
    return client.put(f"/api/polls/{poll['id']}/ballot", json=body)


def voters(client, poll: dict) -> list[str]:
    return client.get(f"/api/polls/{poll['id']}").get_json()["voters"]


# ---- one address adds new voters at a person's pace --------------------------------------------------------


def test_a_script_with_the_link_gets_eight_new_names_a_minute_then_a_plain_message_how_long_to_wait(
    app, client
):
    poll = create(client)
    phones = [phone(app) for _ in range(polls.NEW_VOTERS_PER_WINDOW + 3)]
    answers = [vote(one, poll, f"Бот {i}") for i, one in enumerate(phones)]
    assert [a.status_code for a in answers] == [200] * polls.NEW_VOTERS_PER_WINDOW + [429] * 3
    refused = answers[-1].get_json()["error"]
    assert refused["code"] == "too_many_requests"
    assert 1 <= refused["details"]["retry_after"] <= 60
    assert "Подождите" in refused["message"] and "секунд" in refused["message"]
    assert (
        len(voters(client, poll)) == polls.NEW_VOTERS_PER_WINDOW
    )  # neither the cap nor the result in seconds
    # Another address is another flat; and changing one's own ballot is never counted.
    assert vote(phone(app, "203.0.113.9"), poll, "Соседка").status_code == 200
    changed = phones[0].put(f"/api/polls/{poll['id']}/ballot", json={"approve": [1]})
    assert changed.status_code == 200


def test_the_owners_own_machine_is_not_counted(client):
    poll = create(client)  # the test client is a browser on the server itself (127.0.0.1, localhost)
    for i in range(polls.NEW_VOTERS_PER_WINDOW + 2):
        assert vote(client.application.test_client(), poll, f"Гость {i}").status_code == 200


def cast(poll_id: str, name: str, at: datetime, address: str = HOME_WIFI) -> polls.StoredBallot:
    origin = rate_limit.origin_of(address, "test secret")
    return polls.store_ballot(poll_id, None, name=name, approve=[0], now=at, origin=origin)


def test_twelve_friends_on_one_wifi_voting_over_two_minutes_are_all_counted(app_context):
    poll = polls.create_poll(MOVIES, now=T0).poll
    for i in range(12):
        cast(poll.id, f"Друг {i}", T0 + timedelta(seconds=10 * i))  # one every 10 s: 0 … 110 s
    assert len(polls.get_poll(poll.id, T0 + timedelta(minutes=2)).ballots) == 12


def test_twelve_friends_tapping_at_once_are_all_counted_within_two_minutes_when_the_rest_resend(app_context):
    poll = polls.create_poll(MOVIES, now=T0).poll
    waits = []
    for i in range(12):
        try:
            cast(poll.id, f"Друг {i}", T0)
        except TooManyRequests as refused:
            waits.append((i, refused.details["retry_after"]))
    assert [i for i, _ in waits] == [8, 9, 10, 11] and {wait for _, wait in waits} == {60}
    for i, wait in waits:  # each presses «Отправить» again once the page's countdown is over
        cast(poll.id, f"Друг {i}", T0 + timedelta(seconds=wait))
    assert len(polls.get_poll(poll.id, T0 + timedelta(minutes=2)).ballots) == 12


def test_a_burst_of_parallel_new_ballots_from_one_address_is_held_to_the_limit(app):
    with app.app_context():
        poll_id = polls.create_poll(MOVIES).poll.id
    outcomes: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(20)

    def send(i: int) -> None:
        with app.app_context():
            start.wait()
            try:
                cast(poll_id, f"Бот {i}", T0 + timedelta(seconds=1))
                outcome = "stored"
            except TooManyRequests:
                outcome = "refused"
            finally:
                db.session.remove()
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=send, args=(i,)) for i in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == ["refused"] * 12 + ["stored"] * 8
    with app.app_context():
        assert len(polls.get_poll(poll_id).ballots) == polls.NEW_VOTERS_PER_WINDOW


# ---- a veto needs a vote -----------------------------------------------------------------------------------


def test_invented_names_vetoing_one_movie_each_cannot_make_a_movie_nobody_chose_win(app, client):
    poll = create(client, veto=True)
    for name, address in (("Аня", "198.51.100.1"), ("Боря", "198.51.100.2"), ("Вера", "198.51.100.3")):
        assert vote(phone(app, address), poll, name, approve=[0]).status_code == 200
    script = [vote(phone(app, "203.0.113.66"), poll, f"Выдумка {m}", approve=[], veto=m) for m in range(4)]
    assert {s.status_code for s in script} == {400}
    refused = script[0].get_json()["error"]
    assert refused["code"] == "veto_without_vote" and "вместе с голосом" in refused["message"]
    closed = client.post(f"/api/polls/{poll['id']}/close", json={"token": poll["manage_token"]}).get_json()
    assert closed["result"]["winner"] == 0  # the movie the three friends chose


def test_a_veto_with_a_vote_still_excludes_the_movie(app, client):
    poll = create(client, veto=True)
    assert vote(phone(app, "198.51.100.1"), poll, "Аня", approve=[0]).status_code == 200
    assert vote(phone(app, "198.51.100.2"), poll, "Боря", approve=[1], veto=0).status_code == 200
    closed = client.post(f"/api/polls/{poll['id']}/close", json={"token": poll["manage_token"]}).get_json()
    assert closed["result"]["excluded"] == [0] and closed["result"]["winner"] == 1


# ---- the creator sees a burst as a group and removes it at once -------------------------------------------


def test_the_creator_sees_a_burst_from_one_address_as_a_group_and_removes_it_in_one_action(app, client):
    poll = create(client)
    assert vote(phone(app, "198.51.100.1"), poll, "Аня").status_code == 200
    for i in range(5):
        assert vote(phone(app, "203.0.113.66"), poll, f"Бот {i}", approve=[4]).status_code == 200
    token = poll["manage_token"]
    assert client.get(f"/api/polls/{poll['id']}/ballot-groups?token=wrong").status_code == 403
    groups = client.get(f"/api/polls/{poll['id']}/ballot-groups?token={token}").get_json()["groups"]
    assert [g["names"] for g in groups] == [[f"Бот {i}" for i in range(5)]]
    page = client.get(f"/p/{poll['id']}/manage/{token}").get_data(as_text=True)
    assert "Убрать эту группу" in page and f'data-remove-group="{groups[0]["id"]}"' in page
    assert "203.0.113.66" not in page  # the group is named by a keyed hash, never the address

    script = (
        app.test_client()
    )  # the page's script sends the CSRF token; a client without a session needs none
    removed = script.delete(f"/api/polls/{poll['id']}/ballot-groups/{groups[0]['id']}", json={"token": token})
    assert removed.status_code == 200 and len(removed.get_json()["removed"]) == 5
    assert voters(client, poll) == ["Аня"]
    again = script.delete(f"/api/polls/{poll['id']}/ballot-groups/{groups[0]['id']}", json={"token": token})
    assert again.status_code == 404 and again.get_json()["error"]["code"] == "group_not_found"


def test_ballots_far_apart_from_one_address_are_not_one_burst(app_context):
    poll = polls.create_poll(MOVIES, now=T0).poll
    cast(poll.id, "Аня", T0)
    cast(poll.id, "Боря", T0 + timedelta(minutes=1))
    cast(poll.id, "Вера", T0 + timedelta(hours=2))
    (burst,) = polls.ballot_bursts(polls.get_poll(poll.id, T0))
    assert len(burst.ids) == 2


# ---- item 8: a name is not a path -------------------------------------------------------------------------


@pytest.mark.parametrize("name", [".", "..", "?x#y"])
def test_a_voter_named_like_a_path_is_removable_with_the_name_in_the_body_or_by_ballot_id(app, client, name):
    poll = create(client)
    token = poll["manage_token"]
    script = (
        app.test_client()
    )  # the page's script sends the CSRF token; a client without a session needs none
    assert vote(phone(app, "198.51.100.1"), poll, name).status_code == 200
    removed = script.delete(f"/api/polls/{poll['id']}/ballots", json={"token": token, "name": name})
    assert removed.status_code == 200 and removed.get_json() == {"removed": [name]}
    assert voters(client, poll) == []
    for other in ("Аня", name):  # the same by id, as a burst's ballots are listed
        assert vote(phone(app, "203.0.113.66"), poll, other).status_code == 200
    (group,) = client.get(f"/api/polls/{poll['id']}/ballot-groups?token={token}").get_json()["groups"]
    ballot = group["ballots"][1]
    removed = script.delete(f"/api/polls/{poll['id']}/ballots", json={"token": token, "ballot": ballot})
    assert removed.status_code == 200 and removed.get_json() == {"removed": [name]}
    assert voters(client, poll) == ["Аня"]
    nothing = script.delete(f"/api/polls/{poll['id']}/ballots", json={"token": token})
    assert nothing.status_code == 400 and nothing.get_json()["error"]["code"] == "ballot_required"


def test_the_old_removal_by_name_still_works(app, client):
    poll = create(client)
    assert vote(phone(app, "198.51.100.1"), poll, "Аня").status_code == 200
    removed = client.delete(
        f"/api/polls/{poll['id']}/ballots/%D0%B0%D0%BD%D1%8F", json={"token": poll["manage_token"]}
    )
    assert removed.status_code == 204 and voters(client, poll) == []


def test_an_empty_ranked_ballot_is_refused_with_a_reason_instead_of_counted_silently(app, client):
    poll = create(client, method="ranked")
    refused = vote(phone(app, "198.51.100.9"), poll, "Аня", ranking=[])
    assert refused.status_code == 400
    error = refused.get_json()["error"]
    assert error["code"] == "empty_ranking" and "хотя бы один фильм" in error["message"]
    assert vote(phone(app, "198.51.100.9"), poll, "Аня", ranking=[2]).status_code == 200
