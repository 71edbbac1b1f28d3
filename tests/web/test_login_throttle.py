"""The login throttle counts in the database: one count per address for every worker and instance."""

from __future__ import annotations

import http.cookiejar
import re
import threading
import urllib.error
import urllib.parse
import urllib.request

import pytest
import sqlalchemy as sa

from movie_lottery.core.extensions import db
from movie_lottery.core.models import LoginAttempt
from movie_lottery.web.guards.login_throttle import (
    MAX_ATTEMPTS,
    WINDOW_SECONDS,
    begin_attempt,
    succeeded,
    throttle_key,
)
from tests.support.gunicorn_server import GunicornServer

NOW = 1_800_000_000


@pytest.fixture
def locked_app(make_app):
    return make_app(ADMIN_PASSWORD="correct horse")


def sign_in(client, password: str, **headers):
    page = client.get("/login", headers=headers).get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    return client.post("/login", data={"password": password, "csrf_token": token}, headers=headers)


# ---- the count ------------------------------------------------------------------------------------------


def test_five_attempts_are_checked_then_the_address_waits_out_the_window(app_context):
    verdicts = [begin_attempt("198.51.100.1", now=NOW + i) for i in range(MAX_ATTEMPTS + 2)]
    assert [v.allowed for v in verdicts] == [True] * MAX_ATTEMPTS + [False, False]
    assert verdicts[-1].retry_after == WINDOW_SECONDS - (MAX_ATTEMPTS + 1)
    assert begin_attempt("198.51.100.2", now=NOW).allowed  # another address has its own count


def test_a_new_window_starts_once_the_old_one_is_over(app_context):
    for i in range(MAX_ATTEMPTS + 3):
        begin_attempt("198.51.100.1", now=NOW + i)
    assert not begin_attempt("198.51.100.1", now=NOW + WINDOW_SECONDS - 1).allowed
    assert begin_attempt("198.51.100.1", now=NOW + WINDOW_SECONDS).allowed
    row = db.session.get(LoginAttempt, "198.51.100.1")
    assert (row.window_started, row.attempts) == (NOW + WINDOW_SECONDS, 1)


def test_refused_attempts_neither_extend_the_window_nor_grow_the_counter_without_bound(app_context):
    for i in range(50):
        begin_attempt("198.51.100.1", now=NOW + i)
    row = db.session.get(LoginAttempt, "198.51.100.1")
    assert (row.window_started, row.attempts) == (NOW, MAX_ATTEMPTS + 1)


def test_the_right_password_starts_the_address_afresh(app_context):
    for i in range(MAX_ATTEMPTS):
        begin_attempt("198.51.100.1", now=NOW + i)
    succeeded("198.51.100.1")
    assert db.session.get(LoginAttempt, "198.51.100.1") is None
    assert begin_attempt("198.51.100.1", now=NOW + 10).allowed


def test_expired_rows_are_pruned_when_a_new_window_starts(app_context):
    for i in range(20):
        begin_attempt(f"198.51.100.{i}", now=NOW)
    begin_attempt("198.51.100.200", now=NOW + WINDOW_SECONDS - 1)  # the old rows are not expired yet
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LoginAttempt)) == 21
    begin_attempt("198.51.100.201", now=NOW + WINDOW_SECONDS + 1)
    left = set(db.session.scalars(sa.select(LoginAttempt.address)))
    assert left == {"198.51.100.200", "198.51.100.201"}


