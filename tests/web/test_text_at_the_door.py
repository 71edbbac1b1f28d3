"""Broken text is refused at the door: a lone surrogate ("\\ud800" in JSON), NUL or a Unicode non-character
sent to any public write path is a 400 with a JSON error (a Russian page for a form) and nothing is stored —
on both databases — and no page answers 500 afterwards (a surrogate in a candidate's genres used to be stored,
then the result page, «Посмотрели» and every backup failed)."""

from __future__ import annotations

import json
import re

import pytest

from tests.backup.test_backup_export_import import export_text

BROKEN = {"a lone surrogate": "\ud800", "NUL": "\x00", "a non-character": "\uffff"}
MOVIES = [{"name": "Тихая гавань", "year": 2019}, {"name": "Маяк", "year": 2020}]
MAGNET = "magnet:?xt=urn:btih:" + "a" * 40


@pytest.fixture
def stock(client) -> dict:
    """A lottery and a poll still open, a lottery and a poll watched (their ratings open), a library movie."""
    lottery = client.post("/api/lotteries", json={"movies": MOVIES}).get_json()
    poll = client.post("/api/polls", json={"movies": MOVIES}).get_json()
    client.put(f"/api/polls/{poll['id']}/ballot", json={"name": "Аня", "approve": [0]})
    watched = client.post("/api/lotteries", json={"movies": MOVIES}).get_json()
    client.post(f"/api/lotteries/{watched['id']}/draw", json={"token": watched["play_token"]})
    client.post(f"/api/lotteries/{watched['id']}/watched", json={})
    closed = client.post("/api/polls", json={"movies": MOVIES}).get_json()
    client.post(f"/api/polls/{closed['id']}/close", json={"token": closed["manage_token"]})
    client.post(f"/api/polls/{closed['id']}/watched", json={})
    movie = client.post("/api/library", json={"name": "Дюна", "year": 2021}).get_json()["id"]
    return {
        "lottery": lottery["id"],
        "play_token": lottery["play_token"],
        "poll": poll["id"],
        "manage_token": poll["manage_token"],
        "watched": watched["id"],
        "closed": closed["id"],
        "movie": movie,
    }


def _movie(**field) -> dict:
    return {"movies": [{**MOVIES[0], **field}, MOVIES[1]]}


# (what, method, path, body): "{bad}" in a string is replaced by the broken character (a key too).
JSON_WRITES = [
    ("lottery: a genre", "POST", "/api/lotteries", _movie(genres=["драма{bad}"])),
    ("lottery: a country", "POST", "/api/lotteries", _movie(countries=["Россия{bad}"])),
    ("lottery: a poster", "POST", "/api/lotteries", _movie(poster="https://example.org/{bad}")),
    ("lottery: a trailer", "POST", "/api/lotteries", _movie(trailer_url="https://example.org/{bad}")),
    ("lottery: a title", "POST", "/api/lotteries", _movie(name="Маяк{bad}")),
    ("lottery: a description", "POST", "/api/lotteries", _movie(description="Текст{bad}")),
    ("lottery: a field it ignores", "POST", "/api/lotteries", {**_movie(), "note": "{bad}"}),
    ("lottery: a key", "POST", "/api/lotteries", {**_movie(), "{bad}": 1}),
    ("poll: a genre", "POST", "/api/polls", _movie(genres=["драма{bad}"])),
    ("draw: the token", "POST", "/api/lotteries/{lottery}/draw", {"token": "{bad}"}),
    ("close: the token", "POST", "/api/polls/{poll}/close", {"token": "{bad}"}),
    ("ballot: the name", "PUT", "/api/polls/{poll}/ballot", {"name": "Боря{bad}", "approve": [0]}),
    ("remove a ballot: the token", "DELETE", "/api/polls/{poll}/ballots/Аня", {"token": "{bad}"}),
    ("rating: the name", "PUT", "/api/ratings/lottery/{watched}", {"name": "Вера{bad}", "score": 7}),
    ("poll rating: the name", "PUT", "/api/ratings/poll/{closed}", {"name": "Вера{bad}", "score": 7}),
    ("library: a title", "POST", "/api/library", {"name": "Солярис{bad}"}),
    ("library: a genre", "POST", "/api/library", {"name": "Солярис", "genres": ["{bad}"]}),
    ("library: a magnet", "PUT", "/api/library/{movie}/magnet", {"magnet": MAGNET + "&dn={bad}"}),
    ("library: a status", "PATCH", "/api/library/{movie}", {"status": "want{bad}"}),
    ("library: a viewing's day", "POST", "/api/library/{movie}/viewings", {"date": "2025-01-0{bad}"}),
    ("lottery watched: the day", "POST", "/api/lotteries/{watched}/watched", {"date": "{bad}"}),
    ("library notes: a title", "POST", "/api/library/notes", {"movies": [{"name": "Дюна{bad}"}]}),
]
QUERIES = [
    ("search: the query", "/api/search?q=Дюна{bad}"),
    ("library list: the filter", "/api/library?q=Дюна{bad}"),
    ("library list: a genre", "/api/library?genre={bad}"),
    ("random pick: the filter", "/api/library/random?q={bad}"),
]
# Forms and query strings are UTF-8 that werkzeug decodes: a surrogate cannot arrive there (its bytes become
# U+FFFD), NUL and non-characters can.
FORM_BROKEN = {key: BROKEN[key] for key in ("NUL", "a non-character")}
FORM_WRITES = [
    ("library page: a title", "/library", {"name": "Солярис{bad}", "year": "1972"}),
    ("library page: a magnet", "/library/{movie}/magnet", {"magnet": MAGNET + "&dn={bad}"}),
    ("library page: a mark", "/library/{movie}/marks", {"status": "want{bad}"}),
    ("library page: a viewing", "/library/{movie}/viewings", {"date": "2025-01-0{bad}"}),
    ("lottery page: watched on", "/l/{watched}/watched", {"date": "{bad}"}),
]
PAGES = ["/", "/history", "/library", "/l/{lottery}", "/l/{watched}", "/p/{poll}", "/p/{closed}", "/status"]


