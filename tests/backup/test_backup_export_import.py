"""Backups, the domain: a deterministic export, an idempotent all-or-nothing import, and the round trip
SQLite → JSON → PostgreSQL → JSON that must give the same bytes."""

from __future__ import annotations

import copy
import json
import re
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from movie_lottery.backup.check import check_document
from movie_lottery.backup.transfer import dumps_backup, export_data, import_data, loads_backup
from movie_lottery.core.errors import Conflict, DomainError, InvalidInput
from movie_lottery.core.extensions import db
from movie_lottery.core.models import (
    LIBRARY_STATUSES,
    Download,
    LibraryMovie,
    Lottery,
    LotteryMovie,
    Poll,
    PollBallot,
    PollMovie,
    Rating,
    Viewing,
)
from movie_lottery.library import movies as library
from movie_lottery.library.filters import LibraryFilter
from tests.conftest import build_app, migrate
from tests.support.backup_collection import (
    EXCLUDED_UNTIL,
    HASHES,
    WINNER_WATCHED_ON,
    handmade_document,
    magnet,
    stock_collection,
)
from tests.support.postgres import create_database

TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")
EMPTY = {"format": "movie-lottery-backup", "version": 3, "library": [], "lotteries": [], "polls": []}

# Later than anything the test wrote, and still a time the site's clock could have recorded (core/moments.py).
LATER = (datetime.now(UTC) + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def export_text(app) -> str:
    with app.app_context():
        return dumps_backup(export_data())


def run_import(app, document: dict | str, dry_run: bool = False):
    with app.app_context():
        data = loads_backup(document) if isinstance(document, str) else document
        return import_data(data, dry_run=dry_run)


def wipe(app) -> None:
    with app.app_context():
        # Rating first: SQLite runs without foreign-key enforcement, so its cascade would not remove them.
        for model in (
            Download,
            Rating,
            Viewing,
            LotteryMovie,
            Lottery,
            LibraryMovie,
            PollBallot,
            PollMovie,
            Poll,
        ):
            db.session.execute(sa.delete(model))
        db.session.commit()


def updated_at(app) -> list:
    with app.app_context():
        return list(db.session.scalars(sa.select(LibraryMovie.updated_at).order_by(LibraryMovie.id)))


@pytest.fixture
def stocked(app, client) -> dict:
    """The app, filled with the whole collection (API rows plus the hand-made document)."""
    links = stock_collection(client)
    run_import(app, handmade_document())
    return links


# ---- export ---------------------------------------------------------------------------------------------


def test_the_export_is_the_same_bytes_every_time_and_carries_no_export_timestamp(app, stocked):
    first, second = export_text(app), export_text(app)
    assert first == second
    data = json.loads(first)
    assert sorted(data) == ["format", "library", "lotteries", "polls", "version"]
    assert (data["format"], data["version"]) == ("movie-lottery-backup", 3)
    assert len(data["library"]) == 6 and len(data["lotteries"]) == 3 and len(data["polls"]) == 2
    assert first.endswith("}\n") and '\n  "library": [\n    {\n      "added_at"' in first  # fixed indent


def test_the_export_writes_letters_as_utf8_floats_as_typed_and_every_date_in_one_format(app, stocked):
    text = export_text(app)
    assert "Тихая гавань" in text and "שלום עולם" in text and "🌊" in text and "\\u" not in text
    assert '"rating": 7.4,' in text and '"rating": 6.8,' in text and '"rating_imdb": 6.8' in text
    data = json.loads(text)
    dates = [m["added_at"] for m in data["library"]]
    for lottery in data["lotteries"]:
        dates += [lottery["created_at"], *([lottery["drawn_at"]] if lottery["drawn_at"] else [])]
    assert all(TIMESTAMP.match(value) for value in dates), dates
    handmade = next(lot for lot in data["lotteries"] if lot["id"] == "HandMade")
    assert handmade["created_at"] == "2024-11-29T18:40:00.000000Z"  # +03:00 and no microseconds, normalised


def test_the_export_holds_everything_needed_to_bring_the_collection_back(app, stocked):
    data = json.loads(export_text(app))
    tihaya = next(m for m in data["library"] if m["kinopoisk_id"] == 1000001)
    assert (
        tihaya["magnet"].startswith(f"magnet:?xt=urn:btih:{HASHES[0]}") and tihaya["info_hash"] == HASHES[0]
    )
    assert tihaya["details"] == {
        "poster_preview": "https://posters.invalid/1-small.jpg",
        "rating_imdb": 6.8,
        "length": 104,
        "trailer_url": "https://trailers.invalid/1",
        "kinopoisk_url": "https://www.kinopoisk.ru/film/1000001/",
    }
    lighthouse = next(m for m in data["library"] if m["name"].startswith("Маяк"))
    assert lighthouse["year"] is None and lighthouse["rating"] is None and lighthouse["genres"] == []
    drawn = next(lot for lot in data["lotteries"] if lot["id"] == stocked["drawn"]["id"])
    assert drawn["play_token"] == stocked["drawn"]["play_token"] and drawn["auto_download"] is True
    assert drawn["winner_position"] is not None and drawn["seed"] and drawn["commitment"]
    assert [c["position"] for c in drawn["candidates"]] == [0, 1, 2]
    waiting = next(lot for lot in data["lotteries"] if lot["id"] == stocked["waiting"]["id"])
    assert waiting["winner_position"] is None and waiting["drawn_at"] is None
    assert "id" not in tihaya  # database ids differ between databases: never in the file


def test_rows_are_ordered_by_natural_keys_whatever_order_they_were_stored_in(app, stocked, tmp_path):
    text = export_text(app)
    data = json.loads(text)
    assert [m["kinopoisk_id"] for m in data["library"]][:4] == [43970, 1000001, 1000002, None]
    backwards = {**data, "library": data["library"][::-1], "lotteries": data["lotteries"][::-1]}
    other_url = f"sqlite:///{tmp_path / 'other.sqlite3'}"
    migrate(other_url)
    other = build_app(other_url)
    run_import(other, backwards)
    assert export_text(other) == text


def test_a_checked_export_is_the_export_itself(app, stocked):
    data = json.loads(export_text(app))
    checked = check_document(data)
    assert checked.library == data["library"] and checked.lotteries == data["lotteries"]
    assert checked.polls == data["polls"]


def test_the_export_carries_each_movies_status_exclusion_favourite_and_viewings(app, stocked):
    data = json.loads(export_text(app))
    by_name = {movie["name"]: movie for movie in data["library"]}
    assert by_name["Ёлки-пало́ки"]["status"] == "excluded"
    assert by_name["Ёлки-пало́ки"]["excluded_until"] == EXCLUDED_UNTIL
    lighthouse = by_name["Маяк на краю света 🌊🎬"]
    assert (lighthouse["status"], lighthouse["excluded_until"], lighthouse["favourite"]) == (
        "excluded", None, True
    )  # fmt: skip
    assert [v["date"] for v in by_name["Гавань"]["viewings"]] == ["2023-12-31", "2025-02-03"]  # oldest first
    assert by_name["Гавань"]["status"] == "watched"
    drawn_id = stocked["drawn"]["id"]
    linked = [(m["name"], v) for m in data["library"] for v in m["viewings"] if v["lottery_id"]]
    assert [viewing for _name, viewing in linked] == [
        {"date": WINNER_WATCHED_ON, "lottery_id": drawn_id, "poll_id": None}
    ]
    assert linked[0][0] in {"Тихая гавань", "Маяк на краю света 🌊🎬", "שלום עולם"}  # the winner, whichever
    assert by_name["Сталкер"]["status"] == "want" and by_name["Сталкер"]["viewings"] == []  # version 1's


def test_an_exclusion_whose_day_has_come_is_exported_as_want(app, client):
    movie = client.post("/api/library", json={"name": "Зеркало", "year": 1975}).get_json()
    client.patch(f"/api/library/{movie['id']}", json={"status": "excluded", "excluded_until": "2099-01-01"})
    with app.app_context():
        db.session.execute(sa.update(LibraryMovie).values(excluded_until=sa.func.date("2000-01-01")))
        db.session.commit()  # as if 2099 had come
    entry = json.loads(export_text(app))["library"][0]
    assert (entry["status"], entry["excluded_until"]) == ("want", None)


# ---- import ---------------------------------------------------------------------------------------------


def test_importing_into_an_empty_database_brings_everything_back_and_play_links_keep_working(
    app, client, stocked
):
    before = export_text(app)
    wipe(app)
    report = run_import(app, before)
    assert (report.library.added, report.lotteries.added, report.polls.added) == (6, 3, 2)
    assert export_text(app) == before
    waiting = stocked["waiting"]
    assert client.get(f"/l/{waiting['id']}/play/{waiting['play_token']}").status_code == 200
    script = app.test_client()  # no session cookie, so no CSRF token needed: a bot with the link
    drawn = script.post(f"/api/lotteries/{waiting['id']}/draw", json={"token": waiting["play_token"]})
    assert drawn.status_code == 200 and drawn.get_json()["seed"] is not None


def test_imported_movies_are_found_by_the_library_search_and_sort(app, stocked):
    # sort_title and search_text are derived when a row is saved; an import must not bypass that.
    text = export_text(app)
    wipe(app)
    run_import(app, text)
    with app.app_context():
        found = library.list_movies("гавань", "title")
        assert [movie.name for movie in found.movies] == ["Гавань", "Тихая гавань"]
        everything = LibraryFilter(query="ЁЛКИ", statuses=LIBRARY_STATUSES)  # it is «не предлагать»
        assert library.list_movies(filters=everything).movies[0].name == "Ёлки-пало́ки"


def test_importing_the_same_file_twice_changes_nothing_the_second_time(app, stocked):
    text = export_text(app)
    wipe(app)
    run_import(app, text)
    stamps = updated_at(app)
    again = run_import(app, text)
    assert (again.library.added, again.library.updated, again.library.unchanged) == (0, 0, 6)
    assert (again.lotteries.added, again.lotteries.updated, again.lotteries.unchanged) == (0, 0, 3)
    assert (again.polls.added, again.polls.updated, again.polls.unchanged) == (0, 0, 2)
    assert not again.changed and "ничего не изменилось" in again.describe()
    assert updated_at(app) == stamps  # not even a bookkeeping UPDATE
    assert export_text(app) == text


def test_a_dry_run_reports_what_would_happen_and_writes_nothing(app, stocked):
    text = export_text(app)
    wipe(app)
    report = run_import(app, text, dry_run=True)
    assert (report.library.added, report.lotteries.added, report.polls.added) == (6, 3, 2)
    assert report.describe().startswith("Пробный прогон — ничего не записано")
    assert json.loads(export_text(app)) == EMPTY


def test_an_import_fills_gaps_keeps_known_fields_and_the_earliest_added_date(app, client):
    client.post("/api/library", json={"name": "Тихая гавань", "kinopoisk_id": 1000001, "rating": 7.0,
                                      "description": "Своё описание"})  # fmt: skip
    document = {
        **EMPTY,
        "library": [
            {"name": "Тихая гавань", "kinopoisk_id": 1000001, "year": 2019, "rating": 7.4,
             "description": None, "magnet": magnet(HASHES[0]), "added_at": "2001-02-03T04:05:06.000007Z"},
        ],
    }  # fmt: skip
    report = run_import(app, document)
    assert (report.library.added, report.library.updated) == (0, 1)
    movie = json.loads(export_text(app))["library"][0]
    assert movie["rating"] == 7.4 and movie["year"] == 2019 and movie["info_hash"] == HASHES[0]
    assert movie["description"] == "Своё описание"  # a blank field in the file never wipes a known one
    assert movie["added_at"] == "2001-02-03T04:05:06.000007Z"
    later = {**document, "library": [{**document["library"][0], "added_at": LATER}]}
    assert run_import(app, later).library.unchanged == 1  # a later date never replaces an earlier one


def test_a_version_1_file_still_imports_its_new_movies_get_the_defaults_and_known_ones_keep_their_marks(
    app, client
):
    known = client.post("/api/library", json={"name": "Солярис", "year": 1972}).get_json()
    client.patch(f"/api/library/{known['id']}", json={"status": "excluded", "favourite": True})
    client.post(f"/api/library/{known['id']}/viewings", json={"date": "2024-05-05"})
    old_file = {
        "format": "movie-lottery-backup",
        "version": 1,
        "library": [
            {"name": "Солярис", "year": 1972, "added_at": "2020-01-01T00:00:00Z"},
            {"name": "Сталкер", "year": 1979, "added_at": "2020-01-01T00:00:00Z"},
        ],
        "lotteries": [],
    }
    report = run_import(app, old_file)
    assert (report.library.added, report.library.updated) == (1, 1)  # the earlier date is news
    by_name = {movie["name"]: movie for movie in client.get("/api/library?status=all").get_json()["movies"]}
    assert by_name["Сталкер"]["status"] == "want" and by_name["Сталкер"]["favourite"] is False
    assert by_name["Сталкер"]["viewings"] == []
    assert (by_name["Солярис"]["status"], by_name["Солярис"]["favourite"]) == ("watched", True)
    assert by_name["Солярис"]["viewings"] == ["2024-05-05"]


def test_an_import_adds_the_files_viewings_and_never_takes_one_away(app, client):
    movie = client.post("/api/library", json={"name": "Солярис", "year": 1972}).get_json()
    client.post(f"/api/library/{movie['id']}/viewings", json={"date": "2024-05-05"})
    entry = json.loads(export_text(app))["library"][0]
    older = {**entry, "status": "want", "viewings": [{"date": "2001-01-01", "lottery_id": None}]}
    report = run_import(app, {**EMPTY, "library": [older]})
    assert report.library.updated == 1
    merged = client.get(f"/api/library/{movie['id']}").get_json()
    assert merged["viewings"] == ["2024-05-05", "2001-01-01"]
    assert merged["status"] == "want"  # the file's status replaces the stored one, as its magnet would
    assert run_import(app, {**EMPTY, "library": [older]}).library.unchanged == 1


def test_a_viewing_keeps_its_lottery_through_a_restore_and_the_history_shows_it(app, client, stocked):
    text = export_text(app)
    wipe(app)
    run_import(app, text)
    assert export_text(app) == text
    history = client.get("/history").get_data(as_text=True)
    assert history  # the page renders; the UI branch shows the day
    with app.app_context():
        from movie_lottery.library import history

        item = next(i for i in history.history_page().items if i.id == stocked["drawn"]["id"])
        assert item.watched_on.isoformat() == WINNER_WATCHED_ON


def test_a_draw_in_the_file_is_recorded_and_a_draw_is_never_undone(app, client):
    created = client.post("/api/lotteries", json={"movies": [{"name": "А"}, {"name": "Б"}]}).get_json()
    undrawn = export_text(app)
    client.post(f"/api/lotteries/{created['id']}/draw", json={"token": created["play_token"]})
    drawn = export_text(app)

    report = run_import(app, undrawn)  # an older file: the draw stays
    assert report.lotteries.unchanged == 1 and export_text(app) == drawn

    wipe(app)
    run_import(app, undrawn)
    report = run_import(app, drawn)  # a newer file: the draw is recorded, with its date
    assert report.lotteries.updated == 1 and export_text(app) == drawn


def test_a_lottery_that_differs_from_the_one_in_the_database_is_refused(app, client):
    client.post("/api/lotteries", json={"movies": [{"name": "А"}, {"name": "Б"}]})
    data = json.loads(export_text(app))
    data["lotteries"][0]["candidates"][1]["name"] = "В"
    with pytest.raises(Conflict, match="не такая, как в копии"):
        run_import(app, data)


def test_a_magnet_that_belongs_to_another_movie_is_refused_and_nothing_is_written(app, client):
    client.post("/api/library", json={"name": "Гавань", "year": 2008, "magnet": magnet(HASHES[0])})
    before = export_text(app)
    document = {
        **EMPTY,
        "library": [
            {"name": "Новый фильм", "added_at": "2024-01-01T00:00:00Z"},  # would be added first…
            {
                "name": "Тихая гавань",
                "year": 2019,
                "magnet": magnet(HASHES[0]),
                "added_at": "2024-01-01T00:00:00Z",
            },
        ],
    }
    with pytest.raises(Conflict) as refused:
        run_import(app, document)
    assert refused.value.code == "magnet_in_use"
    assert "«Тихая гавань»" in refused.value.message and "«Гавань»" in refused.value.message
    assert export_text(app) == before  # …but the whole import is one transaction


def _broken(path: str, value, drop: bool = False):
    """A mutation of the stocked export: set (or delete) the value at a dotted path."""

    def mutate(data: dict) -> dict:
        target = data
        *parents, last = path.split(".")
        for part in parents:
            target = target[int(part)] if isinstance(target, list) else target[part]
        key = int(last) if isinstance(target, list) else last
        if drop:
            del target[key]
        else:
            target[key] = value
        return data

    return mutate


BROKEN = {
    "another format": (_broken("format", "something-else"), "format"),
    "a newer version": (_broken("version", 4), "версия 4 не поддерживается, нужна 1, 2 или 3"),
    "polls in a version 2 file": (_broken("version", 2), "неизвестное поле polls"),
    "the version as text": (_broken("version", "1"), "не поддерживается"),
    "an unknown field": (_broken("exported_at", "today"), "неизвестное поле exported_at"),
    "library not a list": (_broken("library", {}), "поле library должно быть списком"),
    "a movie not an object": (_broken("library.0", "Сталкер"), "фильм №1: нужен JSON-объект"),
    "a movie without a name": (_broken("library.0.name", None, drop=True), "нет поля name"),
    "an empty name": (_broken("library.0.name", "  "), "Название"),
    "a NUL in a name": (_broken("library.0.name", "Ста\x00лкер"), "управляющие символы"),
    "a rating of 11": (_broken("library.0.rating", 11), "фильм №1"),
    "a year as words": (_broken("library.0.year", "давно"), "Год"),
    "an unknown detail": (_broken("library.0.details.budget", 1), "неизвестное поле budget"),
    "a date without a zone": (_broken("library.0.added_at", "2024-01-01T00:00:00"), "часовым поясом"),
    "a date that is no date": (_broken("library.0.added_at", "вчера"), "added_at"),
    "a broken magnet": (_broken("library.0.magnet", "magnet:?dn=x"), "магнет-ссылка"),
    "a hash that is not the magnet's": (_broken("library.0.info_hash", "e" * 40), "info_hash"),
    "a lottery id with a slash": (_broken("lotteries.0.id", "../x"), "id —"),
    "a seed that is no seed": (_broken("lotteries.0.seed", "zz"), "seed"),
    "a commitment that is not the seed's": (_broken("lotteries.0.commitment", "0" * 64), "commitment"),
    "a winner the seed does not give": (_broken("lotteries.0.winner_position", 5), "winner_position"),
    "a winner without a date": (_broken("lotteries.0.drawn_at", None), "вместе"),
    "candidates out of order": (_broken("lotteries.0.candidates.0.position", 1), "position должен быть 0"),
    "a single candidate": (_broken("lotteries.0.candidates.1", None, drop=True), "хотя бы 2"),
    "auto_download as text": (_broken("lotteries.0.auto_download", "yes"), "auto_download"),
    "an unknown status": (_broken("library.0.status", "seen"), "status — want, watched или excluded"),
    "an exclusion's day on a wanted movie": (
        _broken("library.0.excluded_until", "2099-01-01"),
        "excluded_until бывает только у статуса excluded",
    ),
    "a day not in the calendar": (_broken("library.0.viewings", [{"date": "2025-02-30"}]), "нет в календаре"),
    "a day in another format": (_broken("library.0.viewings", [{"date": "03.03.2025"}]), "ГГГГ-ММ-ДД"),
    "a viewing before the first films": (_broken("library.0.viewings", [{"date": "1850-01-01"}]), "1888"),
    "one day twice": (
        _broken("library.0.viewings", [{"date": "2025-01-01"}, {"date": "2025-01-01"}]),
        "встречается дважды",
    ),
    "viewings not a list": (_broken("library.0.viewings", "вчера"), "viewings должно быть списком"),
    "favourite as text": (_broken("library.0.favourite", "да"), "favourite — true или false"),
    # polls.0 is the closed approval poll with vetoes, polls.1 the open ranked one (support/backup_collection)
    "polls not a list": (_broken("polls", {}), "поле polls должно быть списком"),
    "a poll id with a slash": (_broken("polls.0.id", "../x"), "Голосование №1: id —"),
    "an unknown method": (_broken("polls.0.method", "plurality"), "method — approval или ranked"),
    "a poll's commitment not the seed's": (_broken("polls.0.commitment", "0" * 64), "commitment"),
    "a manage token with a slash": (_broken("polls.0.manage_token", "a/b"), "manage_token"),
    "a result the ballots do not give": (_broken("polls.0.result.counts", [9, 9, 9]), "result не тот"),
    "a result on an open poll": (_broken("polls.1.result", {"winner": 0}), "только у закрытого"),
    "a close without its date": (_broken("polls.0.closed_at", None), "closed_at и closed_by"),
    "ballots not a list": (_broken("polls.0.ballots", "все"), "поле ballots должно быть списком"),
    "a ballot for a movie not in the poll": (
        _broken("polls.0.ballots.0.choices", [7]),
        "голос №1: Такого фильма нет в голосовании: 7",
    ),
    "a movie chosen twice": (_broken("polls.1.ballots.0.choices", [2, 2]), "указан дважды"),
    "a veto where the poll has none": (_broken("polls.1.ballots.0.veto", 0), "В этом голосовании нет вето"),
    "a veto on an approved movie": (_broken("polls.0.ballots.0.veto", 0), "наложить на него вето"),
    "one name twice": (
        _broken("polls.0.ballots.1.name", "аня"),
        "имя «Аня» встречается дважды (второй раз как «аня»)",
    ),
    "a name with a slash": (_broken("polls.0.ballots.0.name", "А/Б"), "без «/»"),
    "a participant that is no cookie": (_broken("polls.0.ballots.0.participant", "x"), "participant —"),
}


@pytest.mark.parametrize("case", BROKEN, ids=list(BROKEN))
def test_a_broken_document_is_refused_in_plain_words_with_nothing_written(app, stocked, case):
    mutate, message = BROKEN[case]
    text = export_text(app)
    data = json.loads(text)
    handmade = next(i for i, lot in enumerate(data["lotteries"]) if lot["id"] == "HandMade")
    data["lotteries"].insert(0, data["lotteries"].pop(handmade))  # the drawn one comes first
    wipe(app)
    with pytest.raises(InvalidInput) as refused:
        run_import(app, mutate(copy.deepcopy(data)))
    assert message in refused.value.message
    assert json.loads(export_text(app)) == EMPTY


def test_duplicates_inside_one_file_are_refused(app, stocked):
    data = json.loads(export_text(app))
    twice = {**data, "lotteries": [*data["lotteries"], data["lotteries"][0]]}
    with pytest.raises(InvalidInput, match="встречается дважды"):
        run_import(app, twice)
    gavan = next(movie for movie in data["library"] if movie["name"] == "Гавань")
    same_title = {**data, "library": [*data["library"], {**gavan, "name": "ГАВАНЬ ", "rating": 5.0}]}
    with pytest.raises(InvalidInput, match="встречается в копии дважды"):
        run_import(app, same_title)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"", "это не JSON"),
        (b"\xff\xfe{}", "не в кодировке UTF-8"),
        (b"[1, 2]", "нужен JSON-объект"),
        (b'{"version": NaN}', "это не JSON"),
        (b"[" * 100_000, "это не JSON"),
        ('\ufeff{"format": "movie-lottery-backup", "version": 1}'.encode(), None),
    ],
)
def test_a_file_that_is_not_a_json_object_is_refused_before_anything_else(raw, message):
    if message is None:
        assert loads_backup(raw)["version"] == 1  # a byte-order mark is fine
        return
    with pytest.raises(DomainError, match=message):
        loads_backup(raw)


