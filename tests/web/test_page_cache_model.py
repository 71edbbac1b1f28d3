"""Whatever happens to the data, a cached page is exactly the page the same request renders afresh.

A stateful property test: hypothesis runs random sequences of what people, the refresher and other programs
do — lotteries created, drawn and deleted; polls created, voted and closed; library movies added, edited and
removed; magnets set and cleared; downloads and torrent removals asked; backups exported and imported; plain
SQL from a connection that is not the app's — and after every step each cached page, lottery answer and poll
answer of one app (cache on) must equal what a second app on the same database renders with
`PAGE_CACHE_ENABLED = False`, CSRF tokens masked. Plain SQL must show on the very next view: no step waits.

A trigger that did not fire, a key that forgot something the page shows — each makes a page differ, and
hypothesis shrinks the run to the shortest sequence that shows it.

Bounded for `make test`; `CACHE_MODEL_EXAMPLES=200` runs a long one.
"""

from __future__ import annotations

import io
import math
import os
import re

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from movie_lottery.core.extensions import db
from movie_lottery.downloads import status as torrent_status
from movie_lottery.downloads.status import EXTENSION_KEY
from movie_lottery.integrations.qbittorrent import TorrentClientError
from tests.downloads.test_torrent_status import QBIT, StubClient, install, magnet

EXAMPLES = int(os.environ.get("CACHE_MODEL_EXAMPLES", "3"))
STEPS = 10
PASSWORD = "correct horse"

# Titles that meet each other: ё/е and case variants, a shared kinopoisk id, the same title in two years.
MOVIES = [
    {"name": "Ёлки", "year": 2010, "kinopoisk_id": 474110},
    {"name": "Елки", "year": 2010},
    {"name": "Солярис", "year": 1972, "kinopoisk_id": 43911, "genres": ["драма", "фантастика"]},
    {"name": "солярис", "year": 2002},
    {"name": "Сталкер", "year": 1979, "rating": 8.1, "countries": ["СССР"]},
    {"name": "Зеркало", "year": 1975, "poster": "https://posters.example/zerkalo.jpg"},
    {"name": "Брат", "year": 1997, "kinopoisk_id": 41519, "rating": 8.3},
]
HASHES = ["a" * 40, "b" * 40, "c" * 40]
DESCRIPTIONS = [None, "Первое описание", "Второе описание"]

PAGES = [
    "/",
    "/history",
    "/history?page=2",
    "/library",
    "/library?sort=title",
    "/library?sort=year",
    "/library?sort=rating",
    "/library?q=елки",
    "/library?q=драма&sort=title",
    "/library?page=2",
    # The statuses and the other filters (issue 12): tabs, counts, notes and the cards' controls.
    "/library?status=watched",
    "/library?status=excluded",
    "/library?status=all&sort=watched",
    "/library?status=excluded&sort=watched",
    "/library?status=watched&genre=драма",
    "/library?genre=Фантастика&year_from=1970&year_to=1980&min_rating=8",
    "/library?genre=драма&year_from=1970&year_to=2000",
    "/library?min_rating=8&favourite=1",
    "/library?status=all",
    "/library?favourite=1&sort=watched",
]
DAYS = ["2024-03-03", "2026-03-03", "2026-03-04", "2025-12-31"]
# The same lottery read directly and through the proxy (the absolute links follow the origin).
ORIGINS = [{}, {"X-Forwarded-Host": "kino.example", "X-Forwarded-Proto": "https"}]

