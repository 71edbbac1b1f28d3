"""Ratings and poll nights in backups (format 3): a restore brings back the poll a viewing was of and every
rating of a watched night — the same averages on the cards, the same answers behind each rater's cookie —
a second import changes nothing, and a rating the file gets wrong is refused with nothing written."""

from __future__ import annotations

import copy
import json
import re
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from movie_lottery.backup import check as backup_check
from movie_lottery.core.errors import Conflict, InvalidInput
from movie_lottery.core.extensions import db
from movie_lottery.core.models import Rating
from movie_lottery.library import ratings
from tests.backup.test_backup_export_import import EMPTY, export_text, run_import, wipe
from tests.support.backup_collection import (
    LOTTERY_RATINGS,
    POLL_RATINGS,
    POLL_WATCHED_ON,
    WINNER_WATCHED_ON,
    handmade_document,
    participant_of,
    stock_collection,
)

CSRF = re.compile(r'(name="csrf_token" value="|"csrf-token" content=")[^"]*')

# Later than anything the test wrote, and still a time the site's clock could have recorded (core/moments.py).
LATER = (datetime.now(UTC) + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@pytest.fixture
def stocked(app, client) -> dict:
    links = stock_collection(client)
    run_import(app, handmade_document())
    return links


def nights(links: dict) -> dict[str, str]:
    return {"lottery": links["drawn"]["id"], "poll": links["closed_poll"]["id"]}


def browser(app, kind: str, night_id: str, cookie: str | None):
    client = app.test_client()
    if cookie:
        client.set_cookie("ml_browser", cookie)
    return client


def seen_by_everyone(app, links: dict) -> dict:
    """What each rater's browser and a stranger read of both nights (the ratings API, the result page), the
    library's cards without their database ids, and the history."""
    seen: dict = {}
    for kind, night_id in nights(links).items():
        for name, cookie in [*links["raters"][kind].items(), ("stranger", None)]:
            answer = browser(app, kind, night_id, cookie).get(f"/api/ratings/{kind}/{night_id}")
            assert answer.status_code == 200
            seen[kind, name] = answer.get_json()
        page = f"/l/{night_id}" if kind == "lottery" else f"/p/{night_id}"
        seen[kind, "page"] = CSRF.sub(r"\1…", app.test_client().get(page).get_data(as_text=True))
    movies = app.test_client().get("/api/library?status=all").get_json()["movies"]
    seen["library"] = sorted(
        ({key: value for key, value in movie.items() if key != "id"} for movie in movies),
        key=lambda movie: movie["name"],
    )
    seen["history"] = CSRF.sub(r"\1…", app.test_client().get("/history").get_data(as_text=True))
    return seen


def rows(app) -> list[tuple]:
    with app.app_context():
        return sorted(
            db.session.execute(
                sa.select(Rating.lottery_id, Rating.poll_id, Rating.participant, Rating.name, Rating.score)
            ).all(),
            key=repr,
        )


# ---- export ---------------------------------------------------------------------------------------------


def test_the_export_holds_the_poll_night_and_every_rating_with_its_raters_cookie(app, stocked):
    data = json.loads(export_text(app))
    lottery_id, poll_id = nights(stocked).values()
    viewings = [v for movie in data["library"] for v in movie["viewings"] if v["lottery_id"] or v["poll_id"]]
    assert sorted(viewings, key=lambda v: v["date"]) == [
        {"date": WINNER_WATCHED_ON, "lottery_id": lottery_id, "poll_id": None},
        {"date": POLL_WATCHED_ON, "lottery_id": None, "poll_id": poll_id},
    ]
    given = [(r["lottery_id"], r["poll_id"], r["name"], r["score"], r["participant"])
             for movie in data["library"] for r in movie["ratings"]]  # fmt: skip
    raters = {  # each rater's browser cookie -> the participant the server derives from it for that night
        kind: {name: participant_of(app, cookie, kind, nights(stocked)[kind]) for name, cookie in by.items()}
        for kind, by in stocked["raters"].items()
    }
    assert sorted(given, key=repr) == sorted(
        [(lottery_id, None, name, score, raters["lottery"][name]) for name, score in LOTTERY_RATINGS.items()]
        + [(None, poll_id, name, score, raters["poll"][name]) for name, score in POLL_RATINGS.items()],
        key=repr,
    )
    for movie in data["library"]:
        stamps = [rating["rated_at"] for rating in movie["ratings"]]
        assert stamps == sorted(stamps)  # oldest first, as a rating's night and participant name it
        assert all(stamp.endswith("Z") for stamp in stamps)


# ---- restore --------------------------------------------------------------------------------------------


def test_a_restore_brings_back_the_same_cards_answers_and_pages_and_each_rater_keeps_their_rating(
    app, stocked
):
    before, text = seen_by_everyone(app, stocked), export_text(app)
    wipe(app)
    assert rows(app) == []
    run_import(app, text)
    assert seen_by_everyone(app, stocked) == before
    assert export_text(app) == text
    lottery_id = stocked["drawn"]["id"]
    mila = browser(app, "lottery", lottery_id, stocked["raters"]["lottery"]["Мила 🍿"])
    changed = mila.put(f"/api/ratings/lottery/{lottery_id}", json={"score": 3})  # no name: the cookie is hers
    assert changed.status_code == 200
    assert changed.get_json()["mine"] == {"name": "Мила 🍿", "score": 3}
    assert changed.get_json()["count"] == len(LOTTERY_RATINGS)  # replaced, not a third rating


def test_importing_the_ratings_again_changes_nothing(app, stocked):
    text = export_text(app)
    wipe(app)
    run_import(app, text)
    seen, stored = seen_by_everyone(app, stocked), rows(app)
    again = run_import(app, text)
    assert not again.changed and again.library.updated == 0
    assert rows(app) == stored and seen_by_everyone(app, stocked) == seen and export_text(app) == text


def test_a_later_rating_in_the_file_replaces_the_databases_and_an_older_one_does_not(app, stocked):
    lottery_id = stocked["drawn"]["id"]
    older = export_text(app)
    lyosha = browser(app, "lottery", lottery_id, stocked["raters"]["lottery"]["Лёша"])
    assert lyosha.put(f"/api/ratings/lottery/{lottery_id}", json={"score": 2}).status_code == 200
    newer = export_text(app)
    report = run_import(app, older)
    assert not report.changed and export_text(app) == newer  # the database's rating is the later one
    wipe(app)
    run_import(app, older)
    report = run_import(app, newer)
    assert report.library.updated == 1 and export_text(app) == newer
    assert ("Лёша", 2) in [(name, score) for *_night, name, score in rows(app)]


def test_a_rating_name_another_participant_has_in_the_database_is_refused_and_nothing_is_written(
    app, stocked
):
    text = export_text(app)
    data = json.loads(text)
    rated = next(movie for movie in data["library"] if any(r["lottery_id"] for r in movie["ratings"]))
    lottery_id = stocked["drawn"]["id"]
    rated["ratings"].append(
        {
            **_first_rating(data, "lottery_id"),
            "participant": "n" * 24,
            "name": "Зоя",
            "rated_at": LATER,
        }
    )
    zoya = app.test_client()  # meanwhile, someone else took «Зоя» for that night here
    assert zoya.put(f"/api/ratings/lottery/{lottery_id}", json={"name": "зоя", "score": 5}).status_code == 200
    before = export_text(app)
    with pytest.raises(Conflict) as refused:
        run_import(app, data)
    assert refused.value.code == "name_taken" and "«Зоя»" in refused.value.message
    assert export_text(app) == before


def test_a_rating_under_a_poll_voters_ballot_name_is_refused(app, stocked):
    data = json.loads(export_text(app))
    poll_id = stocked["closed_poll"]["id"]
    rated = next(movie for movie in data["library"] if any(r["poll_id"] for r in movie["ratings"]))
    rated["ratings"] = [r for r in rated["ratings"] if r["name"] != "Дина"]
    rated["ratings"].append(  # «Ёж» voted in that poll but has not rated: the name is his
        {"lottery_id": None, "poll_id": poll_id, "participant": "s" * 24, "name": "Ёж", "score": 1,
         "rated_at": LATER}
    )  # fmt: skip
    before = export_text(app)
    with pytest.raises(Conflict, match="«Ёж»"):
        run_import(app, data)
    assert export_text(app) == before


# ---- a file that gets a rating wrong --------------------------------------------------------------------


def _first_rated(data: dict, key: str) -> dict:
    return next(movie for movie in data["library"] if any(r[key] for r in movie["ratings"]))


def _first_rating(data: dict, night: str) -> dict:
    return next(r for r in _first_rated(data, night)["ratings"] if r[night])


def _set(key: str, value, night: str = "lottery_id"):
    def mutate(data: dict) -> dict:
        _first_rating(data, night)[key] = value
        return data

    return mutate


def _twice(field: str, value):
    """A second rating of the same night, equal to the first except where ``field`` says otherwise, and
    rated after every other (ratings are read oldest first, so the clash is met at the copy)."""

    def mutate(data: dict) -> dict:
        movie = _first_rated(data, "lottery_id")
        first = next(r for r in movie["ratings"] if r["lottery_id"])
        copy_of = {**first, "participant": "q" * 24, "name": "Кто-то ещё", "rated_at": LATER}
        movie["ratings"].append({**copy_of, field: first[field] if value is None else value})
        return data

    return mutate


def _both_nights(data: dict) -> dict:
    rating = _first_rating(data, "lottery_id")
    rating["poll_id"] = data["polls"][0]["id"]
    return data


BROKEN = {
    "a score of 0": (_set("score", 0), "score — целое число от 1 до 10"),
    "a score of 11": (_set("score", 11), "score — целое число от 1 до 10"),
    "a score as text": (_set("score", "7"), "score — целое число от 1 до 10"),
    "a score of true": (_set("score", True), "score — целое число от 1 до 10"),
    "a score of 7.5": (_set("score", 7.5), "score — целое число от 1 до 10"),
    "a night nobody has": (
        _set("lottery_id", "NoSuchNight"),
        "лотереи NoSuchNight, а такой лотереи нет ни в копии, ни в базе",
    ),
    "a poll nobody has": (
        _set("poll_id", "NoSuchPoll", "poll_id"),
        "голосования NoSuchPoll, а такого голосования нет",
    ),
    "one name twice in a night": (
        _twice("name", "лёша"),
        "имя «Лёша» встречается дважды (второй раз как «лёша»)",
    ),
    "one participant twice in a night": (_twice("participant", None), "один участник оценивает дважды"),
    "a rating of two nights": (_both_nights, "не к обоим сразу"),
    "a participant that is no cookie": (_set("participant", "x"), "participant —"),
    "a name with a slash": (_set("name", "А/Б"), "без «/»"),
    "a date without a zone": (_set("rated_at", "2025-01-01T00:00:00"), "rated_at"),
    "an unknown field": (_set("comment", "класс"), "неизвестное поле comment"),
    "a viewing's poll that is no id": (
        lambda data: data["library"][0].update(viewings=[{"date": "2025-01-01", "poll_id": "../x"}]) or data,
        "poll_id — id голосования или null",
    ),
}


@pytest.mark.parametrize("case", BROKEN, ids=list(BROKEN))
def test_a_broken_rating_is_refused_in_plain_words_with_nothing_written(app, stocked, case):
    mutate, message = BROKEN[case]
    data = json.loads(export_text(app))
    wipe(app)
    with pytest.raises(InvalidInput) as refused:
        run_import(app, mutate(copy.deepcopy(data)))
    assert message in refused.value.message
    assert json.loads(export_text(app)) == EMPTY and rows(app) == []


def test_a_broken_rating_leaves_a_stocked_database_as_it_was(app, stocked):
    before, stored = export_text(app), rows(app)
    data = _set("lottery_id", "NoSuchNight")(json.loads(before))
    data["library"][0]["favourite"] = not data["library"][0]["favourite"]  # a change that would be written
    with pytest.raises(InvalidInput):
        run_import(app, data)
    assert export_text(app) == before and rows(app) == stored


def test_a_night_holds_no_more_ratings_than_the_site_takes(app, stocked, monkeypatch):
    lottery_id = stocked["drawn"]["id"]
    monkeypatch.setattr(ratings, "MAX_RATINGS", len(LOTTERY_RATINGS))
    full = app.test_client().put(f"/api/ratings/lottery/{lottery_id}", json={"name": "Третий", "score": 5})
    assert full.status_code == 409 and full.get_json()["error"]["code"] == "ratings_full"
    lyosha = browser(app, "lottery", lottery_id, stocked["raters"]["lottery"]["Лёша"])
    assert lyosha.put(f"/api/ratings/lottery/{lottery_id}", json={"score": 4}).status_code == 200  # a change
    data = json.loads(export_text(app))
    monkeypatch.setattr(backup_check, "NIGHT_RATINGS_MAX", len(LOTTERY_RATINGS) - 1)
    wipe(app)
    with pytest.raises(InvalidInput, match=f"у (лотереи {lottery_id}|голосования \\S+) больше 1 оценок"):
        run_import(app, data)
    monkeypatch.setattr(backup_check, "RATINGS_MAX", 0)
    with pytest.raises(InvalidInput, match="больше 0 оценок"):
        run_import(app, data)
    assert rows(app) == []


# ---- older files, and a movie deleted with its ratings --------------------------------------------------


def test_a_format_2_file_without_polls_ratings_or_poll_nights_still_imports(app, stocked):
    data = json.loads(export_text(app))
    older = {
        "format": data["format"],
        "version": 2,
        "library": data["library"],
        "lotteries": data["lotteries"],
    }
    for movie in older["library"]:
        del movie["ratings"]
        movie["viewings"] = [{"date": v["date"], "lottery_id": v["lottery_id"]} for v in movie["viewings"]]
    wipe(app)
    report = run_import(app, older)
    assert report.library.added == len(older["library"]) and rows(app) == []
    restored = json.loads(export_text(app))
    assert [m["name"] for m in restored["library"]] == [m["name"] for m in data["library"]]


def test_deleting_a_movie_takes_its_ratings_and_a_restore_brings_them_back_once(app, client, stocked):
    text = export_text(app)
    stored = rows(app)
    lottery_id = stocked["drawn"]["id"]
    movies = client.get("/api/library?status=all").get_json()["movies"]
    rated = [movie for movie in movies if movie["group_rating"]]
    assert rated
    for movie in rated:
        assert client.delete(f"/api/library/{movie['id']}").status_code == 204
    assert rows(app) == []  # SQLite enforces no foreign keys here: library.delete_movie removes them itself
    newcomer = client.post("/api/library", json={"name": "Новинка"}).get_json()  # may take a freed id
    assert newcomer["group_rating"] is None
    assert app.test_client().get(f"/api/ratings/lottery/{lottery_id}").get_json()["count"] == 0
    run_import(app, text)
    assert rows(app) == stored
    run_import(app, text)
    assert rows(app) == stored  # once, not twice