@pytest.mark.parametrize(
    ("address", "key"),
    [
        ("198.51.100.7", "198.51.100.7"),
        ("2001:db8:1:2:aaaa::1", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64"),  # the same subscriber, the same count
        ("::ffff:198.51.100.7", "198.51.100.7"),
        (None, "unknown"),
        ("x" * 200, "x" * 64),
    ],
)
def test_whom_the_throttle_counts(address, key):
    assert throttle_key(address) == key


def test_two_apps_on_one_database_share_the_count(make_app):
    # Two apps stand for two workers (or instances): what one counted, the other sees.
    first, second = make_app(ADMIN_PASSWORD="correct horse"), make_app(ADMIN_PASSWORD="correct horse")
    for _ in range(3):
        assert sign_in(first.test_client(), "guess").status_code == 401
    for _ in range(2):
        assert sign_in(second.test_client(), "guess").status_code == 401
    assert sign_in(second.test_client(), "correct horse").status_code == 429
    assert sign_in(first.test_client(), "correct horse").status_code == 429


def test_simultaneous_attempts_in_threads_check_at_most_five_passwords(locked_app):
    statuses: list[int] = []
    lock = threading.Lock()
    clients = [locked_app.test_client() for _ in range(12)]
    tokens = [
        re.search(r'name="csrf_token" value="([^"]+)"', c.get("/login").get_data(as_text=True)).group(1)
        for c in clients
    ]
    start = threading.Barrier(len(clients))

    def attempt(client, token):
        start.wait()
        status = client.post("/login", data={"password": "guess", "csrf_token": token}).status_code
        with lock:
            statuses.append(status)

    threads = [threading.Thread(target=attempt, args=pair) for pair in zip(clients, tokens, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(statuses) == [401] * MAX_ATTEMPTS + [429] * (len(clients) - MAX_ATTEMPTS)


# ---- whose address: as far as the deploy's proxies go (PROXY_HOPS) ----------------------------------------


def test_with_no_proxy_a_forged_x_forwarded_for_does_not_dodge_the_throttle(make_app):
    app = make_app(ADMIN_PASSWORD="correct horse", PROXY_HOPS=0)
    for i in range(MAX_ATTEMPTS):
        forged = {"X-Forwarded-For": f"198.51.100.{i}"}
        assert sign_in(app.test_client(), "guess", **forged).status_code == 401
    forged = sign_in(app.test_client(), "correct horse", **{"X-Forwarded-For": "198.51.100.99"})
    assert forged.status_code == 429


def test_behind_one_proxy_the_address_it_saw_is_the_one_counted(make_app):
    app = make_app(ADMIN_PASSWORD="correct horse", PROXY_HOPS=1)
    # The client's own prefix is ignored; the proxy appends the address it saw, which is what counts.
    for i in range(MAX_ATTEMPTS):
        headers = {"X-Forwarded-For": f"10.0.0.{i}, 198.51.100.1"}
        assert sign_in(app.test_client(), "guess", **headers).status_code == 401
    assert sign_in(app.test_client(), "guess", **{"X-Forwarded-For": "198.51.100.1"}).status_code == 429
    assert sign_in(app.test_client(), "guess", **{"X-Forwarded-For": "198.51.100.2"}).status_code == 401


def test_behind_one_proxy_its_scheme_is_believed_too(make_app):
    behind_proxy = make_app(ADMIN_PASSWORD="correct horse", PROXY_HOPS=1).test_client()
    response = behind_proxy.get("/login", headers={"X-Forwarded-Proto": "https"})
    assert "Secure" in response.headers["Set-Cookie"]
    plain = make_app(ADMIN_PASSWORD="correct horse", PROXY_HOPS=0).test_client()
    assert "Secure" not in plain.get("/login", headers={"X-Forwarded-Proto": "https"}).headers["Set-Cookie"]


# ---- across real gunicorn workers -----------------------------------------------------------------------


def try_password(base_url: str, password: str, barrier: threading.Barrier) -> int:
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    with opener.open(base_url + "/login", timeout=30) as response:
        token = re.search(r'name="csrf_token" value="([^"]+)"', response.read().decode()).group(1)
    body = urllib.parse.urlencode({"password": password, "csrf_token": token}).encode()
    barrier.wait()
    try:
        with opener.open(base_url + "/login", data=body, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_fifteen_wrong_passwords_over_three_workers_check_at_most_five(database_url, tmp_path):
    log_path = tmp_path / "gunicorn.log"
    env = {"ADMIN_PASSWORD": "correct horse"}
    with GunicornServer(database_url, workers=3, env=env, log_path=log_path) as server:
        barrier = threading.Barrier(15)
        statuses: list[int] = []
        lock = threading.Lock()

        def attempt():
            status = try_password(server.url, "guess", barrier)
            with lock:
                statuses.append(status)

        threads = [threading.Thread(target=attempt) for _ in range(15)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        after = try_password(server.url, "correct horse", threading.Barrier(1))

    assert len(statuses) == 15
    assert statuses.count(401) <= MAX_ATTEMPTS, statuses  # a password was checked (and was wrong)
    assert statuses.count(401) + statuses.count(429) == 15, statuses
    assert after == 429  # even the right password waits out the window now
    log = log_path.read_text()
    assert "Traceback" not in log and "WORKER TIMEOUT" not in log
    assert log.count("Booting worker") >= 3


# ---- the table --------------------------------------------------------------------------------------------


def content_version() -> int:
    return db.session.execute(sa.text("SELECT version FROM content_version")).scalar_one()


def test_counting_an_attempt_leaves_the_page_cache_alone(app_context):
    # No content-version trigger on login_attempt: a guessing flood must not empty every cached page.
    before = content_version()
    for i in range(MAX_ATTEMPTS + 2):
        begin_attempt("198.51.100.1", now=NOW + i)
    succeeded("198.51.100.1")
    assert content_version() == before


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_migration_0004_adds_the_table_and_its_downgrade_takes_only_it_away(backend, tmp_path, request):
    import flask_migrate

    from movie_lottery.ops.migrations import enable_migrations
    from tests.conftest import build_app
    from tests.support.postgres import create_database

    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'migrations.sqlite3'}"
    else:
        url = create_database(request.getfixturevalue("postgres_admin_url"), "ml_throttle_migration")
    app = build_app(url)
    enable_migrations(app)
    with app.app_context():
        flask_migrate.upgrade(revision="0003")
        before = set(sa.inspect(db.engine).get_table_names())
        flask_migrate.upgrade(revision="0004")
        assert set(sa.inspect(db.engine).get_table_names()) == before | {"login_attempt"}
        indexes = {i["name"] for i in sa.inspect(db.engine).get_indexes("login_attempt")}
        assert "ix_login_attempt_window_started" in indexes
        flask_migrate.downgrade(revision="0003")
        assert set(sa.inspect(db.engine).get_table_names()) == before
        flask_migrate.upgrade()
        db.engine.dispose()
