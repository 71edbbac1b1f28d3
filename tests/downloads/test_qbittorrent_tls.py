"""A home qBittorrent behind HTTPS with a self-signed certificate: refused, plainly, while the certificate is
checked (the default), and used once the owner sets QBIT_VERIFY_TLS=false.

The server is a real qbittorrent-nox (locked to loopback) with its WebUI on HTTPS and a certificate made by
the openssl command line for this test. The settings go the owner's way: environment -> load_settings.
"""

from __future__ import annotations

import time

import pytest

from movie_lottery.core.config import load_settings
from movie_lottery.downloads import status as torrent_status
from movie_lottery.downloads.status import EXTENSION_KEY, TorrentStatusService
from tests.conftest import require
from tests.downloads.test_qbittorrent_end_to_end import add_and_ask, random_movie
from tests.support.fakes.qbittorrent_nox import QbittorrentNox, available

pytestmark = pytest.mark.qbittorrent

UNTRUSTED = "сертификат qBittorrent не прошёл проверку: он самоподписанный"


@pytest.fixture(autouse=True)
def _stop_refreshers():
    yield
    torrent_status.stop_all(timeout=10)


@pytest.fixture(scope="module")
def https_nox():
    require(available(), "qbittorrent-nox")
    with QbittorrentNox(https=True) as server:
        yield server


def app_for(make_app, nox: QbittorrentNox, tmp_path, **environ):
    """The app as the owner configures it: the README's form of an HTTPS host, with the port in it."""
    environ = {
        "SECRET_KEY": "k",
        "QBIT_HOST": f"https://{nox.host}:{nox.port}",
        "QBIT_USERNAME": nox.username,
        "QBIT_PASSWORD": nox.password,
        **environ,
    }
    qbit = {
        key: value
        for key, value in load_settings(tmp_path, environ).as_flask_config().items()
        if "QBIT" in key
    }
    app = make_app(**qbit, QBIT_ADD_PAUSED=True)
    service = TorrentStatusService(app, autostart=False)
    app.extensions[EXTENSION_KEY] = service
    return app, service


def test_a_self_signed_certificate_is_refused_by_default_and_the_status_says_why(
    make_app, https_nox, tmp_path
):
    app, service = app_for(make_app, https_nox, tmp_path)
    assert app.config["QBIT_VERIFY_TLS"] is True
    client = app.test_client()
    movie = add_and_ask(client, random_movie())

    started = time.monotonic()
    reports = [service.run_cycle() for _ in range(3)]
    assert time.monotonic() - started < 5.0  # a refused handshake is quick: nothing hangs
    assert all(not report.ok for report in reports)
    assert reports[0].error.startswith(UNTRUSTED) and "QBIT_VERIFY_TLS=false" in reports[0].error
    assert service.breaker.snapshot().state == "open"  # and then no more calls for a while
    assert not service.run_cycle().attempted

    status = client.get("/api/torrents").get_json()
    assert status["available"] is False and status["reason"].startswith(UNTRUSTED)
    assert [item["movie_id"] for item in status["pending"]] == [movie["id"]]  # the wish waits
    assert UNTRUSTED in client.get("/library").get_data(as_text=True)


def test_with_verification_off_the_self_signed_server_works(make_app, https_nox, tmp_path, monkeypatch):
    # Many hosts set a CA bundle in the environment; requests would let it switch verification back on.
    import requests

    monkeypatch.setenv("REQUESTS_CA_BUNDLE", requests.certs.where())
    app, service = app_for(make_app, https_nox, tmp_path, QBIT_VERIFY_TLS="false")
    assert app.config["QBIT_VERIFY_TLS"] is False
    client = app.test_client()
    movie = add_and_ask(client, random_movie())

    report = service.run_cycle()
    assert report.ok and report.sent == 1, report
    listed = {t.info_hash for t in service.peek().torrents}
    if movie["info_hash"] not in listed:  # a just-added torrent shows up a moment later
        time.sleep(0.5)
        assert service.run_cycle().ok
        listed = {t.info_hash for t in service.peek().torrents}
    assert movie["info_hash"] in listed
    assert client.delete(f"/api/library/{movie['id']}/torrent?delete_files=1").status_code == 202
    assert service.run_cycle().removed == 1