def filled(template, stock: dict, bad: str):
    """The template with the stock's ids and the broken character in place of {bad}."""
    if isinstance(template, str):
        return template.replace("{bad}", bad).format(**stock) if "{" in template else template
    if isinstance(template, list):
        return [filled(item, stock, bad) for item in template]
    if isinstance(template, dict):
        return {filled(key, stock, bad): filled(value, stock, bad) for key, value in template.items()}
    return template


def no_page_fails(client, stock: dict) -> None:
    answers = {path: client.get(path.format(**stock)).status_code for path in PAGES}
    assert answers == dict.fromkeys(PAGES, 200)


def refusal(response) -> str | None:
    """Why this answer is not the door's 400 with a JSON error, or None."""
    if response.status_code != 400 or not response.is_json:
        return f"{response.status_code} {response.get_data(as_text=True)[:160]}"
    error = response.get_json()["error"]
    if error["code"] != "invalid_text" or "нельзя сохранить или показать" not in error["message"]:
        return str(error)
    return None


def test_broken_text_in_any_json_body_is_a_400_and_nothing_is_stored(app, client, stock):
    before, wrong = export_text(app), []
    for what, method, path, body in JSON_WRITES:
        for kind, bad in BROKEN.items():
            # json.dumps writes a lone surrogate as the escape "\ud800", as a script would send it.
            sent = json.dumps(filled(body, stock, bad))
            answer = client.open(
                filled(path, stock, bad), method=method, data=sent, content_type="application/json"
            )
            problem = refusal(answer)
            if problem is None and export_text(app) != before:
                problem = "stored"
            if problem:
                wrong.append(f"{what}, {kind}: {problem}")
    assert wrong == []
    no_page_fails(client, stock)


def test_broken_text_in_a_query_string_is_a_400(client, stock):
    wrong = [
        f"{what}, {kind}: {problem}"
        for what, path in QUERIES
        for kind, bad in FORM_BROKEN.items()
        if (problem := refusal(client.get(filled(path, stock, bad))))
    ]
    assert wrong == []


def csrf_token(client) -> str:
    html = client.get("/library").get_data(as_text=True)
    return re.search(r'name="csrf-token" content="([^"]+)"', html).group(1)


def test_broken_text_in_a_form_is_a_russian_page_and_nothing_is_stored(app, client, stock):
    before, token, wrong = export_text(app), csrf_token(client), []
    for what, path, form in FORM_WRITES:
        for kind, bad in FORM_BROKEN.items():
            answer = client.post(
                filled(path, stock, bad), data={"csrf_token": token, **filled(form, stock, bad)}
            )
            if answer.status_code != 400 or "нельзя сохранить или показать" not in answer.get_data(
                as_text=True
            ):
                wrong.append(f"{what}, {kind}: {answer.status_code}")
            elif export_text(app) != before:
                wrong.append(f"{what}, {kind}: stored")
    assert wrong == []
    no_page_fails(client, stock)


def test_a_broken_cookie_is_refused_once_and_expired(client, stock):
    client.set_cookie("ml_p_x", "Аня\x00")
    refused = client.get("/")
    assert refused.status_code == 400
    assert any(h.startswith("ml_p_x=;") for h in refused.headers.getlist("Set-Cookie"))
    assert client.get("/").status_code == 200  # the browser dropped it: the site works again


def test_a_backup_file_with_broken_text_is_refused_in_words(make_app):
    """The uploaded file is the door too: its broken text is named, not a 500 on the page that repeats it."""
    from tests.backup.test_backup_commands_and_pages import flashes, sign_in, upload

    admin = make_app(ADMIN_PASSWORD="correct horse").test_client()
    sign_in(admin)
    for entry in (
        {"name": "Дюна\ud800"},
        {"name": "Дюна", "\ud800": 1},
        {"name": "Дюна", "genres": ["\x00"]},
    ):
        document = {"format": "movie-lottery-backup", "version": 3, "lotteries": [], "polls": []}
        document["library"] = [{**entry, "added_at": "2024-01-01T00:00:00Z"}]
        answer = upload(admin, json.dumps(document).encode())
        assert answer.status_code == 302, (entry, answer.status_code)
        [text] = flashes(admin.get("/library"))
        assert "недопустимый символ U+" in text and "нельзя сохранить" in text, (entry, text)
