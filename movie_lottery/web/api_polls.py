"""/api/polls: create a poll, cast and withdraw ballots, read it, close it, remove a ballot."""

from __future__ import annotations

from datetime import datetime

from flask import Response, current_app, jsonify, request

from .. import library, polls, viewings
from ..models import utcnow
from . import api_responses as out
from .api import bp, no_content, poll_links
from .api_lotteries import ETAG_DOC, IF_NONE_MATCH
from .api_schemas import BallotSchema, ManageSchema, PollCreateSchema, ViewingSchema
from .auth import public, signed_in_admin
from .page_cache import cached_value
from .participants import participant_of, remember_participant

# not_found: an id no poll can have (web.converters), refused before any query.
NOT_FOUND = {404: ["poll_not_found", "not_found"]}
CLOSED = {409: ["poll_closed"]}
BALLOT_REFUSALS = [
    "wrong_ballot",
    "unknown_movie",
    "duplicate_choice",
    "veto_not_allowed",
    "veto_conflict",
    "name_required",
]


def poll_answer(poll, *, admin: bool) -> dict:
    data = polls.poll_to_dict(poll)
    data.update(poll_links(poll.id, poll.manage_token if admin else None))
    return data


@bp.post("/polls")
@bp.arguments(PollCreateSchema())
@bp.response(201, out.CreatedPoll)
@bp.refuses({400: ["duplicate_movie"]})
def create_poll(body: dict) -> tuple[Response, int]:
    """Create a poll

    The same candidates as a lottery (2–25, no movie twice). The answer carries the poll link for everyone
    and the manage link with its token for the creator: keep that one. Like a lottery, the poll commits to a
    seed now (`commitment`); it is revealed at the close and breaks a tie.
    """
    created = polls.create_poll(
        body["movies"],
        method=body["method"],
        deadline=body["deadline"],
        results=body["results"],
        veto=body["veto"],
        auto_download=body["auto_download"],
    )
    return jsonify(poll_answer(created.poll, admin=True)), 201


@bp.get("/polls/<poll_id>")
@public
@bp.response(200, out.Poll, headers=ETAG_DOC)
@bp.alt_response(304, description="Not Modified: the If-None-Match ETag still holds", success=True)
@bp.doc(parameters=[IF_NONE_MATCH])
@bp.refuses(NOT_FOUND)
def get_poll(poll_id: str) -> Response:
    """Read a poll

    Poll pages poll it. Who has voted is always shown, how only with the result: live polls show it while
    open, the others once closed. The seed appears once closed; the manage link only for the admin. A poll
    past its deadline is closed (and counted) by the first read that notices.
    """
    admin = signed_in_admin()

    def render() -> tuple[str, datetime | None]:
        poll = polls.get_poll(poll_id)  # 404 raises: nothing is kept
        text = current_app.json.dumps(poll_answer(poll, admin=admin)) + "\n"
        return text, poll.deadline if poll.closed_at is None else None

    # Kept per process until the data moves, like a lottery; a kept open poll whose deadline has passed
    # is read afresh, which closes it.
    key = ("api-poll", poll_id, admin)
    body, due_at = cached_value(key, render)
    if due_at is not None and due_at <= utcnow():
        body, _ = render()
    response = current_app.response_class(body, mimetype=current_app.json.mimetype)
    response.add_etag()
    response.headers["Cache-Control"] = "no-cache"
    return response.make_conditional(request)