# ---- the round trip -------------------------------------------------------------------------------------


@pytest.mark.postgres
def test_sqlite_to_json_to_postgresql_to_json_gives_the_same_bytes(tmp_path, postgres_admin_url):
    sqlite_url = f"sqlite:///{tmp_path / 'source.sqlite3'}"
    migrate(sqlite_url)
    source = build_app(sqlite_url)
    stock_collection(source.test_client())
    run_import(source, handmade_document())
    from_sqlite = export_text(source).encode("utf-8")
    carried = json.loads(from_sqlite)["library"]
    assert sum(len(movie["ratings"]) for movie in carried) == 4  # both nights' ratings make the trip…
    assert sum(1 for movie in carried for v in movie["viewings"] if v["poll_id"]) == 1  # …and the poll night

    postgres_url = create_database(postgres_admin_url, "ml_backup_round_trip")
    migrate(postgres_url)
    target = build_app(postgres_url)
    report = run_import(target, from_sqlite.decode("utf-8"))
    assert (report.library.added, report.lotteries.added, report.polls.added) == (6, 3, 2)
    from_postgres = export_text(target).encode("utf-8")
    assert from_postgres == from_sqlite

    back_url = f"sqlite:///{tmp_path / 'back.sqlite3'}"  # and home again, for good measure
    migrate(back_url)
    back = build_app(back_url)
    run_import(back, from_postgres.decode("utf-8"))
    assert export_text(back).encode("utf-8") == from_sqlite
    for app in (source, target, back):
        with app.app_context():
            db.engine.dispose()
