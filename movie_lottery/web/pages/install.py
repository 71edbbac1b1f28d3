"""/manifest.webmanifest: what a phone needs to put the site on its home screen and open it full-screen.

Public like the static files it names (a browser fetches a manifest without the visitor's cookies), and
built once per process: it names only the site's own icons, in static/icons/ (tools/make_icons.py).
"""

from __future__ import annotations

import json
from functools import cache

from flask import Blueprint, current_app, url_for

from movie_lottery.web.guards.auth import public

bp = Blueprint("install_pages", __name__)

# The page's colours (static/css/app.css: --bg), so the splash screen and the status bar match the site.
BACKGROUND = "#0d0b10"
ICONS = (
    ("icons/icon.svg", "any", "image/svg+xml"),
    ("icons/icon-192.png", "192x192", "image/png"),
    ("icons/icon-512.png", "512x512", "image/png"),
)


@cache
def _manifest(static_url: str) -> bytes:
    document = {
        "name": "Кинолотерея",
        "short_name": "Кинолотерея",
        "description": "Выбрать фильм на вечер: лотерея или голосование с телефонов друзей",
        "lang": "ru",
        "dir": "ltr",
        "id": "/",
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        "background_color": BACKGROUND,
        "theme_color": BACKGROUND,
        "icons": [
            {"src": f"{static_url}{path}", "sizes": sizes, "type": kind, "purpose": "any maskable"}
            for path, sizes, kind in ICONS
        ],
    }
    return json.dumps(document, ensure_ascii=False, indent=1).encode()


@bp.get("/manifest.webmanifest")
@public
def manifest():
    static_url = url_for("static", filename="")
    response = current_app.response_class(_manifest(static_url), mimetype="application/manifest+json")
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response
