"""TorrentClient against a real qbittorrent-nox (locked to loopback) and against servers that misbehave."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from movie_lottery.integrations.magnet import InvalidMagnet
from movie_lottery.integrations.qbittorrent import (
    TorrentClient,
    TorrentClientError,
    TorrentLoginRejected,
    TorrentStatus,
    build_base_url,
)
from tests.support.fakes.qbittorrent_fakes import BlackHoleServer, FakeQbitServer, refused_port
from tests.support.fakes.qbittorrent_nox import (
    QbittorrentNox,
    UnsafeQbittorrentConfigError,
    available,
    pbkdf2_password,
    verify_preferences,
)

ROOT = Path(__file__).resolve().parents[2]


def random_magnet(name: str = "Test Movie") -> tuple[str, str]:
    """A trackerless magnet for a torrent that exists nowhere: nothing to find, nothing to fetch."""
    info_hash = secrets.token_hex(20)
    return f"magnet:?xt=urn:btih:{info_hash}&dn={name.replace(' ', '+')}", info_hash


def wait_for(predicate, timeout: float = 5.0):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.05)


# -- the real qbittorrent-nox -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def nox():
    if not available():
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("qbittorrent-nox is required on CI (apt-get install -y qbittorrent-nox)")
        pytest.skip("qbittorrent-nox is not installed")
    with QbittorrentNox() as server:
        yield server


@pytest.fixture
def client(nox):
    torrent_client = TorrentClient(nox.host, nox.port, nox.username, nox.password, category="movie-lottery")
    yield torrent_client
    torrent_client.close()


def test_the_real_server_is_locked_to_loopback(nox):
    assert verify_preferences(nox.preferences, webui_port=nox.port) == []
    assert nox.port < 32768 and nox.torrent_port < 32768
    assert nox.non_loopback_sockets() == []


def test_version(client):
    assert client.version().startswith("v")


def test_add_list_find_and_delete_a_paused_trackerless_magnet(client):
    magnet, info_hash = random_magnet("Лотерея Тест")
    client.add_magnet(magnet, tags=["movie-lottery", "movie-42"], paused=True)

    ours = wait_for(lambda: [t for t in client.list_torrents() if t.info_hash == info_hash])
    assert len(ours) == 1
    status = ours[0]
    assert isinstance(status, TorrentStatus)
    assert status.category == "movie-lottery"
    assert set(status.tags) == {"movie-lottery", "movie-42"}
    assert status.state == "pausedDL"
    assert 0.0 <= status.progress <= 1.0
    assert status.eta is None
    assert status.info_hash == info_hash
    assert client.has_torrent(info_hash)
    assert client.has_torrent(info_hash.upper())

    assert client.delete(info_hash, delete_files=True) is True
    assert wait_for(lambda: not client.has_torrent(info_hash))
    assert client.delete(info_hash, delete_files=True) is False


def test_adding_the_same_magnet_twice_is_not_an_error(client):
    magnet, info_hash = random_magnet()
    client.add_magnet(magnet, tags=[], paused=True)
    assert wait_for(lambda: client.has_torrent(info_hash))
    client.add_magnet(magnet, tags=[], paused=True)
    assert [t.info_hash for t in client.list_torrents()].count(info_hash) == 1
    assert client.delete(info_hash, delete_files=True)


def test_torrents_of_another_category_are_neither_listed_nor_deleted(nox, client):
    other = TorrentClient(nox.host, nox.port, nox.username, nox.password, category="someone-else")
    magnet, info_hash = random_magnet("Not ours")
    try:
        other.add_magnet(magnet, tags=["manual"], paused=True)
        assert wait_for(lambda: other.has_torrent(info_hash))
        assert info_hash not in {t.info_hash for t in client.list_torrents()}
        assert client.has_torrent(info_hash)  # qBittorrent has it: the queue must not add it again
        assert client.delete(info_hash, delete_files=True) is False
        assert other.has_torrent(info_hash)
    finally:
        other.delete(info_hash, delete_files=True)
        other.close()


def test_bad_input_never_reaches_the_network(client):
    with pytest.raises(InvalidMagnet):
        client.add_magnet("http://not-a-magnet", tags=[])
    # "all" would delete every torrent in qBittorrent: it is not a hash, so nothing is sent.
    assert client.delete("all", delete_files=True) is False
    assert client.has_torrent("all") is False
    assert client.delete("a|b", delete_files=True) is False


def test_wrong_password_on_the_real_server_is_rejected(nox):
    wrong = TorrentClient(nox.host, nox.port, nox.username, "not-the-password")
    with pytest.raises(TorrentLoginRejected) as caught:
        wrong.version()
    assert caught.value.reason == "неверный логин или пароль"


def test_after_a_restart_the_client_logs_in_again_and_carries_on(nox, client):
    """qBittorrent forgets sessions on restart; the library re-logs in on the 403 by itself."""
    assert client.version()
    nox.stop()
    begun = time.monotonic()
    with pytest.raises(TorrentClientError) as caught:
        client.list_torrents()
    assert time.monotonic() - begun < 1.0
    assert caught.value.reason == "нет связи"
    nox.start()
    magnet, info_hash = random_magnet()
    client.add_magnet(magnet, tags=["after-restart"], paused=True)
    assert wait_for(lambda: client.has_torrent(info_hash))
    assert client.delete(info_hash, delete_files=True)
    assert verify_preferences(nox.preferences, webui_port=nox.port) == []


# -- failure modes ------------------------------------------------------------------------------------


def test_refused_connection_fails_fast():
    with refused_port() as port:
        client = TorrentClient("127.0.0.1", port, "u", "p")
        for call in (client.version, client.list_torrents, lambda: client.has_torrent("a" * 40)):
            begun = time.monotonic()
            with pytest.raises(TorrentClientError) as caught:
                call()
            assert time.monotonic() - begun < 1.0
            assert caught.value.reason == "нет связи"
            assert not isinstance(caught.value, TorrentLoginRejected)


def test_black_hole_costs_at_most_about_two_timeouts_per_call():
    with BlackHoleServer() as hole:
        client = TorrentClient(hole.host, hole.port, "u", "p", connect_timeout=0.5, read_timeout=0.5)
        calls = [
            client.version,
            client.list_torrents,
            lambda: client.add_magnet(random_magnet()[0], tags=[], paused=True),
            lambda: client.delete("b" * 40, delete_files=False),
        ]
        for call in calls:
            begun = time.monotonic()
            with pytest.raises(TorrentClientError) as caught:
                call()
            elapsed = time.monotonic() - begun
            assert caught.value.reason == "таймаут"
            assert 0.9 <= elapsed < 2.5, elapsed  # 2 attempts x 0.5 s read timeout, nothing more


def test_wrong_password_makes_exactly_one_login_attempt():
    with FakeQbitServer("wrong_password") as fake:
        client = TorrentClient(f"http://{fake.host}", fake.port, "u", "wrong")
        with pytest.raises(TorrentLoginRejected) as caught:
            client.list_torrents()
        assert caught.value.reason == "неверный логин или пароль"
        assert fake.login_attempts == 1
        assert fake.requests == ["/api/v2/auth/login"]


def test_server_errors_become_torrent_client_errors():
    with FakeQbitServer("500") as fake:
        client = TorrentClient(fake.host, fake.port, "u", "p")
        with pytest.raises(TorrentClientError) as caught:
            client.version()
        assert caught.value.reason == "ошибка qBittorrent: HTTP 500"
        assert not isinstance(caught.value, TorrentLoginRejected)
        assert fake.login_attempts == 1


def test_invalid_json_becomes_a_torrent_client_error():
    with FakeQbitServer("invalid_json") as fake:
        client = TorrentClient(fake.host, fake.port, "u", "p")
        assert client.version() == "v4.5.2"
        with pytest.raises(TorrentClientError) as caught:
            client.list_torrents()
        assert caught.value.reason == "ошибка qBittorrent: непонятный ответ"
        assert fake.login_attempts == 1


def test_one_login_per_client_even_with_concurrent_first_calls():
    with FakeQbitServer("ok") as fake:
        client = TorrentClient(fake.host, fake.port, "u", "p")
        errors = []

        def call():
            try:
                client.list_torrents()
                client.version()
            except Exception as exc:
                errors.append(exc)

        threads = [threading.Thread(target=call) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=10)
        assert errors == []
        assert fake.login_attempts == 1


# -- pure parts ---------------------------------------------------------------------------------------


def test_importing_and_constructing_the_client_loads_no_http_library():
    code = (
        "import sys\n"
        "from movie_lottery.integrations.qbittorrent import TorrentClient\n"
        "TorrentClient('h', 8080, 'u', 'p')\n"
        "print(sorted(m for m in ('qbittorrentapi', 'requests', 'urllib3') if m in sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


@pytest.mark.parametrize(
    ("host", "port", "url"),
    [
        ("localhost", 8080, "http://localhost:8080"),
        ("http://10.0.0.5", 8080, "http://10.0.0.5:8080"),
        ("https://qbt.example.org:8443", None, "https://qbt.example.org:8443"),
        ("https://qbt.example.org:8443/", 9999, "https://qbt.example.org:8443"),
        ("HTTPS://qbt.example.org/qbittorrent/", None, "https://qbt.example.org/qbittorrent"),
        ("  example.org  ", None, "http://example.org"),
        ("[::1]", 8080, "http://[::1]:8080"),
    ],
)
def test_base_url(host, port, url):
    assert build_base_url(host, port) == url


@pytest.mark.parametrize(("host", "port"), [("", 8080), ("ftp://h", 21), ("http://", 80), ("h", 70000)])
def test_bad_addresses_are_client_errors(host, port):
    with pytest.raises(TorrentClientError):
        build_base_url(host, port)


def test_status_normalises_qbittorrent_5_states_and_unknowns():
    item = {
        "hash": "B" * 40,
        "name": "Movie",
        "state": "stoppedDL",
        "progress": 1.2,
        "dlspeed": 10,
        "eta": 8640000,
        "size": 100,
        "amount_left": 0,
        "added_on": 1700000000,
        "completion_on": -1,
        "category": "movie-lottery",
        "tags": "movie-lottery, movie-7",
    }
    status = TorrentStatus.from_api(item)
    assert (status.info_hash, status.state, status.raw_state) == ("b" * 40, "pausedDL", "stoppedDL")
    assert (status.progress, status.eta, status.completion_on) == (1.0, None, None)
    assert status.tags == ("movie-lottery", "movie-7")
    assert TorrentStatus.from_api({**item, "state": "stoppedUP", "eta": 42}).state == "pausedUP"
    assert TorrentStatus.from_api({**item, "eta": 42}).eta == 42
    assert TorrentStatus.from_api({**item, "eta": -1}).eta is None
    for broken in ({"name": "no hash"}, "text", {**item, "size": "lots"}):
        with pytest.raises(TorrentClientError):
            TorrentStatus.from_api(broken)


# -- the nox helper refuses an unsafe server ------------------------------------------------------------

SAFE_PREFS = {
    "dht": False,
    "pex": False,
    "lsd": False,
    "upnp": False,
    "web_ui_upnp": False,
    "enable_embedded_tracker": False,
    "current_network_interface": "lo",
    "current_interface_address": "127.0.0.1",
    "web_ui_address": "127.0.0.1",
    "web_ui_port": 25000,
    "listen_port": 26000,
}


def test_verify_preferences_accepts_the_locked_down_set():
    assert verify_preferences(SAFE_PREFS, webui_port=25000) == []


@pytest.mark.parametrize(
    "change",
    [
        {"dht": True},
        {"pex": True},
        {"lsd": True},
        {"upnp": True},
        {"web_ui_upnp": True},
        {"enable_embedded_tracker": True},
        {"current_network_interface": ""},
        {"current_interface_address": "0.0.0.0"},
        {"web_ui_address": "*"},
        {"listen_port": 51413},
        {"dht": None},
    ],
)
def test_verify_preferences_refuses_anything_that_leaves_loopback(change):
    assert verify_preferences({**SAFE_PREFS, **change}, webui_port=25000) != []


def test_verify_preferences_refuses_missing_fields():
    prefs = dict(SAFE_PREFS)
    del prefs["lsd"]
    assert any("lsd" in problem for problem in verify_preferences(prefs))


def test_the_helper_never_starts_without_its_config():
    server = QbittorrentNox()
    try:
        (server.profile / "qBittorrent" / "config" / "qBittorrent.conf").unlink()
        with pytest.raises(UnsafeQbittorrentConfigError):
            server.start()
        assert server.process is None
    finally:
        server.cleanup()


def test_config_is_locked_down_before_the_first_start():
    server = QbittorrentNox(password="secret")
    try:
        config = (server.profile / "qBittorrent" / "config" / "qBittorrent.conf").read_text()
        for line in (
            "Session\\DHTEnabled=false",
            "Session\\PeXEnabled=false",
            "Session\\LSDEnabled=false",
            "Session\\Interface=lo",
            "Connection\\UPnP=false",
            "WebUI\\Address=127.0.0.1",
            f"Session\\Port={server.torrent_port}",
            f"WebUI\\Port={server.port}",
        ):
            assert line in config.splitlines()
        assert 20000 <= server.port <= 32000 and 20000 <= server.torrent_port <= 32000
        assert pbkdf2_password("secret", salt=b"\0" * 16).startswith("@ByteArray(AAAAAAAAAAAAAAAAAAAAAA==:")
    finally:
        server.cleanup()
