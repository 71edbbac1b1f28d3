"""Screenshots of the Mini App for README's «Telegram» section: the site's pages as Telegram shows them on a
phone (390×844, Telegram's dark theme), in Debian's Chromium kept off the network.

    .venv/bin/python -m tools.telegram_screenshots

Starts the app on 127.0.0.1 on a throwaway SQLite database, with a local fake Bot API (nothing reaches
Telegram), makes a poll and a lottery with the owner's API token, and opens them as Telegram opens a Mini
App: signed init data and theme parameters in the URL fragment. Writes docs/telegram/*.png (the viewport, not
the whole page, so each stays small).
"""

from __future__ import annotations

import json
import logging
import tempfile
import urllib.request
from pathlib import Path
from urllib.parse import quote

from playwright.sync_api import expect, sync_playwright

from tests.conftest import LiveServer, build_app, migrate, stop_background_threads
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, PHONE
from tests.e2e.test_mini_app import TELEGRAM_CLIENT, THEME
from tests.support.fake_telegram import FakeTelegram
from tests.support.telegram_init_data import TEST_BOT_TOKEN, signed_init_data, telegram_user

OUT = Path(__file__).resolve().parents[1] / "docs" / "telegram"
MOVIES = [
    {"name": "Сталкер", "year": 1979},
    {"name": "Солярис", "year": 1972},
    {"name": "Кин-дза-дза!", "year": 1986},
]


def _create(base: str, path: str, body: dict) -> dict:
    request = urllib.request.Request(
        base + path,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", "Authorization": "Bearer screenshots"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def _inside_telegram(base: str, path: str, user: dict) -> str:
    fragment = (
        f"tgWebAppData={quote(signed_init_data(TEST_BOT_TOKEN, user=user), safe='')}"
        f"&tgWebAppVersion=8.0&tgWebAppPlatform=android"
        f"&tgWebAppThemeParams={quote(json.dumps(THEME), safe='')}"
    )
    return f"{base}{path}#{fragment}"


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # the server's request lines
    with tempfile.TemporaryDirectory() as tmp, FakeTelegram(token=TEST_BOT_TOKEN) as telegram:
        database = f"sqlite:///{Path(tmp) / 'screenshots.sqlite3'}"
        migrate(database)
        site = LiveServer(
            build_app(
                database,
                TELEGRAM_BOT_TOKEN=TEST_BOT_TOKEN,
                TELEGRAM_API_URL=telegram.url,
                TELEGRAM_WORKER_AUTOSTART=False,
                SITE_URL="https://kino.example",
                ADMIN_PASSWORD="screenshots",
                API_TOKEN="screenshots",
            )
        ).start()
        try:
            poll = _create(site.url, "/api/polls", {"movies": MOVIES})
            lottery = _create(site.url, "/api/lotteries", {"movies": MOVIES})
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
                )
                context = browser.new_context(
                    locale="ru-RU", timezone_id="Europe/Moscow", viewport=PHONE, has_touch=True
                )
                context.add_init_script(TELEGRAM_CLIENT)
                page = context.new_page()
                anna = telegram_user(501, "Аня", "Петрова", "anya_p")

                page.goto(_inside_telegram(site.url, f"/p/{poll['id']}", anna))
                expect(page.locator("#voting-as")).to_have_text("Вы — Аня Петрова")
                expect(page.locator("#name-panel")).to_be_hidden()
                page.wait_for_load_state("networkidle")
                page.screenshot(path=str(OUT / "mini-app-poll.png"))

                for movie, answer in (("Сталкер", "да"), ("Солярис", "нет"), ("Кин-дза-дза!", "да")):
                    page.get_by_role("button", name=f"«{movie}» — {answer}").click()
                page.get_by_test_id("submit-ballot").click()
                expect(page.locator("#ballot-saved")).to_be_visible()
                # «Голос принят ✓» says what the panel's own line says: closed, so the picture shows the page.
                page.locator(".toast__close").click()
                expect(page.locator(".toast")).to_have_count(0)
                page.wait_for_load_state("networkidle")
                page.screenshot(path=str(OUT / "mini-app-poll-voted.png"))

                page.goto(_inside_telegram(site.url, f"/l/{lottery['id']}", anna))
                expect(page.locator("h1")).to_be_visible()
                page.wait_for_load_state("networkidle")
                page.screenshot(path=str(OUT / "mini-app-lottery-waiting.png"))
                browser.close()
        finally:
            stop_background_threads()
            site.stop()
    for png in sorted(OUT.glob("*.png")):
        print(f"{png.relative_to(OUT.parents[1])}: {png.stat().st_size // 1024} KB")


if __name__ == "__main__":
    main()
