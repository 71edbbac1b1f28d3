"""/p/<id>/live: the poll page's changing parts (who has voted, the result, the close), rendered by the server
for poll.js to swap in. They are the page's own parts, public like the page, and cheap to ask for again."""

from __future__ import annotations

import re

import pytest

MOVIES = [
    {"name": "Солярис", "year": 1972, "rating": 8.1, "genres": ["драма"]},
    {"name": "Сталкер", "year": 1979},
    {"name": "Зеркало", "year": 1975},
]


def create(client, **settings) -> dict:
    response = client.post("/api/polls", json={"movies": MOVIES, **settings})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def vote(app, poll: dict, name: str, **ballot) -> None:
    response = app.test_client().put(f"/api/polls/{poll['id']}/ballot", json={"name": name, **ballot})
    assert response.status_code == 200, response.get_json()


def close(app, poll: dict) -> None:
    response = app.test_client().post(f"/api/polls/{poll['id']}/close", json={"token": poll["manage_token"]})
    assert response.status_code == 200, response.get_json()


def without_tokens(html: str) -> str:
    return re.sub(r'name="csrf_token" value="[^"]*"', 'name="csrf_token" value=""', html)


def assert_parts_are_the_pages(client, page_url: str) -> dict:
    """The script swaps a part only when it differs from the page's: both must come from one rendering."""
    page = without_tokens(client.get(page_url).get_data(as_text=True))
    live = client.get(f"{page_url}/live")
    assert live.status_code == 200 and live.headers["Cache-Control"] == "no-cache"
    body = live.get_json()
    for name, html in body["parts"].items():
        assert f'data-part="{name}"' in html, name
        assert html.strip() in page, name
    return body


def test_the_parts_are_exactly_what_the_page_shows_open_and_closed(app, client):
    poll = create(client, results="live", veto=True)
    vote(app, poll, "Аня", approve=[0, 1])
    vote(app, poll, "Боря", approve=[1], veto=0)
    body = assert_parts_are_the_pages(client, f"/p/{poll['id']}/manage/{poll['manage_token']}")
    assert body["status"] == "open" and body["check"] is None
    assert "Сейчас впереди «Сталкер»." in body["parts"]["result"]
    assert "вето × 1" in body["parts"]["result"] and 'data-share="1.0"' in body["parts"]["result"]
    assert 'aria-label="Убрать голос: Аня"' in body["parts"]["voters"]  # the creator may remove a ballot
    close(app, poll)
    body = assert_parts_are_the_pages(client, f"/p/{poll['id']}/manage/{poll['manage_token']}")
    assert body["status"] == "closed"
    assert body["check"]["tied"] == [1] and body["check"]["winner"] == 1 and len(body["check"]["seed"]) == 64
    assert "«Сталкер» набрал больше всех «да»: 2." in body["parts"]["result"]
    assert "Голосование закрыто" in body["parts"]["hero"] and "Убрать голос" not in body["parts"]["voters"]
    assert "close-poll" not in body["parts"]["manage"] and body["check"]["seed"] in body["parts"]["fairness"]


def test_a_ranked_poll_gets_its_head_to_head_table_and_how_it_won(app, client):
    poll = create(client, method="ranked")
    vote(app, poll, "Аня", ranking=[1, 0, 2])
    vote(app, poll, "Боря", ranking=[1, 2])
    close(app, poll)
    body = assert_parts_are_the_pages(client, f"/p/{poll['id']}")
    result = body["parts"]["result"]
    assert "«Сталкер» выигрывает один на один у каждого фильма (2:0, 2:0)." in result
    assert 'title="«Сталкер» выше «Солярис»: 2, ниже: 0">2</td>' in result


@pytest.mark.parametrize(
    ("method", "ballots", "how"),
    [
        ("approval", [], "Никто не проголосовал"),
        ("approval", [{"approve": []}, {"approve": []}], "Никто не сказал «да» ни одному фильму"),
        ("ranked", [], "Никто не проголосовал"),
    ],
)
def test_a_poll_nobody_chose_from_offers_the_reels_pick_instead_of_announcing_it(
    app, client, method, ballots, how
):
    poll = create(client, method=method)
    for number, ballot in enumerate(ballots):
        vote(app, poll, f"Гость {number}", **ballot)
    close(app, poll)
    result = assert_parts_are_the_pages(client, f"/p/{poll['id']}")["parts"]["result"]
    assert "Барабан предлагает" in result and "Смотрим сегодня" not in result
    assert how in result


def test_a_poll_with_one_yes_announces_tonights_movie(app, client):
    poll = create(client)
    vote(app, poll, "Аня", approve=[2])
    close(app, poll)
    result = assert_parts_are_the_pages(client, f"/p/{poll['id']}")["parts"]["result"]
    assert "Смотрим сегодня" in result and "Барабан предлагает" not in result


def test_a_visitor_gets_no_result_before_the_close_and_no_manage_panel_without_the_token(make_app):
    app = make_app(ADMIN_PASSWORD="pw", API_TOKEN="bot")
    bot = app.test_client()
    created = bot.post("/api/polls", json={"movies": MOVIES}, headers={"Authorization": "Bearer bot"})
    poll = created.get_json()  # results after the close
    vote(app, poll, "Аня", approve=[0])
    visitor = app.test_client()
    body = visitor.get(f"/p/{poll['id']}/live").get_json()
    assert '<section class="panel poll-result" id="result-panel"' in body["parts"]["result"]
    assert "tally" not in body["parts"]["result"] and " hidden>" in body["parts"]["result"]
    assert "manage" not in body["parts"] and "Убрать голос" not in body["parts"]["voters"]
    assert poll["manage_token"] not in str(body)
    manage = visitor.get(f"/p/{poll['id']}/manage/{poll['manage_token']}/live").get_json()
    assert "close-poll" in manage["parts"]["manage"] and "Убрать голос: Аня" in manage["parts"]["voters"]
    assert visitor.get(f"/p/{poll['id']}/manage/{poll['manage_token']}x/live").status_code == 404
    assert visitor.get("/p/nosuchpoll/live").status_code == 404


def test_an_unchanged_poll_answers_304_and_a_new_ballot_200(app, client):
    poll = create(client)
    first = client.get(f"/p/{poll['id']}/live")
    etag = first.headers["ETag"]
    assert client.get(f"/p/{poll['id']}/live", headers={"If-None-Match": etag}).status_code == 304
    vote(app, poll, "Аня", approve=[0])
    changed = client.get(f"/p/{poll['id']}/live", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and "Аня" in changed.get_json()["parts"]["voters"]


def test_closing_becomes_the_main_action_only_once_someone_has_voted(app, client):
    poll = create(client)
    manage = f"/p/{poll['id']}/manage/{poll['manage_token']}"
    close_button = re.compile(r'class="button (button--\w+)" id="close-poll"')
    assert close_button.search(client.get(manage).get_data(as_text=True))[1] == "button--secondary"
    vote(app, poll, "Аня", approve=[0])
    assert close_button.search(client.get(manage).get_data(as_text=True))[1] == "button--primary"


def test_the_secrecy_hint_promises_only_what_the_site_does(client):
    poll = create(client)
    html = client.get(f"/p/{poll['id']}").get_data(as_text=True)
    # Ballots are never shown, after the close either: the hint must not promise they will be.
    assert "пока голосование не закроется" not in html
    assert "после закрытия виден только общий итог" in html
