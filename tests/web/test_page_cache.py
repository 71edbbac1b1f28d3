"""The kept pages and polled answers (/history, /library, a poll's page, a lottery's and a poll's reads) are
never older than the data, whoever wrote it, and never shared between visitors."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from movie_lottery.core.content_version import read_content_version
from movie_lottery.core.extensions import db
from movie_lottery.downloads import status as torrent_status
from movie_lottery.integrations.qbittorrent import TorrentClientError
from movie_lottery.web.rendering.page_cache import PageCache
from tests.downloads.test_torrent_status import HASH_A, QBIT, StubClient, add_movie, ask_download, install

MOVIES = [{"name": "Солярис", "year": 1972}, {"name": "Сталкер", "year": 1979}]


@pytest.fixture(autouse=True)
def _stop_refreshers():
    yield
    torrent_status.stop_all(timeout=10)


def create_lottery(client) -> dict:
    response = client.post("/api/lotteries", json={"movies": MOVIES})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def csrf_from(html: str) -> str:
    return re.search(r'name="csrf-token" content="([^"]+)"', html).group(1)


def text(client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200
    return response.get_data(as_text=True)


# Writes come from a cookieless script client (no CSRF needed), pages from a browser-like one.


def test_history_shows_a_lottery_created_after_the_page_was_cached(app):
    script, browser = app.test_client(), app.test_client()
    assert "Пока ни одной лотереи" in text(browser, "/history")
    create_lottery(script)
    assert "Всего 1 лотерея" in text(browser, "/history")


def test_history_shows_the_winner_once_the_lottery_is_drawn(app):
    script, browser = app.test_client(), app.test_client()
    lottery = create_lottery(script)
    assert "ожидает розыгрыша" in text(browser, "/history")
    drawn = script.post(f"/api/lotteries/{lottery['id']}/draw", json={"token": lottery["play_token"]})
    html = text(browser, "/history")
    assert "ожидает розыгрыша" not in html
    assert drawn.get_json()["winner"]["name"] in html


def test_a_write_through_another_worker_reaches_this_workers_cached_page(make_app):
    this_worker, other_worker = make_app(), make_app()  # two processes' caches, one database
    assert "Сталкер" not in text(this_worker.test_client(), "/library")
    response = other_worker.test_client().post("/api/library", json=MOVIES[1])
    assert response.status_code == 201
    assert "Сталкер" in text(this_worker.test_client(), "/library")


def test_a_waiting_page_poll_sees_a_draw_made_through_another_worker(make_app):
    this_worker, other_worker = make_app(), make_app()
    lottery = create_lottery(other_worker.test_client())
    poller = this_worker.test_client()
    waiting = poller.get(f"/api/lotteries/{lottery['id']}")
    assert waiting.get_json()["winner"] is None
    assert (
        poller.get(
            f"/api/lotteries/{lottery['id']}", headers={"If-None-Match": waiting.headers["ETag"]}
        ).status_code
        == 304
    )
    other_worker.test_client().post(
        f"/api/lotteries/{lottery['id']}/draw", json={"token": lottery["play_token"]}
    )
    drawn = poller.get(f"/api/lotteries/{lottery['id']}", headers={"If-None-Match": waiting.headers["ETag"]})
    assert drawn.status_code == 200 and drawn.get_json()["winner"]["name"] in {"Солярис", "Сталкер"}


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE lottery SET auto_download = NOT auto_download",
        "UPDATE lottery_movie SET name = name || '!'",
        "DELETE FROM lottery",
        "UPDATE library_movie SET year = 1980",
        "UPDATE download SET attempts = attempts + 1",
        "DELETE FROM download",
    ],
)
def test_any_real_write_even_plain_sql_moves_the_content_version(make_app, statement):
    app = make_app(**QBIT)
    install(app, StubClient())
    client = app.test_client()
    create_lottery(client)
    ask_download(client, add_movie(client, info_hash=HASH_A)["id"])
    with app.app_context():
        before = read_content_version()
        db.session.execute(sa.text(statement))
        db.session.commit()
        assert read_content_version() > before


def test_a_lottery_read_through_another_host_carries_that_hosts_links(make_app):
    app = make_app(ADMIN_PASSWORD="correct horse", API_TOKEN="bot-token")
    admin = {"Authorization": "Bearer bot-token"}  # the admin also gets the play link
    lottery = app.test_client().post("/api/lotteries", json={"movies": MOVIES}, headers=admin).get_json()
    path = f"/api/lotteries/{lottery['id']}"
    for host in ("kino.example", "192.168.1.20:5000", "kino.example"):  # the last one from the cache
        for headers in ({}, admin):
            data = app.test_client().get(path, base_url=f"http://{host}", headers=headers).get_json()
            assert data["wait_url"] == f"http://{host}/l/{lottery['id']}"
            if headers:
                assert data["play_url"].startswith(f"http://{host}/l/{lottery['id']}/play/")


def test_a_lottery_read_through_the_proxy_carries_the_forwarded_scheme_and_host(make_app):
    app = make_app(PROXY_HOPS=1)  # a deploy behind one proxy, as on Render
    lottery = create_lottery(app.test_client())
    path = f"/api/lotteries/{lottery['id']}"
    client = app.test_client()
    direct = client.get(path, base_url="http://127.0.0.1:8000")
    proxied = client.get(
        path,
        base_url="http://127.0.0.1:8000",
        headers={"X-Forwarded-Host": "kino.example", "X-Forwarded-Proto": "https"},
    )
    assert direct.get_json()["wait_url"] == f"http://127.0.0.1:8000/l/{lottery['id']}"
    assert proxied.get_json()["wait_url"] == f"https://kino.example/l/{lottery['id']}"
    assert proxied.headers["ETag"] != direct.headers["ETag"]


def test_with_the_cache_switched_off_nothing_is_kept(make_app):
    app = make_app(PAGE_CACHE_ENABLED=False)
    lottery = create_lottery(app.test_client())
    for path in ("/", "/history", "/library", f"/api/lotteries/{lottery['id']}"):
        assert app.test_client().get(path).status_code == 200
    assert len(app.extensions["page_cache"]) == 0


def test_each_visitor_gets_their_own_csrf_token_and_it_works(make_app):
    app = make_app()
    lottery = create_lottery(app.test_client())
    first, second = app.test_client(), app.test_client()
    first_html, second_html = text(first, "/history"), text(second, "/history")  # rendered, then cached
    placeholder = app.extensions["page_cache_placeholder"]
    assert placeholder not in first_html and placeholder not in second_html
    token = csrf_from(second_html)
    assert token != csrf_from(first_html)
    assert f'name="csrf_token" value="{token}"' in second_html  # the delete form carries it too
    deleted = second.post(f"/history/{lottery['id']}/delete", data={"csrf_token": token, "page": "1"})
    assert deleted.status_code == 302
    assert "Пока ни одной лотереи" in text(second, "/history")


def test_each_builder_visitor_can_create_a_lottery_with_the_token_their_page_carries(app):
    first, second = app.test_client(), app.test_client()
    tokens = [csrf_from(text(visitor, "/")) for visitor in (first, second)]
    assert tokens[0] != tokens[1]
    for visitor, token in zip((first, second), tokens, strict=True):
        created = visitor.post("/api/lotteries", json={"movies": MOVIES}, headers={"X-CSRFToken": token})
        assert created.status_code == 201
    assert (
        second.post("/api/lotteries", json={"movies": MOVIES}, headers={"X-CSRFToken": tokens[0]}).status_code
        == 403
    )


def test_a_flash_message_shows_once_on_a_cached_page(app):
    lottery = create_lottery(app.test_client())
    client = app.test_client()
    token = csrf_from(text(client, "/history"))
    client.post(f"/history/{lottery['id']}/delete", data={"csrf_token": token})
    assert "Лотерея удалена" in text(client, "/history")
    assert "Лотерея удалена" not in text(client, "/history")


def test_a_page_cached_for_the_admin_is_still_refused_to_a_visitor(make_app):
    app = make_app(ADMIN_PASSWORD="correct horse")
    admin = app.test_client()
    page = text(admin, "/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    admin.post("/login", data={"password": "correct horse", "csrf_token": token})
    assert "Выйти" in text(admin, "/library")
    visitor = app.test_client().get("/library")
    assert visitor.status_code == 302 and "/login" in visitor.headers["Location"]


def test_with_qbittorrent_configured_the_library_shows_live_torrent_state(make_app):
    app = make_app(**QBIT)
    stub = StubClient()
    service = install(app, stub)
    client = app.test_client()
    movie = add_movie(client, info_hash=HASH_A)
    ask_download(client, movie["id"])
    service.run_cycle()
    stub.put(HASH_A, state="downloading", progress=0.25)
    service.run_cycle()
    assert 'value="25"' in text(client, "/library")
    stub.put(HASH_A, state="downloading", progress=0.5)
    service.run_cycle()  # only qBittorrent moved; nothing was written to the database
    assert 'value="50"' in text(client, "/library")
    stub.fail_with = TorrentClientError("нет связи")
    service.run_cycle()
    assert "qBittorrent недоступен" in text(client, "/library")


def test_the_cache_forgets_every_page_when_the_version_moves():
    cache = PageCache()
    cache.put(7, "/history", "old")
    assert cache.get(7, "/history") == "old"
    assert cache.get(8, "/history") is None
    cache.put(8, "/library", "new")
    assert cache.get(8, "/history") is None and len(cache) == 1


def test_the_cache_keeps_only_the_most_recently_used_pages():
    cache = PageCache(max_pages=2)
    cache.put(1, "a", "A")
    cache.put(1, "b", "B")
    cache.get(1, "a")
    cache.put(1, "c", "C")
    assert cache.get(1, "a") == "A" and cache.get(1, "c") == "C" and cache.get(1, "b") is None


# ---- writes the app never sees ---------------------------------------------------------------------

RENAMED = "Сталкер (реставрация)"


def write_from_another_process(database_url: str, statement: str) -> None:
    """A commit this process's sessions never see (as from another worker, another instance, or psql)."""
    engine = sa.create_engine(database_url.replace("postgresql://", "postgresql+psycopg2://", 1))
    with engine.begin() as connection:
        connection.execute(sa.text(statement))
    engine.dispose()


