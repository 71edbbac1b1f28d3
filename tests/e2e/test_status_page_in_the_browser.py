"""The owner's status page and the backup nudge, in a real browser."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect

from movie_lottery.backup import milestones
from movie_lottery.integrations.qbittorrent import TorrentClientError
from tests.backup.test_backup_reminders import set_milestone
from tests.downloads.test_torrent_status import QBIT, StubClient, install
from tests.support.backup_collection import stock_collection

pytestmark = pytest.mark.e2e


@pytest.fixture
def server(start_server):
    live = start_server(ADMIN_PASSWORD="correct horse", API_TOKEN="bot-token-for-the-e2e-test", **QBIT)
    stub = StubClient()
    service = install(live.app, stub)
    stub.fail_with = TorrentClientError("таймаут")
    for _ in range(3):
        service.run_cycle()  # the breaker is open: the page has a last error and a next attempt to show
    script = live.app.test_client()
    script.environ_base["HTTP_AUTHORIZATION"] = "Bearer bot-token-for-the-e2e-test"
    stock_collection(script)
    set_milestone(live.app, milestones.DATABASE_STARTED, datetime.now(UTC) - timedelta(days=12))
    return live


def sign_in(page, url: str, then: str) -> None:
    page.goto(f"{url}/login?next={then}")
    page.get_by_label("Пароль").fill("correct horse")
    page.get_by_role("button", name="Войти").click()
    expect(page).to_have_url(re.compile(re.escape(then) + "$"))


def test_the_admin_reaches_the_status_page_from_the_header_and_reads_it(server, page, screenshot, no_dialogs):
    sign_in(page, server.url, "/library")
    nudge = page.get_by_test_id("backup-nudge")
    expect(nudge).to_contain_text("Резервной копии ещё не было")
    screenshot(page, "library-backup-nudge")

    page.get_by_role("navigation", name="Разделы").get_by_role("link", name="Состояние").click()
    expect(page).to_have_url(re.compile(r"/status$"))
    expect(page.get_by_role("heading", level=1, name="Состояние сайта")).to_be_visible()
    expect(page.get_by_role("link", name="Состояние")).to_have_attribute("aria-current", "page")
    summary = page.get_by_test_id("status-summary")
    expect(summary).to_contain_text("предупрежден")
    qbit = page.locator(".check", has=page.locator(".check__name", has_text="qBittorrent"))
    expect(qbit).to_have_attribute("data-verdict", "warn")
    expect(qbit).to_contain_text("недоступен: таймаут")
    script = server.app.test_client()
    script.environ_base["HTTP_AUTHORIZATION"] = "Bearer bot-token-for-the-e2e-test"
    pending = len(script.get("/api/torrents").get_json()["pending"])
    expect(page.get_by_test_id("pending-downloads")).to_have_text(str(pending))  # what the queue holds
    # Times are shown in the viewer's zone (Moscow in these tests), written the Russian way.
    started = page.get_by_test_id("database-started").locator("time")
    expect(started).to_have_text(re.compile(r"^\d{1,2} [а-я]+(?: \d{4})?, \d\d:\d\d$"))
    screenshot(page, "status")

    with page.expect_download():
        page.get_by_role("link", name="Скачать копию").click()
    page.reload()
    expect(page.get_by_test_id("last-backup").locator("time")).to_be_visible()
    page.goto(server.url + "/library")
    expect(page.get_by_test_id("backup-nudge")).to_have_count(0)


def test_the_status_page_fits_a_phone_without_sideways_scrolling(server, page):
    sign_in(page, server.url, "/status")
    page.set_viewport_size({"width": 390, "height": 844})
    page.wait_for_timeout(100)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, width
    expect(page.get_by_role("heading", level=1, name="Состояние сайта")).to_be_in_viewport()