# Plain SQL as psql, another instance or an old worker would send it; {movie} and {lottery} are known ids.
SQL_WRITES = [
    "UPDATE library_movie SET name = name || ' (SQL)' WHERE id = {movie}",
    "UPDATE library_movie SET year = year, genres = genres WHERE id = {movie}",  # changes nothing
    "UPDATE library_movie SET rating = 9.9 WHERE id = {movie}",
    "DELETE FROM library_movie WHERE id = {movie}",
    "UPDATE lottery_movie SET name = name || '!' WHERE lottery_id = '{lottery}'",
    "UPDATE lottery SET created_at = created_at WHERE id = '{lottery}'",  # changes nothing
    "UPDATE lottery SET winner_position = 0, drawn_at = CURRENT_TIMESTAMP"
    " WHERE id = '{lottery}' AND winner_position IS NULL",
    "DELETE FROM lottery WHERE id = '{lottery}'",
    "UPDATE download SET status = 'done', finished_at = CURRENT_TIMESTAMP"
    " WHERE status = 'sent' AND info_hash IN ('" + "f" * 40 + "')",  # the refresher's usual no-op
    "UPDATE download SET status = 'failed', last_error = 'отказ (SQL)' WHERE movie_id = {movie}",
    "INSERT INTO library_movie (name, year, sort_title, search_text, added_at, updated_at, genres, countries,"
    " details) VALUES ('Жертвоприношение', 1986, 'жертвоприношение', 'жертвоприношение 1986',"
    " CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, '[]', '[]', '{{}}')",
    "UPDATE library_movie SET status = 'excluded', excluded_until = NULL WHERE id = {movie}",
    # An exclusion whose day has come: every read says «want», and the list that notices stores it.
    "UPDATE library_movie SET status = 'excluded', excluded_until = '2001-01-01' WHERE id = {movie}",
    "UPDATE library_movie SET favourite = NOT favourite WHERE id = {movie}",
    "INSERT INTO viewing (movie_id, watched_on) SELECT id, '2023-01-01' FROM library_movie"
    " WHERE id = {movie} AND id NOT IN (SELECT movie_id FROM viewing WHERE watched_on = '2023-01-01')",
    "DELETE FROM viewing WHERE movie_id = {movie}",
    "UPDATE viewing SET watched_on = watched_on",  # changes nothing
]

CSRF = re.compile(r'(name="csrf-token" content=|name="csrf_token" value=)"[^"]*"')


def masked(body: str) -> str:
    return CSRF.sub(r'\1"…"', body)


def engine_for(database_url: str) -> sa.Engine:
    return sa.create_engine(database_url.replace("postgresql://", "postgresql+psycopg2://", 1))


def csrf_token(client) -> str:
    page = client.get("/login").get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def signed_in(app):
    """A browser-like client signed in as the admin, and the CSRF token its writes carry."""
    client = app.test_client()
    response = client.post("/login", data={"password": PASSWORD, "csrf_token": csrf_token(client)})
    assert response.status_code == 302, response.get_data(as_text=True)
    page = client.get("/library").get_data(as_text=True)
    return client, re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)


class Site:
    """Two apps on one database — one caching, one rendering every request afresh — with their clients, a
    connection of its own for plain SQL, and one stand-in qBittorrent they share."""

    def __init__(self, make_app, database_url: str) -> None:
        config = {**QBIT, "ADMIN_PASSWORD": PASSWORD}
        self.cached, self.fresh = make_app(**config), make_app(**config, PAGE_CACHE_ENABLED=False)
        for app in (self.cached, self.fresh):
            # The backdrop of recent winners' posters is decoration refreshed once a minute per process by
            # design: pinned alike in both apps, so the comparison is about data.
            app.extensions["collage"] = (math.inf, [])
        self.outside = engine_for(database_url)
        self.writer, self.writer_token = signed_in(self.cached)
        self.readers = {"cached": signed_in(self.cached)[0], "fresh": signed_in(self.fresh)[0]}
        self.visitors = {"cached": self.cached.test_client(), "fresh": self.fresh.test_client()}
        self.voters = {name: self.cached.test_client() for name in ("Аня", "Боря")}  # a cookie each

    def sql(self, statement: str) -> sa.CursorResult:
        with self.outside.begin() as connection:
            return connection.execute(sa.text(statement))

    def reset(self) -> StubClient:
        """Empty every table (a fresh site for each example) and give both apps a new stand-in qBittorrent:
        the library key holds its snapshot, so both must see the same one, as a site's workers see one."""
        with self.cached.app_context():
            kept = ("content_version", "admin_session")  # the admin's sign-ins: the readers stay signed in
            tables = [t.name for t in reversed(db.metadata.sorted_tables) if t.name not in kept]
        for table in tables:
            self.sql(f"DELETE FROM {table}")
        qbit = StubClient()
        self.fresh.extensions[EXTENSION_KEY] = install(self.cached, qbit)  # no thread: rules run cycles
        return qbit