@bp.put("/polls/<poll_id>/ballot")
@public
@bp.arguments(BallotSchema())
@bp.response(200, out.OwnBallot)
@bp.refuses({400: BALLOT_REFUSALS, 409: ["poll_closed", "name_taken", "poll_full"], **NOT_FOUND})
def put_ballot(body: dict, poll_id: str) -> Response:
    """Cast or replace your ballot

    The whole ballot at once, or nothing: `approve` for an approval poll, `ranking` for a ranked one, and
    `veto` where the poll has vetoes. The answer sets the participant cookie (HttpOnly); a later PUT with it
    replaces the same participant's ballot, and may omit the name. Refused once the poll is closed.
    """
    stored = polls.store_ballot(
        poll_id,
        participant_of(poll_id),
        name=body["name"],
        approve=body["approve"],
        ranking=body["ranking"],
        veto=body["veto"],
    )
    response = jsonify(stored.to_dict())
    remember_participant(response, poll_id, stored.participant)
    return response


@bp.get("/polls/<poll_id>/ballot")
@public
@bp.response(200, out.OwnBallot)
@bp.refuses({404: ["ballot_not_found", "poll_not_found", "not_found"]})
def get_ballot(poll_id: str) -> Response:
    """Read your ballot

    The ballot of the participant cookie this request carries; 404 `ballot_not_found` without one.
    """
    poll = polls.get_poll(poll_id, ballots=False)
    mine = polls.require_own_ballot(poll, participant_of(poll_id))
    return jsonify(polls.ballot_to_dict(mine, poll.method))


@bp.delete("/polls/<poll_id>/ballot")
@public
@bp.response(204, description="Withdrawn")
@bp.refuses({404: ["ballot_not_found", "poll_not_found", "not_found"], **CLOSED})
def delete_ballot(poll_id: str) -> Response:
    """Withdraw your ballot

    The ballot of the participant cookie this request carries, while the poll is open.
    """
    polls.delete_own_ballot(poll_id, participant_of(poll_id))
    return no_content()


@bp.post("/polls/<poll_id>/close")
@public
@bp.arguments(ManageSchema())
@bp.response(200, out.Poll)
@bp.refuses({403: ["bad_token"], **NOT_FOUND})
def close_poll(body: dict, poll_id: str) -> Response:
    """Close the poll and count it

    Needs the manage token (or the admin). The ballots at that moment are counted once and the result is
    stored; closing again answers with the same result and seed.
    """
    admin = signed_in_admin()
    result = polls.close(poll_id, body["token"], by_admin=admin)
    return jsonify(poll_answer(result.poll, admin=admin))


@bp.delete("/polls/<poll_id>/ballots/<name>")
@public
@bp.arguments(ManageSchema())
@bp.response(204, description="Removed")
@bp.refuses({403: ["bad_token"], 404: ["ballot_not_found", "poll_not_found", "not_found"], **CLOSED})
def remove_ballot(body: dict, poll_id: str, name: str) -> Response:
    """Remove one participant's ballot

    Needs the manage token (or the admin), while the poll is open. The name is compared as names are
    (case, spaces and ё/е aside).
    """
    polls.remove_ballot(poll_id, name, body["token"], by_admin=signed_in_admin())
    return no_content()


@bp.post("/polls/<poll_id>/watched")
@bp.arguments(ViewingSchema())
@bp.response(200, out.LibraryMovie, description="The winner in the library, with the viewing")
@bp.refuses({**NOT_FOUND, 409: ["not_closed", "conflict"]})
def poll_watched(body: dict, poll_id: str) -> Response:
    """Mark the winner as watched («Посмотрели»)

    As for a lottery: the winner goes into the library if it is not there (the same movie by the one
    rule), gets a viewing on `date` (default today) linked to this poll, and its status becomes watched;
    again with another date moves that viewing. 409 `not_closed` while the poll is open. Ratings open then.
    """
    movie = viewings.mark_poll_watched(poll_id, body["date"])
    return jsonify(library.library_movie_to_dict(movie, current_app.config.get("TORRENT_SEARCH_URL")))


@bp.delete("/polls/<poll_id>")
@bp.response(204, description="Deleted, with its candidates and ballots")
@bp.refuses(NOT_FOUND)
def delete_poll(poll_id: str) -> Response:
    """Delete a poll"""
    polls.delete_poll(poll_id)
    return no_content()
