"""Browser tests: Debian's Chromium driven by Playwright against the app served on loopback.

Chromium is launched only with the flags that keep it off the network (see the project's network rules);
``playwright install`` is never used.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.conftest import BACKENDS, empty_database, require

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1 , EXCLUDE localhost",
]
# Browser tests check what the pages do, on SQLite; every database rule runs on both engines in the feature
# tests. The flow that carries a whole lottery night runs on the deploy's PostgreSQL instead.
ON_POSTGRESQL = pytest.mark.parametrize("database_url", BACKENDS[1:], indirect=True)


@pytest.fixture(params=["sqlite"])
def database_url(request, tmp_path) -> Iterator[str]:
    yield from empty_database(request, tmp_path)


ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    require(Path(CHROMIUM).exists(), "Chromium (/usr/bin/chromium)")
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS, "headless": True}


@pytest.fixture
def browser_context_args(browser_context_args):
    return {**browser_context_args, "locale": "ru-RU", "timezone_id": "Europe/Moscow", "viewport": DESKTOP}


@pytest.fixture
def screenshot(request) -> Callable:
    """Save a full-page screenshot at desktop and phone width into test-artifacts/screenshots/."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    backend = (
        request.node.callspec.params.get("database_url", "db") if hasattr(request.node, "callspec") else "db"
    )

    def take(page, name: str) -> None:
        original = page.viewport_size
        for label, size in (("desktop", DESKTOP), ("phone", PHONE)):
            page.set_viewport_size(size)
            page.wait_for_timeout(150)
            page.screenshot(path=str(ARTIFACTS / f"{name}-{label}-{backend}.png"), full_page=True)
        page.set_viewport_size(original)

    return take


@pytest.fixture
def no_dialogs(page):
    """Fail the test if any alert/confirm/prompt fires (an injected script would show itself this way)."""
    fired: list[str] = []
    page.on("dialog", lambda dialog: (fired.append(dialog.message), dialog.dismiss()))
    yield fired
    assert fired == [], f"unexpected dialogs: {fired}"