class CachedEqualsFresh(RuleBasedStateMachine):
    site: Site  # set by the test before it runs the machine

    def __init__(self) -> None:
        super().__init__()
        self.qbit = self.site.reset()
        self.service = self.site.cached.extensions[EXTENSION_KEY]
        self.lotteries: dict[str, str] = {}  # every id ever seen -> play token
        self.polls: dict[str, str] = {}  # every id ever seen -> manage token
        self.movies: set[int] = set()
        self.backups: list[bytes] = []
        # A small site to start from, so every rule has something to act on from the first step.
        self.write("POST", "/api/lotteries", json={"movies": MOVIES[2:4]})
        self.write("POST", "/api/library", json={**MOVIES[4], "magnet": magnet(HASHES[0])})

    # -- what the rules pick from ----------------------------------------------------------------------

    def learn_ids(self) -> None:
        """Every id the database holds joins those ever seen (deleted ones stay: 404s are answers too)."""
        self.lotteries.update(self.site.sql("SELECT id, play_token FROM lottery").all())
        self.polls.update(self.site.sql("SELECT id, manage_token FROM poll").all())
        self.movies.update(self.site.sql("SELECT id FROM library_movie").scalars())

    def write(self, method: str, path: str, **kwargs):
        headers = {"X-CSRFToken": self.site.writer_token}
        response = self.site.writer.open(path, method=method, headers=headers, **kwargs)
        assert response.status_code < 500, (method, path, response.get_data(as_text=True))
        self.learn_ids()
        return response

    def lottery(self, data) -> str:
        return data.draw(st.sampled_from(sorted(self.lotteries)))

    def movie(self, data) -> int:
        return data.draw(st.sampled_from(sorted(self.movies)))

    # -- lotteries -------------------------------------------------------------------------------------

    @rule(
        movies=st.lists(st.sampled_from(MOVIES), min_size=2, max_size=4, unique_by=lambda m: m["name"]),
        auto_download=st.booleans(),
    )
    def create_lottery(self, movies, auto_download) -> None:
        self.write("POST", "/api/lotteries", json={"movies": movies, "auto_download": auto_download})

    @rule(data=st.data())
    def draw_lottery(self, data) -> None:
        lottery_id = self.lottery(data)
        self.write("POST", f"/api/lotteries/{lottery_id}/draw", json={"token": self.lotteries[lottery_id]})

    @rule(data=st.data())
    def delete_lottery(self, data) -> None:
        self.write("DELETE", f"/api/lotteries/{self.lottery(data)}")

    # -- polls ---------------------------------------------------------------------------------------

    @rule(
        movies=st.lists(st.sampled_from(MOVIES), min_size=2, max_size=4, unique_by=lambda m: m["name"]),
        results=st.sampled_from(["after_close", "live"]),
    )
    def create_poll(self, movies, results) -> None:
        self.write("POST", "/api/polls", json={"movies": movies, "results": results})

    @precondition(lambda self: self.polls)
    @rule(data=st.data(), voter=st.sampled_from(["Аня", "Боря"]), approve=st.sampled_from([[0], [1], [0, 1]]))
    def vote(self, data, voter, approve) -> None:
        poll_id = data.draw(st.sampled_from(sorted(self.polls)))
        client = self.site.voters[voter]
        response = client.put(f"/api/polls/{poll_id}/ballot", json={"name": voter, "approve": approve})
        assert response.status_code < 500, response.get_data(as_text=True)

    @precondition(lambda self: self.polls)
    @rule(data=st.data(), action=st.sampled_from(["close", "delete"]))
    def close_or_delete_poll(self, data, action) -> None:
        poll_id = data.draw(st.sampled_from(sorted(self.polls)))
        if action == "close":
            self.write("POST", f"/api/polls/{poll_id}/close", json={"token": self.polls[poll_id]})
        else:
            self.write("DELETE", f"/api/polls/{poll_id}")

    # -- the library and qBittorrent -------------------------------------------------------------------

    @rule(
        movie=st.sampled_from(MOVIES),
        info_hash=st.sampled_from([None, *HASHES]),
        description=st.sampled_from(DESCRIPTIONS),
    )
    def add_or_edit_library_movie(self, movie, info_hash, description) -> None:
        body = {**movie, "description": description, "magnet": magnet(info_hash) if info_hash else None}
        self.write("POST", "/api/library", json=body)

    @rule(data=st.data(), action=st.sampled_from(["delete", "set_magnet", "clear_magnet"]))
    def change_library_movie(self, data, action) -> None:
        movie_id = self.movie(data)
        if action == "delete":
            self.write("DELETE", f"/api/library/{movie_id}")
        elif action == "set_magnet":
            info_hash = data.draw(st.sampled_from(HASHES))
            self.write("PUT", f"/api/library/{movie_id}/magnet", json={"magnet": magnet(info_hash)})
        else:
            self.write("DELETE", f"/api/library/{movie_id}/magnet")

    @rule(
        data=st.data(),
        marks=st.sampled_from(
            [
                {"status": "want"},
                {"status": "watched"},
                {"status": "excluded"},
                {"status": "excluded", "excluded_until": "2099-01-01"},
                {"favourite": True},
                {"favourite": False},
            ]
        ),
    )
    def mark_library_movie(self, data, marks) -> None:
        self.write("PATCH", f"/api/library/{self.movie(data)}", json=marks)

    @rule(data=st.data(), day=st.sampled_from(DAYS), delete=st.booleans())
    def record_or_forget_a_viewing(self, data, day, delete) -> None:
        movie_id = self.movie(data)
        if delete:
            self.write("DELETE", f"/api/library/{movie_id}/viewings/{day}")
        else:
            self.write("POST", f"/api/library/{movie_id}/viewings", json={"date": day})

    @rule(data=st.data(), day=st.sampled_from(DAYS))
    def winner_watched(self, data, day) -> None:
        self.write("POST", f"/api/lotteries/{self.lottery(data)}/watched", json={"date": day})

    @rule(data=st.data(), action=st.sampled_from(["download", "remove", "remove_with_files"]))
    def ask_qbittorrent(self, data, action) -> None:
        movie_id = self.movie(data)
        if action == "download":
            self.write("POST", f"/api/library/{movie_id}/download")
        else:
            files = "1" if action == "remove_with_files" else "0"
            self.write("DELETE", f"/api/library/{movie_id}/torrent?delete_files={files}")

    @rule(progress=st.sampled_from([0.0, 0.5, 1.0]), outage=st.booleans())
    def refresher_cycle(self, progress, outage) -> None:
        """qBittorrent moves (or is down) and the refresher runs one cycle: sends, marks done, removes."""
        state = "uploading" if progress >= 1 else "downloading"
        for info_hash in list(self.qbit.torrents):
            self.qbit.put(info_hash, progress=progress, state=state)
        self.qbit.fail_with = TorrentClientError("нет связи") if outage else None
        self.service.run_cycle()

    # -- backups ---------------------------------------------------------------------------------------

    @rule()
    def export_backup(self) -> None:
        response = self.site.writer.get("/library/backup.json")
        assert response.status_code == 200
        self.backups.append(response.get_data())

    @precondition(lambda self: self.backups)
    @rule(data=st.data(), dry_run=st.booleans())
    def import_backup(self, data, dry_run) -> None:
        document = data.draw(st.sampled_from(self.backups))
        form = {"csrf_token": self.site.writer_token, "backup": (io.BytesIO(document), "backup.json")}
        if dry_run:
            form["dry_run"] = "1"
        self.write("POST", "/library/backup", data=form, content_type="multipart/form-data")

    # -- plain SQL from another connection -------------------------------------------------------------

    @rule(data=st.data(), statement=st.sampled_from(SQL_WRITES))
    def plain_sql(self, data, statement) -> None:
        self.site.sql(statement.format(lottery=self.lottery(data), movie=self.movie(data)))
        self.learn_ids()

    # -- the property ----------------------------------------------------------------------------------

    @invariant()
    def cached_pages_equal_fresh_ones(self) -> None:
        for path in PAGES:
            self.same(self.site.readers, path)
        for lottery_id in sorted(self.lotteries):
            for origin in ORIGINS:
                self.same(self.site.readers, f"/api/lotteries/{lottery_id}", origin)
            self.same(self.site.visitors, f"/api/lotteries/{lottery_id}")
        for poll_id in sorted(self.polls):  # the admin's page and a visitor's answer
            self.same(self.site.readers, f"/p/{poll_id}")
            self.same(self.site.visitors, f"/api/polls/{poll_id}")

    def same(self, clients: dict, path: str, headers: dict | None = None) -> None:
        # Twice from the cached app: the first may fill the cache, the second must come from it.
        answers = [clients["cached"].get(path, headers=headers) for _ in range(2)]
        answers.append(clients["fresh"].get(path, headers=headers))
        seen = [(answer.status_code, masked(answer.get_data(as_text=True))) for answer in answers]
        assert seen[0] == seen[2], f"{path} {headers or ''}: the cached app's first answer differs"
        assert seen[1] == seen[2], f"{path} {headers or ''}: the cached app's kept answer differs"


@pytest.fixture(autouse=True)
def _stop_refreshers():
    yield
    torrent_status.stop_all(timeout=10)


# On PostgreSQL, the production engine: SQLite's triggers are held by test_content_version_triggers.
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_every_cached_page_equals_the_page_rendered_afresh(make_app, database_url):
    site = Site(make_app, database_url)
    CachedEqualsFresh.site = site
    try:
        run_state_machine_as_test(
            CachedEqualsFresh,
            settings=settings(
                max_examples=EXAMPLES,
                stateful_step_count=STEPS,
                deadline=None,
                derandomize=True,
                database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
            ),
        )
    finally:
        site.outside.dispose()
