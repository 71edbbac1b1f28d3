"""Draw the home-screen icons: static/icons/icon.svg rasterised by Debian's Chromium (no download, no Pillow).

    .venv/bin/python -m tools.make_icons

The SVG fills its square edge to edge with the page's background and keeps the reel inside the middle 80 %,
so one picture serves both "any" and "maskable" (Android crops a maskable icon to a circle or a squircle).
"""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import sync_playwright

from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS

ICONS = Path(__file__).resolve().parents[1] / "movie_lottery" / "static" / "icons"
SIZES = (192, 512)


def main() -> None:
    svg = (ICONS / "icon.svg").read_text()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        for size in SIZES:
            page = browser.new_page(viewport={"width": size, "height": size})
            page.set_content(
                f"<style>html,body{{margin:0}}svg{{display:block;width:{size}px;height:{size}px}}</style>{svg}"
            )
            page.screenshot(path=str(ICONS / f"icon-{size}.png"), omit_background=False)
            page.close()
        browser.close()


if __name__ == "__main__":
    main()