def test_a_write_from_another_process_reaches_the_kept_page_at_once(make_app, database_url):
    app = make_app()
    browser = app.test_client()
    app.test_client().post("/api/library", json=MOVIES[1])
    assert "Сталкер" in text(browser, "/library")
    assert len(app.extensions["page_cache"]) == 1  # kept
    write_from_another_process(database_url, f"UPDATE library_movie SET name = '{RENAMED}'")
    assert RENAMED in text(browser, "/library")  # the very next view, no waiting


def test_a_page_is_kept_only_while_the_content_version_stands(app):
    """Served from the cache while nothing moved; rendered afresh once the counter moves."""
    browser = app.test_client()
    create_lottery(app.test_client())
    text(browser, "/history")
    before = app.extensions["page_cache"].stats()
    text(browser, "/history")
    kept = app.extensions["page_cache"].stats()
    assert (kept.hits, kept.misses) == (before.hits + 1, before.misses)
    create_lottery(app.test_client())
    assert "Всего 2 лотереи" in text(browser, "/history")
    assert app.extensions["page_cache"].stats().misses == before.misses + 1


def test_the_library_page_shows_a_movie_again_on_the_day_its_exclusion_ends(app, monkeypatch):
    """No row changes at midnight, so the content version stays: the day itself is part of the key."""
    from datetime import UTC, datetime, timedelta

    from movie_lottery.library import filters as library_filters

    script, browser = app.test_client(), app.test_client()
    movie = script.post("/api/library", json={"name": "Зеркало", "year": 1975}).get_json()
    tomorrow = datetime.now(UTC) + timedelta(days=1)
    excluded = script.patch(
        f"/api/library/{movie['id']}",
        json={"status": "excluded", "excluded_until": tomorrow.date().isoformat()},
    )
    assert excluded.status_code == 200
    assert "Зеркало" not in text(browser, "/library")  # «не предлагать» is not listed by default
    assert "Зеркало" not in text(browser, "/library")  # and that page is now kept

    class Tomorrow(datetime):
        @classmethod
        def now(cls, tz=None):
            return tomorrow

    monkeypatch.setattr(library_filters, "datetime", Tomorrow)
    assert "Зеркало" in text(browser, "/library")
