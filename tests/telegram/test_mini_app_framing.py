"""Telegram Web shows a Mini App in an iframe: the pages the Mini App opens (a poll, a lottery's waiting and
play pages) may be framed by Telegram's web origins and by nobody else; every other page stays unframable."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

MOVIES = [{"name": "Сталкер", "year": 1979}, {"name": "Солярис", "year": 1972}]
TELEGRAM_WEB = "frame-ancestors https://web.telegram.org https://webk.telegram.org https://webz.telegram.org"


def path_of(url: str) -> str:
    return urlsplit(url).path


def frame_ancestors(response) -> str:
    policy = response.headers["Content-Security-Policy"]
    (rule,) = [part.strip() for part in policy.split(";") if part.strip().startswith("frame-ancestors")]
    return rule


def test_the_mini_app_pages_may_be_framed_by_telegram_web_only(client):
    poll = client.post("/api/polls", json={"movies": MOVIES}).get_json()
    lottery = client.post("/api/lotteries", json={"movies": MOVIES}).get_json()
    mini_app_pages = [poll["poll_url"], poll["poll_url"], lottery["wait_url"], lottery["play_url"]]
    for url in map(path_of, mini_app_pages):  # the poll page twice: the second comes from the page cache
        page = client.get(url)
        assert page.status_code == 200, url
        assert frame_ancestors(page) == TELEGRAM_WEB, url
        assert "X-Frame-Options" not in page.headers, url  # DENY would win over frame-ancestors
        assert "script-src 'self'" in page.headers["Content-Security-Policy"]  # the rest unchanged
    for url in ["/", path_of(poll["manage_url"]), "/library", f"/api/polls/{poll['id']}"]:
        other = client.get(url)
        assert frame_ancestors(other) == "frame-ancestors 'none'", url
        assert other.headers["X-Frame-Options"] == "DENY", url
