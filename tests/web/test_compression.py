"""Text answers go out compressed to a browser that accepts it, as they are to one that does not, and an
unchanged poll is still a bodiless 304 (web/compression.py)."""

from __future__ import annotations

import gzip
import http.client
import json

import brotli
import pytest
from flask import Response

from tests.support.gunicorn_server import GunicornServer

MOVIES = [{"name": f"Фильм номер {n}", "year": 1960 + n} for n in range(1, 9)]


def create_lottery(client) -> dict:
    response = client.post("/api/lotteries", json={"movies": MOVIES})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_a_page_is_compressed_when_the_browser_accepts_it(client):
    plain = client.get("/")
    packed = client.get("/", headers={"Accept-Encoding": "gzip"})
    assert plain.status_code == packed.status_code == 200
    assert "Content-Encoding" not in plain.headers
    assert packed.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in packed.headers["Vary"]
    assert len(packed.data) < len(plain.data) / 2
    assert gzip.decompress(packed.data).decode().startswith("<!doctype html>")


def test_a_browser_offering_brotli_and_zstd_gets_one_of_them(client):
    response = client.get("/", headers={"Accept-Encoding": "gzip, deflate, br, zstd"})
    assert response.headers["Content-Encoding"] in {"zstd", "br"}


def test_an_api_answer_is_compressed_only_when_accepted(client):
    lottery = create_lottery(client)
    url = f"/api/lotteries/{lottery['id']}"
    plain = client.get(url)
    packed = client.get(url, headers={"Accept-Encoding": "br"})
    assert "Content-Encoding" not in plain.headers
    assert packed.headers["Content-Encoding"] == "br"
    assert brotli.decompress(packed.data) == plain.data


@pytest.mark.parametrize("encoding", ["gzip", "br", None])
def test_an_unchanged_poll_stays_a_bodiless_304(client, encoding):
    lottery = create_lottery(client)
    url = f"/api/lotteries/{lottery['id']}"
    headers = {"Accept-Encoding": encoding} if encoding else {}
    first = client.get(url, headers=headers)
    etag = first.headers["ETag"]
    again = client.get(url, headers={**headers, "If-None-Match": etag})
    assert again.status_code == 304
    assert again.data == b""
    assert again.headers["ETag"] == etag
    assert "Content-Encoding" not in again.headers


def test_a_304_for_a_compressed_etag_is_decided_by_the_view_before_any_body_is_compressed(app, client):
    """The suffix Flask-Compress adds (``"abc:br"``) is taken off before the view compares validators."""
    lottery = create_lottery(client)
    url = f"/api/lotteries/{lottery['id']}"
    etag = client.get(url, headers={"Accept-Encoding": "br"}).headers["ETag"]
    assert etag.endswith(':br"')
    seen = []
    hooks = app.after_request_funcs.setdefault(None, [])
    hooks.append(lambda response: seen.append(response.status_code) or response)  # runs first of all
    again = client.get(url, headers={"Accept-Encoding": "br", "If-None-Match": etag})
    assert again.status_code == 304
    assert seen == [304]  # the view's own answer, not a 200 turned into a 304 afterwards


def test_a_changed_answer_is_sent_whole_to_a_client_holding_the_old_compressed_etag(client):
    lottery = create_lottery(client)
    url = f"/api/lotteries/{lottery['id']}"
    etag = client.get(url, headers={"Accept-Encoding": "gzip"}).headers["ETag"]
    drawn = client.post(f"/api/lotteries/{lottery['id']}/draw", json={"token": lottery["play_token"]})
    assert drawn.status_code == 200, drawn.get_json()
    after = client.get(url, headers={"Accept-Encoding": "gzip", "If-None-Match": etag})
    assert after.status_code == 200
    assert after.headers["ETag"] != etag


def test_a_static_script_is_compressed_and_revalidates_to_a_304(client):
    first = client.get("/static/js/poll.js", headers={"Accept-Encoding": "br"})
    assert first.status_code == 200
    assert first.headers["Content-Encoding"] == "br"
    assert b"export" in brotli.decompress(first.data) or b"import" in brotli.decompress(first.data)
    revalidate = {"Accept-Encoding": "br", "If-None-Match": first.headers["ETag"]}
    again = client.get("/static/js/poll.js", headers=revalidate)
    assert again.status_code == 304


def test_a_byte_range_of_a_static_file_goes_out_uncompressed(client):
    whole = client.get("/static/js/poll.js").data
    part = client.get("/static/js/poll.js", headers={"Accept-Encoding": "br", "Range": "bytes=100-9999"})
    assert part.status_code == 206
    assert "Content-Encoding" not in part.headers
    assert part.data == whole[100:10000]


def test_an_event_stream_is_never_compressed(make_app):
    app = make_app()

    @app.get("/test-events")
    def events():
        return Response(iter(["data: " + "x" * 4000 + "\n\n"] * 3), mimetype="text/event-stream")

    events.is_public = True
    response = app.test_client().get("/test-events", headers={"Accept-Encoding": "gzip, deflate, br, zstd"})
    assert response.status_code == 200
    assert "Content-Encoding" not in response.headers
    assert response.data.startswith(b"data: xxx")


def test_health_is_too_small_to_compress(client):
    response = client.get("/health", headers={"Accept-Encoding": "gzip, br"})
    assert "Content-Encoding" not in response.headers


def test_under_gunicorn_and_gevent_a_page_goes_out_compressed_and_its_etag_answers_304(
    database_url, tmp_path
):
    with GunicornServer(database_url, workers=1, log_path=tmp_path / "gunicorn.log") as server:
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
        connection.request("POST", "/api/lotteries", body=json.dumps({"movies": MOVIES}),
                           headers={"Content-Type": "application/json"})  # fmt: skip
        lottery = json.loads(connection.getresponse().read())
        url = f"/api/lotteries/{lottery['id']}"
        connection.request("GET", url, headers={"Accept-Encoding": "gzip, br"})
        first = connection.getresponse()
        body = first.read()
        assert first.status == 200
        assert first.getheader("Content-Encoding") == "br"
        assert json.loads(brotli.decompress(body))["id"] == lottery["id"]
        connection.request(
            "GET", url, headers={"Accept-Encoding": "gzip, br", "If-None-Match": first.getheader("ETag")}
        )
        again = connection.getresponse()
        assert again.status == 304
        assert again.read() == b""
        connection.request("GET", "/library", headers={"Accept-Encoding": "gzip"})
        page = connection.getresponse()
        assert page.status == 200
        assert gzip.decompress(page.read()).startswith(b"<!doctype html>")
        connection.close()
