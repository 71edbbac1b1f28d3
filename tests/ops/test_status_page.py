"""/status: the owner's live picture, from memory and the database only, with no secret on it."""

from __future__ import annotations

import re
import time

import pytest

from movie_lottery.downloads import status as torrent_status
from movie_lottery.integrations.qbittorrent import TorrentClientError
from movie_lottery.search.client import KINOPOISK_EXTENSION
from tests.conftest import build_app, kinopoisk_settings
from tests.downloads.test_torrent_status import QBIT, StubClient, add_movie, ask_download, install
from tests.support.fakes.qbittorrent_fakes import BlackHoleServer, refused_port
from tests.web.test_admin_access import login

SECRETS = {
    "ADMIN_PASSWORD": "ADMINPASS-7c1d9e2f40",
    "API_TOKEN": "APITOKEN-3e8a1b6d27xxxxxx",
    "SECRET_KEY": "SECRETKEY-a94f0c7e15-and-long-enough-for-the-check",
    "QBIT_USERNAME": "QBITUSER-5b2e8d1c93",
    "QBIT_PASSWORD": "QBITPASS-1f6c3a9e58",
    "KINOPOISK_API_TOKEN": "KPTOKEN-8d4b2f7a61",
}
URL_PASSWORDS = {"KINOPOISK_API_URL": "KPURLPASS-2a7e", "TORRENT_SEARCH_URL": "SEARCHPASS-6c1f"}


@pytest.fixture(autouse=True)
def _stop_refreshers():
    yield
    torrent_status.stop_all(timeout=10)


def text(response) -> str:
    """The page as a person reads it: tags dropped, spaces collapsed."""
    html = response.get_data(as_text=True)
    return " ".join(re.sub(r"<[^>]+>", " ", html).replace("&nbsp;", " ").replace("\u00a0", " ").split())


def verdict(response, name: str) -> str:
    html = response.get_data(as_text=True)
    found = re.search(
        r'<li class="check" data-verdict="(\w+)">\s*<span[^>]*>[^<]*</span>\s*<div class="check__body">\s*'
        rf'<p class="check__name">{re.escape(name)}</p>',
        html,
    )
    assert found, f"no check named {name!r}"
    return found.group(1)


def test_the_admin_sees_every_verdict_and_the_header_leads_there(client):
    home = client.get("/").get_data(as_text=True)
    assert 'href="/status"' in home
    page = client.get("/status")
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    for name in ("База данных", "Триггеры версии", "Резервная копия", "SECRET_KEY", "Доступ", "qBittorrent"):
        assert verdict(page, name) == "ok"
    words = text(page)
    assert "Всё в порядке" in words and "Ревизия схемы 0020" in words


def test_a_visitor_of_a_locked_site_is_sent_to_sign_in_and_sees_no_link(make_app):
    app = make_app(ADMIN_PASSWORD="pw")
    visitor = app.test_client()
    answer = visitor.get("/status")
    assert answer.status_code == 302 and "/login" in answer.headers["Location"]
    assert "/status" not in visitor.get("/login").get_data(as_text=True).split("<main")[0]
    assert visitor.get("/api/lotteries").status_code == 401  # the same guard as every admin page


def test_no_secret_appears_on_the_page(make_app, database_url):
    url = database_url
    if url.startswith("postgresql"):  # trust authentication: any password is accepted, and must be hidden
        url = url.replace("postgres@", "postgres:DBPASS-4d9e1a7c@", 1)
        assert "DBPASS" in url
    app = build_app(
        url,
        **SECRETS,
        QBIT_HOST="127.0.0.1",
        QBIT_PORT=9,
        KINOPOISK_API_URL=f"http://kp:{URL_PASSWORDS['KINOPOISK_API_URL']}@127.0.0.1:9",
        TORRENT_SEARCH_URL=f"https://u:{URL_PASSWORDS['TORRENT_SEARCH_URL']}@search.invalid/?q={{query}}",
    )
    stub = StubClient()
    service = install(app, stub)
    stub.fail_with = TorrentClientError("таймаут")
    service.run_cycle()  # a last error on the page too
    client = app.test_client()
    login(client, SECRETS["ADMIN_PASSWORD"])
    page = client.get("/status")
    assert page.status_code == 200
    shown = page.get_data(as_text=True) + str(page.headers)
    for secret in [*SECRETS.values(), *URL_PASSWORDS.values(), "DBPASS-4d9e1a7c"]:
        assert secret not in shown, secret
    assert "QBIT_PASSWORD задан" in text(page)
    from movie_lottery.core.extensions import db

    with app.app_context():
        db.engine.dispose()


