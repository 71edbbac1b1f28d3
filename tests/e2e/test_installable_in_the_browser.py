"""Chromium reads the site's manifest as a phone would before offering «Add to home screen»: no parse errors,
the name, standalone display and icons it can fetch; and the pages arrive compressed."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import PHONE

pytestmark = [pytest.mark.e2e, pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]


def test_chromium_reads_the_manifest_without_errors_and_fetches_its_icons(live_server, page):
    page.set_viewport_size(PHONE)
    page.goto(live_server.url + "/")
    client = page.context.new_cdp_session(page)
    answer = client.send("Page.getAppManifest")
    assert answer["url"] == live_server.url + "/manifest.webmanifest"
    assert answer["errors"] == []
    parsed = answer["manifest"]  # as Chromium understood it
    assert parsed["name"] == "Кинолотерея"
    assert parsed["display"] == "kStandalone"
    assert parsed["startUrl"] == live_server.url + "/"
    assert parsed["backgroundColor"] == parsed["themeColor"] == "rgba(13,11,16,1)"
    assert {icon["sizes"] for icon in parsed["icons"]} >= {"192x192", "512x512"}
    icons = page.evaluate(
        """async () => {
            const manifest = await (await fetch('/manifest.webmanifest')).json();
            return Promise.all(manifest.icons.map(async (icon) => {
                const response = await fetch(icon.src);
                return [icon.src, response.status, response.headers.get('content-type')];
            }));
        }"""
    )
    assert len(icons) == 3
    for src, status, kind in icons:
        assert status == 200, src
        assert kind.startswith("image/"), (src, kind)


def test_the_browser_gets_its_pages_and_scripts_compressed(live_server, page):
    # Waited for by name: a listener asking for headers inside the event missed one on a loaded machine.
    with page.expect_response(live_server.url + "/static/css/app.css") as stylesheet:
        document = page.goto(live_server.url + "/")
    assert document.all_headers().get("content-encoding") in {"zstd", "br", "gzip"}
    assert stylesheet.value.all_headers().get("content-encoding") in {"zstd", "br", "deflate"}
