"""A phone can put the site on its home screen: /manifest.webmanifest names the site, its colours and its
own icons, and every page links the manifest, the icons and the theme colour."""

from __future__ import annotations

import json
import re
import struct
from urllib.parse import urlsplit

MOVIES = [{"name": "Солярис", "year": 1972}, {"name": "Сталкер", "year": 1979}]
REQUIRED = {"name", "short_name", "start_url", "display", "background_color", "theme_color", "icons"}


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def test_the_manifest_is_json_naming_the_site_full_screen_in_its_own_colours(client):
    response = client.get("/manifest.webmanifest")
    assert response.status_code == 200
    assert response.mimetype == "application/manifest+json"
    manifest = json.loads(response.data)
    assert manifest.keys() >= REQUIRED
    assert manifest["name"] == "Кинолотерея"
    assert manifest["start_url"] == "/"
    assert manifest["display"] == "standalone"
    assert manifest["background_color"] == manifest["theme_color"] == "#0d0b10"  # app.css --bg


def test_the_site_colours_in_the_manifest_are_the_stylesheets(client):
    css = client.get("/static/css/app.css").get_data(as_text=True)
    background = re.search(r"--bg:\s*(#[0-9a-f]{6})", css).group(1)
    assert json.loads(client.get("/manifest.webmanifest").data)["background_color"] == background


def test_every_icon_the_manifest_names_exists_with_its_declared_type_and_size(client):
    icons = json.loads(client.get("/manifest.webmanifest").data)["icons"]
    sizes = {icon["sizes"] for icon in icons}
    assert {"192x192", "512x512"} <= sizes
    assert any(icon["type"] == "image/svg+xml" for icon in icons)
    for icon in icons:
        response = client.get(icon["src"])
        assert response.status_code == 200, icon
        assert response.mimetype == icon["type"], icon
        if icon["type"] == "image/png":
            width, height = png_size(response.data)
            assert f"{width}x{height}" == icon["sizes"]


def test_the_manifest_and_its_icons_are_public_on_a_locked_site(make_app):
    locked = make_app(ADMIN_PASSWORD="correct horse").test_client()
    response = locked.get("/manifest.webmanifest")
    assert response.status_code == 200
    for icon in json.loads(response.data)["icons"]:
        assert locked.get(icon["src"]).status_code == 200


def pages(client) -> list[str]:
    lottery = client.post("/api/lotteries", json={"movies": MOVIES}).get_json()
    poll = client.post("/api/polls", json={"movies": MOVIES}).get_json()
    return [
        "/",
        "/library",
        "/history",
        "/status",
        "/api/docs",
        f"/l/{lottery['id']}",
        urlsplit(lottery["play_url"]).path,
        f"/p/{poll['id']}",
        urlsplit(poll["manage_url"]).path,
        "/l/no-such-lottery",  # an error page is a page too
    ]


def test_every_page_links_the_manifest_the_icons_and_the_theme_colour(client):
    for path in pages(client):
        html = client.get(path).get_data(as_text=True)
        assert '<link rel="manifest" href="/manifest.webmanifest">' in html, path
        assert '<link rel="apple-touch-icon" href="/static/icons/icon-192.png">' in html, path
        assert '<link rel="icon" href="/static/favicon.svg"' in html, path
        assert '<meta name="theme-color" content="#0d0b10">' in html, path


def test_the_login_page_of_a_locked_site_links_them_too(make_app):
    html = make_app(ADMIN_PASSWORD="correct horse").test_client().get("/login").get_data(as_text=True)
    assert '<link rel="manifest" href="/manifest.webmanifest">' in html