def test_the_page_makes_no_network_call_and_starts_no_refresher(make_app, fake_kinopoisk):
    with BlackHoleServer() as hole:
        app = make_app(
            QBIT_HOST=hole.host, QBIT_PORT=hole.port, QBIT_USERNAME="u", QBIT_PASSWORD="p",
            **kinopoisk_settings(fake_kinopoisk),
        )  # fmt: skip
        started = time.monotonic()
        page = app.test_client().get("/status")
        elapsed = time.monotonic() - started
        assert page.status_code == 200
        assert hole.connections == [] and fake_kinopoisk.request_count == 0
        assert not torrent_status.service_for(app).thread_alive
    assert elapsed < 2, elapsed  # a call to the black hole alone would take seconds
    assert "этот процесс ещё не обращался к qBittorrent" in text(page)


def test_the_breaker_its_last_error_and_next_attempt_are_shown(make_app):
    app = make_app(**QBIT)
    stub = StubClient()
    service = install(app, stub)
    stub.fail_with = TorrentClientError("таймаут")
    for _ in range(3):  # the breaker opens after three failures in a row
        service.run_cycle()
    page = app.test_client().get("/status")
    assert verdict(page, "qBittorrent") == "warn"
    words = text(page)
    assert "Последняя ошибка таймаут" in words
    assert "разомкнут" in words and "неудач подряд: 3" in words
    retry_at = service.breaker_state().retry_at
    assert f'datetime="{retry_at.isoformat()}"' in page.get_data(as_text=True)


def test_a_rejected_password_says_no_attempt_will_come(make_app):
    app = make_app(**QBIT)
    stub = StubClient()
    service = install(app, stub)
    from movie_lottery.integrations.qbittorrent import TorrentLoginRejected

    stub.fail_with = TorrentLoginRejected("неверный логин или пароль")
    service.run_cycle()
    page = app.test_client().get("/status")
    assert verdict(page, "qBittorrent") == "fail"
    assert "не будет: пароль отклонён" in text(page) and "5 неудачных входов" in text(page)


def test_pending_downloads_and_removals_are_counted(make_app):
    app = make_app(**QBIT)
    install(app, StubClient())
    client = app.test_client()
    ask_download(client, add_movie(client)["id"])
    words = text(client.get("/status"))
    assert "Ждут отправки 1" in words and "Ждут удаления 0" in words and "Ждёт дольше всех" in words


def test_todays_kinopoisk_calls_and_this_workers_quota_pause(make_app, fake_kinopoisk):
    app = make_app(**kinopoisk_settings(fake_kinopoisk))
    client = app.test_client()
    assert client.get("/api/search?q=гавань").status_code == 200
    assert client.get("/api/search?q=гавань").status_code == 200  # from the cache: no request
    words = text(client.get("/status"))
    assert "Запросов сегодня 1" in words and "Пауза по лимиту нет" in words
    app.extensions[KINOPOISK_EXTENSION][1].mark_quota_exhausted()
    page = client.get("/status")
    assert verdict(page, "Кинопоиск") == "warn" and "(в этом процессе)" in text(page)


def test_the_page_cache_hit_rate_is_this_workers(client):
    client.get("/history")
    client.get("/history")
    words = text(client.get("/status"))
    assert "50 % из кэша: 1 из 2" in words
    assert re.search(r"воркера с PID \d+", words)


def test_the_version_is_the_deployed_commit(make_app):
    page = make_app(GIT_COMMIT="0123456789abcdef0123456789abcdef01234567").test_client().get("/status")
    assert 'title="0123456789abcdef0123456789abcdef01234567">0123456789ab<' in page.get_data(as_text=True)
    assert "неизвестна" in text(make_app().test_client().get("/status"))


def test_the_database_date_and_the_last_backup_are_shown(make_app):
    app = make_app(ADMIN_PASSWORD="pw")
    client = app.test_client()
    login(client, "pw")
    before = text(client.get("/status"))
    assert "Последняя копия ещё не было" in before
    assert client.get("/library/backup.json").status_code == 200
    page = client.get("/status")
    assert "Последняя копия ещё не было" not in text(page)
    assert 'data-testid="last-backup"><time datetime="' in page.get_data(as_text=True)


def test_with_the_database_away_the_page_still_says_so():
    with refused_port() as port:
        app = build_app(f"postgresql://lottery@127.0.0.1:{port}/gone")
        page = app.test_client().get("/status")
    assert page.status_code == 200
    assert verdict(page, "База данных") == "fail"
    assert "Есть сбои" in text(page) and "Ревизия схемы —" in text(page)


def test_a_site_open_to_everyone_hides_where_qbittorrent_lives(make_app):
    app = make_app(OPEN_SITE=True, QBIT_HOST="home.example.invalid", QBIT_PORT=8080, QBIT_USERNAME="u",
                   QBIT_PASSWORD="p")  # fmt: skip
    words = text(app.test_client().get("/status"))
    assert "home.example.invalid" not in words and "скрыт: сайт открыт всем" in words
